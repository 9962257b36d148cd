// Passing an fd over a unix socket (SCM_RIGHTS): the console socket's pty
// master, the seccomp notify fd on the init channel and to the listener.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace berth {

// One sendmsg of data[0, len) with `fd` attached, retried on EINTR, never
// raising SIGPIPE. Returns the bytes sent (the fd went with them; the caller
// sends the rest as plain data), or -1 with errno set.
ssize_t send_with_fd(int sock, const char* data, size_t len, int fd);

}  // namespace berth
