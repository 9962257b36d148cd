// Loads the plugins named by the plugin config, once, before clone: the init
// process inherits them and calls mount handlers inside the new mount
// namespace without loading anything there.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "berth/plugin.hpp"
#include "plugins/plugin_config.hpp"
#include "plugins/plugin_demand.hpp"

namespace boost::dll {
class shared_library;
}

namespace berth {

// An object created by a plugin. It keeps the plugin's library loaded for as
// long as it lives and is destroyed by the plugin's own destroy function.
template <typename T>
class PluginObject {
public:
    PluginObject(T* obj, void (*destroy)(T*), std::shared_ptr<boost::dll::shared_library> lib)
        : obj_(obj), destroy_(destroy), lib_(std::move(lib)) {}
    PluginObject(PluginObject&& o) noexcept
        : obj_(std::exchange(o.obj_, nullptr)), destroy_(o.destroy_), lib_(std::move(o.lib_)) {}
    PluginObject(const PluginObject&) = delete;
    PluginObject& operator=(const PluginObject&) = delete;
    PluginObject& operator=(PluginObject&&) = delete;
    ~PluginObject() {
        if (obj_) destroy_(obj_);
        // lib_ is released after this body: the code of destroy_ was still mapped.
    }
    T* get() const { return obj_; }
    T* operator->() const { return obj_; }

private:
    T* obj_;
    void (*destroy_)(T*);
    std::shared_ptr<boost::dll::shared_library> lib_;
};

struct LoadedPlugin {
    std::string name;
    std::string path;  // resolved, checked file
    // Both null for a plugin that was active but not needed (PluginLoadOptions).
    const PluginDescriptor* descriptor = nullptr;
    std::shared_ptr<boost::dll::shared_library> library;
};

// Loading only what a container needs. A plugin file's controller and kinds
// are known only once it is loaded, so they are kept in `index_path` (a JSON
// file, kPluginIndexPath, outside every state root: clients such as
// containerd and podman expect --root to hold containers only), keyed by the file's canonical path and
// identity (device, inode, size, mtime, ctime) and the settings it was
// configured with: a changed file or setting is loaded again. A plugin the
// demand does not need, and whose record is current, is not loaded: it stays
// active (in plugins(), so state.json records it for update and events) and
// its controller is still planned (an inert subsystem that wants nothing),
// so the container's cgroups are the same as with every plugin loaded.
inline constexpr const char* kPluginIndexPath = "/run/berth-plugin-index.json";

struct PluginLoadOptions {
    const PluginDemand* demand = nullptr;  // null: load every selected plugin
    std::string index_path;
    // Load the checkpoint engine (the checkpoint and restore verbs). Without
    // it a plugin that is only a checkpoint engine is skipped: not configured,
    // not in plugins().
    bool checkpointer = false;
};

// Opens a plugin file after the ownership checks, and reads its descriptor
// without calling into the plugin. Throws berth::Error naming the file.
LoadedPlugin open_plugin(const std::string& path, const std::vector<uid_t>& trusted_owners = {0});

// Refuses a file or directory that is not owned by one of `trusted_owners`
// (root; PluginConfig says who else) or that group or others may write: the
// runtime runs as root and would run its code. Returns the resolved path
// that was checked.
std::string check_trusted_path(const std::string& path, const std::vector<uid_t>& trusted_owners = {0});

// Where a config entry's file is: absolute, or the first match in
// $BERTH_PLUGIN_PATH (colon-separated), then the config's plugin_dirs.
std::string find_plugin_file(const PluginEntry& e, const PluginConfig& cfg);

class PluginRegistry {
public:
    // Loads, checks and configures every enabled plugin of the config, or,
    // when `only` is not empty, exactly the plugins it names (enabled or not).
    static PluginRegistry load(const PluginConfig& cfg, const std::vector<std::string>& only = {},
                               const PluginLoadOptions& options = {});

    const std::vector<LoadedPlugin>& plugins() const { return plugins_; }
    std::vector<CgroupSubsystem*> cgroup_subsystems() const;
    // The handler for a mount type and the plugin that provides it; null when none.
    MountHandler* mount_handler(const std::string& type) const;
    // The ABI minor the plugin serving `type` was built against (0 when none):
    // what the host may hand that handler (include/berth/abi.hpp).
    uint32_t mount_handler_abi_minor(const std::string& type) const;
    // The checkpoint engine (PluginLoadOptions::checkpointer) and its
    // plugin's name; null and "" when no selected plugin is one.
    CheckpointEngine* checkpoint_engine() const;
    const std::string& checkpoint_plugin() const { return engine_plugin_; }

private:
    std::vector<LoadedPlugin> plugins_;
    std::vector<PluginObject<CgroupSubsystem>> subsystems_;
    std::vector<PluginObject<MountHandler>> handlers_;
    std::vector<PluginObject<CheckpointEngine>> engines_;
    std::string engine_plugin_;
    std::map<std::string, MountHandler*> by_type_;
    std::map<std::string, uint32_t> minor_by_type_;
};

}  // namespace berth
