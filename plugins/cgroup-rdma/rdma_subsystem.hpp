// The "rdma" controller: linux.resources.rdma onto rdma.max (v1 and v2).
#pragma once

#include "berth/cgroup_subsystem.hpp"

namespace berth::plugins::rdma {

class RdmaSubsystem {
public:
    const char* controller() const { return "rdma"; }
    static constexpr const char* kResourceFields[] = {"rdma", nullptr};
    // When rdma names a device.
    bool wants(const Resources& r) const;
    Status validate(const Resources& r) const;
    Status apply_v2(const CgroupDir& dir, const Resources& r);
    // No apply_v1: the files have the same names and syntax on v1 and v2.
    // rdma.current per device and resource: "rdma.current.<device>.hca_handle"
    // and ".hca_object" (nothing on v2 when the controller is not enabled).
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const;
};

}  // namespace berth::plugins::rdma
