#include "cgroups/systemd/systemd_unit.hpp"

#include "errors/error.hpp"

namespace berth::systemd {

namespace {

[[noreturn]] void bad_path(const std::string& path, const std::string& why) {
    throw Error("linux.cgroupsPath: \"" + path + "\": " + why);
}

// What systemd's unit_name_is_valid accepts for the part before the suffix,
// without the '\' escapes: an unescaped name from a spec is never one.
bool plain_unit_chars(const std::string& s) {
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '-' ||
              c == '_' || c == '.' || c == '@'))
            return false;
    return true;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void set_property(std::vector<Property>& props, Property p) {
    for (Property& q : props)
        if (q.name == p.name) {
            q = std::move(p);
            return;
        }
    props.push_back(std::move(p));
}

}  // namespace

std::string expand_slice(const std::string& slice) {
    const std::string suffix = ".slice";
    if (!ends_with(slice, suffix) || slice.size() == suffix.size())
        bad_path(slice, "the slice must be a unit name ending in \".slice\"");
    if (slice.find('/') != std::string::npos)
        bad_path(slice, "the slice must not contain \"/\" (write \"a-b.slice\" for a.slice/a-b.slice)");
    if (slice == "-.slice") return "/";
    const std::string base = slice.substr(0, slice.size() - suffix.size());
    if (!plain_unit_chars(base)) bad_path(slice, "the slice name has characters systemd does not allow");
    if (base.front() == '-' || base.back() == '-' || base.find("--") != std::string::npos)
        bad_path(slice, "a slice name's \"-\" separates parent slices: no leading, trailing or double \"-\"");
    std::string path;
    for (size_t dash = base.find('-');; dash = base.find('-', dash + 1)) {
        // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false
        // positive) on "/" + std::string&&, and CI builds with -Werror.
        path.append("/").append(base, 0, dash).append(suffix);
        if (dash == std::string::npos) break;
    }
    return path;
}

UnitPlacement parse_cgroups_path(const std::string& cgroups_path, const std::string& id) {
    const std::string path = cgroups_path.empty() ? ":berth:" + id : cgroups_path;
    std::vector<std::string> parts;
    for (size_t start = 0;;) {
        const size_t colon = path.find(':', start);
        parts.push_back(path.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    if (parts.size() != 3)
        bad_path(path, "the systemd cgroup driver wants \"slice:prefix:name\" (e.g. \"system.slice:berth:<id>\")");
    UnitPlacement p;
    p.slice = parts[0].empty() ? "system.slice" : parts[0];
    const std::string slice_dir = expand_slice(p.slice);
    const std::string& prefix = parts[1];
    const std::string& name = parts[2];
    if (name.empty()) bad_path(path, "the name (after the second \":\") is empty");
    if (!plain_unit_chars(prefix) || !plain_unit_chars(name))
        bad_path(path, "prefix and name may hold only [A-Za-z0-9:_.@-]");
    // runc makes a container of its own slice when the name is one; berth's
    // driver makes scopes only, and says so before anything exists.
    if (ends_with(name, ".slice"))
        bad_path(path,
                 "a container of its own slice is not supported by berth's systemd driver; name a scope "
                 "(slice:prefix:name)");
    p.unit = (prefix.empty() ? "" : prefix + "-") + name + ".scope";
    p.cgroup = (slice_dir == "/" ? "" : slice_dir) + "/" + p.unit;
    return p;
}

std::vector<Property> resource_properties(const std::vector<CgroupSubsystem*>& subsystems, const Resources& r) {
    std::vector<Property> props;
    for (const CgroupSubsystem* s : subsystems) {
        UnitProperties out;
        if (Status st = s->unit_properties(r, &out); !st.ok()) throw Error(st.message, st.err);
        for (UnitProperty& p : out.values) {
            if (p.type == UnitProperty::kBytes) set_property(props, {std::move(p.name), std::move(p.bytes)});
            else set_property(props, {std::move(p.name), p.number});
        }
    }
    return props;
}

}  // namespace berth::systemd
