#include "process/fork_in_container.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "cgroups/cgroup_manager.hpp"
#include "errors/error.hpp"
#include "init/init_channel.hpp"
#include "namespaces/process_namespaces.hpp"
#include "process/clone_process.hpp"
#include "process/leave_host.hpp"
#include "util/fault_point.hpp"

namespace berth {
namespace {

// Step 1 of fork_in_container, in the first child.
[[noreturn]] void enter_and_fork(const ProcessNamespaces& ns, const int channel, std::vector<int> keep,
                                 const std::vector<std::string>& join_v1_tasks, const char* on_stopped,
                                 const std::string& what, const std::function<void(int channel)>& body) {
    try {
        forget_caller_environment();
        // If berth dies before we are done, so do we. (Had it died before
        // this prctl, the "go" below would read EOF.)
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_PDEATHSIG)");
        CgroupManager::join_self(join_v1_tasks);
        std::vector<int> ns_fds = {ns.pidfd.get()};
        for (const auto& [flag, fd] : ns.fds) ns_fds.push_back(fd.get());
        if (ns.root) ns_fds.push_back(ns.root.get());
        keep.push_back(channel);
        keep.push_back(fault_trace_fd());
        keep.insert(keep.end(), ns_fds.begin(), ns_fds.end());
        // Our log records, and the helper's, go to berth (its log file is
        // one of the fds closed here).
        forward_logs_over(&channel);
        close_fds_except(keep);
        // Nothing of ours enters the container before we are in its cgroup.
        if (!receive_message(channel)) _exit(1);
        join_process_namespaces(ns, ~0);
        // A container without a mount namespace of its own: its root is
        // where init chroot'ed, not the namespace's (runc's exec would run
        // the process in the host's root).
        if (ns.root && (::fchdir(ns.root.get()) < 0 || ::chroot(".") < 0 || ::chdir("/") < 0))
            throw_errno("enter the container's root");
        for (int fd : ns_fds) ::close(fd);
        const pid_t pid = ::fork();
        if (pid < 0) {
            // The pid namespace's init is gone: the container stopped meanwhile.
            if (errno == ENOMEM) throw Error(on_stopped, ESRCH);
            throw_errno("fork " + what);
        }
        if (pid == 0) {
            body(channel);
            _exit(127);
        }
        send_message(channel, {{"type", "forked"}, {"pid", pid}});
        _exit(0);
    } catch (const std::exception& e) {
        report_error_and_exit(channel, e);
    }
}

}  // namespace

ContainerHelper fork_in_container(const ProcessNamespaces& ns, const CgroupPaths& cgroup, const char* on_stopped,
                                  const std::string& what, const std::vector<int>& keep,
                                  const std::function<void(int channel)>& body) {
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) throw_errno("socketpair");
    UniqueFd parent_end(sp[0]), child_end(sp[1]);
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_DUMPABLE)");
    // The helper is our grandchild: when its parent exits, it becomes our
    // child, whom exec waits for and relays signals to.
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_CHILD_SUBREAPER)");
    // Into the container's cgroups without moving a process from outside
    // (CgroupManager::join_self says why): the v2 directory at clone
    // (CLONE_INTO_CGROUP), the v1 hierarchies by the child itself.
    UniqueFd unified_fd;
    if (!cgroup.unified.empty()) unified_fd.reset(::open(cgroup.unified.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    const std::vector<std::string> join_v1_tasks = CgroupManager::self_join_files(cgroup);
    std::fflush(nullptr);
    bool in_unified = false;
    const pid_t first = clone_process(0, unified_fd.get(), &in_unified);
    if (first < 0) throw_errno("fork " + what);
    if (first == 0) {
        // Our copy of berth's end would keep the channel open: were berth
        // killed before PR_SET_PDEATHSIG, the child would then wait for its
        // first message forever instead of reading EOF.
        parent_end.reset();
        unified_fd.reset();
        enter_and_fork(ns, child_end.get(), keep, join_v1_tasks, on_stopped, what, body);
    }
    ChildGuard first_guard(first);
    // A helper that died is an error to report, not a SIGPIPE to die of. Set
    // after the fork: the helpers must not inherit an ignored SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    child_end.reset();
    unified_fd.reset();
    CgroupManager(CgroupLayout{}, {}).join(cgroup, first, in_unified, !join_v1_tasks.empty());
    const std::optional<nlohmann::json> msg = send_and_receive(parent_end.get(), {{"type", "go"}}, what);
    // Reaped before the helper is ours to wait for: by then the kernel has
    // handed it to us.
    const int status = first_guard.reap();
    const pid_t pid = msg ? msg->value("pid", 0) : 0;
    if (pid <= 0) throw Error(what + ": died before it entered the container (status " + std::to_string(status) + ")");
    return ContainerHelper{ChildGuard(pid), std::move(parent_end), pid};
}

}  // namespace berth
