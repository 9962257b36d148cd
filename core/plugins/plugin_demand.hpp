// What one container asks of the plugins, known before any plugin is loaded:
// `create` loads only the plugins that serve it (registry.hpp, docs/plugins.md).
#pragma once

#include <set>
#include <string>

namespace berth {

struct PluginDemand {
    // Something berth cannot map to controllers (a resource it does not
    // know, a malformed `unified` key): every plugin is loaded, as before.
    bool everything = false;
    // cgroup controllers (a plugin's controller() or v1_controller()).
    std::set<std::string> controllers;
    // The config has mounts: mount handlers are loaded.
    bool mounts = false;

    bool wants_controller(const std::string& c) const { return everything || controllers.count(c) > 0; }
};

// From the text of linux.resources (any JSON; what does not parse asks for
// everything, so that the plugins' validate() explains it) and whether the
// config has mounts. Pure.
PluginDemand plugin_demand(const std::string& resources_json, bool has_mounts);

// The controllers plugin_demand can tell apart. A plugin serving another one
// is always loaded: berth cannot know which resources it wants.
bool demand_knows_controller(const std::string& controller);

}  // namespace berth
