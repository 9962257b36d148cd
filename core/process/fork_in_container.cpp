#include "process/fork_in_container.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "cgroups/cgroup_manager.hpp"
#include "errors/error.hpp"
#include "namespaces/process_namespaces.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace berth {

ContainerHelper fork_in_container(const ProcessNamespaces& ns, const CgroupPaths& cgroup, const char* on_stopped,
                                  const std::string& what, const std::function<void(int channel)>& body) {
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) throw_errno("socketpair");
    UniqueFd parent_end(sp[0]), child_end(sp[1]);
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_DUMPABLE)");
    pid_t pid;
    int fork_errno = 0;
    {
        ChildNamespacesGuard ours;
        join_process_namespaces(ns, CLONE_NEWPID | CLONE_NEWTIME);
        std::fflush(nullptr);
        pid = ::fork();
        if (pid == 0) {
            // Our copy of berth's end would keep the channel open: were berth
            // killed before the helper's PR_SET_PDEATHSIG, the helper would
            // then wait for its first message forever instead of reading EOF.
            parent_end.reset();
            body(child_end.get());
            _exit(127);
        }
        fork_errno = errno;
        ours.restore();
    }
    if (pid < 0) {
        // The pid namespace's init is gone: the container stopped meanwhile.
        if (fork_errno == ENOMEM) throw Error(on_stopped, ESRCH);
        throw_sys(fork_errno, "fork " + what);
    }
    ContainerHelper helper{ChildGuard(pid), std::move(parent_end), pid};
    // A helper that died is an error to report, not a SIGPIPE to die of. Set
    // after the fork: the helper must not inherit an ignored SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    child_end.reset();
    // Nothing of the container's runs in the helper before it is in the
    // container's cgroup: it waits for its first message until then.
    CgroupManager(CgroupLayout{}, {}).join(cgroup, pid);
    return helper;
}

}  // namespace berth
