// Pure mappings from the spec's pids values to pids controller file contents.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "berth/resources.hpp"
#include "berth/status.hpp"
#include "berth/unit_properties.hpp"

namespace berth::plugins::pids {

// The text for pids.max (same on v1 and v2), or nullopt when nothing is to be
// written.
//
// runc (libcontainer/cgroups/fs/pids.go, fs2/pids.go up to 1.3) treats a
// limit of 0 as "not set" and writes nothing; a fresh cgroup's pids.max is
// already "max", which is why the SDK documents 0 as unlimited. Negative
// values mean unlimited: runc's v1 writer turns any negative into "max"; its
// v2 writer only maps -1, passing other negatives to the kernel, which rejects
// them. We map every negative to "max" on both, the documented meaning.
std::optional<std::string> pids_max_value(std::optional<int64_t> limit);

// The systemd unit property TasksMax: pids_max_value's limit ("max" is
// infinity), then the unified key pids.max, which wins.
Status pids_unit_properties(const Resources& r, UnitProperties* out);

// Parses a pids.max or pids.current value: a decimal count, or "max" (which
// reads as 0, "no limit", as runc reports it). Surrounding whitespace is
// ignored.
std::optional<uint64_t> parse_pids_value(std::string_view text);

}  // namespace berth::plugins::pids
