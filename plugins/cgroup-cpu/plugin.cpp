// The cgroup-cpu plugin's descriptor: the only symbol the library exports.
// It takes no settings: any key is refused, naming it.
#include "berth/plugin_export.hpp"
#include "cpu_subsystem.hpp"

BERTH_CGROUP_PLUGIN(berth::plugins::cpu::CpuSubsystem, "cgroup-cpu", "0.1.0", "Apache-2.0",
                    "CPU shares, CFS quota and period for a container (cpu controller, cgroup v1 and v2).")
