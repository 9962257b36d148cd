// What `berth plugins list|inspect` shows: a plugin's descriptor, read without
// calling its configure(), and what it handles.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "plugins/plugin_config.hpp"

namespace berth {

struct PluginInfo {
    std::string name;  // the config's name (list) or the descriptor's (inspect FILE)
    std::string file;
    bool enabled = false;
    bool in_config = false;
    // From the descriptor; empty when the file could not be opened.
    std::string version, license, description;
    uint32_t abi_major = 0, abi_minor = 0;
    std::vector<std::string> kinds;
    // What it handles: asked of an object the plugin creates and destroys
    // (its configure() is not called).
    std::vector<std::string> cgroup_controllers;
    std::vector<std::string> mount_types;
    // The mount options its handler knows (ABI 1.2: MountHandler::options()).
    std::vector<std::string> mount_options;
    // A checkpoint plugin's engine as it describes itself ("criu 3.17.1"),
    // or "unavailable: " and why its tool cannot run here.
    std::string checkpoint_engine;
    std::string error;  // why the plugin cannot be used, if it cannot
};

std::vector<PluginInfo> list_plugins(const PluginConfig& cfg);
// NAME from the config, or a path to a plugin file.
PluginInfo inspect_plugin(const PluginConfig& cfg, const std::string& name_or_file);
nlohmann::json to_json(const PluginInfo& info);

}  // namespace berth
