// The cgroup-rdma plugin's descriptor: the only symbol the library exports.
// It takes no settings: any key is refused, naming it.
#include "berth/plugin_export.hpp"
#include "rdma_subsystem.hpp"

BERTH_CGROUP_PLUGIN(berth::plugins::rdma::RdmaSubsystem, "cgroup-rdma", "0.1.0", "Apache-2.0",
                    "Limits a container's RDMA handles and objects per device (rdma controller, cgroup v1 and v2).")
