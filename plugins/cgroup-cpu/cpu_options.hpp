// The cpu fields beyond CpuResources (the host's CpuExtras) as the writers
// use them: 0, like absent, asks for nothing, as with the modelled ones.
#pragma once

#include <cstdint>
#include <optional>

#include "berth/resources.hpp"
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

// The options linux.resources.cpu asks for. The host has checked types and
// signs; what the kernel's files take beyond that (cpu.idle: 0 or 1) is an
// error naming the field.
Status cpu_options(const Resources& r, CpuOptions* out);

}  // namespace berth::plugins::cpu
