// OCI hooks: run on the host with the container's state JSON on stdin.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spec/spec.hpp"

namespace berth {

// The hook kinds berth runs, in the order of a container's life; `features`
// lists exactly these. createContainer and startContainer are refused by
// create (not run yet).
const std::vector<std::string>& supported_hook_kinds();

// Runs hooks in order; the first that fails (non-zero exit, signal or
// timeout) throws an error naming the phase and the hook's path.
void run_hooks(const std::vector<spec::Hook>& hooks, const std::string& phase, const std::string& state_json);

// Hooks kept in state.json for the verbs that run them later (start, delete).
nlohmann::json hooks_to_json(const std::vector<spec::Hook>& hooks);
// `field` names the list in errors ("poststop").
std::vector<spec::Hook> hooks_from_json(const nlohmann::json& list, const std::string& field);

}  // namespace berth
