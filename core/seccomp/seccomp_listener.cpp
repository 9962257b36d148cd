#include "seccomp/seccomp_listener.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

#include "errors/error.hpp"
#include "util/fd_passing.hpp"
#include "util/unique_fd.hpp"

namespace berth {

namespace {
constexpr const char* kField = "linux.seccomp.listenerPath";
}

nlohmann::json container_process_state(pid_t pid, const std::string& metadata, const nlohmann::json& state) {
    nlohmann::json st = nlohmann::json::object();
    for (const char* key : {"ociVersion", "id", "status", "pid", "bundle", "annotations"})
        if (auto it = state.find(key); it != state.end()) st[key] = *it;
    nlohmann::json out = {{"ociVersion", state.value("ociVersion", BERTH_OCI_VERSION)},
                          {"fds", nlohmann::json::array({"seccompFd"})},
                          {"pid", pid}};
    if (!metadata.empty()) out["metadata"] = metadata;
    out["state"] = std::move(st);
    return out;
}

void send_to_seccomp_listener(const std::string& listener_path, const nlohmann::json& process_state, int notify_fd) {
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (listener_path.size() >= sizeof addr.sun_path)
        throw Error(std::string(kField) + ": path too long: " + listener_path, ENAMETOOLONG);
    std::memcpy(addr.sun_path, listener_path.c_str(), listener_path.size() + 1);
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) throw_errno("socket");
    if (::connect(sock.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0)
        throw Error(std::string(kField) + ": connect " + listener_path + ": " + errno_text(errno), errno);

    const std::string body = process_state.dump();
    const ssize_t w = send_with_fd(sock.get(), body.data(), body.size(), notify_fd);
    if (w < 0) throw Error(std::string(kField) + ": send to " + listener_path + ": " + errno_text(errno), errno);
    // The fd went with the first bytes; a long state may need more sends.
    for (size_t sent = static_cast<size_t>(w); sent < body.size();) {
        ssize_t n = ::send(sock.get(), body.data() + sent, body.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw Error(std::string(kField) + ": send to " + listener_path + ": " + errno_text(errno), errno);
        sent += static_cast<size_t>(n);
    }
}

}  // namespace berth
