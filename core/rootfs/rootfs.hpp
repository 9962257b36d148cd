// The container's filesystem view, built inside its new mount namespace.
#pragma once

#include <string>

#include "spec/spec.hpp"
#include "util/unique_fd.hpp"

namespace berth {

class PluginRegistry;
class HostMountSources;

// Makes the mount tree private (or per rootfsPropagation), binds the rootfs
// onto itself, applies the spec's mounts through the mount handlers and
// creates the devices. Runs before the root is changed. `sources` holds the
// bind sources create opened with the host's privileges (host_mount_sources.hpp).
void prepare_rootfs(const spec::Spec& s, const std::string& rootfs, const std::string& bundle,
                    const PluginRegistry& plugins, bool userns, const HostMountSources* sources = nullptr);

// pivot_root into the rootfs with no trace of the old root; with no_pivot,
// MS_MOVE + chroot (for ramdisk roots where pivot_root fails).
void enter_rootfs(const std::string& rootfs, bool no_pivot);

// The host's /dev/null as an O_PATH fd, checked to be the 1:3 device.
UniqueFd open_verified_dev_null();

// maskedPaths (files masked with a clone of `dev_null`, from
// open_verified_dev_null; directories with a read-only tmpfs) and
// readonlyPaths, resolved inside the rootfs. Runs before pivot_root: the
// host's /dev/null cannot be cloned once the old root is detached, and the
// rootfs's own /dev/null is the container's to forge.
void protect_paths(const spec::Spec& s, const std::string& rootfs, int dev_null);

// After the root is changed: root.readonly and rootfsPropagation.
void finish_rootfs(const spec::Spec& s);

// Checks what prepare_rootfs would refuse, without touching the system:
// mount handlers and their validation, /proc, and in a user namespace that
// each linux.devices entry has a host node to bind.
void validate_mounts(const spec::Spec& s, const std::string& bundle, const PluginRegistry& plugins);

}  // namespace berth
