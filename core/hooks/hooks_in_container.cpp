#include "hooks/hooks_in_container.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "cgroups/cgroup_manager.hpp"
#include "errors/error.hpp"
#include "hooks/hooks.hpp"
#include "init/exec_stub.hpp"
#include "init/init_channel.hpp"
#include "namespaces/process_namespaces.hpp"
#include "process/fork_in_container.hpp"
#include "util/unique_fd.hpp"

namespace berth {
namespace {

[[noreturn]] void run_helper(int channel, int exec_stub, const ProcessNamespaces& ns,
                             const std::vector<spec::Hook>& hooks, const std::string& phase,
                             const std::string& state_json) {
    try {
        // "go": we are berth's child now; if it dies, so do we.
        if (!receive_message(channel)) _exit(1);
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_PDEATHSIG)");
        if ((ns.flags & CLONE_NEWUSER) && (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0))
            throw_errno("become root in the container's user namespace");
        run_hooks(hooks, phase, state_json, exec_stub);
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
    UniqueFd stub = make_exec_stub_memfd();
    ContainerHelper h =
        fork_in_container(ns, cgroup, "cannot start a container that has stopped", phase + " hook helper", {stub.get()},
                          [&](int channel) { run_helper(channel, stub.get(), ns, hooks, phase, state_json); });
    UniqueFd& parent_end = h.channel;
    send_and_receive(parent_end.get(), {{"type", "go"}}, phase + " hooks");
    const int status = h.child.reap();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw Error(phase + " hooks: the helper that runs them died (status " + std::to_string(status) + ")");
}

}  // namespace berth
