// `checkpoint` and `restore`: the container side of CRIU (which mounts are
// external, which cgroup the processes go to, hooks, the console, state.json)
// around the checkpoint plugin that drives the tool (docs/checkpoint.md).
#pragma once

#include <string>
#include <vector>

#include "berth/checkpoint_engine.hpp"
#include "container/container.hpp"

namespace berth {

// Saves the running (or paused) container `id` into opts.image_dir. Unless
// leave_running or pre_dump, the container is then deleted, as runc does:
// its processes are gone and a restore may take its id.
void checkpoint_container(const RuntimeContext& ctx, const std::string& id, const CheckpointOptions& opts);

struct RestoreOptions {
    std::string id;
    std::string bundle = ".";
    std::string pid_file;
    std::string console_socket;
    bool detach = false;
    bool no_pivot = false;      // accepted as runc does: CRIU sets up the root itself
    bool no_subreaper = false;  // foreground: do not become the subreaper of the restored processes
    std::vector<std::string> plugins;
    CheckpointOptions criu;
};

// Restores a container from opts.criu.image_dir with the bundle's config.
// Detached: returns 0 once it runs. Otherwise waits, returns its exit status
// (128+N when killed by signal N) and deletes it, as `run` does.
int restore_container(const RuntimeContext& ctx, const RestoreOptions& opts);

// The file in the image directory naming what the container's fds 0-2 were
// at dump ("pipe:[123]", "/dev/null"): a restore hands its own stdio in place
// of the pipes, as runc's descriptors.json does.
inline constexpr const char* kDescriptorsFile = "descriptors.json";

}  // namespace berth
