#include "block_io.hpp"

namespace berth::plugins::io {
const std::vector<BlockIoThrottleDevice>& throttle_devices(const BlockIoResources& b, Throttle t) {
    switch (t) {
        case Throttle::ReadBps: return b.throttle_read_bps_device;
        case Throttle::WriteBps: return b.throttle_write_bps_device;
        case Throttle::ReadIops: return b.throttle_read_iops_device;
        case Throttle::WriteIops: return b.throttle_write_iops_device;
    }
    return b.throttle_read_bps_device;
}

const char* v1_throttle_file(Throttle t) {
    switch (t) {
        case Throttle::ReadBps: return "blkio.throttle.read_bps_device";
        case Throttle::WriteBps: return "blkio.throttle.write_bps_device";
        case Throttle::ReadIops: return "blkio.throttle.read_iops_device";
        case Throttle::WriteIops: return "blkio.throttle.write_iops_device";
    }
    return "";
}

std::string device_line(int64_t major, int64_t minor, uint64_t value) {
    return std::to_string(major) + ":" + std::to_string(minor) + " " + std::to_string(value);
}

std::string io_max_line(Throttle t, const BlockIoThrottleDevice& d) {
    static const char* const kKeys[] = {"rbps", "wbps", "riops", "wiops"};
    return std::to_string(d.major) + ":" + std::to_string(d.minor) + " " + kKeys[static_cast<int>(t)] + "=" +
           std::to_string(d.rate);
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
    if (weight == 0) return 0;
    return 1 + (weight - 10) * 9999 / 990;
}

}  // namespace berth::plugins::io
