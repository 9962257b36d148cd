// `features`: the runtime-spec features document (features.md), built from
// the tables the code itself uses (namespace, capability, seccomp and hook
// tables; the plugins' controllers, mount types and mount options are passed
// in: a mount option means what the handler serving the mount makes of it),
// so that it cannot drift from what berth accepts.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "plugins/plugin_info.hpp"

namespace berth {

// What the core library does not know by itself.
struct FeaturesInputs {
    std::string oci_version_max;                     // the spec version berth implements
    std::vector<PluginInfo> plugins;                 // `plugins list`: only enabled, loadable ones count
    std::map<std::string, std::string> annotations;  // more annotations (version, commit)
};

// Keys under "annotations" that berth adds (comma-separated, sorted).
inline constexpr const char* kControllersAnnotation = "org.berth.plugins.cgroup.controllers";
inline constexpr const char* kMountTypesAnnotation = "org.berth.plugins.mount.types";
// The enabled checkpoint plugin and its engine: "checkpoint-criu: criu 3.17.1"
// ("" when none; `berth checkpoint` and `restore` need one).
inline constexpr const char* kCheckpointAnnotation = "org.berth.plugins.checkpoint";

// The capability names capability_number() accepts ("CAP_CHOWN", ...), by number.
std::vector<std::string> known_capability_names();

nlohmann::ordered_json features_document(const FeaturesInputs& in);

}  // namespace berth
