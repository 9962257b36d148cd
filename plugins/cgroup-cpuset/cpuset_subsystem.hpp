// The "cpuset" controller: linux.resources.cpu.cpus and .mems onto
// cpuset.cpus and cpuset.mems (the same file names on v1 and v2).
//
// On v1 a new cpuset directory starts with empty lists, which no task can
// join; the CgroupManager, which creates the directories, fills each one it
// makes from its parent (runc's cpuset ensureParent does the same), so this
// plugin only writes the container's own values.
#pragma once

#include "berth/cgroup_subsystem.hpp"

namespace berth::plugins::cpuset {

class CpusetSubsystem {
public:
    const char* controller() const { return "cpuset"; }
    static constexpr const char* kResourceFields[] = {"cpu.cpus", "cpu.mems", nullptr};
    // When cpus or mems is set (a non-empty string, or something else for
    // validate to name).
    bool wants(const Resources& r) const;
    Status validate(const Resources& r) const;
    Status apply_v2(const CgroupDir& dir, const Resources& r);
    // No apply_v1: the files have the same names and syntax on v1 and v2.
    // The effective lists, one value per CPU or node: "cpuset.effective_cpus.N"
    // and "cpuset.effective_mems.N" on v1, "cpuset.cpus.effective.N" and
    // "cpuset.mems.effective.N" on v2 (nothing when the controller is not
    // enabled for the directory).
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const;
    // For the systemd driver: AllowedCPUs and AllowedMemoryNodes as bitmaps.
    Status unit_properties(const Resources& r, UnitProperties* out) const;
};

}  // namespace berth::plugins::cpuset
