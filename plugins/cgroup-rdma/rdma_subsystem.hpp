// The "rdma" controller: linux.resources.rdma onto rdma.max (v1 and v2).
#pragma once

#include "berth/cgroup_subsystem.hpp"  // Resources, CgroupDir, CgroupStats, Status

namespace berth::plugins::rdma {

// A plain class: BERTH_CGROUP_PLUGIN (plugin.cpp) makes it a berth::CgroupSubsystem
// and runs each method under berth::guarded.
class RdmaSubsystem {
public:
    const char* controller() const { return "rdma"; }
    // The linux.resources fields served (create loads the plugin only for them).
    const char* const* resource_fields() const {
        static constexpr const char* kFields[] = {"rdma", nullptr};
        return kFields;
    }
    // When rdma names a device (or is not an object, for validate to name).
    bool wants(const Resources& r) const;
    Status validate(const Resources& r) const;
    Status apply_v2(const CgroupDir& dir, const Resources& r);
    // No apply_v1: the files have the same names and syntax on v1 and v2.
    // rdma.current per device and resource: "rdma.current.<device>.hca_handle"
    // and ".hca_object" (nothing on v2 when the controller is not enabled).
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const;
};

}  // namespace berth::plugins::rdma
