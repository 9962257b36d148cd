// The cgroup-io plugin's descriptor: the only symbol the library exports.
// It takes no settings: any key is refused, naming it.
#include "berth/plugin_export.hpp"
#include "io_subsystem.hpp"

BERTH_CGROUP_PLUGIN(berth::plugins::io::IoSubsystem, "cgroup-io", "0.1.0", "Apache-2.0",
                    "Block I/O weights and throttles for a container (io controller, blkio on v1; cgroup v1 and v2).")
