// The cgroup-hugetlb plugin's descriptor: the only symbol the library exports.
// It takes no settings: any key is refused, naming it.
#include "berth/plugin_export.hpp"
#include "hugetlb_subsystem.hpp"

BERTH_CGROUP_PLUGIN(berth::plugins::hugetlb::HugetlbSubsystem, "cgroup-hugetlb", "0.1.0", "Apache-2.0",
                    "Limits a container's huge pages per page size (hugetlb controller, cgroup v1 and v2).")
