// linux.rootfsPropagation as mount(2) flags.
#pragma once

#include <string>

namespace berth {

// "private", "rslave", ... as MS_* propagation flags (with MS_REC for the r*
// forms); 0 for anything else (the spec parser refuses other names).
unsigned long propagation_flag(const std::string& name);

// What the whole mount tree of the new namespace is made before anything is
// mounted, for a rootfsPropagation (empty: not given). Never shared, so no
// mount leaks to the host; never unbindable, or the bind of the rootfs onto
// itself and every bind from a host path would fail (EINVAL): an unbindable
// propagation starts private (unbindable is private that also refuses binds)
// and is set on / after pivot_root. Always recursive.
unsigned long namespace_propagation(const std::string& rootfs_propagation);

}  // namespace berth
