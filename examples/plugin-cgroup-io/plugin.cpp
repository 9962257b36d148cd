// The cgroup-io plugin's descriptor: the only symbol the library exports.
#include <cerrno>
#include <new>
#include <string>

#include "berth/plugin.hpp"
#include "io_subsystem.hpp"

namespace {

// Set by configure(), which the host calls once, before any create.
bool g_strict = false;

// Settings come from plugins.yaml, every scalar as a string:
//   settings: {strict: "true"}
berth::Status configure(const berth::PluginSettings& settings) noexcept {
    try {
        bool strict = false;
        std::string unknown;
        for (const auto& [key, value] : settings) {
            if (key == "strict") {
                if (value != "true" && value != "false")
                    return berth::Status::Error(EINVAL, "cgroup-io: setting \"strict\" must be \"true\" or \"false\", not \"" + value + "\"");
                strict = value == "true";
            } else {
                unknown += (unknown.empty() ? "\"" : ", \"") + key + "\"";
            }
        }
        if (!unknown.empty())
            return berth::Status::Error(EINVAL, "cgroup-io: unknown setting(s) " + unknown + " (known: strict)");
        g_strict = strict;
        return berth::Status::Ok();
    } catch (...) {
        return berth::Status{ENOMEM, {}};
    }
}

// Allocated and freed here so the object never crosses allocators, and its
// vtable stays in this library (which the host keeps loaded meanwhile).
berth::CgroupSubsystem* create_subsystem() noexcept { return new (std::nothrow) berth_example::io::IoSubsystem(g_strict); }

void destroy_subsystem(berth::CgroupSubsystem* subsystem) noexcept { delete subsystem; }

berth::PluginDescriptor descriptor = {
    BERTH_PLUGIN_ABI,  // abi_major, abi_minor: the SDK headers this was built with
    "cgroup-io",       // the name plugins.yaml must use
    "0.1.0",
    berth::kCgroupSubsystem,
    "Apache-2.0",
    "Block I/O weight and throttling for a container (io controller on cgroup v2; blkio on v1, see README).",
    &configure,
    &create_subsystem,
    &destroy_subsystem,
    nullptr,  // no mount handler
    nullptr,
};

}  // namespace

BERTH_PLUGIN(descriptor)
