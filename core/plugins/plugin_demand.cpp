#include "plugins/plugin_demand.hpp"

#include <nlohmann/json.hpp>

#include "cgroups/unified_resources.hpp"
#include "errors/error.hpp"

namespace berth {
namespace {

// linux.resources field -> the controllers that may serve it (v2 and v1
// names). A field present with any non-empty value asks for them: the
// plugins' wants() decide the rest, and loading one too many is harmless.
struct FieldControllers {
    const char* field;
    std::initializer_list<const char*> controllers;
};
const FieldControllers kFields[] = {
    {"memory", {"memory"}},
    {"cpu", {"cpu", "cpuset", "cpuacct"}},
    {"pids", {"pids"}},
    {"devices", {"devices"}},
    {"blockIO", {"io", "blkio"}},
    {"hugepageLimits", {"hugetlb"}},
    {"network", {"net_cls", "net_prio"}},
    {"rdma", {"rdma"}},
};

// Controllers reached only through `unified` (no structured field).
const char* const kUnifiedOnly[] = {"misc"};

bool empty_value(const nlohmann::json& v) {
    return v.is_null() || ((v.is_object() || v.is_array()) && v.empty());
}

}  // namespace

bool demand_knows_controller(const std::string& controller) {
    for (const auto& f : kFields)
        for (const char* c : f.controllers)
            if (controller == c) return true;
    for (const char* c : kUnifiedOnly)
        if (controller == c) return true;
    return false;
}

PluginDemand plugin_demand(const std::string& resources_json, bool has_mounts) {
    PluginDemand d;
    d.mounts = has_mounts;
    if (resources_json.empty()) return d;
    const nlohmann::json r = nlohmann::json::parse(resources_json, nullptr, false);
    if (r.is_null()) return d;
    if (!r.is_object()) {
        d.everything = true;
        return d;
    }
    for (const auto& [key, value] : r.items()) {
        if (empty_value(value)) continue;
        if (key == "unified" && value.is_object()) {
            // Each key names its controller ("memory.high" → memory); the
            // runtime's own cgroup.* files need no plugin. A key the manager
            // refuses loads everything, so that validation explains it.
            for (const auto& [file, v] : value.items()) {
                try {
                    if (std::string c = unified_key_controller(file); c != "cgroup") d.controllers.insert(std::move(c));
                } catch (const Error&) {
                    d.everything = true;
                }
            }
            continue;
        }
        bool known = false;
        for (const auto& f : kFields) {
            if (key != f.field) continue;
            known = true;
            for (const char* c : f.controllers) d.controllers.insert(c);
        }
        if (!known) d.everything = true;  // a field newer than berth
    }
    return d;
}

}  // namespace berth
