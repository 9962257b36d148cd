#include "cpuset_subsystem.hpp"

#include <cerrno>
#include <new>
#include <string>

#include "cpu_list.hpp"

namespace berth::plugins::cpuset {
namespace {

// linux.resources.cpu.cpus or .mems, or nullptr when absent or "" (runc
// writes neither then).
const std::string* list_of(const Resources& r, std::optional<std::string> CpusetResources::*field) {
    if (!r.cpuset) return nullptr;
    const auto& v = (*r.cpuset).*field;
    return v && !v->empty() ? &*v : nullptr;
}

struct List {
    const char* field;  // of linux.resources.cpu, and the file's suffix
    std::optional<std::string> CpusetResources::*member;
    const char* what;
    const char* property;  // the systemd unit's
};
// cpus before mems, as runc writes them.
constexpr List kLists[] = {{"cpus", &CpusetResources::cpus, "CPUs", "AllowedCPUs"},
                           {"mems", &CpusetResources::mems, "memory nodes", "AllowedMemoryNodes"}};

Status check(const Resources& r, const List& l) {
    const std::string* text = list_of(r, l.member);
    if (!text) return Status::Ok();
    if (std::string why = cpu_list_problem(*text); !why.empty())
        return Status::Error(EINVAL, std::string("linux.resources.cpu.") + l.field + ": \"" + *text +
                                         "\" is not a list of " + l.what + " such as \"0-2,4\": " + why);
    return Status::Ok();
}

// Both files exist on v1 and, with the controller enabled, on v2.
Status write_lists(const CgroupDir& dir, const Resources& r) {
    for (const List& l : kLists)
        if (const std::string* text = list_of(r, l.member))
            if (Status s = dir.write(std::string("cpuset.") + l.field, *text); !s.ok()) return s;
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
    return list_of(r, &CpusetResources::cpus) || list_of(r, &CpusetResources::mems);
}

Status CpusetSubsystem::validate(const Resources& r) const {
    for (const List& l : kLists)
        if (Status s = check(r, l); !s.ok()) return s;
    return Status::Ok();
}

Status CpusetSubsystem::apply_v2(const CgroupDir& dir, const Resources& r) { return write_lists(dir, r); }

// runc's systemd v2 mapping: cpus and mems, then the unified cpuset.cpus and
// cpuset.mems, which win.
Status CpusetSubsystem::unit_properties(const Resources& r, UnitProperties* out) const {
    for (const List& l : kLists)
        if (const std::string* text = list_of(r, l.member))
            if (Status s = add_bitmap(l.property, *text, std::string("linux.resources.cpu.") + l.field, out); !s.ok())
                return s;
    for (const List& l : kLists) {
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
