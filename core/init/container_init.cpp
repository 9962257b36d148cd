#include "init/container_init.hpp"

#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "errors/error.hpp"
#include "hooks/hooks.hpp"
#include "init/exec_stub.hpp"
#include "namespaces/loopback.hpp"
#include "init/init_channel.hpp"
#include "log/log.hpp"
#include "lsm/lsm.hpp"
#include "namespaces/namespaces.hpp"
#include "plugins/registry.hpp"
#include "rootfs/host_mount_sources.hpp"
#include "process/kernel_policies.hpp"
#include "process/leave_host.hpp"
#include "rootless/rootless.hpp"
#include "process/process_defaults.hpp"
#include "process/process_setup.hpp"
#include "rootfs/rootfs.hpp"
#include "seccomp/seccomp_filter.hpp"
#include "spec/spec.hpp"
#include "terminal/pty.hpp"
#include "terminal/console_socket.hpp"
#include "util/fault_point.hpp"
#include "cgroups/cgroup_manager.hpp"
#include "util/files.hpp"

namespace berth {
namespace {

// Writes a file that must be on procfs (CVE-2025-52881 class): the fd that
// is written is checked, so a symlink or a mount standing in for the file
// cannot redirect the write. No symlink is followed in the last component.
void write_procfs_file(const std::string& path, const std::string& data) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw_errno("open", path);
    struct statfs sfs;
    if (::fstatfs(fd.get(), &sfs) < 0) throw_errno("statfs", path);
    if (sfs.f_type != PROC_SUPER_MAGIC) throw Error(path + ": not a procfs file", EPERM);
    ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0) throw_errno("write", path);
    if (static_cast<size_t>(n) != data.size()) throw Error("write " + path + ": short write", EIO);
}

// Runs before pivot_root: /proc is the host's procfs as init's mount
// namespace inherited it, never the container's /proc.
void write_sysctls(const spec::Spec& s) {
    for (const auto& [key, value] : s.linux.sysctl) {
        std::string path = "/proc/sys/" + key;
        for (size_t i = 10; i < path.size(); ++i)
            if (path[i] == '.') path[i] = '/';
        try {
            write_procfs_file(path, value);
        } catch (const Error& e) {
            throw Error("linux.sysctl." + key + ": " + e.what(), e.err());
        }
    }
}

// Moves the socket to fd 3 after putting the caller's preserved fds aside.
std::vector<int> take_fd3(int channel, int preserve) {
    std::vector<int> stash;
    for (int i = 0; i < preserve; ++i) {
        int fd = ::fcntl(3 + i, F_DUPFD_CLOEXEC, 3 + preserve + 64);
        if (fd < 0) throw Error("--preserve-fds: fd " + std::to_string(3 + i) + " is not open", errno);
        stash.push_back(fd);
    }
    if (channel != kInitChannelFd) {
        if (::dup3(channel, kInitChannelFd, O_CLOEXEC) < 0) throw_errno("dup3 init channel");
        ::close(channel);
    }
    return stash;
}

// Puts the preserved fds back at 3.. and closes every fd but them, the
// channel, the fifo and the exec stub, before anything of the user's (cwd,
// program) is resolved. The fifo stays open across the exec. Returns the
// channel's new number.
int arrange_exec_fds(const std::vector<int>& stash, int* fifo_fd, int exec_stub) {
    const int first_free = 3 + static_cast<int>(stash.size());
    int channel = ::fcntl(kInitChannelFd, F_DUPFD_CLOEXEC, first_free + 64);
    if (channel < 0) throw_errno("move init channel");
    int fifo = ::fcntl(*fifo_fd, F_DUPFD_CLOEXEC, first_free);
    if (fifo < 0) throw_errno("move exec.fifo fd");
    ::close(*fifo_fd);
    ::close(kInitChannelFd);
    for (size_t i = 0; i < stash.size(); ++i) {
        if (::dup2(stash[i], 3 + static_cast<int>(i)) < 0) throw_errno("restore preserved fd");
        ::close(stash[i]);
    }
    std::vector<int> keep = {channel, fifo, exec_stub, fault_trace_fd()};
    for (int fd = 3; fd < first_free; ++fd) keep.push_back(fd);
    close_fds_except(keep);
    if (::fcntl(fifo, F_SETFD, 0) < 0) throw_errno("fcntl exec.fifo fd");
    *fifo_fd = fifo;
    return channel;
}

}  // namespace

void run_container_init(const InitFds& fds, const PluginRegistry& plugins, const spec::Spec& s) {
    int channel = fds.channel;
    try {
        // If create dies before we are ready, so do we: nothing is left behind.
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_PDEATHSIG)");
        fault_point("create.init.cloned");
        // Nothing in the container may open our memory or /proc/self/exe.
        // Only a rootless create must open our uid_map and gid_map first,
        // which a non-dumpable process's owner cannot: we stay dumpable
        // until its go-ahead, while no process of the container exists yet
        // and only the user's own could look at us. The choice is create's
        // (InitFds::maps_by_user): our own geteuid() reads 0 here once create
        // has written the uid_map.
        const bool maps_by_user = fds.maps_by_user;
        if (!maps_by_user && ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_DUMPABLE)");
        // Crash points of init ("create.init.*") kill init, not create: create
        // must notice (EOF on fd 3), report an error and undo everything.
        fault_point("create.init.started");
        forget_caller_environment();
        // Our log records go to create from here on; its log file is closed
        // now, before take_fd3 may give its fd number to the channel.
        forward_logs_over(&channel);
        std::vector<int> stash = take_fd3(fds.channel, fds.preserve_fds);
        channel = kInitChannelFd;
        // Of create's fds only these come along (the state dir's lock and
        // the rest are the host's).
        std::vector<int> keep = {channel, fds.exec_stub, fds.console, fds.fifo, fault_trace_fd()};
        keep.insert(keep.end(), stash.begin(), stash.end());
        if (fds.mount_sources) {
            const std::vector<int> trees = fds.mount_sources->fds();
            keep.insert(keep.end(), trees.begin(), trees.end());
        }
        close_fds_except(keep);
        if (fds.join_v1_tasks && !fds.join_v1_tasks->empty()) {
            CgroupManager::join_self(*fds.join_v1_tasks);
            fault_point("create.init.cgroup-joined");
            send_message(channel, {{"type", "joined"}});
        }

        auto msg = receive_message(channel);
        if (!msg) _exit(1);  // create gave up before sending the spec
        if (maps_by_user && ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_DUMPABLE)");
        const std::string rootfs = msg->at("rootfs");
        const std::string bundle = msg->at("bundle");
        const bool no_pivot = msg->at("no_pivot");
        const std::string keyring = msg->value("keyring", "");
        const std::string state_json = msg->value("state", "");
        const spec::Process& proc = *s.process;
        fault_point("create.init.spec-received");

        // pid and time were joined by the parent before clone (they apply to
        // children only); a mount namespace joined here gets the rootfs set
        // up in it, pivot_root included, as runc does.
        join_namespaces_by_path(s);
        if (const spec::Namespace* cg = s.find_namespace(CLONE_NEWCGROUP);
            cg && cg->path.empty() && ::unshare(CLONE_NEWCGROUP) < 0)
            throw_errno("linux.namespaces: create cgroup namespace");
        const bool userns = s.has_namespace(CLONE_NEWUSER);
        if (userns) {
            // Become the namespace's root (maps were written by the parent).
            if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0) throw_errno("become root in user namespace");
        }
        if (!keyring.empty()) {
            lsm::set_keycreate_label(proc.selinux_label);
            if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, keyring.c_str()) < 0 && errno != ENOSYS &&
                errno != EACCES)
                throw_errno("join session keyring", keyring);
        }

        if (const spec::Namespace* net = s.find_namespace(CLONE_NEWNET); net && net->path.empty()) bring_loopback_up();
        fault_point("create.init.namespaces-joined");
        // mknod needs the initial user namespace's CAP_MKNOD: in any other
        // (the config's, or the one rootless podman runs us in) devices are
        // bound from the host's nodes.
        prepare_rootfs(s, rootfs, bundle, plugins, userns || !rootless::in_initial_user_namespace(), fds.mount_sources);
        fault_point("create.init.rootfs-prepared");
        write_sysctls(s);
        if (proc.oom_score_adj) {
            try {
                write_procfs_file("/proc/self/oom_score_adj", std::to_string(*proc.oom_score_adj));
            } catch (const Error& e) {
                // Outside the initial user namespace only raising it is
                // allowed (CAP_SYS_RESOURCE is the host's): it stays as low
                // as the kernel lets this user have it, and the log says so.
                if (e.err() != EACCES || rootless::in_initial_user_namespace())
                    throw Error("process.oomScoreAdj: " + std::string(e.what()), e.err());
                log_warning("process.oomScoreAdj: " + std::to_string(*proc.oom_score_adj) +
                            " is lower than a rootless container may set; left at " +
                            read_file("/proc/self/oom_score_adj").substr(0, 6));
            }
        }
        if (!s.hostname.empty() && ::sethostname(s.hostname.data(), s.hostname.size()) < 0)
            throw Error("hostname: sethostname \"" + s.hostname + "\": " + errno_text(errno), errno);
        if (!s.domainname.empty() && ::setdomainname(s.domainname.data(), s.domainname.size()) < 0)
            throw Error("domainname: setdomainname \"" + s.domainname + "\": " + errno_text(errno), errno);

        // The spec: in the container's namespaces, with the mounts done and
        // before pivot_root, so the path resolves on the host. In its cgroup
        // too, as create placed us there before "go".
        run_hooks(s.hooks.create_container, "createContainer", state_json, fds.exec_stub);
        fault_point("create.init.create-container-hooks-run");

        // exec.fifo, opened by create; the stub waits reading it.
        int fifo = fds.fifo;

        {
            UniqueFd dev_null = open_verified_dev_null();
            protect_paths(s, rootfs, dev_null.get());
        }
        enter_rootfs(rootfs, no_pivot, s.has_namespace(CLONE_NEWNS));
        // Before the root may turn read-only: /dev/console may need a mount point.
        setup_session(proc, fds.console, true);
        // As runc and crun: a missing cwd is made as root, before the user
        // switch and before root.readonly, which would refuse the mkdir.
        make_cwd(proc.cwd);
        finish_rootfs(s);
        fault_point("create.init.rootfs-entered");

        apply_rlimits(proc.rlimits);
        // While we still have every capability, and before any filter: all
        // four survive the exec of the stub and then of the program.
        apply_scheduler(proc.scheduler);
        apply_io_priority(proc.io_priority);
        apply_memory_policy(s.linux.memory_policy);
        apply_personality(s.linux.personality);
        // HOME comes from the image's /etc/passwd when the config has none.
        const std::vector<std::string> env = with_home(proc.env, proc.user.uid);
        // Before any filter: close_range is ours, not the container's, and a
        // profile need not allow it (runc: nothing of the runtime's after the
        // filter but what the exec needs).
        channel = arrange_exec_fds(stash, &fifo, fds.exec_stub);
        fault_point("create.init.fds-arranged");
        // The profile or label the stub gives the program at its exec.
        const StubLsmAttr lsm_attr = lsm::exec_attribute(proc);
        if (lsm_attr.proc_fd >= 0 && ::fcntl(lsm_attr.proc_fd, F_SETFD, 0) < 0) throw_errno("fcntl /proc fd");

        // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which
        // the user may not keep: load it before the capabilities go.
        if (s.linux.seccomp && !proc.no_new_privileges) load_seccomp(*s.linux.seccomp, channel);
        switch_user_and_capabilities(proc);
        enter_cwd(proc.cwd);
        if (proc.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            throw_errno("prctl(PR_SET_NO_NEW_PRIVS)");
        const std::string exe = find_executable(proc.args[0], env);
        fault_point("create.init.process-set-up");
        log_debug("init: ready to exec " + exe + " in " + proc.cwd);
        ExecArgs argv(stub_argv(fifo, lsm_attr, exe, proc.args)), envp(env);
        drop_read_override_for_exec();
        // As late as possible: after it, only the channel write, the exec and
        // the stub's read/close of the fifo and execve of the program remain
        // (and, with a notify rule, first the sendmsg of the listener fd).
        if (s.linux.seccomp && proc.no_new_privileges) load_seccomp(*s.linux.seccomp, channel);

        // From "ready" on, create may exit; we must outlive it.
        if (::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_PDEATHSIG)");
        send_message(channel, {{"type", "ready"}});
        // Dying here, after "ready" but before the exec, must still fail create.
        fault_point("create.init.ready-sent");
        ::syscall(SYS_execveat, fds.exec_stub, "", argv.get(), envp.get(), AT_EMPTY_PATH);
        throw_errno("exec berth init stub");
    } catch (const std::exception& e) {
        report_error_and_exit(channel, e);
    }
}

}  // namespace berth
