// `exec`: a new process in a created or running container.
//
// berth starts a helper in the container's namespaces and cgroup
// (fork_in_container: born there, with nothing of the host) that becomes the
// process (terminal, rlimits, seccomp, user, capabilities, cwd) and execs the
// program through the sealed-memfd exec stub, so that no process of the
// container ever reaches the host's berth binary (docs/security.md). The
// helper is berth's child, which it waits for, relaying its terminal for -t
// without a console socket (with --detach the process is reparented to the
// caller's subreaper, as runc's is).
//
// berth and the helper talk over a socketpair (length-prefixed JSON, as with
// init): berth sends "go" once the helper is its child; the helper answers
// "joined", then "ready" with everything set up but the final exec, and waits
// for "exec". The socket is close-on-exec, so EOF after "exec" means the stub
// runs; an "error" carries the helper's own message. The helper's last steps
// (after the seccomp filter) are only a read, a write and the exec, which the
// container's allowlist must permit anyway for its own init.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <linux/keyctl.h>
#include <optional>

#include "cgroups/cgroup_manager.hpp"
#include "container/container.hpp"
#include "errors/error.hpp"
#include "init/exec_stub.hpp"
#include "init/init_channel.hpp"
#include "log/log.hpp"
#include "lsm/lsm.hpp"
#include "namespaces/process_namespaces.hpp"
#include "process/child_guard.hpp"
#include "process/fork_in_container.hpp"
#include "process/kernel_policies.hpp"
#include "process/process_defaults.hpp"
#include "process/process_setup.hpp"
#include "seccomp/seccomp_filter.hpp"
#include "seccomp/seccomp_listener.hpp"
#include "spec/spec.hpp"
#include "state/state_store.hpp"
#include "terminal/console_socket.hpp"
#include "terminal/pty.hpp"
#include "terminal/pty_relay.hpp"
#include "util/fault_point.hpp"
#include "util/files.hpp"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace berth {
namespace {

// What the helper needs, all prepared and validated before the fork.
struct HelperPlan {
    spec::Process proc;
    std::optional<unsigned long> personality;
    std::optional<spec::MemoryPolicy> memory_policy;
    std::optional<spec::Seccomp> seccomp;
    std::string keyring;
    int preserve_fds = 0;
    int channel = -1;
    int console = -1;
    int stub = -1;
};

// runc's checkTerminal.
void check_terminal(bool terminal, const ExecOptions& o) {
    if (o.detach && terminal && o.console_socket.empty())
        throw Error("cannot allocate tty if berth will detach without setting console socket");
    if ((!o.detach || !terminal) && !o.console_socket.empty())
        throw Error("cannot use console socket if berth will not detach or allocate tty");
}

// A closed stdio fd would be taken by the first fd we open, and handed to the
// process as its stdin/stdout.
void ensure_stdio_open() {
    for (int fd = 0; fd < 3; ++fd) {
        if (::fcntl(fd, F_GETFD) >= 0) continue;
        int n = ::open("/dev/null", O_RDWR);
        if (n < 0) throw_errno("open", "/dev/null");
        if (n != fd) {
            ::dup2(n, fd);
            ::close(n);
        }
    }
}

[[noreturn]] void run_helper(const HelperPlan& plan, const ProcessNamespaces& ns) {
    const spec::Process& proc = plan.proc;
    const int channel = plan.channel;
    try {
        // "go": we are berth's child now. If it dies before the final exec,
        // so do we. (Had it died before this prctl, the next write would
        // fail with EPIPE and SIGPIPE, and a read would see EOF.)
        if (!receive_message(channel)) _exit(1);
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_PDEATHSIG)");
        send_message(channel, {{"type", "joined"}});
        if (ns.flags & CLONE_NEWUSER) {
            if (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0)
                throw_errno("become root in the container's user namespace");
        }
        if (!plan.keyring.empty()) {
            lsm::set_keycreate_label(proc.selinux_label);
            if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, plan.keyring.c_str()) < 0 && errno != ENOSYS &&
                errno != EACCES && errno != EDQUOT)
                throw_errno("join session keyring", plan.keyring);
        }

        setup_session(proc, plan.console);

        apply_rlimits(proc.rlimits);
        // As init does: while we have every capability, before any filter.
        apply_scheduler(proc.scheduler);
        apply_io_priority(proc.io_priority);
        apply_memory_policy(plan.memory_policy);
        apply_personality(plan.personality);
        // HOME from the container's /etc/passwd when the process has none (runc).
        const std::vector<std::string> env = with_home(proc.env, proc.user.uid);
        // Only stdio and the caller's preserved fds reach the process (the
        // rest were closed when we entered, but for the channel and the
        // stub). Before any filter: close_range is ours, and a profile need
        // not allow it.
        if (::syscall(SYS_close_range, 3 + plan.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0) throw_errno("close_range");
        // The profile or label the stub gives the program at its exec.
        const StubLsmAttr lsm_attr = lsm::exec_attribute(proc);
        if (lsm_attr.proc_fd >= 0 && ::fcntl(lsm_attr.proc_fd, F_SETFD, 0) < 0) throw_errno("fcntl /proc fd");
        // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which
        // the user may not keep: load it before the capabilities go.
        if (plan.seccomp && !proc.no_new_privileges) load_seccomp(*plan.seccomp, channel);
        switch_user_and_capabilities(proc);
        enter_cwd(proc.cwd);
        if (proc.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            throw_errno("prctl(PR_SET_NO_NEW_PRIVS)");
        const std::string exe = find_executable(proc.args[0], env);
        ExecArgs argv(stub_argv(-1, lsm_attr, exe, proc.args)), envp(env);
        // In the container's cgroup now: its final CPUs (config.md's execCPUAffinity).
        apply_cpu_affinity(proc.exec_cpu_affinity.final, "process.execCPUAffinity.final");
        log_debug("exec helper: ready to exec " + exe + " in " + proc.cwd);

        send_message(channel, {{"type", "ready"}});
        if (!receive_message(channel)) _exit(1);
        // From "exec" on, berth may exit (--detach); we must outlive it.
        if (::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_PDEATHSIG)");
        drop_read_override_for_exec();
        // As late as possible: after it, only the exec and the stub's prctl
        // and execve remain (and, with a notify rule, first the sendmsg of
        // the listener fd).
        if (plan.seccomp && proc.no_new_privileges) load_seccomp(*plan.seccomp, channel);
        ::syscall(SYS_execveat, plan.stub, "", argv.get(), envp.get(), AT_EMPTY_PATH);
        throw_errno("exec the berth exec stub");
    } catch (const std::exception& e) {
        report_error_and_exit(channel, e);
    }
}

volatile pid_t g_forward_to = 0;

// Not detached: signals for berth go to the process, as with runc exec.
int wait_for(pid_t pid) {
    g_forward_to = pid;
    struct sigaction sa = {};
    sa.sa_handler = [](int sig) { ::kill(g_forward_to, sig); };
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) ::sigaction(sig, &sa, nullptr);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw_errno("wait for the exec'd process");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// What exec starts from: exec.json, saved by create; a container created by
// an older berth has none, and then the bundle's config.json stands in.
struct ExecBase {
    std::optional<spec::Process> process;
    std::optional<spec::Seccomp> seccomp;
    spec::Linux linux;  // personality and memoryPolicy only
    bool no_new_keyring = false;
};

ExecBase load_exec_base(const LockedContainer& c, const ContainerState& st) {
    ExecBase b;
    const std::string path = c.path("exec.json");
    if (::access(path.c_str(), F_OK) != 0) {
        spec::Spec s = spec::load_spec(st.bundle);
        b.process = std::move(s.process);
        b.seccomp = std::move(s.linux.seccomp);
        b.linux = std::move(s.linux);
        return b;
    }
    // Written by create, but read as untrusted as state.json is.
    const nlohmann::json j = nlohmann::json::parse(read_file(path), nullptr, false);
    if (!j.is_object()) throw Error(path + ": corrupt: not a JSON object");
    if (auto p = j.find("process"); p != j.end() && !p->is_null()) b.process = spec::parse_process_json(p->dump());
    if (auto sc = j.find("seccomp"); sc != j.end() && !sc->is_null()) b.seccomp = spec::parse_seccomp(sc->dump());
    if (auto k = j.find("noNewKeyring"); k != j.end() && k->is_boolean()) b.no_new_keyring = k->get<bool>();
    if (auto l = j.find("linux"); l != j.end() && l->is_object()) b.linux = spec::parse_linux_json(l->dump());
    return b;
}

spec::Process exec_process(const ExecOptions& o, const ExecBase& s) {
    if (!o.process_file.empty()) {
        std::string text;
        try {
            text = read_file(o.process_file);
        } catch (const Error& e) {
            throw Error(std::string("--process: ") + e.what(), e.err());
        }
        return spec::parse_process_json(text);
    }
    if (!s.process) throw Error("process: the container's config.json has none to start from; use --process");
    std::vector<std::string> warnings;
    spec::Process p = process_for_exec(*s.process, o.flags, &warnings);
    for (const auto& w : warnings) log_warning(w);
    return p;
}

}  // namespace

int exec_container(const RuntimeContext& ctx, const ExecOptions& o) {
    // --- validate before anything is opened, forked or joined
    validate_container_id(o.id);
    ensure_stdio_open();
    if (o.preserve_fds < 0) throw Error("--preserve-fds: must not be negative");
    for (int fd = 3; fd < 3 + o.preserve_fds; ++fd)
        if (::fcntl(fd, F_GETFD) < 0) throw Error("--preserve-fds: fd " + std::to_string(fd) + " is not open", EBADF);

    // Shared, as other readers: a concurrent delete waits until the process
    // is in the container, and is not held up while we wait for it.
    std::optional<LockedContainer> c(StateStore(ctx.root).open_existing(o.id, true));
    const ContainerState st = c->load();
    fault_point("exec.state-read");
    const std::string status = status_of(st, c->dir());
    if (status == "stopped") throw Error("cannot exec in a stopped container");
    if (status == "creating") throw Error("cannot exec in a container that is still being created");
    if (status == "paused" && !o.ignore_paused)
        throw Error("cannot exec in a paused container (use --ignore-paused to override)");
    const ExecBase base = load_exec_base(*c, st);
    HelperPlan plan;
    plan.proc = exec_process(o, base);
    plan.proc.env = merge_env(plan.proc.env, "process.env");
    lsm::check(plan.proc, "");
    plan.seccomp = base.seccomp;
    plan.personality = base.linux.personality;
    plan.memory_policy = base.linux.memory_policy;
    // As init did at create: a session keyring named after the container,
    // unless create was told --no-new-keyring.
    plan.keyring = base.no_new_keyring ? "" : st.id;
    plan.preserve_fds = o.preserve_fds;
    check_terminal(plan.proc.terminal, o);
    const CgroupPaths cgroup = with_sub_cgroups(CgroupPaths::from_json(st.cgroup), o.sub_cgroups);
    // As runc: into a sub-cgroup that exists; berth makes none.
    if (!o.sub_cgroups.empty()) {
        std::vector<std::string> dirs;
        if (!cgroup.unified.empty()) dirs.push_back(cgroup.unified);
        for (const auto& [key, dir] : cgroup.v1) dirs.push_back(dir);
        for (const std::string& dir : dirs)
            if (::access((dir + "/cgroup.procs").c_str(), F_OK) != 0)
                throw Error("--cgroup: " + dir + " does not exist (the sub-cgroup must exist, as with runc)", ENOENT);
    }

    // --- from here on, the helper guard undoes what we started
    ProcessNamespaces ns = open_process_namespaces(st.pid, st.start_time);
    UniqueFd stub = make_exec_stub_memfd();
    // With a terminal and no --detach, the master comes to us (the relay).
    UniqueFd console, relay_end;
    if (!o.console_socket.empty()) {
        console = connect_console_socket(o.console_socket);
    } else if (plan.proc.terminal) {
        int rp[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rp) < 0) throw_errno("socketpair");
        relay_end.reset(rp[0]);
        console.reset(rp[1]);
    }
    plan.console = console.get();
    plan.stub = stub.get();
    // The CPUs our side runs on until the helper is in the container's cgroup
    // (config.md's execCPUAffinity.initial): the helper's parent inherits them.
    apply_cpu_affinity(plan.proc.exec_cpu_affinity.initial, "process.execCPUAffinity.initial");
    std::vector<int> keep = {plan.stub};
    if (plan.console >= 0) keep.push_back(plan.console);
    for (int fd = 3; fd < 3 + plan.preserve_fds; ++fd) keep.push_back(fd);
    ContainerHelper h =
        fork_in_container(ns, cgroup, "cannot exec in a stopped container", "exec helper", keep, [&](int channel) {
            plan.channel = channel;
            run_helper(plan, ns);
        });
    ChildGuard& helper = h.child;
    const pid_t pid = h.pid;
    UniqueFd& parent_end = h.channel;
    console.reset();
    fault_point("exec.cgroup-joined");
    if (plan.proc.oom_score_adj) {
        const std::string path = "/proc/" + std::to_string(pid) + "/oom_score_adj";
        try {
            write_existing_file(path, std::to_string(*plan.proc.oom_score_adj));
        } catch (const Error& e) {
            throw Error("process.oomScoreAdj: " + std::string(e.what()), e.err());
        }
    }
    bool started = false;
    std::optional<nlohmann::json> failure;  // the helper's own error message
    std::optional<Error> listener_failure;  // linux.seccomp.listenerPath
    try {
        send_message(parent_end.get(), {{"type", "go"}});
        UniqueFd passed;
        while (auto msg = receive_message(parent_end.get(), &passed)) {
            const std::string type = msg->value("type", "");
            if (type == kSeccompFdMessage) {
                // The helper waits in any notified syscall until the listener has the fd.
                try {
                    if (!passed || !plan.seccomp)
                        throw Error("linux.seccomp.listenerPath: the exec helper sent no notify fd");
                    send_to_seccomp_listener(
                        plan.seccomp->listener_path,
                        container_process_state(pid, plan.seccomp->listener_metadata, oci_state_json(st, status)),
                        passed.get());
                } catch (const Error& e) {
                    listener_failure = e;
                    break;
                }
                passed.reset();
            } else if (type == "joined") {
                fault_point("exec.namespaces-joined");
            } else if (type == "ready") {
                fault_point("exec.process-ready");
                send_message(parent_end.get(), {{"type", "exec"}});
                started = true;
            } else if (type == "error") {
                failure = std::move(msg);
                break;
            }
        }
    } catch (const Error& e) {
        // EPIPE or ECONNRESET: the helper died (a concurrent kill --all or
        // delete --force reaches it once it is in the container's cgroup).
        // Said below from its status, not as a socket error.
        if (e.err() != EPIPE && e.err() != ECONNRESET) throw;
        started = false;
    }
    if (listener_failure) throw *listener_failure;  // the guard kills the helper
    if (failure) {
        helper.reap();
        throw Error(failure->value("message", "exec failed"), failure->value("errno", 0));
    }
    // EOF: the helper exec'd the stub (after "exec") or died.
    if (!started) {
        const int st_code = helper.reap();
        throw Error("the exec helper exited before the process was ready (status " + std::to_string(st_code) + ")");
    }
    c.reset();
    if (!o.pid_file.empty()) write_file_atomic(o.pid_file, std::to_string(pid), 0644);  // bare pid, like create
    fault_point("exec.started");
    helper.release();
    if (o.detach) return 0;
    if (relay_end) {
        UniqueFd master = receive_fd(relay_end.get());
        const int status = relay_pty_until_exit(master.get(), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return wait_for(pid);
}

}  // namespace berth
