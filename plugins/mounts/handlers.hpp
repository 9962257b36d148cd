// The mount handlers of the "mounts" plugin. Each mounts onto req.target (the
// host's /proc/self/fd/N of the resolved destination) with the new mount API:
// the mount is made detached, given its attributes, attached with move_mount,
// and its propagation set through the same mount fd (see mount_api.hpp).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "berth/mount_handler.hpp"
#include "berth/status.hpp"

namespace berth::mounts {

// bind and rbind: a clone of the source (tree), keeping the source's flags and
// adding the requested ones (runc semantics); with rbind, attributes apply to
// the whole cloned tree. An option that is not in the table is refused: a
// bind has no filesystem data to pass it in.
class BindHandler final : public MountHandler {
public:
    std::vector<std::string> types() const noexcept override;
    Status validate(const MountRequest& req) const noexcept override;
    Status mount(const MountRequest& req) noexcept override;
};

// Pseudo filesystems made fresh: the data options become fsconfig keys; the
// source only names the mount (it is shown in mountinfo).
class FilesystemHandler final : public MountHandler {
public:
    std::vector<std::string> types() const noexcept override;
    Status validate(const MountRequest& req) const noexcept override;
    Status mount(const MountRequest& req) noexcept override;
};

// overlay: a fresh overlayfs from its lowerdir/upperdir/workdir options
// (host paths, see overlay.hpp), checked to be directories before create;
// the generic options and propagation apply as to any filesystem.
class OverlayHandler final : public MountHandler {
public:
    std::vector<std::string> types() const noexcept override;
    Status validate(const MountRequest& req) const noexcept override;
    Status mount(const MountRequest& req) noexcept override;
};

// The container's view of its own cgroups (the init process is already in
// them, so /proc/self/cgroup names them).
//  - unified host: a clone of /sys/fs/cgroup/<0:: path>;
//  - legacy/hybrid host: a tmpfs with one directory per hierarchy mounted on
//    the host, each holding a clone of the process's cgroup directory in that
//    hierarchy, links for co-mounted controllers (cpu -> cpu,cpuacct), then the
//    requested attributes (usually ro,nosuid,nodev,noexec) over the whole tree.
// In a new cgroup namespace the host's mounts do not show the process's cgroup
// (their root is above the namespace's); a hierarchy is then mounted fresh
// (fsopen "cgroup2", or "cgroup" with its controllers), which shows the
// namespace's root, i.e. the container's cgroup.
// "cgroup" and "cgroup2" both give the view that fits the host.
class CgroupHandler final : public MountHandler {
public:
    std::vector<std::string> types() const noexcept override;
    Status validate(const MountRequest& req) const noexcept override;
    Status mount(const MountRequest& req) noexcept override;
};

// The plugin's one handler: dispatches to the four above by req.type. Options
// with "bind"/"rbind" go to BindHandler whatever the type says.
class MountsHandler final : public MountHandler {
public:
    std::vector<std::string> types() const noexcept override;
    // Every option of mount_option_table(), for `berth features`.
    std::vector<std::string> options() const noexcept override;
    Status validate(const MountRequest& req) const noexcept override;
    Status mount(const MountRequest& req) noexcept override;

private:
    std::array<const MountHandler*, 4> handlers() const { return {&bind_, &filesystem_, &overlay_, &cgroup_}; }
    MountHandler* route(const MountRequest& req);
    const MountHandler* route(const MountRequest& req) const;

    BindHandler bind_;
    FilesystemHandler filesystem_;
    OverlayHandler overlay_;
    CgroupHandler cgroup_;
};

}  // namespace berth::mounts
