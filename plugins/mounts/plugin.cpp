// The "mounts" plugin's descriptor: bind, pseudo-filesystem and cgroup mounts
// through one dispatching MountHandler (a descriptor has one create_mount_handler).
// It takes no settings: any key is refused, naming it.
#include "berth/plugin_export.hpp"
#include "handlers.hpp"

BERTH_MOUNT_PLUGIN(berth::mounts::MountsHandler, "mounts", "0.1.0", "Apache-2.0",
                   "bind/rbind, proc, sysfs, tmpfs, devpts, mqueue, overlay and cgroup mounts with the new mount API")
