// A helper of ours inside a running container: exec's process and the
// startContainer hooks both need one, set up the same way.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

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

// Starts a helper inside the container in two steps, so that nothing of the
// host ever shows in the container's pid namespace:
//  1. A first child, in berth's pid namespace (invisible from the container),
//     forgets the caller's environment, closes every fd but `keep` and the
//     channel, waits until berth has placed it in the container's cgroup,
//     joins all of init's namespaces (pid and time for its children), forks
//     the helper, reports the helper's pid and exits.
//  2. berth, a child subreaper, adopts the helper and returns it: born in
//     every namespace of the container and in its cgroup, with no host fd
//     and no host environment, and non-dumpable (berth makes itself so
//     first; the flag is inherited with the memory), so no process of the
//     container can open its /proc/<pid>/exe, mem or fds.
// `body` runs in the helper with its end of the socket pair and must not
// return; its first message from berth ("go") comes when the helper is
// berth's child (set PR_SET_PDEATHSIG then, not before). `on_stopped` is the
// error when the container's pid namespace has no init left (fork fails with
// ENOMEM); `what` names the helper in other errors.
ContainerHelper fork_in_container(const ProcessNamespaces& ns, const CgroupPaths& cgroup, const char* on_stopped,
                                  const std::string& what, const std::vector<int>& keep,
                                  const std::function<void(int channel)>& body);

}  // namespace berth
