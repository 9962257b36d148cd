// The cgroup-pids plugin's descriptor: the only symbol the library exports.
// It takes no settings: any key is refused, naming it.
#include "berth/plugin_export.hpp"
#include "pids_subsystem.hpp"

BERTH_CGROUP_PLUGIN(berth::plugins::pids::PidsSubsystem, "cgroup-pids", "0.1.0", "Apache-2.0",
                    "Limits the number of tasks in a container (pids controller, cgroup v1 and v2).")
