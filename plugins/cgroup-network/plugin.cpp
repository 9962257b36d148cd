// The cgroup-network plugin's descriptor: the only symbol the library exports.
// It takes no settings: any key is refused, naming it.
#include "berth/plugin_export.hpp"
#include "network_subsystem.hpp"

BERTH_CGROUP_PLUGIN(berth::plugins::network::NetworkSubsystem, "cgroup-network", "0.1.0", "Apache-2.0",
                    "Tags a container's packets with a class id and sets per-interface priorities (net_cls and "
                    "net_prio, cgroup v1 only; v2 has neither and is refused).")
