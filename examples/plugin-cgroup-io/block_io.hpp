// linux.resources.blockIO as this plugin understands it, and the pure mappings
// onto controller file contents. Nothing here touches the system, so it can be
// unit-tested on any machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "berth/status.hpp"

namespace berth_example::io {

// One entry of throttleReadBpsDevice & co: {"major": 8, "minor": 0, "rate": N}.
struct ThrottleRule {
    uint32_t major = 0;
    uint32_t minor = 0;
    uint64_t rate = 0;  // bytes or operations per second; 0 removes the limit
};

// The four throttle lists of the spec, with their v1 and v2 spellings.
enum class Throttle { ReadBps, WriteBps, ReadIops, WriteIops };
inline constexpr Throttle kThrottles[] = {Throttle::ReadBps, Throttle::WriteBps, Throttle::ReadIops, Throttle::WriteIops};
const char* spec_field(Throttle t);  // "throttleReadBpsDevice"
const char* v2_key(Throttle t);      // "rbps", for io.max
const char* v1_file(Throttle t);     // "blkio.throttle.read_bps_device"

struct BlockIO {
    std::optional<uint16_t> weight;  // [10, 1000]; 0 in the spec means unset, as in runc
    std::vector<ThrottleRule> throttle[4];  // indexed by Throttle
    // Fields of the spec's blockIO this plugin does not implement but found set
    // ("weightDevice", "leafWeight"). Ignored, unless the plugin is strict.
    std::vector<std::string> unsupported;

    const std::vector<ThrottleRule>& rules(Throttle t) const { return throttle[static_cast<int>(t)]; }
    bool any() const;  // anything this plugin would write
};

// Parses the `blockIO` member of the linux.resources JSON text (Resources::json).
// An absent blockIO is an empty BlockIO. A bad value is EINVAL with a message
// naming the field, e.g. "linux.resources.blockIO.weight: 5 is outside [10, 1000]".
// May throw std::bad_alloc; the caller guards.
berth::Status parse_block_io(const std::string& resources_json, BlockIO* out);

// v2: io.weight takes [1, 10000]; runc's conversion of a blkio weight
// (cgroups.ConvertBlkIOToIOWeightValue): 1 + (w - 10) * 9999 / 990.
uint64_t blkio_weight_to_io_weight(uint16_t weight);

// v2 io.max line, e.g. "8:0 rbps=1048576"; a rate of 0 becomes "max" (no limit),
// the meaning 0 has for the v1 files.
std::string io_max_line(Throttle t, const ThrottleRule& rule);

// v1 blkio.throttle.* line, e.g. "8:0 1048576" (0 removes the rule).
std::string blkio_throttle_line(const ThrottleRule& rule);

}  // namespace berth_example::io
