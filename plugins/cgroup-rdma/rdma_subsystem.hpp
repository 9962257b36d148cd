// The "rdma" controller: linux.resources.rdma onto rdma.max (v1 and v2).
#pragma once

#include "berth/cgroup_subsystem.hpp"

namespace berth::plugins::rdma {

class RdmaSubsystem final : public CgroupSubsystem {
public:
    const char* controller() const noexcept override { return "rdma"; }
    // When rdma names a device (or is not an object, for validate to name).
    bool wants(const Resources& r) const noexcept override;
    Status validate(const Resources& r) const noexcept override;
    Status apply_v2(const CgroupDir& dir, const Resources& r) noexcept override;
    Status apply_v1(const CgroupDir& dir, const Resources& r) noexcept override;
    // rdma.current per device and resource: "rdma.current.<device>.hca_handle"
    // and ".hca_object" (nothing on v2 when the controller is not enabled).
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const noexcept override;
};

}  // namespace berth::plugins::rdma
