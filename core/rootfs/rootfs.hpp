// The container's filesystem view, built inside its new mount namespace.
#pragma once

#include <string>

#include "spec/spec.hpp"

namespace berth {

class PluginRegistry;

// Makes the mount tree private (or per rootfsPropagation), binds the rootfs
// onto itself, applies the spec's mounts through the mount handlers and
// creates the devices. Runs before the root is changed.
void prepare_rootfs(const spec::Spec& s, const std::string& rootfs, const std::string& bundle,
                    const PluginRegistry& plugins, bool userns);

// pivot_root into the rootfs with no trace of the old root; with no_pivot,
// MS_MOVE + chroot (for ramdisk roots where pivot_root fails).
void enter_rootfs(const std::string& rootfs, bool no_pivot);

// After the root is changed: root.readonly, maskedPaths, readonlyPaths, and
// rootfsPropagation.
void finish_rootfs(const spec::Spec& s);

// Checks what prepare_rootfs would refuse, without touching the system.
void validate_mounts(const spec::Spec& s, const std::string& bundle, const PluginRegistry& plugins);

}  // namespace berth
