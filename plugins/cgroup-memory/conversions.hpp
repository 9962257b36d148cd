// Pure mappings from the spec's memory values to memory controller file
// contents. Throughout, 0 is treated like "not set", as runc does.
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

namespace berth::plugins::memory {

// A v2 .max/.low/.high value: -1 (the spec's "unlimited") is "max".
std::string v2_limit_text(int64_t bytes);

// What to write to v2 memory.swap.max for the spec's memory+swap `swap` and
// `limit`, following runc's ConvertMemorySwapToCgroupV2Value (v2 counts swap
// alone, the spec counts memory+swap):
//   limit -1, swap unset      -> "max" (both unlimited, as v1 behaves)
//   swap unset or 0           -> nothing
//   swap -1                   -> "max"
//   swap < -1                 -> error
//   limit -1                  -> swap as is (memory is unlimited)
//   limit unset or 0          -> error: no limit to subtract
//   swap < limit              -> error
//   otherwise                 -> swap - limit ("0" disables swap)
// Errors name the spec fields.
struct SwapMax {
    std::optional<std::string> text;  // nullopt: leave memory.swap.max alone
    std::string error;                // non-empty: the request cannot be expressed
    bool ok() const { return error.empty(); }
};
SwapMax memory_swap_max(std::optional<int64_t> swap, std::optional<int64_t> limit);

// The systemd unit properties of the memory values (runc's systemd v2
// mapping): MemoryMax from limit, MemoryLow from reservation (0 is unset,
// -1 infinity), MemorySwapMax as memory_swap_max has it for memory.swap.max;
// then the unified keys memory.min, .low, .high, .max and .swap.max, which
// win. Errors name the field.
Status memory_unit_properties(const Resources& r, UnitProperties* out);

// v1: whether memory.memsw.limit_in_bytes must be written before
// memory.limit_in_bytes. The kernel keeps limit <= memsw at every step, so
// the memsw file goes first when it grows past the current memory limit (or
// becomes unlimited); otherwise the limit has to shrink first. This is
// runc's setMemoryAndSwap rule.
bool write_memsw_first(uint64_t current_limit, int64_t new_swap);

// Parses a memory counter or limit file: a decimal byte count, or "max"
// (v2's unlimited), which reads as UINT64_MAX as runc reports it.
std::optional<uint64_t> parse_bytes(std::string_view text);

}  // namespace berth::plugins::memory
