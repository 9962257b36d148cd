#include "plugins/plugin_config.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <set>

#include "errors/error.hpp"
#include "rootless/rootless.hpp"
#include "util/files.hpp"

#ifndef BERTH_DEFAULT_PLUGIN_CONFIG
#define BERTH_DEFAULT_PLUGIN_CONFIG "/etc/berth/plugins.yaml"
#endif

namespace berth {
namespace {

[[noreturn]] void fail(const std::string& source, const std::string& key, const std::string& msg) {
    throw Error(source + ": " + key + ": " + msg);
}

std::string scalar(const YAML::Node& n, const std::string& source, const std::string& key) {
    if (!n.IsScalar()) fail(source, key, "must be a string");
    return n.as<std::string>();
}

// A mapping key; `{[a]: b}` has a sequence as its key.
std::string key_of(const YAML::Node& k, const std::string& source, const std::string& where) {
    if (!k.IsScalar()) fail(source, where, "keys must be strings");
    return k.as<std::string>();
}

}  // namespace

PluginConfig parse_plugin_config(const std::string& text, const std::string& source) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw Error(source + ": invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    PluginConfig cfg;
    cfg.source = source;
    if (root.IsNull()) return cfg;
    if (!root.IsMap()) throw Error(source + ": must be a YAML mapping");
    std::set<std::string> top;
    for (auto it : root) {
        const std::string key = key_of(it.first, source, "top level");
        if (!top.insert(key).second) fail(source, key, "given twice");
        if (key != "plugin_dirs" && key != "plugins") fail(source, key, "unknown key (expected plugin_dirs, plugins)");
    }
    if (auto dirs = root["plugin_dirs"]) {
        if (!dirs.IsSequence()) fail(source, "plugin_dirs", "must be a list of directories");
        for (size_t i = 0; i < dirs.size(); ++i)
            cfg.dirs.push_back(scalar(dirs[i], source, "plugin_dirs[" + std::to_string(i) + "]"));
    }
    std::set<std::string> names;
    if (auto plugins = root["plugins"]) {
        if (!plugins.IsSequence()) fail(source, "plugins", "must be a list");
        for (size_t i = 0; i < plugins.size(); ++i) {
            const std::string at = "plugins[" + std::to_string(i) + "]";
            const YAML::Node p = plugins[i];
            if (!p.IsMap()) fail(source, at, "must be a mapping with name and file");
            std::set<std::string> seen;
            for (auto kv : p) {
                const std::string k = key_of(kv.first, source, at);
                // yaml-cpp keeps the first of two equal keys; refuse instead of guessing.
                if (!seen.insert(k).second) fail(source, at + "." + k, "given twice");
                if (k != "name" && k != "file" && k != "enabled" && k != "settings")
                    fail(source, at + "." + k, "unknown key (expected name, file, enabled, settings)");
            }
            PluginEntry e;
            if (!p["name"]) fail(source, at + ".name", "is required");
            e.name = scalar(p["name"], source, at + ".name");
            if (!names.insert(e.name).second) fail(source, at + ".name", "duplicate plugin \"" + e.name + "\"");
            if (!p["file"]) fail(source, at + ".file", "is required");
            e.file = scalar(p["file"], source, at + ".file");
            if (auto en = p["enabled"]) {
                try {
                    e.enabled = en.as<bool>();
                } catch (const YAML::Exception&) {
                    fail(source, at + ".enabled", "must be true or false");
                }
            }
            if (auto s = p["settings"]) {
                if (!s.IsMap() && !s.IsNull()) fail(source, at + ".settings", "must be a mapping");
                for (auto kv : s) {
                    const std::string k = key_of(kv.first, source, at + ".settings");
                    e.settings[k] = scalar(kv.second, source, at + ".settings." + k);
                }
            }
            cfg.plugins.push_back(std::move(e));
        }
    }
    return cfg;
}

PluginConfig load_plugin_config(const std::string& path) {
    std::string text;
    try {
        text = read_file(path);
    } catch (const Error& e) {
        throw Error(std::string("plugin config: ") + e.what(), e.err());
    }
    PluginConfig cfg = parse_plugin_config(text, path);
    struct stat sb {};
    const uid_t me = ::geteuid();
    if (me != 0 && ::stat(path.c_str(), &sb) == 0 && sb.st_uid == me) cfg.trusted_owners.push_back(me);
    if (!rootless::in_initial_user_namespace()) {
        try {
            cfg.trusted_owners.push_back(static_cast<uid_t>(std::stoul(read_file("/proc/sys/kernel/overflowuid"))));
        } catch (...) {
        }
    }
    return cfg;
}

std::string plugin_config_path(const std::string& flag_value) {
    if (!flag_value.empty()) return flag_value;
    if (const char* env = std::getenv("BERTH_PLUGIN_CONFIG"); env && *env) return env;
    return BERTH_DEFAULT_PLUGIN_CONFIG;
}

}  // namespace berth
