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

class CpusetSubsystem final : public CgroupSubsystem {
public:
    const char* controller() const noexcept override { return "cpuset"; }
    // When cpus or mems is set (a non-empty string, or something else for
    // validate to name).
    bool wants(const Resources& r) const noexcept override;
    Status validate(const Resources& r) const noexcept override;
    Status apply_v2(const CgroupDir& dir, const Resources& r) noexcept override;
    Status apply_v1(const CgroupDir& dir, const Resources& r) noexcept override;
    // The effective lists, one value per CPU or node: "cpuset.effective_cpus.N"
    // and "cpuset.effective_mems.N" on v1, "cpuset.cpus.effective.N" and
    // "cpuset.mems.effective.N" on v2 (nothing when the controller is not
    // enabled for the directory).
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const noexcept override;
};

}  // namespace berth::plugins::cpuset
