// OCI hooks: run on the host with the container's state JSON on stdin.
#pragma once

#include <string>
#include <vector>

#include "spec/spec.hpp"

namespace berth {

// Runs hooks in order; the first that fails (non-zero exit, signal or
// timeout) throws an error naming the phase and the hook's path.
void run_hooks(const std::vector<spec::Hook>& hooks, const std::string& phase, const std::string& state_json);

}  // namespace berth
