// Crash points for the fault-injection tests. A test build (meson
// -Dfault_injection=true) reads BERTH_FAULT_AT=<step>: on reaching that named
// step berth SIGKILLs itself, as a crash or an OOM kill would, so a test can
// check that `delete --force` (or `state`) recovers from every step.
// BERTH_FAULT_TRACE=<file> appends each step reached, one per line, so the
// test learns the steps from a normal run instead of a hand-kept list.
// BERTH_FAULT_STOP=<step>[,<step>...] stops berth there (SIGSTOP) until a
// SIGCONT, so a test can race another verb against exactly that window; the
// container's init, pid 1 of its namespace, waits in sigsuspend instead.
// In a normal build fault_point() is an empty inline function: no getenv, no
// branch, nothing a caller's environment can trigger.
#pragma once

namespace berth {

#ifdef BERTH_FAULT_INJECTION
// Step names are "<verb>.<what has just been done>", e.g. "create.cgroup-made".
void fault_point(const char* step);
// The trace file's fd (-1 without BERTH_FAULT_TRACE): a child that closes
// its fds keeps it.
int fault_trace_fd();
#else
inline void fault_point(const char*) {}
inline int fault_trace_fd() { return -1; }
#endif

}  // namespace berth
