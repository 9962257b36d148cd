#include "misc_subsystem.hpp"

#include <cerrno>
#include <cstdint>
#include <sstream>

#include "berth/cgroup_text.hpp"

namespace berth::plugins::misc {
namespace {

std::string field_of(const std::string& key) { return "linux.resources.unified[\"" + key + "\"]"; }

bool is_misc_key(const std::string& key) { return key.rfind("misc.", 0) == 0; }

// "sev 10" or "sev max": the kernel takes one resource per write.
bool valid_max_line(const std::string& line) {
    std::istringstream in(line);
    std::string name, value, extra;
    if (!(in >> name >> value) || (in >> extra)) return false;
    if (value == "max") return true;
    return value.find_first_not_of("0123456789") == std::string::npos && value.size() <= 20;
}

}  // namespace

Status check_misc_keys(const std::map<std::string, std::string>& unified) {
    for (const auto& [key, value] : unified) {
        if (!is_misc_key(key)) continue;
        const std::string field = field_of(key);
        if (key != "misc.max")
            return Status::Error(EINVAL, field + ": read-only (of the misc files only misc.max is set)");
        std::istringstream in(value);
        bool any = false;
        for (std::string line; std::getline(in, line);) {
            if (line.empty()) continue;
            any = true;
            if (!valid_max_line(line))
                return Status::Error(EINVAL, field + ": \"" + line + "\" is not \"RESOURCE max\" or \"RESOURCE N\"");
        }
        if (!any) return Status::Error(EINVAL, field + ": empty (expected \"RESOURCE max\" or \"RESOURCE N\" lines)");
    }
    return Status::Ok();
}

bool MiscSubsystem::wants(const Resources& r) const {
    for (const auto& [key, value] : r.unified)
        if (is_misc_key(key)) return true;
    return false;
}

Status MiscSubsystem::validate(const Resources& r) const { return check_misc_keys(r.unified); }

Status MiscSubsystem::apply_v2(const CgroupDir&, const Resources&) { return Status::Ok(); }

Status MiscSubsystem::apply_v1(const CgroupDir&, const Resources& r) {
    if (!wants(r)) return Status::Ok();
    return Status::Error(EINVAL, "linux.resources.unified[\"misc.max\"]: cgroup v1 has no misc controller");
}

Status MiscSubsystem::stats(const CgroupDir& dir, bool unified, CgroupStats* out) const {
    if (!unified || !dir.has("misc.current")) return Status::Ok();
    std::string text;
    if (Status s = dir.read("misc.current", &text); !s.ok()) return s;
    const auto values = flat_keyed_values(text);
    if (!values) return Status::Error(EINVAL, "parse " + dir.file("misc.current") + ": not \"RESOURCE N\" lines");
    for (const auto& [name, value] : *values) out->values.emplace_back("misc.current." + name, value);
    return Status::Ok();
}

}  // namespace berth::plugins::misc
