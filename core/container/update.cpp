// `update`: the flags or --resources JSON become a linux.resources patch;
// the patch is merged into the resources recorded in state.json; the result
// is validated by the same plugins as create before anything is written, and
// applied through their apply_v1/apply_v2 on the existing cgroup.
#include "container/update.hpp"

#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <set>

#include "cgroups/cgroup_manager.hpp"
#include "cgroups/systemd/systemd_scope.hpp"
#include "cgroups/systemd/systemd_unit.hpp"
#include "container/container.hpp"
#include "errors/error.hpp"
#include "log/log.hpp"
#include "plugins/registry.hpp"
#include "spec/spec.hpp"
#include "state/state_store.hpp"
#include "util/fault_point.hpp"
#include "util/files.hpp"

namespace berth {

using json = nlohmann::json;

int64_t ram_in_bytes(const std::string& text) {
    auto bad = [&]() -> Error { return Error("invalid size: '" + text + "'"); };
    size_t i = 0;
    auto digits = [&] {
        size_t start = i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
        return i > start;
    };
    if (!digits()) throw bad();
    size_t dots = 0;
    while (i < text.size() && text[i] == '.') {
        ++i;
        ++dots;
        if (!digits()) throw bad();
    }
    if (dots > 1) throw bad();  // go-units' pattern admits "1.2.3", its float parse does not
    const std::string number = text.substr(0, i);
    if (i < text.size() && text[i] == ' ') ++i;
    double unit = 1;
    if (i < text.size()) {
        switch (std::tolower(static_cast<unsigned char>(text[i]))) {
            case 'k':
                unit = 1024.0;
                ++i;
                break;
            case 'm':
                unit = 1024.0 * 1024;
                ++i;
                break;
            case 'g':
                unit = 1024.0 * 1024 * 1024;
                ++i;
                break;
            case 't':
                unit = 1024.0 * 1024 * 1024 * 1024;
                ++i;
                break;
            case 'p':
                unit = 1024.0 * 1024 * 1024 * 1024 * 1024;
                ++i;
                break;
            default: break;
        }
    }
    if (i < text.size() && (text[i] == 'i' || text[i] == 'I')) ++i;
    if (i < text.size() && (text[i] == 'b' || text[i] == 'B')) ++i;
    if (i != text.size()) throw bad();
    const double bytes = std::strtod(number.c_str(), nullptr) * unit;
    if (!(bytes < 9223372036854775808.0)) throw Error("invalid size: '" + text + "' (out of range)");
    return static_cast<int64_t>(bytes);
}

namespace {

[[noreturn]] void invalid(const std::string& flag, const std::string& value, const std::string& why) {
    throw Error("invalid value for " + flag + ": \"" + value + "\" " + why);
}

uint64_t parse_unsigned(const std::string& flag, const std::string& v) {
    errno = 0;
    char* end = nullptr;
    unsigned long long x = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || !std::isdigit(static_cast<unsigned char>(v[0])) || *end)
        invalid(flag, v, "is not an unsigned integer");
    if (errno == ERANGE) invalid(flag, v, "is out of range");
    return x;
}

int64_t parse_signed(const std::string& flag, const std::string& v) {
    errno = 0;
    char* end = nullptr;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || std::isspace(static_cast<unsigned char>(v[0])) || *end) invalid(flag, v, "is not an integer");
    if (errno == ERANGE) invalid(flag, v, "is out of range");
    return x;
}

}  // namespace

json resources_from_update_flags(const std::map<std::string, std::string>& flags) {
    json r = json::object();
    auto given = [&](const char* flag) -> const std::string* {
        auto it = flags.find(flag);
        return it == flags.end() ? nullptr : &it->second;
    };
    if (auto v = given("blkio-weight")) {
        const int64_t w = parse_signed("blkio-weight", *v);
        if (w < 0 || w > 65535) invalid("blkio-weight", *v, "is out of range");
        if (w != 0) r["blockIO"]["weight"] = w;
    }
    if (auto v = given("cpuset-cpus"); v && !v->empty()) r["cpu"]["cpus"] = *v;
    if (auto v = given("cpuset-mems"); v && !v->empty()) r["cpu"]["mems"] = *v;
    // runc's flag is --cpu-share; --cpu-shares is accepted as well.
    for (auto [flag, key] : {std::pair{"cpu-period", "period"},
                             {"cpu-rt-period", "realtimePeriod"},
                             {"cpu-share", "shares"},
                             {"cpu-shares", "shares"}})
        if (auto v = given(flag)) r["cpu"][key] = parse_unsigned(flag, *v);
    for (auto [flag, key] : {std::pair{"cpu-quota", "quota"}, {"cpu-rt-runtime", "realtimeRuntime"}})
        if (auto v = given(flag)) r["cpu"][key] = parse_signed(flag, *v);
    for (auto [flag, key] : {std::pair{"memory", "limit"},
                             {"memory-swap", "swap"},
                             {"kernel-memory", "kernel"},
                             {"kernel-memory-tcp", "kernelTCP"},
                             {"memory-reservation", "reservation"}}) {
        auto v = given(flag);
        if (!v) continue;
        try {
            r["memory"][key] = *v == "-1" ? int64_t{-1} : ram_in_bytes(*v);
        } catch (const Error& e) {
            throw Error(std::string("invalid value for ") + flag + ": " + e.what());
        }
    }
    if (auto v = given("pids-limit")) r["pids"]["limit"] = parse_signed("pids-limit", *v);
    return r;
}

namespace {

// What update changes, per section of linux.resources (runc 1.1 update.go).
const std::map<std::string, std::set<std::string>>& updatable() {
    static const std::map<std::string, std::set<std::string>> t = {
        {"memory", {"limit", "reservation", "swap", "kernelTCP"}},
        {"cpu", {"shares", "quota", "period", "realtimeRuntime", "realtimePeriod", "cpus", "mems"}},
        {"pids", {"limit"}},
        {"blockIO", {"weight"}},
    };
    return t;
}

// Zero, "", null, [] or an object of those: asks for nothing.
bool is_empty_value(const json& v) {
    if (v.is_null()) return true;
    if (v.is_number()) return v.get<double>() == 0;
    if (v.is_string()) return v.get<std::string>().empty();
    if (v.is_array()) return v.empty();
    if (v.is_object()) {
        for (auto& [key, member] : v.items())
            if (!is_empty_value(member)) return false;
        return true;
    }
    return false;
}

}  // namespace

MergedResources merge_update(const json& current, const json& patch) {
    if (!patch.is_object()) throw Error("linux.resources: must be a JSON object");
    // Types and ranges of the modelled fields, with the spec's messages.
    spec::parse_resources_json(patch);
    MergedResources out;
    out.resources = current.is_object() ? current : json::object();
    for (auto& [section, value] : patch.items()) {
        const std::string where = "linux.resources." + section;
        if (section == "unified") {
            if (value.is_null()) continue;
            if (!value.is_object()) throw Error(where + ": must be an object");
            for (auto& [key, v] : value.items()) {
                if (!v.is_string()) throw Error(where + "[\"" + key + "\"]: must be a string");
                out.resources["unified"][key] = v;
            }
            continue;
        }
        auto known = updatable().find(section);
        if (known == updatable().end()) {
            if (!is_empty_value(value)) out.ignored.push_back(section);
            continue;
        }
        if (value.is_null()) continue;
        if (!value.is_object()) throw Error(where + ": must be an object");
        for (auto& [key, v] : value.items()) {
            const std::string field = where + "." + key;
            if (section == "memory" && key == "kernel") {
                out.kernel_memory |= !is_empty_value(v);
                continue;
            }
            if (!known->second.count(key)) {
                if (!is_empty_value(v)) out.ignored.push_back(section + "." + key);
                continue;
            }
            if (key == "cpus" || key == "mems") {
                if (v.is_null()) continue;
                if (!v.is_string()) throw Error(field + ": must be a string");
            } else if (!v.is_null() && !v.is_number_integer()) {
                throw Error(field + ": must be an integer");
            }
            // Zero and "" leave the current value: runc's cgroup writers skip them.
            if (is_empty_value(v)) continue;
            out.resources[section][key] = v;
        }
    }
    out.resources = spec::without_unset_block_io(out.resources);
    return out;
}

json read_resources_argument(const std::string& path) {
    std::string text;
    if (path == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        text = read_file(path);
    }
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) throw Error("--resources " + path + ": invalid JSON");
    if (!j.is_object()) throw Error("--resources " + path + ": must be a JSON object (linux.resources)");
    return j;
}

void update_container(const RuntimeContext& ctx, const std::string& id, const json& patch) {
    LockedContainer c = StateStore(ctx.root).open_existing(id);
    ContainerState st = c.load();
    const std::string status = status_of(st, c.dir());
    if (status == "stopped" || status == "creating") throw Error("container not running");

    MergedResources merged = merge_update(st.resources, patch);
    if (merged.kernel_memory)
        log_warning(
            "linux.resources.memory.kernel: kernel memory limits are ignored (deprecated; recent kernels refuse them)");
    for (const auto& f : merged.ignored) {
        // The CRI always sends a device rule; runc 1.1 leaves devices alone on update.
        const std::string msg = "update: linux.resources." + f + " is not changed by update (as in runc 1.1); ignored";
        if (f == "devices") log_debug(msg);
        else log_warning(msg);
    }
    const Resources next = spec::parse_resources_json(merged.resources);
    fault_point("update.merged");

    // Exactly the plugins of create: a plugin enabled since cannot serve a
    // container whose cgroup it did not plan.
    PluginRegistry plugins =
        PluginRegistry::load(load_plugin_config(plugin_config_path(ctx.plugin_config)), st.plugins);
    CgroupManager cgroups(detect_cgroup_layout(), plugins.cgroup_subsystems());
    cgroups.validate(next);
    fault_point("update.validated");

    const CgroupPaths paths = CgroupPaths::from_json(st.cgroup);
    try {
        if (!paths.systemd_unit.empty())
            systemd::SystemdScope::set_properties(paths.systemd_unit,
                                                  systemd::resource_properties(plugins.cgroup_subsystems(), next));
        cgroups.update(paths, next);
    } catch (const Error&) {
        // The kernel may refuse a value validate could not judge (a memory
        // limit below the current usage); put back what was there, as runc does.
        try {
            const Resources previous = spec::parse_resources_json(st.resources);
            if (!paths.systemd_unit.empty())
                systemd::SystemdScope::set_properties(
                    paths.systemd_unit, systemd::resource_properties(plugins.cgroup_subsystems(), previous));
            cgroups.update(paths, previous);
        } catch (const Error& again) {
            log_warning(std::string("update: restoring the previous limits: ") + again.what());
        }
        throw;
    }
    fault_point("update.applied");
    st.resources = merged.resources;
    c.save(st);
    fault_point("update.saved");
}

}  // namespace berth
