// The YAML plugin config (/etc/berth/plugins.yaml by default):
//
//   plugin_dirs: [/usr/local/lib/x86_64-linux-gnu/berth/plugins]
//   plugins:
//     - name: cgroup-pids            # must match the plugin's descriptor
//       file: berth-cgroup-pids.so   # relative names are looked up in plugin_dirs
//       enabled: true
//       settings: {}                 # handed to the plugin's configure()
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "berth/plugin.hpp"

namespace berth {

struct PluginEntry {
    std::string name;
    std::string file;
    bool enabled = true;
    PluginSettings settings;
};

struct PluginConfig {
    std::string source;  // the file it came from, for messages
    std::vector<std::string> dirs;
    std::vector<PluginEntry> plugins;
    // Who may own the plugin files and the directories above them: root;
    // the caller too when the config is the caller's own (never for a
    // root-owned config); and in a user namespace that is not the initial
    // one, also the ids it does not map (the host's root shows as the
    // overflow id there: trust then rests on the config naming the files).
    std::vector<uid_t> trusted_owners = {0};
};

PluginConfig parse_plugin_config(const std::string& yaml_text, const std::string& source);
PluginConfig load_plugin_config(const std::string& path);

// --plugin-config, else $BERTH_PLUGIN_CONFIG, else the installed default
// (a rootless caller's own config, core/rootless, comes as the flag value).
std::string plugin_config_path(const std::string& flag_value);

}  // namespace berth
