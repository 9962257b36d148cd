// The "mounts" plugin: bind, pseudo-filesystem and cgroup mounts through one
// dispatching MountHandler (a descriptor has one create_mount_handler).
#include <new>
#include <string>

#include "berth/plugin.hpp"
#include "handlers.hpp"

namespace {

berth::Status configure(const berth::PluginSettings& settings) {
    // No settings yet; a key is more likely a typo than something to ignore.
    for (const auto& [key, value] : settings) {
        (void)value;
        return berth::Status::Error(EINVAL, "mounts: unknown setting \"" + key + "\"");
    }
    return berth::Status::Ok();
}

berth::MountHandler* create_mount_handler() { return new (std::nothrow) berth::mounts::MountsHandler(); }

void destroy_mount_handler(berth::MountHandler* handler) { delete handler; }

}  // namespace

static berth::PluginDescriptor descriptor = {
    BERTH_PLUGIN_ABI,
    "mounts",
    "0.1.0",
    berth::kMountHandler,
    "Apache-2.0",
    "bind/rbind, proc, sysfs, tmpfs, devpts, mqueue, overlay and cgroup mounts with the new mount API",
    &configure,
    nullptr,
    nullptr,
    &create_mount_handler,
    &destroy_mount_handler,
};

BERTH_PLUGIN(descriptor)
