#include "cpu_subsystem.hpp"

#include <cerrno>
#include <new>
#include <string>

#include "berth/guarded.hpp"
#include "conversions.hpp"

namespace berth::plugins::cpu {
namespace {

// The plugin's name, in front of the message of an exception a method caught
// (berth::guarded: the interface is noexcept).
constexpr const char* kPlugin = "cgroup-cpu";

// runc treats 0 as "not set" for all three cpu values; so do we, so that a
// spec runc accepts is accepted here.
uint64_t or_zero(const std::optional<uint64_t>& v) { return v.value_or(0); }
int64_t or_zero(const std::optional<int64_t>& v) { return v.value_or(0); }

Status out_of_range(const char* field, const std::string& value, const std::string& range) {
    return Status::Error(EINVAL, std::string("linux.resources.cpu.") + field + ": " + value + " is out of range " + range);
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

}  // namespace

bool CpuSubsystem::wants(const Resources& r) const noexcept {
    return r.cpu && (r.cpu->shares || r.cpu->quota || r.cpu->period);
}

Status CpuSubsystem::validate(const Resources& r) const noexcept {
    return guarded(kPlugin, [&] {
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
    });
}

Status CpuSubsystem::apply_v2(const CgroupDir& dir, const Resources& r) noexcept {
    return guarded(kPlugin, [&] {
        if (!r.cpu) return Status::Ok();
        if (const uint64_t shares = or_zero(r.cpu->shares); shares != 0)
            if (Status s = dir.write("cpu.weight", std::to_string(shares_to_weight(shares))); !s.ok()) return s;
        if (const auto max = cpu_max(r.cpu->quota, r.cpu->period))
            if (Status s = dir.write("cpu.max", *max); !s.ok()) return s;
        return Status::Ok();
    });
}

Status CpuSubsystem::apply_v1(const CgroupDir& dir, const Resources& r) noexcept {
    return guarded(kPlugin, [&] {
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
    });
}

Status CpuSubsystem::stats(const CgroupDir& dir, bool unified, CgroupStats* out) const noexcept {
    return guarded(kPlugin, [&] {
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
    });
}

}  // namespace berth::plugins::cpu
