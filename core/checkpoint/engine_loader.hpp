// The plugins checkpoint and restore load: the checkpoint engine, and for a
// restore the cgroup plugins its resources need.
#pragma once

#include <string>
#include <vector>

#include "container/container.hpp"
#include "plugins/registry.hpp"

namespace berth {

// Throws, naming the plugin config, when no enabled plugin is a checkpoint engine.
PluginRegistry load_checkpoint_plugins(const RuntimeContext& ctx, const std::vector<std::string>& only,
                                       const PluginDemand& demand, const char* verb);

}  // namespace berth
