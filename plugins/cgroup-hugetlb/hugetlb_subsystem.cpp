#include "hugetlb_subsystem.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <new>

#include "berth/cgroup_text.hpp"
#include "page_sizes.hpp"

namespace berth::plugins::hugetlb {
namespace {

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out.empty() ? "none" : out;
}

std::optional<uint64_t> number(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return v;
}

}  // namespace

Status check_page_sizes(const std::vector<HugepageLimit>& limits, const std::vector<std::string>& host_sizes) {
    for (size_t i = 0; i < limits.size(); ++i) {
        const std::string& name = limits[i].page_size;
        if (std::find(host_sizes.begin(), host_sizes.end(), name) == host_sizes.end())
            return Status::Error(
                EINVAL, std::string("linux.resources.hugepageLimits[") + std::to_string(i) + "].pageSize: \"" + name +
                            "\" is not a huge page size of this host (it has: " + joined(host_sizes) + ")");
    }
    return Status::Ok();
}

bool HugetlbSubsystem::wants(const Resources& r) const { return !r.hugepage_limits.empty(); }

Status HugetlbSubsystem::validate(const Resources& r) const {
    return check_page_sizes(r.hugepage_limits, host_page_sizes(sysfs_dir_));
}

Status HugetlbSubsystem::apply(const CgroupDir& dir, const Resources& r, bool unified) const {
    if (Status s = check_page_sizes(r.hugepage_limits, host_page_sizes(sysfs_dir_)); !s.ok()) return s;
    for (const HugepageLimit& l : r.hugepage_limits) {
        const std::string value = std::to_string(l.limit);
        if (Status s = dir.write(limit_file(l.page_size, unified, false), value); !s.ok()) return s;
        // Without the reservation limit a process can reserve (mmap) more than
        // the limit and is killed by SIGBUS when it touches the pages.
        const std::string rsvd = limit_file(l.page_size, unified, true);
        if (dir.has(rsvd))
            if (Status s = dir.write(rsvd, value); !s.ok()) return s;
    }
    return Status::Ok();
}

Status HugetlbSubsystem::apply_v2(const CgroupDir& dir, const Resources& r) { return apply(dir, r, true); }

Status HugetlbSubsystem::apply_v1(const CgroupDir& dir, const Resources& r) { return apply(dir, r, false); }

Status HugetlbSubsystem::stats(const CgroupDir& dir, bool unified, CgroupStats* out) const {
    for (const std::string& size : host_page_sizes(sysfs_dir_)) {
        const std::string prefix = "hugetlb." + size + ".";
        const std::vector<std::string> files =
            unified ? std::vector<std::string>{"current", "max"}
                    : std::vector<std::string>{"usage_in_bytes", "max_usage_in_bytes", "failcnt", "limit_in_bytes"};
        if (!dir.has(prefix + files[0])) continue;
        for (const std::string& f : files) {
            std::string text;
            if (Status s = dir.read(prefix + f, &text); !s.ok()) return s;
            if (unified && f == "max" && text.rfind("max", 0) == 0) continue;
            const auto v = number(text);
            if (!v)
                return Status::Error(EINVAL, "parse " + dir.file(prefix + f) + ": unexpected content \"" + text + "\"");
            out->values.emplace_back(prefix + f, *v);
        }
        if (unified && dir.has(prefix + "events")) {
            std::string text;
            if (Status s = dir.read(prefix + "events", &text); !s.ok()) return s;
            const auto values = flat_keyed_values(text);
            if (!values)
                return Status::Error(EINVAL, "parse " + dir.file(prefix + "events") + ": a line is not \"key number\"");
            for (const auto& [key, value] : *values) out->values.emplace_back(prefix + "events." + key, value);
        }
    }
    return Status::Ok();
}

}  // namespace berth::plugins::hugetlb
