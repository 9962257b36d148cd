// What a process of berth's sheds before it enters a container, so that it
// takes nothing of the host in: init, the exec helper and the hook helper.
#pragma once

#include <vector>

namespace berth {

// Closes every fd above stderr but those in `keep`. Close-on-exec is not
// enough: until the exec, an open directory fd is a way out through
// /proc/self/fd/N (a process.cwd of that path, CVE-2024-21626).
void close_fds_except(std::vector<int> keep);

// Zeroes the caller's environment and all of the command line but "berth"
// in this process's own memory, where /proc/PID/environ and cmdline read
// them: a container process allowed to read our memory (CAP_SYS_PTRACE in
// the host's user namespace) must find nothing of the host there. Needs the
// host's /proc: call it before joining the container's mount namespace.
void forget_caller_environment();

}  // namespace berth
