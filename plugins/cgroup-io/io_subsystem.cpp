#include "io_subsystem.hpp"

#include "berth/cgroup_text.hpp"

#include <cerrno>
#include <charconv>
#include <new>
#include <sstream>

#include "block_io.hpp"

namespace berth::plugins::io {
namespace {

const std::string kBase = "linux.resources.blockIO";

// The first of `names` the kernel offers in `dir`, or "".
std::string first_of(const CgroupDir& dir, std::initializer_list<const char*> names) {
    for (const char* n : names)
        if (dir.has(n)) return n;
    return "";
}

Status none_of(const CgroupDir& dir, const std::string& field, const std::string& files, const std::string& why) {
    return Status::Error(
        ENOENT, kBase + "." + field + ": the kernel offers no " + files + " in " + dir.path() + " (" + why + ")");
}

std::optional<uint64_t> number(std::string_view s) {
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

// The host leaves block_io unset when it asks for nothing.
bool IoSubsystem::wants(const Resources& r) const { return r.block_io.has_value(); }

// The host has checked types and ranges; what remains depends on the
// scheduler and the hierarchy, which only apply can see.
Status IoSubsystem::validate(const Resources&) const { return Status::Ok(); }

Status IoSubsystem::apply_v1(const CgroupDir& dir, const Resources& r) {
    if (!r.block_io) return Status::Ok();
    const BlockIoResources& b = *r.block_io;
    // CFQ's files, or BFQ's where CFQ is gone (kernels >= 5.0), as runc.
    const bool wants_weight = b.weight || !b.weight_device.empty();
    const std::string weight_file = wants_weight ? first_of(dir, {"blkio.weight", "blkio.bfq.weight"}) : "";
    if (wants_weight && weight_file.empty())
        return none_of(dir, b.weight ? "weight" : "weightDevice", "blkio.weight or blkio.bfq.weight",
                       "no CFQ or BFQ I/O scheduler: weights are not supported");
    if (b.weight)
        if (Status s = dir.write(weight_file, std::to_string(*b.weight)); !s.ok()) return s;
    if (b.leaf_weight) {
        if (!dir.has("blkio.leaf_weight"))
            return none_of(dir, "leafWeight", "blkio.leaf_weight", "only the CFQ scheduler has leaf weights");
        if (Status s = dir.write("blkio.leaf_weight", std::to_string(*b.leaf_weight)); !s.ok()) return s;
    }
    for (size_t i = 0; i < b.weight_device.size(); ++i) {
        const BlockIoWeightDevice& d = b.weight_device[i];
        if (d.weight)
            if (Status s = dir.write(weight_file + "_device", device_line(d.major, d.minor, *d.weight)); !s.ok())
                return s;
        if (d.leaf_weight) {
            if (!dir.has("blkio.leaf_weight_device"))
                return none_of(dir, "weightDevice[" + std::to_string(i) + "].leafWeight", "blkio.leaf_weight_device",
                               "only the CFQ scheduler has leaf weights");
            if (Status s = dir.write("blkio.leaf_weight_device", device_line(d.major, d.minor, *d.leaf_weight));
                !s.ok())
                return s;
        }
    }
    for (Throttle t : kThrottles)
        for (const BlockIoThrottleDevice& d : throttle_devices(b, t))
            if (Status s = dir.write(v1_throttle_file(t), device_line(d.major, d.minor, d.rate)); !s.ok()) return s;
    return Status::Ok();
}

Status IoSubsystem::apply_v2(const CgroupDir& dir, const Resources& r) {
    if (!r.block_io) return Status::Ok();
    const BlockIoResources& b = *r.block_io;
    // v2 has no leaf weights (runc ignores them; a limit asked for and not
    // applied is an error here).
    if (b.leaf_weight)
        return Status::Error(EINVAL, kBase + ".leafWeight: cgroup v2 has no leaf weight (a v1 CFQ feature)");
    for (size_t i = 0; i < b.weight_device.size(); ++i)
        if (b.weight_device[i].leaf_weight)
            return Status::Error(EINVAL, kBase + ".weightDevice[" + std::to_string(i) +
                                             "].leafWeight: cgroup v2 has no leaf weight (a v1 CFQ feature)");
    // BFQ takes the blkio range as it is; the iocost controller's
    // io.weight has its own (1-10000).
    const bool bfq = dir.has("io.bfq.weight");
    if (b.weight) {
        Status s = bfq ? dir.write("io.bfq.weight", std::to_string(*b.weight))
                       : dir.write("io.weight", std::to_string(blkio_weight_to_io_weight(*b.weight)));
        if (!s.ok()) return s;
    }
    // Per-device weights only with BFQ, as runc; without it they would
    // need iocost enabled on the device.
    if (!b.weight_device.empty() && !bfq)
        return none_of(dir, "weightDevice", "io.bfq.weight",
                       "per-device weights need the BFQ I/O scheduler on cgroup v2");
    for (const BlockIoWeightDevice& d : b.weight_device)
        if (Status s = dir.write("io.bfq.weight", device_line(d.major, d.minor, *d.weight)); !s.ok()) return s;
    for (Throttle t : kThrottles)
        for (const BlockIoThrottleDevice& d : throttle_devices(b, t))
            if (Status s = dir.write("io.max", io_max_line(t, d)); !s.ok()) return s;
    return Status::Ok();
}

Status IoSubsystem::stats(const CgroupDir& dir, bool unified, CgroupStats* out) const {
    if (unified) {
        // "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device.
        if (!dir.has("io.stat")) return Status::Ok();
        std::string text;
        if (Status s = dir.read("io.stat", &text); !s.ok()) return s;
        const auto values = nested_keyed_values(text);
        if (!values)
            return Status::Error(EINVAL, "parse " + dir.file("io.stat") + ": not \"DEVICE key=value ...\" lines");
        for (const auto& v : *values) out->values.emplace_back("io.stat." + v.device + "." + v.key, v.value);
        return Status::Ok();
    }
    // "8:0 Read 4096" per device and operation, and a "Total N" line.
    for (const char* file : {"blkio.throttle.io_service_bytes", "blkio.throttle.io_serviced"}) {
        const std::string name = std::string(file) + "_recursive";
        if (!dir.has(name)) continue;
        std::string text;
        if (Status s = dir.read(name, &text); !s.ok()) return s;
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream ls(line);
            std::string device, op, value;
            if (!(ls >> device >> op)) continue;
            if (!(ls >> value)) continue;  // "Total N"
            const auto v = number(value);
            if (!v) return Status::Error(EINVAL, "parse " + dir.file(name) + ": unexpected line \"" + line + "\"");
            out->values.emplace_back(std::string(file) + "." + device + "." + op, *v);
        }
    }
    return Status::Ok();
}

}  // namespace berth::plugins::io
