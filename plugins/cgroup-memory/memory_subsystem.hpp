// The "memory" controller: linux.resources.memory limit, reservation, swap
// and swappiness.
#pragma once

#include "berth/cgroup_subsystem.hpp"  // Resources, CgroupDir, CgroupStats, Status

namespace berth::plugins::memory {

// A plain class: BERTH_CGROUP_PLUGIN (plugin.cpp) makes it a berth::CgroupSubsystem
// and runs each method under berth::guarded.
class MemorySubsystem {
public:
    const char* controller() const { return "memory"; }
    // The linux.resources fields served (create loads the plugin only for them).
    const char* const* resource_fields() const {
        static constexpr const char* kFields[] = {"memory", nullptr};
        return kFields;
    }
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
