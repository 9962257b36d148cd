#include "rdma_subsystem.hpp"

#include "berth/cgroup_text.hpp"

#include <cerrno>
#include <charconv>
#include <new>
#include <nlohmann/json.hpp>
#include <sstream>

#include "rdma_limits.hpp"

namespace berth::plugins::rdma {
namespace {

// One line per write: the kernel takes a device per write.
Status write_limits(const CgroupDir& dir, const Resources& r) {
    std::vector<RdmaLimit> limits;
    if (Status s = parse_rdma_limits(r.json, &limits); !s.ok()) return s;
    for (const RdmaLimit& l : limits)
        if (Status s = dir.write("rdma.max", rdma_max_line(l)); !s.ok()) return s;
    return Status::Ok();
}

}  // namespace

bool RdmaSubsystem::wants(const Resources& r) const {
    try {
        const nlohmann::json res = nlohmann::json::parse(r.json, nullptr, false);
        if (!res.is_object()) return false;
        auto it = res.find("rdma");
        return it != res.end() && !it->is_null() && !(it->is_object() && it->empty());
    } catch (...) {
        return true;
    }
}

Status RdmaSubsystem::validate(const Resources& r) const {
    std::vector<RdmaLimit> limits;
    return parse_rdma_limits(r.json, &limits);
}

Status RdmaSubsystem::apply_v2(const CgroupDir& dir, const Resources& r) { return write_limits(dir, r); }

Status RdmaSubsystem::stats(const CgroupDir& dir, bool unified, CgroupStats* out) const {
    if (unified && !dir.has("rdma.current")) return Status::Ok();
    std::string text;
    if (Status s = dir.read("rdma.current", &text); !s.ok()) return s;
    // "mlx4_0 hca_handle=2 hca_object=2000" per device; "max" is no count.
    const auto values = nested_keyed_values(text);
    if (!values)
        return Status::Error(EINVAL, "parse " + dir.file("rdma.current") + ": not \"DEVICE key=value ...\" lines");
    for (const auto& v : *values) out->values.emplace_back("rdma.current." + v.device + "." + v.key, v.value);
    return Status::Ok();
}

}  // namespace berth::plugins::rdma
