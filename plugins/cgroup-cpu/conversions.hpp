// Pure mappings from the spec's cpu values to cpu controller file contents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/cgroup_text.hpp"  // flat_keyed_values, for stats
#include "berth/resources.hpp"
#include "berth/status.hpp"
#include "berth/unit_properties.hpp"

namespace berth::plugins::cpu {

// cgroup v1 cpu.shares range (kernel MIN_SHARES / MAX_SHARES) and the v2
// cpu.weight range it maps onto.
inline constexpr uint64_t kMinShares = 2;
inline constexpr uint64_t kMaxShares = 262144;
inline constexpr uint64_t kMinWeight = 1;
inline constexpr uint64_t kMaxWeight = 10000;

// Bounds the kernel enforces on CFS bandwidth, in microseconds.
inline constexpr uint64_t kMinPeriod = 1000;
inline constexpr uint64_t kMaxPeriod = 1000000;
inline constexpr int64_t kMinQuota = 1000;
// cpu.max's period when the spec gives only a quota (kernel default).
inline constexpr uint64_t kDefaultPeriod = 100000;

// v1 cpu.shares -> v2 cpu.weight with the quadratic (in log2 space) curve of
// crun >= 1.23 and runc >= 1.3.2 (opencontainers/cgroups
// ConvertCPUSharesToCgroupV2Value): it maps the minimum, the default and the
// maximum onto each other exactly (2 -> 1, 1024 -> 100, 262144 -> 10000),
// which the older linear formula did not (1024 -> 39). Out-of-range shares
// clamp; 0 means unset and maps to 0.
uint64_t shares_to_weight(uint64_t shares);

// The text for v2 cpu.max ("<quota|max> <period>"), or nullopt when neither is
// set. As runc's fs2 writer: 0 means unset for both; a quota that is unset or
// negative is "max"; a missing period is the kernel default 100000. Hence a
// period alone writes "max <period>".
std::optional<std::string> cpu_max(std::optional<int64_t> quota, std::optional<uint64_t> period);

// systemd's CPUQuotaPerSecUSec for a CFS quota per period (0: the kernel's
// default period): systemd takes the quota per second in 10 ms steps, and it
// is rounded up, as runc does, so that the limit is never tighter than asked.
uint64_t quota_per_sec(uint64_t quota, uint64_t period);

// The systemd unit properties of the cpu values (runc's systemd v2 mapping):
// CPUWeight from shares (shares_to_weight), CPUQuotaPeriodUSec and
// CPUQuotaPerSecUSec from the period and quota (0 is unset, as for the
// files); then the unified keys cpu.weight and cpu.max ("QUOTA [PERIOD]"),
// which win. Errors name the field.
Status cpu_unit_properties(const Resources& r, UnitProperties* out);

// The value of `key` in a flat-keyed file such as cpu.stat ("key value" lines).
std::optional<uint64_t> flat_keyed_value(std::string_view text, std::string_view key);

}  // namespace berth::plugins::cpu
