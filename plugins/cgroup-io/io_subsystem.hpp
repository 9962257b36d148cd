// The "io" controller (v1: "blkio"): linux.resources.blockIO onto the blkio
// weight and throttle files (v1) or io.weight / io.bfq.weight and io.max (v2).
#pragma once

#include "berth/cgroup_subsystem.hpp"

namespace berth::plugins::io {

class IoSubsystem {
public:
    const char* controller() const { return "io"; }
    static constexpr const char* kResourceFields[] = {"blockIO", nullptr};
    const char* v1_controller() const { return "blkio"; }
    // When blockIO asks for anything (the host drops docker's {"weight": 0}
    // before plugins see it).
    bool wants(const Resources& r) const;
    Status validate(const Resources& r) const;
    Status apply_v2(const CgroupDir& dir, const Resources& r);
    Status apply_v1(const CgroupDir& dir, const Resources& r);
    // Bytes and operations per device, under the kernel's names: v2
    // "io.stat.<maj:min>.<key>" (rbytes, wbytes, rios, wios, ...); v1
    // "blkio.throttle.io_service_bytes.<maj:min>.<Read|Write|...>" and
    // "blkio.throttle.io_serviced.<maj:min>.<op>" (recursive files).
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const;
};

}  // namespace berth::plugins::io
