#include "cpuset_subsystem.hpp"

#include <cerrno>
#include <new>
#include <nlohmann/json.hpp>
#include <string>

#include "cpu_list.hpp"

namespace berth::plugins::cpuset {
namespace {

using json = nlohmann::json;

// linux.resources.cpu.<field> as given: null when absent, null or "".
json field_of(const Resources& r, const char* field) {
    const json res = json::parse(r.json, nullptr, false);
    if (!res.is_object()) return nullptr;
    auto cpu = res.find("cpu");
    if (cpu == res.end() || !cpu->is_object()) return nullptr;
    auto it = cpu->find(field);
    if (it == cpu->end() || it->is_null() || (it->is_string() && it->get<std::string>().empty())) return nullptr;
    return *it;
}

Status check(const Resources& r, const char* field, const char* what) {
    const json v = field_of(r, field);
    if (v.is_null()) return Status::Ok();
    const std::string name = std::string("linux.resources.cpu.") + field;
    if (!v.is_string())
        return Status::Error(EINVAL, name + ": must be a string, a list of " + what + " such as \"0-2,4\"");
    const std::string text = v.get<std::string>();
    if (std::string why = cpu_list_problem(text); !why.empty())
        return Status::Error(EINVAL,
                             name + ": \"" + text + "\" is not a list of " + what + " such as \"0-2,4\": " + why);
    return Status::Ok();
}

// cpus before mems, as runc writes them. Both files exist on v1 and, with the
// controller enabled, on v2.
Status write_lists(const CgroupDir& dir, const Resources& r) {
    for (const char* field : {"cpus", "mems"}) {
        const json v = field_of(r, field);
        if (!v.is_string()) continue;
        if (Status s = dir.write(std::string("cpuset.") + field, v.get<std::string>()); !s.ok()) return s;
    }
    return Status::Ok();
}

// A list's property, AllowedCPUs or AllowedMemoryNodes; `field` names it in
// an error (validate has refused bad structured lists already).
Status add_bitmap(const char* property, const std::string& text, const std::string& field, UnitProperties* out) {
    const auto numbers = parse_cpu_list(text);
    if (!numbers)
        return Status::Error(EINVAL,
                             field + ": \"" + text + "\" is not a list such as \"0-2,4\": " + cpu_list_problem(text));
    UnitProperty p;
    p.name = property;
    p.type = UnitProperty::kBytes;
    p.bytes = cpu_bitmap(*numbers);
    set_unit_property(out, std::move(p));
    return Status::Ok();
}

Status read_list(const CgroupDir& dir, const char* file, CgroupStats* out) {
    std::string text;
    if (Status s = dir.read(file, &text); !s.ok()) return s;
    const auto list = parse_cpu_list(text);
    if (!list) return Status::Error(EINVAL, "parse " + dir.file(file) + ": unexpected content \"" + text + "\"");
    for (size_t i = 0; i < list->size(); ++i)
        out->values.emplace_back(std::string(file) + "." + std::to_string(i), (*list)[i]);
    return Status::Ok();
}

}  // namespace

bool CpusetSubsystem::wants(const Resources& r) const {
    try {
        return !field_of(r, "cpus").is_null() || !field_of(r, "mems").is_null();
    } catch (...) {
        return true;  // let validate say what is wrong
    }
}

Status CpusetSubsystem::validate(const Resources& r) const {
    if (Status s = check(r, "cpus", "CPUs"); !s.ok()) return s;
    return check(r, "mems", "memory nodes");
}

Status CpusetSubsystem::apply_v2(const CgroupDir& dir, const Resources& r) { return write_lists(dir, r); }

// runc's systemd v2 mapping: cpus and mems, then the unified cpuset.cpus and
// cpuset.mems, which win.
Status CpusetSubsystem::unit_properties(const Resources& r, UnitProperties* out) const {
    static constexpr struct {
        const char* field;
        const char* property;
    } kLists[] = {{"cpus", "AllowedCPUs"}, {"mems", "AllowedMemoryNodes"}};
    for (const auto& l : kLists) {
        const json v = field_of(r, l.field);
        if (!v.is_string()) continue;
        if (Status s = add_bitmap(l.property, v.get<std::string>(), std::string("linux.resources.cpu.") + l.field, out);
            !s.ok())
            return s;
    }
    for (const auto& l : kLists) {
        const std::string key = std::string("cpuset.") + l.field;
        if (auto it = r.unified.find(key); it != r.unified.end())
            if (Status s = add_bitmap(l.property, it->second, "linux.resources.unified[\"" + key + "\"]", out); !s.ok())
                return s;
    }
    return Status::Ok();
}

Status CpusetSubsystem::stats(const CgroupDir& dir, bool unified, CgroupStats* out) const {
    const char* cpus = unified ? "cpuset.cpus.effective" : "cpuset.effective_cpus";
    const char* mems = unified ? "cpuset.mems.effective" : "cpuset.effective_mems";
    if (unified && !dir.has(cpus)) return Status::Ok();
    if (Status s = read_list(dir, cpus, out); !s.ok()) return s;
    return read_list(dir, mems, out);
}

}  // namespace berth::plugins::cpuset
