// `exec -t` without --detach: berth holds the pty master itself and relays
// between it and its own stdio until the process exits, as runc does.
#pragma once

#include <sys/types.h>

namespace berth {

// Copies stdin → master and master → stdout (stdin in raw mode while it is a
// terminal, window size kept in step on SIGWINCH) until `pid`, our child,
// exits; returns its wait status. Signals other than SIGWINCH are forwarded
// to it (through `pidfd` when given: no reused pid can get them).
int relay_pty_until_exit(int master, pid_t pid, int pidfd = -1);

}  // namespace berth
