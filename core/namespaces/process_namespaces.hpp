// The namespaces of a running process (a container's init), for joining it:
// `exec`. Held open from a pidfd checked against the process's start time, so
// a pid recycled since the state was read can never be joined by mistake.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "util/unique_fd.hpp"

namespace berth {

struct ProcessNamespaces {
    UniqueFd pidfd;
    // CLONE_NEW* of every namespace of the process that is not the caller's
    // own (joining one's own user namespace is an error, the others no-ops).
    int flags = 0;
    // The same namespaces as /proc/<pid>/ns/* fds, user first: the fallback
    // for kernels without setns on a pidfd (before 5.8).
    std::vector<std::pair<int, UniqueFd>> fds;
    // When the process shares the caller's mount namespace (a container
    // without one of its own, whose init chroot'ed into the rootfs): its
    // root directory, which joining the namespaces does not give. Invalid
    // otherwise.
    UniqueFd root;
};

// Throws "container not running"-style errors when the process is gone or is
// not the one that started at start_time.
ProcessNamespaces open_process_namespaces(pid_t pid, uint64_t start_time);

// Joins those of ns.flags that are in `which`: one setns on the pidfd (the
// kernel joins the user namespace first and the rest atomically), else one
// by one, user first. pid and time namespaces apply to children only.
void join_process_namespaces(const ProcessNamespaces& ns, int which);

}  // namespace berth
