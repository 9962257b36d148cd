// linux.rootfsPropagation as mount(2) flags, and the mount the rootfs sits on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace berth {

// "private", "rslave", ... as MS_* propagation flags (with MS_REC for the r*
// forms); 0 for anything else (the spec parser refuses other names).
unsigned long propagation_flag(const std::string& name);

// What the whole mount tree of the new namespace is made before anything is
// mounted, for a rootfsPropagation (empty: not given). Always recursive.
//  - slave (the default) and private: no mount made inside reaches the host.
//  - shared: the tree is made shared first, as runc does, so that the host's
//    shared mounts stay peers of their copies in the container's namespace:
//    a volume bound from one joins the host's peer group, and mounts made
//    under it on either side appear on the other (Kubernetes' Bidirectional
//    propagation). Nothing else leaks: the mount the rootfs sits on is made
//    private before the rootfs is bound onto itself (parent_mount_to_make_private),
//    and the old root is made a slave before it is detached.
//  - unbindable: starts private (unbindable is private that also refuses
//    binds: the bind of the rootfs onto itself and every bind from a host
//    path would fail with EINVAL) and is set on / after pivot_root.
unsigned long namespace_propagation(const std::string& rootfs_propagation);

// The mount point of mount `mnt_id` in `mountinfo` (/proc/self/mountinfo's
// text, escapes undone) when that mount is shared, else nothing: the mount
// the rootfs sits on, which must not be shared when the rootfs is bound onto
// itself (the bind would propagate to the host) nor at pivot_root (the
// kernel refuses a shared parent of the new root). As runc's
// rootfsParentMountPrivate.
std::optional<std::string> shared_mount_point(const std::string& mountinfo, uint64_t mnt_id);

// The mount on top at mount point `point` in `mountinfo` (the one no other
// mount at that point sits on), by id; nothing when none is mounted there.
std::optional<uint64_t> top_mount_at(const std::string& mountinfo, const std::string& point);
// Whether `mountinfo` lists mount `mnt_id`.
bool has_mount_id(const std::string& mountinfo, uint64_t mnt_id);

}  // namespace berth
