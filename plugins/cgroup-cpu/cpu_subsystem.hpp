// The "cpu" controller: linux.resources.cpu shares, quota and period.
#pragma once

#include "berth/cgroup_subsystem.hpp"

namespace berth::plugins::cpu {

class CpuSubsystem final : public CgroupSubsystem {
public:
    const char* controller() const noexcept override { return "cpu"; }
    bool wants(const Resources& r) const noexcept override;
    Status validate(const Resources& r) const noexcept override;
    Status apply_v2(const CgroupDir& dir, const Resources& r) noexcept override;
    Status apply_v1(const CgroupDir& dir, const Resources& r) noexcept override;
    // Appends {"cpu.stat.usage_usec", n} (v2 only) and {"cpu.stat.nr_throttled", n}.
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const noexcept override;
};

}  // namespace berth::plugins::cpu
