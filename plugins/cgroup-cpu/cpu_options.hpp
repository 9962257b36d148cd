// The cpu fields the SDK's CpuResources does not model, read from the raw
// `linux.resources` JSON. As with the modelled ones, 0 (or absent, or null)
// asks for nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "berth/status.hpp"

namespace berth::plugins::cpu {

struct CpuOptions {
    std::optional<int64_t> realtime_runtime;  // microseconds per period; -1: no limit
    std::optional<uint64_t> realtime_period;  // microseconds
    std::optional<int64_t> idle;              // 1: SCHED_IDLE-like group
    std::optional<uint64_t> burst;            // microseconds
    bool realtime() const { return realtime_runtime || realtime_period; }
    bool any() const { return realtime() || idle || burst; }
};

// Parses linux.resources.cpu.{realtimeRuntime,realtimePeriod,idle,burst}; a
// value of the wrong type or out of range is an error naming the field.
Status parse_cpu_options(const std::string& resources_json, CpuOptions* out);

}  // namespace berth::plugins::cpu
