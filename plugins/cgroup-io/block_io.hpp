// linux.resources.blockIO parsed and validated, and the pure mappings onto
// the blkio (v1) and io (v2) controller files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "berth/status.hpp"

namespace berth::plugins::io {

struct WeightDevice {
    int64_t major = 0, minor = 0;
    std::optional<uint16_t> weight, leaf_weight;  // unset or 0 in the spec: nullopt
};

struct ThrottleDevice {
    int64_t major = 0, minor = 0;
    uint64_t rate = 0;  // bytes or operations per second
};

enum class Throttle { ReadBps, WriteBps, ReadIops, WriteIops };
inline constexpr Throttle kThrottles[] = {Throttle::ReadBps, Throttle::WriteBps, Throttle::ReadIops,
                                          Throttle::WriteIops};

struct BlockIO {
    std::optional<uint16_t> weight, leaf_weight;  // 0 (docker's default) is unset
    std::vector<WeightDevice> weight_devices;
    std::vector<ThrottleDevice> throttles[4];  // indexed by Throttle
    const std::vector<ThrottleDevice>& of(Throttle t) const { return throttles[static_cast<int>(t)]; }
    bool empty() const;
};

// Parses linux.resources.blockIO from the resources' JSON; errors name the
// field ("linux.resources.blockIO.throttleReadBpsDevice[1].major: ...").
// Weights are 10-1000 (0: unset), majors/minors and rates non-negative
// integers. No blockIO (or null) is an empty BlockIO.
Status parse_block_io(const std::string& resources_json, BlockIO* out);

// The spec's name of a throttle list ("throttleReadBpsDevice").
const char* throttle_field(Throttle t);
// v1: the blkio file of a throttle ("blkio.throttle.read_bps_device").
const char* v1_throttle_file(Throttle t);
// v1 line of a device value: "8:0 1048576".
std::string device_line(int64_t major, int64_t minor, uint64_t value);
// v2: one io.max line, "8:0 rbps=1048576" (the other limits untouched).
std::string io_max_line(Throttle t, const ThrottleDevice& d);

// The v1/BFQ weight (10-1000) as a v2 io.weight (1-10000): the linear map
// runc and crun use, 10 → 1 and 1000 → 10000. 0 stays 0 (unset).
uint64_t blkio_weight_to_io_weight(uint64_t weight);

}  // namespace berth::plugins::io
