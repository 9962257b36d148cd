// OCI hooks: run with the container's state JSON on stdin. Who runs them:
// prestart, createRuntime (create, on the host), createContainer (init,
// after the mounts and before pivot_root), startContainer (start, through a
// helper in the container's namespaces and cgroup), poststart (start) and
// poststop (delete), on the host.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spec/spec.hpp"

namespace berth {

// The hook kinds berth runs, in the order of a container's life; `features`
// lists exactly these.
const std::vector<std::string>& supported_hook_kinds();

// Runs hooks in order; the first that fails (non-zero exit, signal or
// timeout) throws an error naming the phase and the hook's path. In the
// container (createContainer, startContainer), `exec_stub` is the sealed
// memfd of the exec stub, through which each hook is exec'd: its
// /proc/<pid>/exe, and an "#!/proc/self/exe" in a script at the hook's path,
// then reach the memfd, never the host's berth binary (CVE-2019-5736).
void run_hooks(const std::vector<spec::Hook>& hooks, const std::string& phase, const std::string& state_json,
               int exec_stub = -1);

// For poststart and poststop, whose failures the spec has logged, not fatal:
// runs every hook, and returns the failures' messages in order.
std::vector<std::string> run_all_hooks(const std::vector<spec::Hook>& hooks, const std::string& phase,
                                       const std::string& state_json);

// Hooks kept in state.json for the verbs that run them later (start, delete).
nlohmann::json hooks_to_json(const std::vector<spec::Hook>& hooks);
// `field` names the list in errors ("poststop").
std::vector<spec::Hook> hooks_from_json(const nlohmann::json& list, const std::string& field);

}  // namespace berth
