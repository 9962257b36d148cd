#include "hooks/hooks_in_container.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "cgroups/cgroup_manager.hpp"
#include "errors/error.hpp"
#include "hooks/hooks.hpp"
#include "init/init_channel.hpp"
#include "namespaces/process_namespaces.hpp"
#include "process/child_guard.hpp"
#include "util/unique_fd.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace berth {
namespace {

[[noreturn]] void run_helper(int channel, const ProcessNamespaces& ns, const std::vector<spec::Hook>& hooks,
                             const std::string& phase, const std::string& state_json) {
    try {
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_PDEATHSIG)");
        // Nothing of the container's runs before we are in its cgroup.
        if (!receive_message(channel)) _exit(1);
        join_process_namespaces(ns, ~(CLONE_NEWPID | CLONE_NEWTIME));
        if ((ns.flags & CLONE_NEWUSER) && (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0))
            throw_errno("become root in the container's user namespace");
        run_hooks(hooks, phase, state_json);
        _exit(0);
    } catch (const std::exception& e) {
        report_error_and_exit(channel, e);
    }
}


}  // namespace

void run_hooks_in_container(const ContainerState& st, const std::vector<spec::Hook>& hooks, const std::string& phase,
                            const std::string& state_json) {
    if (hooks.empty()) return;
    const CgroupPaths cgroup = CgroupPaths::from_json(st.cgroup);
    ProcessNamespaces ns = open_process_namespaces(st.pid, st.start_time);
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) throw_errno("socketpair");
    UniqueFd parent_end(sp[0]), child_end(sp[1]);
    // The helper runs the host's berth binary inside the container's
    // namespaces: no process there may open its /proc/<pid>/exe or memory.
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_DUMPABLE)");
    pid_t pid;
    int fork_errno = 0;
    {
        ChildNamespacesGuard ours;
        join_process_namespaces(ns, CLONE_NEWPID | CLONE_NEWTIME);
        std::fflush(nullptr);
        pid = ::fork();
        if (pid == 0) {
            parent_end.reset();
            run_helper(child_end.get(), ns, hooks, phase, state_json);
        }
        fork_errno = errno;
        ours.restore();
    }
    if (pid < 0) {
        if (fork_errno == ENOMEM) throw Error("cannot start a container that has stopped", ESRCH);
        throw_sys(fork_errno, "fork " + phase + " hook helper");
    }
    ChildGuard helper(pid);
    ::signal(SIGPIPE, SIG_IGN);  // a dead helper is an error to report
    child_end.reset();
    CgroupManager(CgroupLayout{}, {}).join(cgroup, pid);
    std::optional<nlohmann::json> msg;
    try {
        send_message(parent_end.get(), {{"type", "go"}});
        msg = receive_message(parent_end.get());
    } catch (const Error& e) {
        if (e.err() != EPIPE && e.err() != ECONNRESET) throw;
    }
    const int status = helper.reap();
    if (msg && msg->value("type", "") == "error") throw Error(msg->value("message", phase + " hooks failed"), msg->value("errno", 0));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error(phase + " hooks: the helper that runs them died (status " + std::to_string(status) + ")");
}

}  // namespace berth
