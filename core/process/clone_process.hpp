// clone(2) with fork semantics, into a cgroup v2 directory where it can.
#pragma once

#include <sys/types.h>

namespace berth {

// Fork semantics (no new stack): the child continues here with a copy of
// our memory, loaded plugins included. The caller must be single-threaded.
// With a v2 cgroup fd, clone3 starts the child in it (CLONE_INTO_CGROUP):
// no cgroup.procs write later, and so no migration, whose first write paid
// an RCU grace period (cgroup_threadgroup_rwsem): 15 to 28 ms measured here
// under load. *in_cgroup tells whether that happened; any clone3 failure
// (an older kernel, a cgroup v2 refuses to start a process in) falls back to
// clone, and the cgroup.procs write that follows reports what is wrong.
pid_t clone_process(int flags, int cgroup_fd, bool* in_cgroup);

}  // namespace berth
