// A helper of ours inside a running container: exec's process and the
// startContainer hooks both need one, set up the same way.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "process/child_guard.hpp"
#include "util/unique_fd.hpp"

namespace berth {

struct CgroupPaths;
struct ProcessNamespaces;

struct ContainerHelper {
    ChildGuard child;  // killed and reaped unless the caller reaps or releases it
    UniqueFd channel;  // berth's end of the socket pair
    pid_t pid;
};

// Forks a helper born in the container's pid and time namespaces (the
// others it joins itself, in `body`) and places it in the container's
// cgroup. berth becomes non-dumpable first and the helper inherits that:
// while it still runs the host's binary inside the container's namespaces,
// no process there may open its /proc/<pid>/exe, mem or fds. `body` runs in
// the helper with its end of the socket pair and must not return.
// `on_stopped` is the error when the container's pid namespace has no init
// left (fork fails with ENOMEM); `what` names the helper in other errors.
ContainerHelper fork_in_container(const ProcessNamespaces& ns, const CgroupPaths& cgroup, const char* on_stopped,
                                  const std::string& what, const std::function<void(int channel)>& body);

}  // namespace berth
