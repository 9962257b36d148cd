// The "memory" controller: linux.resources.memory limit, reservation, swap
// and swappiness.
#pragma once

#include "berth/cgroup_subsystem.hpp"

namespace berth::plugins::memory {

class MemorySubsystem {
public:
    const char* controller() const { return "memory"; }
    static constexpr const char* kResourceFields[] = {"memory", nullptr};
    bool wants(const Resources& r) const;
    Status validate(const Resources& r) const;
    Status apply_v2(const CgroupDir& dir, const Resources& r);
    Status apply_v1(const CgroupDir& dir, const Resources& r);
    // Appends counters under their file names: memory.current and memory.max
    // (v2; "max" is UINT64_MAX), memory.swap.* when present; or
    // memory.usage_in_bytes, memory.limit_in_bytes and the max_usage, failcnt,
    // memsw.* and kmem.* files present (v1); then every key of memory.stat
    // and memory.events (v2) or memory.oom_control (v1) as "<file>.<key>".
    // Nothing on v2 when the controller is not enabled for the directory.
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const;
    // For the systemd driver: memory_unit_properties (conversions.hpp).
    Status unit_properties(const Resources& r, UnitProperties* out) const;
};

}  // namespace berth::plugins::memory
