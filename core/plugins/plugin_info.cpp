#include "plugins/plugin_info.hpp"

#include "errors/error.hpp"
#include "plugins/registry.hpp"

namespace berth {

static void describe(PluginInfo& info, bool what_it_handles, const std::vector<uid_t>& owners) {
    try {
        LoadedPlugin p = open_plugin(info.file, owners);
        const PluginDescriptor& d = *p.descriptor;
        info.file = p.path;
        if (info.name.empty()) info.name = p.name;
        info.version = d.version ? d.version : "";
        info.license = d.license ? d.license : "";
        info.description = d.description ? d.description : "";
        info.abi_major = d.abi_major;
        info.abi_minor = d.abi_minor;
        if (d.kinds & kCgroupSubsystem) info.kinds.push_back("cgroup-subsystem");
        if (d.kinds & kMountHandler) info.kinds.push_back("mount-handler");
        if (d.kinds & kCheckpointer) info.kinds.push_back("checkpoint");
        if (!what_it_handles) return;
        if (d.kinds & kCgroupSubsystem) {
            PluginObject<CgroupSubsystem> s(d.create_cgroup_subsystem(), d.destroy_cgroup_subsystem, p.library);
            if (!s.get())
                throw Error(p.path +
                            ": create_cgroup_subsystem returned null (its constructor failed or memory ran out)");
            info.cgroup_controllers.push_back(s->controller());
            if (std::string(s->v1_controller()) != s->controller())
                info.cgroup_controllers.push_back(std::string(s->v1_controller()) + " (v1)");
        }
        if (d.kinds & kMountHandler) {
            PluginObject<MountHandler> h(d.create_mount_handler(), d.destroy_mount_handler, p.library);
            if (!h.get())
                throw Error(p.path + ": create_mount_handler returned null (its constructor failed or memory ran out)");
            info.mount_types = h->types();
            if (d.abi_minor >= 2) info.mount_options = h->options();
        }
        if (d.kinds & kCheckpointer) {
            PluginObject<CheckpointEngine> c(d.create_checkpoint_engine(), d.destroy_checkpoint_engine, p.library);
            if (!c.get())
                throw Error(p.path +
                            ": create_checkpoint_engine returned null (its constructor failed or memory ran out)");
            // Whether its tool can run here is not the plugin's error: it
            // loads, and checkpoint says what is missing.
            std::string what;
            const Status st = c->describe(&what);
            info.checkpoint_engine = st.ok() ? what : "unavailable: " + st.message;
        }
    } catch (const Error& e) {
        info.error = e.what();
    }
}

std::vector<PluginInfo> list_plugins(const PluginConfig& cfg) {
    std::vector<PluginInfo> out;
    for (const PluginEntry& e : cfg.plugins) {
        PluginInfo info;
        info.name = e.name;
        info.enabled = e.enabled;
        info.in_config = true;
        try {
            info.file = find_plugin_file(e, cfg);
            describe(info, false, cfg.trusted_owners);
        } catch (const Error& err) {
            info.file = e.file;
            info.error = err.what();
        }
        out.push_back(std::move(info));
    }
    return out;
}

PluginInfo inspect_plugin(const PluginConfig& cfg, const std::string& name_or_file) {
    PluginInfo info;
    for (const PluginEntry& e : cfg.plugins) {
        if (e.name != name_or_file) continue;
        info.name = e.name;
        info.enabled = e.enabled;
        info.in_config = true;
        info.file = find_plugin_file(e, cfg);
    }
    if (!info.in_config) {
        if (name_or_file.find('/') == std::string::npos)
            throw Error("plugins inspect: no plugin \"" + name_or_file + "\" in " + cfg.source +
                        " (give a name from it or a path to a file)");
        info.file = name_or_file;
    }
    describe(info, true, cfg.trusted_owners);
    return info;
}

nlohmann::json to_json(const PluginInfo& i) {
    nlohmann::json j = {{"name", i.name},
                        {"file", i.file},
                        {"enabled", i.enabled},
                        {"in_config", i.in_config},
                        {"version", i.version},
                        {"abi", std::to_string(i.abi_major) + "." + std::to_string(i.abi_minor)},
                        {"kinds", i.kinds},
                        {"license", i.license},
                        {"description", i.description}};
    if (!i.cgroup_controllers.empty()) j["cgroup_controllers"] = i.cgroup_controllers;
    if (!i.mount_types.empty()) j["mount_types"] = i.mount_types;
    if (!i.mount_options.empty()) j["mount_options"] = i.mount_options;
    if (!i.checkpoint_engine.empty()) j["checkpoint_engine"] = i.checkpoint_engine;
    if (!i.error.empty()) j["error"] = i.error;
    return j;
}

}  // namespace berth
