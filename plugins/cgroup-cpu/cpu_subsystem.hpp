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
    // Appends every cpu.stat key as {"cpu.stat.<key>", n}, in file order
    // (v2: usage_usec, user_usec, system_usec, nr_periods, nr_throttled,
    // throttled_usec; v1: nr_periods, nr_throttled, throttled_time).
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const noexcept override;
};

}  // namespace berth::plugins::cpu
