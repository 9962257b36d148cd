#include "rdma_limits.hpp"

namespace berth::plugins::rdma {

std::optional<std::string> rdma_max_line(const std::string& device, const RdmaLimit& l) {
    if (!l.hca_handles && !l.hca_objects) return std::nullopt;
    std::string line = device;
    if (l.hca_handles) line.append(" hca_handle=").append(std::to_string(*l.hca_handles));
    if (l.hca_objects) line.append(" hca_object=").append(std::to_string(*l.hca_objects));
    return line;
}

}  // namespace berth::plugins::rdma
