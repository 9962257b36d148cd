// The cgroup-misc plugin's descriptor: the only symbol the library exports.
// It takes no settings: any key is refused, naming it.
#include "berth/plugin_export.hpp"
#include "misc_subsystem.hpp"

BERTH_CGROUP_PLUGIN(
    berth::plugins::misc::MiscSubsystem, "cgroup-misc", "0.1.0", "Apache-2.0",
    "Owns the misc controller (cgroup v2): linux.resources.unified[\"misc.max\"] and misc.current stats.")
