#include "cgroups/unified_resources.hpp"

#include "errors/error.hpp"

namespace berth {

std::string unified_field(const std::string& key) { return "linux.resources.unified[\"" + key + "\"]"; }

std::map<std::string, std::string> unified_entries(const nlohmann::json& resources) {
    std::map<std::string, std::string> out;
    if (!resources.is_object()) return out;
    auto it = resources.find("unified");
    if (it == resources.end() || it->is_null()) return out;
    if (!it->is_object()) throw Error("linux.resources.unified: must be an object (cgroup v2 file name -> value)");
    for (auto& [key, value] : it->items()) {
        if (!value.is_string()) throw Error(unified_field(key) + ": must be a string");
        out[key] = value.get<std::string>();
    }
    return out;
}

std::string unified_key_controller(const std::string& key) {
    const std::string field = unified_field(key);
    // The key is joined to the container's directory: it must name a file
    // in it, never one elsewhere.
    if (key.find('/') != std::string::npos || key.find('\0') != std::string::npos)
        throw Error(field + ": must be a file name in the container's cgroup (no '/')");
    const size_t dot = key.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == key.size())
        throw Error(field + ": must be a CONTROLLER.FILE name, e.g. \"memory.high\"");
    const std::string controller = key.substr(0, dot);
    if (controller != "cgroup") return controller;
    // The core files: membership, delegation, type and freezing belong to the
    // runtime (create, pause, delete); the limits on descendants are a
    // container's to set. runc and crun write any cgroup.* key.
    if (key == "cgroup.max.depth" || key == "cgroup.max.descendants") return controller;
    throw Error(field +
                ": the runtime owns this core file (of the cgroup.* files only cgroup.max.depth and "
                "cgroup.max.descendants may be set)");
}

}  // namespace berth
