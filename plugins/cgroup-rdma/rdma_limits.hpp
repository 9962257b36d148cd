// The rdma.max lines for linux.resources.rdma (parsed and validated by the
// host: Resources::rdma).
#pragma once

#include <optional>
#include <string>

#include "berth/resources.hpp"

namespace berth::plugins::rdma {

// "mlx5_1 hca_handle=3 hca_object=10000" (only the values set), the same on
// v1 and v2; nullopt when the device's entry sets neither.
std::optional<std::string> rdma_max_line(const std::string& device, const RdmaLimit& l);

}  // namespace berth::plugins::rdma
