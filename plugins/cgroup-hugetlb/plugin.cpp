// The cgroup-hugetlb plugin's descriptor: the only symbol the library exports.
#include <cerrno>
#include <new>

#include "berth/plugin.hpp"
#include "hugetlb_subsystem.hpp"

namespace {

berth::Status configure(const berth::PluginSettings& settings) noexcept {
    if (settings.empty()) return berth::Status::Ok();
    try {
        return berth::Status::Error(EINVAL, "cgroup-hugetlb: unknown setting \"" + settings.begin()->first + "\"");
    } catch (...) {
        return berth::Status{ENOMEM, {}};
    }
}

// Allocated and freed here so the object never crosses allocators.
berth::CgroupSubsystem* create_subsystem() noexcept { return new (std::nothrow) berth::plugins::hugetlb::HugetlbSubsystem(); }

void destroy_subsystem(berth::CgroupSubsystem* subsystem) noexcept { delete subsystem; }

berth::PluginDescriptor descriptor = {
    BERTH_PLUGIN_ABI,
    "cgroup-hugetlb",
    "0.1.0",
    berth::kCgroupSubsystem,
    "Apache-2.0",
    "Limits a container's huge pages per page size (hugetlb controller, cgroup v1 and v2).",
    &configure,
    &create_subsystem,
    &destroy_subsystem,
    nullptr,
    nullptr,
};

}  // namespace

BERTH_PLUGIN(descriptor)
