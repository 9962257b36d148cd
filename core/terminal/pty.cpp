#include "terminal/pty.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <string>

#include "errors/error.hpp"
#include "terminal/console_socket.hpp"
#include "util/unique_fd.hpp"

namespace berth {
namespace {

// /dev/console of the container (we are in its root already) becomes the
// slave. /dev is opened without following any symlink, a symlink at
// /dev/console is replaced by a file (the image's, never followed: no
// process of the container runs yet), and neither may be on procfs or
// sysfs: the bind mount must never land on a kernel knob or a host path
// (CVE-2025-52565 class).
void mount_console_over(int slave, const char* name) {
    const char* path = "/dev/console";
    struct open_how how = {};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    UniqueFd dev(static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, "/dev", &how, sizeof how)));
    if (!dev) throw_errno("open the console's directory", "/dev");
    auto check_fs = [&](int fd) {
        struct statfs fs;
        if (::fstatfs(fd, &fs) < 0) throw_errno("statfs", path);
        if (fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC)
            throw Error(std::string(path) + ": on procfs or sysfs: refusing to mount the console over it", EINVAL);
    };
    check_fs(dev.get());
    struct stat st;
    if (::fstatat(dev.get(), "console", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
        ::unlinkat(dev.get(), "console", 0) < 0)
        throw_errno("remove the symlink", path);
    UniqueFd target(::openat(dev.get(), "console", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!target && errno == ENOENT) {
        int made = ::openat(dev.get(), "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (made < 0) throw_errno("create the console's mount point", path);
        ::close(made);
        target.reset(::openat(dev.get(), "console", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    }
    if (!target) throw_errno("open the console's mount point", path);
    if (::fstat(target.get(), &st) < 0) throw_errno("stat", path);
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
        throw Error(std::string(path) + ": not a file or a device: cannot mount the console over it", EINVAL);
    check_fs(target.get());
    // From fd to fd (open_tree, move_mount), with no /proc/self/fd path: a
    // container may have no /proc (crun runs such containers).
    UniqueFd tree(
        static_cast<int>(::syscall(SYS_open_tree, slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)));
    if (!tree) throw_errno(std::string("clone the pty ") + name + " to mount over", path);
    if (::syscall(SYS_move_mount, tree.get(), "", target.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
        0)
        throw_errno(std::string("bind-mount the pty ") + name + " over", path);
}

}  // namespace

void setup_pty(const spec::Process& p, int console_sock, bool mount_console) {
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
    if (mount_console) mount_console_over(slave.get(), name);
    send_fd(console_sock, master, name);
    if (::setsid() < 0) throw_errno("setsid");
    if (::ioctl(slave.get(), TIOCSCTTY, 0) < 0) throw_errno("set controlling terminal", name);
    for (int i = 0; i < 3; ++i)
        if (::dup2(slave.get(), i) < 0) throw_errno("dup2 pty", name);
}

void setup_session(const spec::Process& p, int console_sock, bool mount_console) {
    if (p.terminal) {
        setup_pty(p, console_sock, mount_console);
    } else if (::setsid() < 0) {
        throw_errno("setsid");
    }
    if (console_sock >= 0) ::close(console_sock);
}

}  // namespace berth
