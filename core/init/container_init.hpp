// The container's init: the child of clone, already in its new namespaces.
// It waits for create's go on fd 3, builds the container around itself and execs
// the exec stub; it never returns. Failures go back over fd 3 as a
// structured error, so that `create` reports init's own message.
#pragma once

#include <string>
#include <vector>

namespace berth {

class PluginRegistry;
class HostMountSources;
namespace spec {
struct Spec;
}

struct InitFds {
    int channel = -1;      // our end of the fd-3 socketpair
    int exec_stub = -1;    // sealed memfd of the exec stub
    int console = -1;      // connected --console-socket, or -1
    int fifo = -1;         // exec.fifo, opened read-write by create (the stub waits on it for start)
    int preserve_fds = 0;  // fds 3..3+N-1 of the caller go to the process
    const HostMountSources* mount_sources = nullptr;  // bind sources create opened (inherited fds)
    // v1 `tasks` files init writes itself into before anything else, then
    // says "joined" (create.cpp says why); empty: create places init.
    const std::vector<std::string>* join_v1_tasks = nullptr;
    // Create (not root) writes init's uid_map and gid_map itself: decided
    // before clone, since init's own euid turns 0 once the uid_map is written.
    bool maps_by_user = false;
};

// `s` is create's parsed spec, which init has as a clone of create (the
// config text is never sent over the channel).
[[noreturn]] void run_container_init(const InitFds& fds, const PluginRegistry& plugins, const spec::Spec& s);

}  // namespace berth
