#include "terminal/pty_relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "errors/error.hpp"

namespace berth {
namespace {

volatile sig_atomic_t g_winch = 0;
volatile pid_t g_relay_child = 0;
volatile int g_relay_pidfd = -1;

void copy_winsize(int from, int to) {
    struct winsize ws;
    if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

// false once `from` is at EOF or failed.
bool copy_some(int from, int to) {
    char buf[4096];
    ssize_t n = ::read(from, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n <= 0) return false;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct pollfd p = {to, POLLOUT, 0};
                ::poll(&p, 1, 100);
                continue;
            }
            return false;
        }
        off += w;
    }
    return true;
}

class RawMode {
public:
    explicit RawMode(int fd) : fd_(fd) {
        if (!::isatty(fd) || ::tcgetattr(fd, &saved_) < 0) return;
        struct termios raw = saved_;
        ::cfmakeraw(&raw);
        active_ = ::tcsetattr(fd, TCSANOW, &raw) == 0;
    }
    ~RawMode() {
        if (active_) ::tcsetattr(fd_, TCSANOW, &saved_);
    }

private:
    int fd_;
    struct termios saved_ = {};
    bool active_ = false;
};

}  // namespace

int relay_pty_until_exit(int master, pid_t pid, int pidfd) {
    g_relay_child = pid;
    g_relay_pidfd = pidfd;
    struct sigaction sa = {};
    sa.sa_handler = [](int sig) {
        const int saved = errno;
        if (sig == SIGWINCH) g_winch = 1;
        else if (g_relay_pidfd >= 0) ::syscall(SYS_pidfd_send_signal, g_relay_pidfd, sig, nullptr, 0);
        else ::kill(g_relay_child, sig);
        errno = saved;
    };
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) ::sigaction(sig, &sa, nullptr);
    if (::isatty(0)) copy_winsize(0, master);
    RawMode raw(0);
    bool in_open = true, out_open = true;
    int status = 0;
    bool exited = false;
    while (!exited) {
        if (g_winch) {
            g_winch = 0;
            copy_winsize(0, master);
        }
        struct pollfd p[2] = {{in_open ? 0 : -1, POLLIN, 0}, {out_open ? master : -1, POLLIN, 0}};
        ::poll(p, 2, 100);
        if (in_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) in_open = copy_some(0, master);
        if (out_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) out_open = copy_some(master, 1);
        pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w < 0 && errno != EINTR) throw_errno("wait for the exec'd process");
        exited = w == pid;
    }
    // What the process wrote last may still be in the pty.
    ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
    while (out_open) {
        struct pollfd p = {master, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) break;
        out_open = copy_some(master, 1);
    }
    return status;
}

}  // namespace berth
