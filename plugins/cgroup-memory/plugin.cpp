// The cgroup-memory plugin's descriptor: the only symbol the library exports.
// It takes no settings: any key is refused, naming it.
#include "berth/plugin_export.hpp"
#include "memory_subsystem.hpp"

BERTH_CGROUP_PLUGIN(
    berth::plugins::memory::MemorySubsystem, "cgroup-memory", "0.1.0", "Apache-2.0",
    "Memory limit, reservation, swap and swappiness for a container (memory controller, cgroup v1 and v2).")
