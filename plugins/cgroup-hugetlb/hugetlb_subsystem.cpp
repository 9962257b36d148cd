#include "hugetlb_subsystem.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <new>
#include <nlohmann/json.hpp>

#include "berth/cgroup_text.hpp"
#include "page_sizes.hpp"

namespace berth::plugins::hugetlb {
namespace {

using json = nlohmann::json;

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

Status parse_hugepage_limits(const std::string& resources_json, const std::vector<std::string>& host_sizes,
                             std::vector<HugepageLimit>* out) {
    out->clear();
    const json res = json::parse(resources_json, nullptr, false);
    if (!res.is_object()) return Status::Ok();
    auto it = res.find("hugepageLimits");
    if (it == res.end() || it->is_null()) return Status::Ok();
    const std::string base = "linux.resources.hugepageLimits";
    if (!it->is_array()) return Status::Error(EINVAL, base + ": must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
        const json& e = (*it)[i];
        const std::string at = base + "[" + std::to_string(i) + "]";
        if (!e.is_object()) return Status::Error(EINVAL, at + ": must be an object");
        auto size = e.find("pageSize");
        if (size == e.end() || !size->is_string())
            return Status::Error(EINVAL, at + ".pageSize: must be a string such as \"2MB\"");
        const std::string name = size->get<std::string>();
        if (std::find(host_sizes.begin(), host_sizes.end(), name) == host_sizes.end())
            return Status::Error(EINVAL, at + ".pageSize: \"" + name +
                                             "\" is not a huge page size of this host (it has: " + joined(host_sizes) +
                                             ")");
        auto limit = e.find("limit");
        if (limit == e.end() || !limit->is_number_integer() ||
            (limit->is_number_integer() && !limit->is_number_unsigned()))
            return Status::Error(EINVAL, at + ".limit: must be a non-negative integer (bytes)");
        out->push_back({name, limit->get<uint64_t>()});
    }
    return Status::Ok();
}

bool HugetlbSubsystem::wants(const Resources& r) const {
    try {
        const json res = json::parse(r.json, nullptr, false);
        if (!res.is_object()) return false;
        auto it = res.find("hugepageLimits");
        return it != res.end() && !it->is_null() && !(it->is_array() && it->empty());
    } catch (...) {
        return true;  // let validate say what is wrong
    }
}

Status HugetlbSubsystem::validate(const Resources& r) const {
    std::vector<HugepageLimit> limits;
    return parse_hugepage_limits(r.json, host_page_sizes(sysfs_dir_), &limits);
}

Status HugetlbSubsystem::apply(const CgroupDir& dir, const Resources& r, bool unified) const {
    std::vector<HugepageLimit> limits;
    if (Status s = parse_hugepage_limits(r.json, host_page_sizes(sysfs_dir_), &limits); !s.ok()) return s;
    for (const HugepageLimit& l : limits) {
        const std::string value = std::to_string(l.limit);
        if (Status s = dir.write(limit_file(l.size, unified, false), value); !s.ok()) return s;
        // Without the reservation limit a process can reserve (mmap) more than
        // the limit and is killed by SIGBUS when it touches the pages.
        const std::string rsvd = limit_file(l.size, unified, true);
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
