// The cgroup-cpuset plugin's descriptor: the only symbol the library exports.
// It takes no settings: any key is refused, naming it.
#include "berth/plugin_export.hpp"
#include "cpuset_subsystem.hpp"

BERTH_CGROUP_PLUGIN(berth::plugins::cpuset::CpusetSubsystem, "cgroup-cpuset", "0.1.0", "Apache-2.0",
                    "Pins a container to CPUs and memory nodes (cpuset controller, cgroup v1 and v2).")
