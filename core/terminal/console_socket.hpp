// --console-socket: the pty master is created inside the container and sent
// to the caller over a unix socket with SCM_RIGHTS (runc's docs/terminals.md).
#pragma once

#include <string>

#include "util/unique_fd.hpp"

namespace berth {

UniqueFd connect_console_socket(const std::string& path);
void send_fd(int sock, int fd, const std::string& name);
// The receiving side, for tools and tests; returns the fd.
UniqueFd receive_fd(int sock);
// The fd already waiting in `sock`, or none (nothing queued, or EOF).
UniqueFd try_receive_fd(int sock);

}  // namespace berth
