#include "terminal/console_socket.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "errors/error.hpp"
#include "util/fd_passing.hpp"

namespace berth {

UniqueFd connect_console_socket(const std::string& path) {
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) throw Error("--console-socket: path too long: " + path, ENAMETOOLONG);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_errno("socket");
    if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
        throw_errno("--console-socket: connect", path);
    return fd;
}

void send_fd(int sock, int fd, const std::string& name) {
    if (send_with_fd(sock, name.data(), name.size(), fd) < 0) throw_errno("send pty master over console socket");
}

UniqueFd receive_fd(int sock) {
    char name[256];
    int fd = -1;
    if (receive_with_fd(sock, name, sizeof name, &fd) < 0) throw_errno("recvmsg");
    if (fd < 0) throw Error("console socket: no fd received");
    return UniqueFd(fd);
}

UniqueFd try_receive_fd(int sock) {
    char byte;
    ssize_t n;
    do n = ::recv(sock, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return UniqueFd();
    return receive_fd(sock);
}

}  // namespace berth
