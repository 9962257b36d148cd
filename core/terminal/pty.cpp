#include "terminal/pty.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "errors/error.hpp"
#include "terminal/console_socket.hpp"
#include "util/unique_fd.hpp"

namespace berth {

void setup_pty(const spec::Process& p, int console_sock) {
    int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) throw_errno("open pty master", "/dev/ptmx");
    UniqueFd m(master);
    if (::unlockpt(master) < 0) throw_errno("unlockpt", "/dev/ptmx");
    char name[128];
    if (::ptsname_r(master, name, sizeof name) != 0) throw_errno("ptsname", "/dev/ptmx");
    // The peer of the master we hold, not whatever /dev/pts/N names in the
    // container (CVE-2025-52565 class: the path could be a symlink or another
    // devpts instance).
    UniqueFd slave(::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) throw_errno("open pty peer", name);
    if (::fchown(slave.get(), p.user.uid, static_cast<gid_t>(-1)) < 0) throw_errno("chown pty", name);
    if (p.console_size) {
        struct winsize ws = {};
        ws.ws_row = static_cast<unsigned short>(p.console_size->first);
        ws.ws_col = static_cast<unsigned short>(p.console_size->second);
        ::ioctl(slave.get(), TIOCSWINSZ, &ws);
    }
    send_fd(console_sock, master, name);
    if (::setsid() < 0) throw_errno("setsid");
    if (::ioctl(slave.get(), TIOCSCTTY, 0) < 0) throw_errno("set controlling terminal", name);
    for (int i = 0; i < 3; ++i)
        if (::dup2(slave.get(), i) < 0) throw_errno("dup2 pty", name);
}

void setup_session(const spec::Process& p, int console_sock) {
    if (p.terminal) {
        setup_pty(p, console_sock);
    } else if (::setsid() < 0) {
        throw_errno("setsid");
    }
    if (console_sock >= 0) ::close(console_sock);
}

}  // namespace berth
