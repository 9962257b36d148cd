#include "pids_subsystem.hpp"

#include <cerrno>
#include <exception>
#include <new>

#include "conversions.hpp"

namespace berth::plugins::pids {
namespace {

// pids.max has the same name and syntax on v1 and v2.
Status write_limit(const CgroupDir& dir, const Resources& r) {
    if (!r.pids) return Status::Ok();
    const auto value = pids_max_value(r.pids->limit);
    if (!value) return Status::Ok();
    return dir.write("pids.max", *value);
}

Status read_count(const CgroupDir& dir, const char* name, CgroupStats* out) {
    std::string text;
    if (Status s = dir.read(name, &text); !s.ok()) return s;
    const auto value = parse_pids_value(text);
    if (!value) return Status::Error(EINVAL, "parse " + dir.file(name) + ": unexpected content \"" + text + "\"");
    out->values.emplace_back(name, *value);
    return Status::Ok();
}

}  // namespace

bool PidsSubsystem::wants(const Resources& r) const { return r.pids && r.pids->limit.has_value(); }

// Every int64 has a meaning (see pids_max_value), so nothing is rejected.
Status PidsSubsystem::validate(const Resources&) const { return Status::Ok(); }

Status PidsSubsystem::apply_v2(const CgroupDir& dir, const Resources& r) { return write_limit(dir, r); }

Status PidsSubsystem::stats(const CgroupDir& dir, bool unified, CgroupStats* out) const {
    // v2: no pids files unless the controller is enabled for the
    // container (a pids limit was asked for); nothing to report then.
    if (unified && !dir.has("pids.current")) return Status::Ok();
    if (Status s = read_count(dir, "pids.current", out); !s.ok()) return s;
    return read_count(dir, "pids.max", out);
}

}  // namespace berth::plugins::pids
