#include "io_subsystem.hpp"

#include <cerrno>
#include <new>
#include <sstream>

#include "block_io.hpp"

namespace berth_example::io {
namespace {

using berth::CgroupDir;
using berth::CgroupStats;
using berth::Resources;
using berth::Status;

// Every method of the interface is noexcept: an exception (std::bad_alloc from
// a string, anything from the JSON library) must come back as a Status and
// never unwind into the host.
template <typename Fn>
Status guarded(Fn&& fn) noexcept {
    try {
        return fn();
    } catch (const std::bad_alloc&) {
        return Status{ENOMEM, {}};  // no message: building one could throw again
    } catch (const std::exception& e) {
        try {
            return Status{EIO, std::string("cgroup-io: ") + e.what()};
        } catch (...) {
            return Status{EIO, {}};
        }
    } catch (...) {
        return Status{EIO, {}};
    }
}

Status check_supported(const BlockIO& b, bool strict) {
    if (!strict || b.unsupported.empty()) return Status::Ok();
    return Status::Error(EINVAL, "linux.resources.blockIO." + b.unsupported.front() +
                                     ": not supported by the cgroup-io plugin (its setting strict is true)");
}

// Reads io.stat (v2): "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device.
Status stats_v2(const CgroupDir& dir, CgroupStats* out) {
    std::string text;
    if (Status s = dir.read("io.stat", &text); !s.ok()) return s;
    uint64_t sum[4] = {0, 0, 0, 0};
    const char* keys[4] = {"rbytes", "wbytes", "rios", "wios"};
    std::istringstream in(text);
    std::string tok;
    while (in >> tok) {
        const auto eq = tok.find('=');
        if (eq == std::string::npos) continue;  // the MAJ:MIN column
        for (int i = 0; i < 4; ++i)
            if (tok.compare(0, eq, keys[i]) == 0) sum[i] += std::stoull(tok.substr(eq + 1));
    }
    for (int i = 0; i < 4; ++i) out->values.emplace_back(std::string("io.") + keys[i], sum[i]);
    return Status::Ok();
}

// Reads a v1 blkio.throttle.io_service_* file: "8:0 Read 1", "8:0 Write 2", ..., "Total 3".
Status sum_v1(const CgroupDir& dir, const char* file, uint64_t* read, uint64_t* write) {
    std::string text;
    if (Status s = dir.read(file, &text); !s.ok()) return s;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string dev, op;
        uint64_t n = 0;
        if (!(ls >> dev >> op >> n)) continue;  // "Total N" has two columns
        if (op == "Read") *read += n;
        if (op == "Write") *write += n;
    }
    return Status::Ok();
}

}  // namespace

// The host calls validate() only for subsystems that want the resources, so a
// blockIO that does not parse is "wanted": validate() then reports it.
bool IoSubsystem::wants(const Resources& r) const noexcept {
    try {
        BlockIO b;
        if (!parse_block_io(r.json, &b).ok()) return true;
        return b.any() || (strict_ && !b.unsupported.empty());
    } catch (...) {
        return true;
    }
}

Status IoSubsystem::validate(const Resources& r) const noexcept {
    return guarded([&] {
        BlockIO b;
        if (Status s = parse_block_io(r.json, &b); !s.ok()) return s;
        return check_supported(b, strict_);
    });
}

Status IoSubsystem::apply_v2(const CgroupDir& dir, const Resources& r) noexcept {
    return guarded([&] {
        BlockIO b;
        if (Status s = parse_block_io(r.json, &b); !s.ok()) return s;
        if (b.weight) {
            // With BFQ, io.bfq.weight takes the blkio range as it is; otherwise
            // io.weight (the io.cost model) takes [1, 10000]. io.weight is absent
            // when the kernel has neither: the write then fails naming it.
            Status s = dir.has("io.bfq.weight")
                           ? dir.write("io.bfq.weight", "default " + std::to_string(*b.weight))
                           : dir.write("io.weight", "default " + std::to_string(blkio_weight_to_io_weight(*b.weight)));
            if (!s.ok()) return s;
        }
        // io.max takes one "MAJ:MIN key=value" per write; other keys are kept.
        for (auto t : kThrottles)
            for (const ThrottleRule& rule : b.rules(t))
                if (Status s = dir.write("io.max", io_max_line(t, rule)); !s.ok()) return s;
        return Status::Ok();
    });
}

Status IoSubsystem::apply_v1(const CgroupDir& dir, const Resources& r) noexcept {
    return guarded([&] {
        BlockIO b;
        if (Status s = parse_block_io(r.json, &b); !s.ok()) return s;
        if (b.weight) {
            // Kernels with blk-mq offer the weight only with BFQ (blkio.bfq.weight);
            // blkio.weight is CFQ's. Absent both, the write fails naming blkio.weight.
            const char* file = dir.has("blkio.bfq.weight") ? "blkio.bfq.weight" : "blkio.weight";
            if (Status s = dir.write(file, std::to_string(*b.weight)); !s.ok()) return s;
        }
        for (auto t : kThrottles)
            for (const ThrottleRule& rule : b.rules(t))
                if (Status s = dir.write(v1_file(t), blkio_throttle_line(rule)); !s.ok()) return s;
        return Status::Ok();
    });
}

Status IoSubsystem::stats(const CgroupDir& dir, bool unified, CgroupStats* out) const noexcept {
    return guarded([&] {
        if (unified) return stats_v2(dir, out);
        uint64_t rbytes = 0, wbytes = 0, rios = 0, wios = 0;
        if (Status s = sum_v1(dir, "blkio.throttle.io_service_bytes_recursive", &rbytes, &wbytes); !s.ok()) return s;
        if (Status s = sum_v1(dir, "blkio.throttle.io_serviced_recursive", &rios, &wios); !s.ok()) return s;
        out->values.emplace_back("io.rbytes", rbytes);
        out->values.emplace_back("io.wbytes", wbytes);
        out->values.emplace_back("io.rios", rios);
        out->values.emplace_back("io.wios", wios);
        return Status::Ok();
    });
}

}  // namespace berth_example::io
