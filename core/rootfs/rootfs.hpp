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
// MS_MOVE + chroot (for ramdisk roots where pivot_root fails). Without a
// mount namespace of its own (own_mount_ns false), chroot alone, as runc
// does: pivot_root or a move would change the host's root.
void enter_rootfs(const std::string& rootfs, bool no_pivot, bool own_mount_ns = true);

// A container without a mount namespace of its own (runc and crun do its
// mounts in the namespace it inherits, the host's): create binds the rootfs
// onto itself there, private (attached under a shared parent, the bind
// itself shows in the parent's peers; nothing mounted below it does), and
// every mount of the container lands under it. Returns its mount id, which
// state.json keeps.
uint64_t bind_rootfs_in_host_namespace(const std::string& rootfs);
// Detaches that bind, and with it every mount below it (MNT_DETACH takes the
// tree along). Mounts stacked on it at the same path (a mount of the config
// onto "/") are the container's and go first. Nothing when it is gone
// already. Throws naming the rootfs when an unmount fails.
void detach_rootfs_bind(const std::string& rootfs, uint64_t mount_id);

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
// The device nodes every container gets besides linux.devices ("/dev/null", ...).
std::vector<std::string> default_device_paths();

void validate_mounts(const spec::Spec& s, const std::string& bundle, const PluginRegistry& plugins);

}  // namespace berth
