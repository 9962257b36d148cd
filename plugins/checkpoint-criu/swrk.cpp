#include "swrk.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "util/fd_passing.hpp"

namespace berth::plugins::criu {
namespace {

// Larger than any response CRIU sends: a SEQPACKET message that does not
// fit is cut, so a full buffer is treated as an error.
constexpr size_t kMaxMessage = 64 * 1024;

std::runtime_error sys_error(const std::string& what) { return std::runtime_error(what + ": " + std::strerror(errno)); }

// Above any fd the child is given, so that placing them cannot overwrite one
// still to be placed.
constexpr int kParkFds = 1000;

}  // namespace

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exited " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

Swrk::Swrk(const std::string& criu, const std::vector<int>& extra) {
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) throw sys_error("socketpair for criu swrk");
    UniqueFd ours(sp[0]), theirs(sp[1]);
    // Everything the child needs is built here: after fork it makes only
    // async-signal-safe calls (the host may have threads we do not know of).
    std::vector<int> from = {theirs.get()};
    from.insert(from.end(), extra.begin(), extra.end());
    std::vector<int> parked(from.size(), -1);
    const char* argv[] = {criu.c_str(), "swrk", "3", nullptr};
    const bool by_path = criu.find('/') != std::string::npos;
    pid_ = ::fork();
    if (pid_ < 0) throw sys_error("fork for criu swrk");
    if (pid_ == 0) {
        for (size_t i = 0; i < from.size(); ++i) {
            parked[i] = ::fcntl(from[i], F_DUPFD_CLOEXEC, kParkFds);
            if (parked[i] < 0) ::_exit(127);
        }
        for (size_t i = 0; i < from.size(); ++i)
            if (::dup2(parked[i], 3 + static_cast<int>(i)) < 0) ::_exit(127);  // dup2 clears close-on-exec
        ::syscall(SYS_close_range, 3 + from.size(), ~0U, 0);
        ::signal(SIGPIPE, SIG_DFL);
        if (by_path) ::execv(argv[0], const_cast<char* const*>(argv));
        else ::execvp(argv[0], const_cast<char* const*>(argv));
        ::_exit(127);
    }
    sock_ = std::move(ours);
}

Swrk::~Swrk() {
    if (pid_ > 0) {
        try {
            wait();
        } catch (...) {
        }
    }
}

void Swrk::send(const berth::criu::Request& req) {
    const std::string bytes = berth::criu::encode(req);
    for (;;) {
        const ssize_t n = ::send(sock_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n == static_cast<ssize_t>(bytes.size())) return;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw sys_error(std::string("send the ") + berth::criu::type_name(req.type) + " request to criu");
        throw std::runtime_error("criu took part of a request");
    }
}

berth::criu::Response Swrk::receive(UniqueFd* fd) {
    std::string buf(kMaxMessage, '\0');
    int got = -1;
    const ssize_t n = receive_with_fd(sock_.get(), buf.data(), buf.size(), &got);
    if (got >= 0) fd->reset(got);
    if (n < 0) throw sys_error("read from criu");
    if (n == 0) {
        const int status = wait();
        throw std::runtime_error("criu " + describe_status(status) + " without an answer");
    }
    if (static_cast<size_t>(n) == buf.size()) throw std::runtime_error("a message from criu is larger than 64 KiB");
    buf.resize(static_cast<size_t>(n));
    return berth::criu::decode_response(buf);
}

int Swrk::wait() {
    sock_.reset();
    int status = 0;
    if (pid_ <= 0) return status;
    while (::waitpid(pid_, &status, 0) < 0) {
        if (errno != EINTR) {
            pid_ = -1;
            throw sys_error("wait for criu");
        }
    }
    pid_ = -1;
    return status;
}

}  // namespace berth::plugins::criu
