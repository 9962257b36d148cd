// The cgroup-devices plugin's descriptor: the only symbol the library exports.
// It takes no settings: any key is refused, naming it.
#include "berth/plugin_export.hpp"
#include "devices_subsystem.hpp"

BERTH_CGROUP_PLUGIN(berth::plugins::devices::DevicesSubsystem, "cgroup-devices", "0.1.0", "Apache-2.0",
                    "Enforces the device allowlist (devices controller on cgroup v1, an eBPF device program on v2).")
