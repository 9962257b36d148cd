// The container's init: the child of clone, already in its new namespaces.
// It reads the spec from fd 3, builds the container around itself and execs
// the exec stub; it never returns. Failures go back over fd 3 as a
// structured error, so that `create` reports init's own message.
#pragma once

namespace berth {

class PluginRegistry;

struct InitFds {
    int channel = -1;       // our end of the fd-3 socketpair
    int exec_stub = -1;     // sealed memfd of the exec stub
    int console = -1;       // connected --console-socket, or -1
    int preserve_fds = 0;   // fds 3..3+N-1 of the caller go to the process
};

[[noreturn]] void run_container_init(const InitFds& fds, const PluginRegistry& plugins);

}  // namespace berth
