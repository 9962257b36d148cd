// What a container's /sys/fs/cgroup should show, worked out from the text of
// /proc/self/mountinfo and /proc/self/cgroup. Pure, so that unified, legacy and
// hybrid hosts can all be table-tested on any machine.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"

namespace berth::mounts {

struct MountInfoEntry {
    std::string root;         // the mount's root within its filesystem
    std::string mount_point;  // octal escapes (\040) decoded
    std::string fstype;
    std::string source;
    std::vector<std::string> super_options;  // e.g. {"rw", "memory"}
};

std::vector<MountInfoEntry> parse_mountinfo(std::string_view text);

struct ProcCgroupEntry {
    int hierarchy = 0;
    std::vector<std::string> controllers;  // {"cpu", "cpuacct"}, {"name=systemd"}, {} for v2
    std::string path;
};

std::vector<ProcCgroupEntry> parse_proc_cgroup(std::string_view text);

enum class CgroupMode {
    kUnified,  // cgroup2 mounted at the cgroup root
    kLegacy,   // tmpfs with v1 hierarchies only
    kHybrid,   // tmpfs with v1 hierarchies and a cgroup2 mount below it
    kNone,     // nothing recognisable at the cgroup root
};

CgroupMode detect_cgroup_mode(const std::vector<MountInfoEntry>& mounts,
                              std::string_view cgroup_root = "/sys/fs/cgroup");

// One hierarchy as the container sees it.
struct CgroupViewDir {
    std::string name;                      // directory in the container's tmpfs ("memory"); "" in unified mode
    std::string host_path;                 // the host directory of the process's cgroup in it; "" when the
                                           // mount does not show it (see plan_cgroup_view)
    std::vector<std::string> controllers;  // as in /proc/self/cgroup; empty for cgroup2
    bool unified = false;                  // a cgroup2 hierarchy
};

// A co-mounted hierarchy's alias, e.g. cpu -> cpu,cpuacct.
struct CgroupViewLink {
    std::string name;
    std::string target;
};

struct CgroupView {
    CgroupMode mode = CgroupMode::kNone;
    std::vector<CgroupViewDir> dirs;  // unified mode: exactly one, the whole view
    std::vector<CgroupViewLink> links;
};

// Finds, for every line of /proc/self/cgroup, the hierarchy's mount under
// `cgroup_root` and the process's directory in it. Hierarchies that are not
// mounted there are left out. When the process's path is outside the mount's
// root (in a cgroup namespace the host mounts show as "/.."), host_path stays
// empty: only a fresh mount of the hierarchy can show it then. Fails only when
// nothing is mounted at `cgroup_root` or a unified host has no 0:: line.
Status plan_cgroup_view(const std::vector<MountInfoEntry>& mounts, const std::vector<ProcCgroupEntry>& cgroups,
                        CgroupView* out, std::string_view cgroup_root = "/sys/fs/cgroup");

}  // namespace berth::mounts
