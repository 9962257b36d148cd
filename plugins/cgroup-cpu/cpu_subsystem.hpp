// The "cpu" controller: linux.resources.cpu shares, quota and period.
#pragma once

#include "berth/cgroup_subsystem.hpp"

namespace berth::plugins::cpu {

class CpuSubsystem {
public:
    const char* controller() const { return "cpu"; }
    static constexpr const char* kResourceFields[] = {
        "cpu.shares",         "cpu.quota", "cpu.period", "cpu.realtimeRuntime",
        "cpu.realtimePeriod", "cpu.idle",  "cpu.burst",  nullptr};
    bool wants(const Resources& r) const;
    Status validate(const Resources& r) const;
    Status apply_v2(const CgroupDir& dir, const Resources& r);
    Status apply_v1(const CgroupDir& dir, const Resources& r);
    // Appends every cpu.stat key as {"cpu.stat.<key>", n}, in file order
    // (v2: usage_usec, user_usec, system_usec, nr_periods, nr_throttled,
    // throttled_usec; v1: nr_periods, nr_throttled, throttled_time).
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const;
    // For the systemd driver: cpu_unit_properties (conversions.hpp).
    Status unit_properties(const Resources& r, UnitProperties* out) const;
};

}  // namespace berth::plugins::cpu
