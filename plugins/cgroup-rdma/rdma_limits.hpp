// linux.resources.rdma parsed and validated, and the rdma.max lines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "berth/status.hpp"

namespace berth::plugins::rdma {

struct RdmaLimit {
    std::string device;                                // "mlx5_1"
    std::optional<uint32_t> hca_handles, hca_objects;  // unset: not written
};

// linux.resources.rdma: {"<device>": {"hcaHandles": N, "hcaObjects": N}}.
// Errors name the field (linux.resources.rdma.mlx5_1.hcaHandles). A device
// name is a non-empty word (no whitespace: it is written into rdma.max).
// Devices with neither value are left out.
Status parse_rdma_limits(const std::string& resources_json, std::vector<RdmaLimit>* out);

// "mlx5_1 hca_handle=3 hca_object=10000" (only the values set), the same on
// v1 and v2.
std::string rdma_max_line(const RdmaLimit& l);

}  // namespace berth::plugins::rdma
