// A new container's first state.json, as create and restore save it before
// anything else exists (so that `delete --force` can clean up after a crash).
#pragma once

#include <string>

#include "plugins/registry.hpp"
#include "spec/spec.hpp"
#include "state/state_store.hpp"

namespace berth {

// "creating", with the config's hooks for later verbs, its resources and the
// active plugins (never a checkpoint engine: update and events do not load
// one). The annotations are moved out of `s` (they may be huge). The caller
// sets the cgroup.
ContainerState initial_state(const std::string& id, const std::string& bundle, const std::string& rootfs, spec::Spec& s,
                             const PluginRegistry& plugins);

}  // namespace berth
