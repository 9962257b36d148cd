// The process `exec` runs: the container's config.json process with the
// command line's overrides, as runc 1.1 builds it. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spec/spec.hpp"

namespace berth {

// `exec` flags that change the process (without --process).
struct ExecFlags {
    std::vector<std::string> args;             // CMD ARGS
    bool tty = false;                          // --tty (off unless given, as runc)
    std::string cwd;                           // --cwd ("" → the config's)
    std::vector<std::string> env;              // --env, appended; later ones win
    std::string user;                          // --user UID[:GID] ("" → the config's)
    std::vector<std::string> additional_gids;  // --additional-gids, appended
    std::vector<std::string> caps;             // --cap, added to bounding, effective, permitted, ambient
    std::optional<bool> no_new_privs;          // --no-new-privs
    std::string apparmor;                      // --apparmor ("" → the config's)
    std::string process_label;                 // --process-label ("" → the config's)
};

// "1000" → {1000, nullopt}; "1000:100" → {1000, 100}. Throws naming --user.
std::pair<uint32_t, std::optional<uint32_t>> parse_exec_user(const std::string& s);

// KEY=VALUE entries with later duplicates replacing earlier ones in place,
// as runc's setenv-based environment does. Throws naming `what` for an entry
// without '=' or with an empty name.
std::vector<std::string> merge_env(const std::vector<std::string>& env, const std::string& what);

// The config's process with the flags applied; throws naming the flag.
// What is ignored rather than refused (an unknown --cap, as runc and crun
// do) is said in `warnings`, for the caller's log.
spec::Process process_for_exec(const spec::Process& config_process, const ExecFlags& f,
                               std::vector<std::string>* warnings = nullptr);

}  // namespace berth
