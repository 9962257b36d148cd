// The pure mappings of linux.resources.blockIO (parsed and validated by the
// host: BlockIoResources) onto the blkio (v1) and io (v2) controller files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/resources.hpp"

namespace berth::plugins::io {

enum class Throttle { ReadBps, WriteBps, ReadIops, WriteIops };
inline constexpr Throttle kThrottles[] = {Throttle::ReadBps, Throttle::WriteBps, Throttle::ReadIops,
                                          Throttle::WriteIops};

// The host's list of a throttle.
const std::vector<BlockIoThrottleDevice>& throttle_devices(const BlockIoResources& b, Throttle t);
// v1: the blkio file of a throttle ("blkio.throttle.read_bps_device").
const char* v1_throttle_file(Throttle t);
// v1 line of a device value: "8:0 1048576".
std::string device_line(int64_t major, int64_t minor, uint64_t value);
// v2: one io.max line, "8:0 rbps=1048576" (the other limits untouched).
std::string io_max_line(Throttle t, const BlockIoThrottleDevice& d);

// The v1/BFQ weight (10-1000) as a v2 io.weight (1-10000): the linear map
// runc and crun use, 10 → 1 and 1000 → 10000. 0 stays 0 (unset).
uint64_t blkio_weight_to_io_weight(uint64_t weight);

}  // namespace berth::plugins::io
