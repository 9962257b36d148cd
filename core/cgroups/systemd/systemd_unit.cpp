#include "cgroups/systemd/systemd_unit.hpp"

#include <limits>
#include <nlohmann/json.hpp>

#include "errors/error.hpp"

namespace berth::systemd {

namespace {

constexpr uint64_t kInfinity = std::numeric_limits<uint64_t>::max();  // systemd's "infinity"
constexpr uint64_t kDefaultPeriod = 100000;

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

// systemd's CPUQuota is per second in 10 ms steps: round up, as runc does,
// so that the limit is never tighter than asked.
uint64_t quota_per_sec(uint64_t quota, uint64_t period) {
    uint64_t per_sec = quota * 1000000 / (period != 0 ? period : kDefaultPeriod);
    if (per_sec % 10000 != 0) per_sec = (per_sec / 10000 + 1) * 10000;
    return per_sec;
}

void set_property(std::vector<Property>& props, Property p) {
    for (Property& q : props)
        if (q.name == p.name) {
            q = std::move(p);
            return;
        }
    props.push_back(std::move(p));
}

// The unified keys systemd has a property for, as runc maps them: a value
// written only as a file would be put back by systemd's own on the next
// daemon-reload. Unified wins over the structured fields (runc's order).
void add_unified_properties(const nlohmann::json& unified, std::vector<Property>& props) {
    for (const auto& [key, v] : unified.items()) {
        if (!v.is_string()) continue;  // the manager's validate names it
        const std::string text = v.get<std::string>();
        const std::string field = "linux.resources.unified[\"" + key + "\"]";
        auto number = [&](const std::string& t) -> uint64_t {
            if (t == "max") return kInfinity;
            if (t.empty() || t.size() > 19 || t.find_first_not_of("0123456789") != std::string::npos)
                throw Error(field + ": \"" + text + "\": want a number or \"max\"");
            return std::stoull(t);
        };
        static const std::pair<const char*, const char*> kPlain[] = {
            {"memory.min", "MemoryMin"}, {"memory.low", "MemoryLow"},   {"memory.high", "MemoryHigh"},
            {"memory.max", "MemoryMax"}, {"memory.swap.max", "MemorySwapMax"}, {"pids.max", "TasksMax"},
        };
        bool done = false;
        for (const auto& [file, property] : kPlain)
            if (key == file) {
                set_property(props, {property, number(text)});
                done = true;
            }
        if (done) continue;
        if (key == "cpu.weight") {
            set_property(props, {"CPUWeight", number(text)});
        } else if (key == "cpu.max") {
            // "QUOTA [PERIOD]", QUOTA "max" for none.
            const size_t sp = text.find(' ');
            const std::string quota = text.substr(0, sp);
            const uint64_t period = sp == std::string::npos ? 0 : number(text.substr(sp + 1));
            if (period == kInfinity) throw Error(field + ": \"" + text + "\": the period cannot be \"max\"");
            if (period != 0) set_property(props, {"CPUQuotaPeriodUSec", period});
            const uint64_t q = number(quota);
            set_property(props, {"CPUQuotaPerSecUSec", q == kInfinity ? kInfinity : quota_per_sec(q, period)});
        } else if (key == "cpuset.cpus") {
            set_property(props, {"AllowedCPUs", cpu_list_to_bitmap(text, field)});
        } else if (key == "cpuset.mems") {
            set_property(props, {"AllowedMemoryNodes", cpu_list_to_bitmap(text, field)});
        }
    }
}

}  // namespace

std::string expand_slice(const std::string& slice) {
    const std::string suffix = ".slice";
    if (!ends_with(slice, suffix) || slice.size() == suffix.size())
        bad_path(slice, "the slice must be a unit name ending in \".slice\"");
    if (slice.find('/') != std::string::npos) bad_path(slice, "the slice must not contain \"/\" (write \"a-b.slice\" for a.slice/a-b.slice)");
    if (slice == "-.slice") return "/";
    const std::string base = slice.substr(0, slice.size() - suffix.size());
    if (!plain_unit_chars(base)) bad_path(slice, "the slice name has characters systemd does not allow");
    if (base.front() == '-' || base.back() == '-' || base.find("--") != std::string::npos)
        bad_path(slice, "a slice name's \"-\" separates parent slices: no leading, trailing or double \"-\"");
    std::string path;
    for (size_t dash = base.find('-'); ; dash = base.find('-', dash + 1)) {
        path += "/" + base.substr(0, dash) + suffix;
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
        bad_path(path, "a container of its own slice is not supported by berth's systemd driver; name a scope (slice:prefix:name)");
    p.unit = (prefix.empty() ? "" : prefix + "-") + name + ".scope";
    p.cgroup = (slice_dir == "/" ? "" : slice_dir) + "/" + p.unit;
    return p;
}

std::vector<uint8_t> cpu_list_to_bitmap(const std::string& list, const std::string& field) {
    std::vector<uint8_t> bits;
    auto fail = [&](const std::string& why) -> void { throw Error(field + ": \"" + list + "\": " + why); };
    auto number = [&](const std::string& s) -> unsigned {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 5) fail("want a list like \"0-3,7\"");
        const unsigned v = static_cast<unsigned>(std::stoul(s));
        if (v >= 8192) fail("more than 8192 CPUs or nodes");
        return v;
    };
    size_t start = 0;
    std::string trimmed = list;
    while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ')) trimmed.pop_back();
    if (trimmed.empty()) return bits;
    for (;;) {
        size_t comma = trimmed.find(',', start);
        std::string item = trimmed.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const size_t dash = item.find('-');
        const unsigned lo = number(item.substr(0, dash));
        const unsigned hi = dash == std::string::npos ? lo : number(item.substr(dash + 1));
        if (hi < lo) fail("range \"" + item + "\" runs backwards");
        for (unsigned c = lo; c <= hi; ++c) {
            if (bits.size() <= c / 8) bits.resize(c / 8 + 1, 0);
            bits[c / 8] |= static_cast<uint8_t>(1u << (c % 8));
        }
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return bits;
}

std::vector<Property> resource_properties(const Resources& r, uint64_t (*shares_to_weight)(uint64_t)) {
    std::vector<Property> props;
    auto bytes = [](int64_t v) { return v < 0 ? kInfinity : static_cast<uint64_t>(v); };
    if (r.memory) {
        const int64_t limit = r.memory->limit.value_or(0);
        if (limit != 0) props.push_back({"MemoryMax", bytes(limit)});
        if (const int64_t low = r.memory->reservation.value_or(0); low != 0) props.push_back({"MemoryLow", bytes(low)});
        // The spec's swap is memory+swap (v1); v2 and systemd take swap alone.
        // Bad combinations are the memory plugin's to refuse (validate runs first).
        const int64_t swap = r.memory->swap.value_or(0);
        if (swap == -1) props.push_back({"MemorySwapMax", kInfinity});
        else if (swap > 0 && limit > 0 && swap >= limit) props.push_back({"MemorySwapMax", static_cast<uint64_t>(swap - limit)});
    }
    if (r.cpu) {
        if (const uint64_t shares = r.cpu->shares.value_or(0); shares != 0)
            props.push_back({"CPUWeight", shares_to_weight(shares)});
        const int64_t quota = r.cpu->quota.value_or(0);
        const uint64_t period = r.cpu->period.value_or(0);
        if (period != 0) props.push_back({"CPUQuotaPeriodUSec", period});
        if (quota != 0 || period != 0) {
            uint64_t per_sec = kInfinity;
            if (quota > 0) per_sec = quota_per_sec(static_cast<uint64_t>(quota), period);
            props.push_back({"CPUQuotaPerSecUSec", per_sec});
        }
    }
    if (r.pids) {
        const int64_t limit = r.pids->limit.value_or(0);
        if (limit > 0 || limit == -1) props.push_back({"TasksMax", bytes(limit)});
    }
    const auto j = nlohmann::json::parse(r.json, nullptr, false);
    if (j.is_object() && j.contains("cpu") && j["cpu"].is_object()) {
        const auto& cpu = j["cpu"];
        if (cpu.contains("cpus") && cpu["cpus"].is_string() && !cpu["cpus"].get<std::string>().empty())
            props.push_back({"AllowedCPUs", cpu_list_to_bitmap(cpu["cpus"].get<std::string>(), "linux.resources.cpu.cpus")});
        if (cpu.contains("mems") && cpu["mems"].is_string() && !cpu["mems"].get<std::string>().empty())
            props.push_back({"AllowedMemoryNodes", cpu_list_to_bitmap(cpu["mems"].get<std::string>(), "linux.resources.cpu.mems")});
    }
    if (j.is_object() && j.contains("unified") && j["unified"].is_object()) add_unified_properties(j["unified"], props);
    return props;
}

}  // namespace berth::systemd
