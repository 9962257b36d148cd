#include "cpu_subsystem.hpp"

#include <cerrno>
#include <new>
#include <string>

#include "conversions.hpp"
#include "cpu_options.hpp"

namespace berth::plugins::cpu {
namespace {

// runc treats 0 as "not set" for all three cpu values; so do we, so that a
// spec runc accepts is accepted here.
uint64_t or_zero(const std::optional<uint64_t>& v) { return v.value_or(0); }
int64_t or_zero(const std::optional<int64_t>& v) { return v.value_or(0); }

Status out_of_range(const char* field, const std::string& value, const std::string& range) {
    return Status::Error(EINVAL,
                         std::string("linux.resources.cpu.") + field + ": " + value + " is out of range " + range);
}

// runc (fs/cpu.go) reads cpu.shares back because the v1 kernel clamps instead
// of failing; a clamped value is reported as the bound that applied.
Status write_shares_v1(const CgroupDir& dir, uint64_t shares) {
    if (Status s = dir.write("cpu.shares", std::to_string(shares)); !s.ok()) return s;
    std::string text;
    if (Status s = dir.read("cpu.shares", &text); !s.ok()) return s;
    const std::string wanted = std::to_string(shares);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (text == wanted) return Status::Ok();
    return Status::Error(EINVAL, dir.file("cpu.shares") + ": wrote " + wanted + " but the kernel kept " + text +
                                     " (linux.resources.cpu.shares out of the kernel's range)");
}

// Shares, then the CFS period and quota (runc's order and retry).
Status apply_v1_cfs(const CgroupDir& dir, const Resources& r) {
    if (!r.cpu) return Status::Ok();
    if (const uint64_t shares = or_zero(r.cpu->shares); shares != 0)
        if (Status s = write_shares_v1(dir, shares); !s.ok()) return s;

    const uint64_t period = or_zero(r.cpu->period);
    const int64_t quota = or_zero(r.cpu->quota);
    bool period_pending = false;
    if (period != 0) {
        Status s = dir.write("cpu.cfs_period_us", std::to_string(period));
        // A shorter period can be refused (EINVAL) because the old quota
        // over the new period exceeds the parent's bandwidth; the new quota
        // may fix that, so retry after it, as runc does.
        if (!s.ok()) {
            if (s.err != EINVAL || quota == 0) return s;
            period_pending = true;
        }
    }
    if (quota != 0) {
        if (Status s = dir.write("cpu.cfs_quota_us", std::to_string(quota)); !s.ok()) return s;
        if (period_pending)
            if (Status s = dir.write("cpu.cfs_period_us", std::to_string(period)); !s.ok()) return s;
    }
    return Status::Ok();
}

// A write for a field beyond CpuResources: a file the kernel does not
// offer (an older kernel, a config without it) is an error naming the field,
// not a limit silently left out.
Status write_option(const CgroupDir& dir, const char* file, const std::string& value, const char* field) {
    if (!dir.has(file))
        return Status::Error(ENOENT, std::string("linux.resources.cpu.") + field + ": " + dir.file(file) +
                                         " does not exist (the kernel does not support it)");
    Status s = dir.write(file, value);
    if (!s.ok()) s.message += std::string(" (linux.resources.cpu.") + field + ")";
    return s;
}

// v1 realtime bandwidth, period first as runc does. A shorter period can be
// refused while the current runtime exceeds it; then the runtime goes first.
// The kernel also refuses a runtime the parent's own rt budget cannot hold
// (a new cgroup's parent usually has none): that is the caller's to give.
Status write_realtime_v1(const CgroupDir& dir, const CpuOptions& opt) {
    bool period_pending = false;
    if (opt.realtime_period) {
        Status s = write_option(dir, "cpu.rt_period_us", std::to_string(*opt.realtime_period), "realtimePeriod");
        if (!s.ok()) {
            if (s.err != EINVAL || !opt.realtime_runtime) return s;
            period_pending = true;
        }
    }
    if (opt.realtime_runtime) {
        Status s = write_option(dir, "cpu.rt_runtime_us", std::to_string(*opt.realtime_runtime), "realtimeRuntime");
        if (!s.ok()) {
            if (s.err == EINVAL || s.err == EBUSY)
                s.message += ": it must fit in the period and in what the parent cgroup's cpu.rt_runtime_us leaves";
            return s;
        }
        if (period_pending)
            return write_option(dir, "cpu.rt_period_us", std::to_string(*opt.realtime_period), "realtimePeriod");
    }
    return Status::Ok();
}

}  // namespace

bool CpuSubsystem::wants(const Resources& r) const {
    if (r.cpu && (r.cpu->shares || r.cpu->quota || r.cpu->period)) return true;
    CpuOptions opt;
    // A value out of the kernel's range is wanted too, so that validate names it.
    return !cpu_options(r, &opt).ok() || opt.any();
}

Status CpuSubsystem::validate(const Resources& r) const {
    CpuOptions opt;
    if (Status s = cpu_options(r, &opt); !s.ok()) return s;
    // The kernel refuses a weight for an idle group (EINVAL on either
    // version): say so before anything is created.
    if (opt.idle && r.cpu && or_zero(r.cpu->shares) != 0)
        return Status::Error(EINVAL,
                             "linux.resources.cpu.idle: an idle group has no weight of its own: "
                             "cannot be combined with linux.resources.cpu.shares");
    if (!r.cpu) return Status::Ok();
    // runc lets the v1 kernel clamp shares and then fails on the read-back,
    // and clamps on v2; rejecting up front gives the same answer on both
    // hierarchies before anything is created.
    if (const uint64_t shares = or_zero(r.cpu->shares); shares != 0 && (shares < kMinShares || shares > kMaxShares))
        return out_of_range("shares", std::to_string(shares), "[2, 262144]");
    if (const uint64_t period = or_zero(r.cpu->period); period != 0 && (period < kMinPeriod || period > kMaxPeriod))
        return out_of_range("period", std::to_string(period), "[1000, 1000000]");
    if (const int64_t quota = or_zero(r.cpu->quota); quota != 0 && quota != -1 && quota < kMinQuota)
        return out_of_range("quota", std::to_string(quota), "(-1 for unlimited, or >= 1000)");
    return Status::Ok();
}

Status CpuSubsystem::apply_v2(const CgroupDir& dir, const Resources& r) {
    CpuOptions opt;
    if (Status s = cpu_options(r, &opt); !s.ok()) return s;
    // v2 has no realtime group bandwidth (RT tasks are only allowed in
    // the root cgroup): refused, as crun does, not silently dropped.
    if (opt.realtime())
        return Status::Error(
            EINVAL,
            std::string("linux.resources.cpu.") + (opt.realtime_runtime ? "realtimeRuntime" : "realtimePeriod") +
                ": cgroup v2 has no realtime bandwidth (cpu.rt_runtime_us and cpu.rt_period_us are cgroup v1 only)");
    if (r.cpu) {
        if (const uint64_t shares = or_zero(r.cpu->shares); shares != 0)
            if (Status s = dir.write("cpu.weight", std::to_string(shares_to_weight(shares))); !s.ok()) return s;
        if (const auto max = cpu_max(r.cpu->quota, r.cpu->period))
            if (Status s = dir.write("cpu.max", *max); !s.ok()) return s;
    }
    if (opt.burst)
        if (Status s = write_option(dir, "cpu.max.burst", std::to_string(*opt.burst), "burst"); !s.ok()) return s;
    if (opt.idle)
        if (Status s = write_option(dir, "cpu.idle", std::to_string(*opt.idle), "idle"); !s.ok()) return s;
    return Status::Ok();
}

Status CpuSubsystem::apply_v1(const CgroupDir& dir, const Resources& r) {
    CpuOptions opt;
    if (Status s = cpu_options(r, &opt); !s.ok()) return s;
    if (Status s = apply_v1_cfs(dir, r); !s.ok()) return s;
    if (opt.burst)
        if (Status s = write_option(dir, "cpu.cfs_burst_us", std::to_string(*opt.burst), "burst"); !s.ok()) return s;
    if (Status s = write_realtime_v1(dir, opt); !s.ok()) return s;
    // After shares: the kernel refuses a weight for an idle group.
    if (opt.idle)
        if (Status s = write_option(dir, "cpu.idle", std::to_string(*opt.idle), "idle"); !s.ok()) return s;
    return Status::Ok();
}

Status CpuSubsystem::unit_properties(const Resources& r, UnitProperties* out) const {
    return cpu_unit_properties(r, out);
}

Status CpuSubsystem::stats(const CgroupDir& dir, bool unified, CgroupStats* out) const {
    std::string text;
    if (Status s = dir.read("cpu.stat", &text); !s.ok()) return s;
    const auto values = flat_keyed_values(text);
    if (!values) return Status::Error(EINVAL, "parse " + dir.file("cpu.stat") + ": a line is not \"key number\"");
    // v2's cpu.stat always has usage_usec (the throttling keys only with
    // the cpu controller enabled); v1's has only throttling counters,
    // and usage lives in cpuacct, which the host reads.
    const char* const required = unified ? "usage_usec" : "nr_throttled";
    bool found = false;
    for (const auto& [key, value] : *values) {
        found |= key == required;
        out->values.emplace_back("cpu.stat." + key, value);
    }
    if (!found) return Status::Error(EINVAL, "parse " + dir.file("cpu.stat") + ": no \"" + required + "\" value");
    return Status::Ok();
}

}  // namespace berth::plugins::cpu
