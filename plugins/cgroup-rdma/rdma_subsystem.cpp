#include "rdma_subsystem.hpp"

#include "berth/cgroup_text.hpp"

#include <cerrno>
#include <charconv>
#include <new>
#include <sstream>

#include "rdma_limits.hpp"

namespace berth::plugins::rdma {
namespace {

// One line per write: the kernel takes a device per write.
Status write_limits(const CgroupDir& dir, const Resources& r) {
    for (const auto& [device, limit] : r.rdma)
        if (const auto line = rdma_max_line(device, limit))
            if (Status s = dir.write("rdma.max", *line); !s.ok()) return s;
    return Status::Ok();
}

}  // namespace

bool RdmaSubsystem::wants(const Resources& r) const { return !r.rdma.empty(); }

// The host has validated the device names and limits.
Status RdmaSubsystem::validate(const Resources&) const { return Status::Ok(); }

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
