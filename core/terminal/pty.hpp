// The process's terminal: a pty made inside the container (its /dev/ptmx),
// whose master goes to the caller over --console-socket and whose slave
// becomes the process's controlling terminal and stdio. Shared by init and
// exec.
#pragma once

#include "spec/spec.hpp"

namespace berth {

// Run by the process itself, in the container's mount namespace and before
// it changes user: the slave is chowned to p.user.uid. For the container's
// init (`mount_console`), the slave is also bind-mounted over /dev/console,
// as runc does.
void setup_pty(const spec::Process& p, int console_sock, bool mount_console = false);

// The process's session: with p.terminal, the pty above (sent over
// console_sock); without, a new session of its own (setsid) so that it never
// shares the caller's. Closes console_sock (-1 when none) either way.
void setup_session(const spec::Process& p, int console_sock, bool mount_console = false);

}  // namespace berth
