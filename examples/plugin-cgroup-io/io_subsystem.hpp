// The "io" controller (v1: "blkio"): linux.resources.blockIO onto io.weight,
// io.max (v2) and blkio.weight, blkio.throttle.* (v1).
#pragma once

#include "berth/cgroup_subsystem.hpp"

namespace berth_example::io {

class IoSubsystem final : public berth::CgroupSubsystem {
public:
    // strict: refuse blockIO fields this plugin does not implement
    // (weightDevice, leafWeight) instead of ignoring them.
    explicit IoSubsystem(bool strict) : strict_(strict) {}

    // The kernel names the controller "io" on v2 and the hierarchy "blkio" on v1.
    const char* controller() const noexcept override { return "io"; }
    const char* v1_controller() const noexcept override { return "blkio"; }
    bool wants(const berth::Resources& r) const noexcept override;
    berth::Status validate(const berth::Resources& r) const noexcept override;
    berth::Status apply_v2(const berth::CgroupDir& dir, const berth::Resources& r) noexcept override;
    berth::Status apply_v1(const berth::CgroupDir& dir, const berth::Resources& r) noexcept override;
    // Sums over all devices: io.rbytes, io.wbytes, io.rios, io.wios.
    berth::Status stats(const berth::CgroupDir& dir, bool unified, berth::CgroupStats* out) const noexcept override;

private:
    bool strict_;
};

}  // namespace berth_example::io
