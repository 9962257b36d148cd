// Passing an fd over a unix socket (SCM_RIGHTS), both directions: the
// console socket's pty master, the seccomp notify fd on the init channel and
// to the listener. The tests receive with the same function (the harness
// builds this file into itself).
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace berth {

// One sendmsg of data[0, len) with `fd` attached, retried on EINTR, never
// raising SIGPIPE. Returns the bytes sent (the fd went with them; the caller
// sends the rest as plain data), or -1 with errno set.
ssize_t send_with_fd(int sock, const char* data, size_t len, int fd);

// One recvmsg into data[0, len), retried on EINTR. The first fd that came
// with the data (close-on-exec) goes to *fd, -1 when none came; any further
// fds of the message are closed, never leaked. Returns the bytes received
// (0 at end of stream), or -1 with errno set.
ssize_t receive_with_fd(int sock, char* data, size_t len, int* fd);

}  // namespace berth
