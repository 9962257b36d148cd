// The container lifecycle verbs, as a library: the CLI is a thin layer over
// these. Every function throws berth::Error with a one-line message.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "process/exec_process.hpp"

namespace berth {

struct RuntimeContext {
    std::string root = "/run/berth";  // --root
    std::string plugin_config;        // --plugin-config ("" → env or default)
    bool systemd_cgroup = false;      // --systemd-cgroup (docs/systemd-driver.md)
    // Not the initial user namespace's root (core/rootless): state under
    // $XDG_RUNTIME_DIR, cgroups only where delegated, devices bound.
    bool rootless = false;
    std::string plugin_index = "/run/berth-plugin-index.json";
};

struct CreateOptions {
    std::string id;
    std::string bundle = ".";
    std::string pid_file;
    std::string console_socket;
    // run's own relay: a connected socket to send the pty master on, used
    // when process.terminal is set and there is no console_socket.
    int console_fd = -1;
    bool no_pivot = false;
    bool no_new_keyring = false;
    int preserve_fds = 0;
    std::vector<std::string> plugins;  // --plugins: the active set ("" → the config's enabled ones)
};

// Creates the container and returns init's pid; init waits for start.
pid_t create_container(const RuntimeContext& ctx, const CreateOptions& opts);
void start_container(const RuntimeContext& ctx, const std::string& id);
nlohmann::json container_state(const RuntimeContext& ctx, const std::string& id);
void kill_container(const RuntimeContext& ctx, const std::string& id, int signal, bool all);
void delete_container(const RuntimeContext& ctx, const std::string& id, bool force);
std::vector<nlohmann::json> list_containers(const RuntimeContext& ctx);
// Every process of the container, from its cgroup (containerd's `ps`).
std::vector<pid_t> container_pids(const RuntimeContext& ctx, const std::string& id);

// pause/resume: freeze and thaw the container's cgroup (pause.cpp).
void pause_container(const RuntimeContext& ctx, const std::string& id);
void resume_container(const RuntimeContext& ctx, const std::string& id);
// update: merge a linux.resources patch into the container's resources,
// validate, apply through the plugins active at create (update.cpp).
void update_container(const RuntimeContext& ctx, const std::string& id, const nlohmann::json& patch);

// Waits for a container's init, a child of ours (create or restore made it),
// passing our signals on through `init_fd` (its pidfd) or, with a terminal,
// relaying `master` (-1: none) to our stdio. Returns its exit status (128+N
// when killed by signal N).
int wait_container_init(pid_t pid, int init_fd, int master);

// create + start; unless detached, waits and returns the exit status
// (128+N when killed by signal N) and deletes the container, unless `keep`
// (run --keep: it stays, stopped, for state, events or delete). A failure to
// create or start deletes it whatever `keep` says: errors leave nothing.
int run_container(const RuntimeContext& ctx, const CreateOptions& opts, bool detach, bool keep = false);

struct ExecOptions {
    std::string id;
    std::string process_file;  // --process: an OCI process object; the flags below are then ignored
    ExecFlags flags;
    std::string console_socket;
    std::string pid_file;
    bool detach = false;
    int preserve_fds = 0;
    bool ignore_paused = false;
    std::vector<std::string> sub_cgroups;  // --cgroup [CONTROLLER,...:]PATH (with_sub_cgroups)
};

// Runs a process in the container's namespaces and cgroup (`exec`). Unless
// detached, waits and returns its exit status (128+N when killed by signal N).
int exec_container(const RuntimeContext& ctx, const ExecOptions& opts);

// "TERM", "SIGTERM" or "15" → 15; throws naming the signal.
int parse_signal(const std::string& s);
// The names parse_signal knows, without "SIG" (HUP, INT, ...), sorted.
std::vector<std::string> signal_names();

}  // namespace berth
