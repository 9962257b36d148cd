#include "plugins/plugin_demand.hpp"

#include <nlohmann/json.hpp>

#include "cgroups/unified_resources.hpp"
#include "errors/error.hpp"

namespace berth {
namespace {

bool empty_value(const nlohmann::json& v) { return v.is_null() || ((v.is_object() || v.is_array()) && v.empty()); }

}  // namespace

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
            // The runtime's own cgroup.* files need no plugin. A key the
            // manager refuses loads everything, so that validation explains it.
            for (const auto& [file, v] : value.items()) {
                try {
                    if (std::string c = unified_key_controller(file); c != "cgroup") d.controllers.insert(std::move(c));
                } catch (const Error&) {
                    d.everything = true;
                }
            }
            continue;
        }
        if (!value.is_object()) {
            d.fields.insert(key);
            continue;
        }
        for (const auto& [member, v] : value.items())
            if (!v.is_null()) d.fields.insert(key + "." + member);
    }
    return d;
}

bool field_serves(const std::string& declared, const std::string& demanded) {
    auto inside = [](const std::string& inner, const std::string& outer) {
        return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 && inner[outer.size()] == '.';
    };
    return declared == demanded || inside(demanded, declared) || inside(declared, demanded);
}

bool demand_needs(const PluginDemand& demand, const std::vector<std::string>* declared, const std::string& controller,
                  const std::string& v1_controller) {
    if (demand.everything || !declared) return true;
    if (demand.controllers.count(controller) || demand.controllers.count(v1_controller)) return true;
    for (const std::string& d : *declared)
        for (const std::string& f : demand.fields)
            if (field_serves(d, f)) return true;
    return false;
}

std::set<std::string> unserved_fields(const PluginDemand& demand, const std::set<std::string>& declared) {
    std::set<std::string> out;
    for (const std::string& f : demand.fields) {
        bool served = false;
        for (const std::string& d : declared) served = served || field_serves(d, f);
        if (!served) out.insert(f);
    }
    return out;
}

}  // namespace berth
