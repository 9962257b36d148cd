// What one container asks of the plugins, known before any plugin is loaded:
// `create` loads only the plugins that serve it (registry.hpp, docs/plugins.md).
// Which plugin serves which linux.resources field is each plugin's to say
// (CgroupSubsystem::resource_fields, kept in the plugin index): nothing here
// knows a controller.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace berth {

struct PluginDemand {
    // linux.resources that do not parse, or a `unified` key berth refuses:
    // every plugin is loaded, so that validation explains it.
    bool everything = false;
    // The fields the config sets: each member of an object field that is
    // not null ("memory.limit", "cpu.cpus"), or the field itself when it is
    // not an object ("devices"). Null, {} and [] ask for nothing (docker
    // sends empty objects).
    std::set<std::string> fields;
    // The controllers `unified` keys name ("memory.high" -> memory).
    std::set<std::string> controllers;
    // The config has mounts: mount handlers are loaded.
    bool mounts = false;
};

// From the text of linux.resources (any JSON) and whether the config has
// mounts. Pure.
PluginDemand plugin_demand(const std::string& resources_json, bool has_mounts);

// Whether a declared field ("memory", "cpu.cpus") serves a demanded one: the
// same field, one inside it, or its object when that is not an object (so
// that the plugin's validate names a malformed value).
bool field_serves(const std::string& declared, const std::string& demanded);

// Whether a cgroup plugin that serves `declared` (null: any resources) for
// these controllers is needed by the demand.
bool demand_needs(const PluginDemand& demand, const std::vector<std::string>* declared, const std::string& controller,
                  const std::string& v1_controller);

// The demanded fields that none of `declared` serves: a plugin berth has not
// seen yet may serve them, so every plugin is loaded then.
std::set<std::string> unserved_fields(const PluginDemand& demand, const std::set<std::string>& declared);

}  // namespace berth
