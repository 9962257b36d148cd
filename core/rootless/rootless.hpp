// Running berth without root: as a normal user, or as root of a user
// namespace that is not the initial one (inside rootless podman). runc's
// rules, with its two notions kept apart:
//  - rootless (cgroups and paths): not the initial user namespace's root.
//    State under $XDG_RUNTIME_DIR, cgroups only where delegated, devices
//    bound from the host (no mknod);
//  - rootless euid: not root at all. The config must then ask for a user
//    namespace, whose mappings the user may only make for ids /etc/subuid
//    gives them (newuidmap, newgidmap).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "spec/spec.hpp"

namespace berth::rootless {

// Whether this process is in the initial user namespace (its uid_map maps
// every id to itself).
bool in_initial_user_namespace();

// --rootless auto|true|false (runc's): auto is rootless when not root, or
// when root in a user namespace that is not the initial one. Throws naming
// --rootless for any other value.
bool decide(const std::string& flag);

// --root's default: $XDG_RUNTIME_DIR/berth when rootless (runc's rule; an
// error naming XDG_RUNTIME_DIR when it is not set), /run/berth otherwise.
std::string default_state_root(bool rootless);

// The plugin index file: /run/berth-plugin-index.json, or
// $XDG_RUNTIME_DIR/berth-plugin-index.json when rootless.
std::string plugin_index_path(bool rootless);

// A user's own plugin config when rootless and it exists:
// $XDG_CONFIG_HOME/berth/plugins.yaml (~/.config when unset); "" otherwise.
std::string user_plugin_config(bool rootless);

// Writes /proc/PID/uid_map and gid_map for a rootless caller: directly when
// the mappings are one id each, the caller's own (the kernel allows that
// after "deny" in setgroups); else through newuidmap/newgidmap, which check
// /etc/subuid and /etc/subgid. Errors name the mapping the user may not make.
void write_id_maps(pid_t pid, const std::vector<spec::IdMapping>& uids, const std::vector<spec::IdMapping>& gids);

}  // namespace berth::rootless
