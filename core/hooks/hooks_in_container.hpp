// Hooks that run inside a created container: startContainer, which `start`
// runs before it lets the process go.
#pragma once

#include <string>
#include <vector>

#include "spec/spec.hpp"
#include "state/state_store.hpp"

namespace berth {

// Runs `hooks` in order, with `state_json` on stdin, from a helper that
// berth forks into every namespace of the container's init and places in its
// cgroup (as `exec` places its process): the path resolves in the container's
// root, as the spec asks. The helper is root in the container (in its user
// namespace when it has one) with berth's capabilities, and no seccomp
// filter. The first hook that fails throws an error naming the phase and the
// hook's path; the ones after it do not run.
void run_hooks_in_container(const ContainerState& st, const std::vector<spec::Hook>& hooks, const std::string& phase,
                            const std::string& state_json);

}  // namespace berth
