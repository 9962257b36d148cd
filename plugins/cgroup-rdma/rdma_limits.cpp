#include "rdma_limits.hpp"

#include <nlohmann/json.hpp>

namespace berth::plugins::rdma {

using json = nlohmann::json;

Status parse_rdma_limits(const std::string& resources_json, std::vector<RdmaLimit>* out) {
    out->clear();
    const json res = json::parse(resources_json, nullptr, false);
    if (!res.is_object()) return Status::Ok();
    auto it = res.find("rdma");
    if (it == res.end() || it->is_null()) return Status::Ok();
    const std::string base = "linux.resources.rdma";
    if (!it->is_object()) return Status::Error(EINVAL, base + ": must be an object of device names");
    for (auto& [device, v] : it->items()) {
        const std::string at = base + "." + device;
        if (device.empty() || device.find_first_of(" \t\n\r=") != std::string::npos)
            return Status::Error(EINVAL, base + ": \"" + device + "\" is not an RDMA device name");
        if (!v.is_object()) return Status::Error(EINVAL, at + ": must be an object");
        RdmaLimit l{device, std::nullopt, std::nullopt};
        for (auto& [key, n] : v.items()) {
            std::optional<uint32_t>* slot = key == "hcaHandles"   ? &l.hca_handles
                                            : key == "hcaObjects" ? &l.hca_objects
                                                                  : nullptr;
            if (!slot) return Status::Error(EINVAL, at + "." + key + ": unknown field (known: hcaHandles, hcaObjects)");
            if (n.is_null()) continue;
            if (!n.is_number_unsigned() || n.get<uint64_t>() > UINT32_MAX)
                return Status::Error(EINVAL, at + "." + key + ": must be an integer from 0 to 4294967295");
            *slot = static_cast<uint32_t>(n.get<uint64_t>());
        }
        if (l.hca_handles || l.hca_objects) out->push_back(l);
    }
    return Status::Ok();
}

std::string rdma_max_line(const RdmaLimit& l) {
    std::string line = l.device;
    if (l.hca_handles) line += " hca_handle=" + std::to_string(*l.hca_handles);
    if (l.hca_objects) line += " hca_object=" + std::to_string(*l.hca_objects);
    return line;
}

}  // namespace berth::plugins::rdma
