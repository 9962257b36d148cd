// start, state, kill, delete, list and run.
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "cgroups/cgroup_manager.hpp"
#include "container/container.hpp"
#include "errors/error.hpp"
#include "namespaces/net_devices.hpp"
#include "util/files.hpp"
#include "hooks/hooks.hpp"
#include "hooks/hooks_in_container.hpp"
#include "log/log.hpp"
#include "rootfs/rootfs.hpp"
#include "state/process_identity.hpp"
#include "state/state_store.hpp"
#include "terminal/console_socket.hpp"
#include "terminal/pty_relay.hpp"
#include "util/fault_point.hpp"

namespace berth {

using json = nlohmann::json;

// The spec: a failing poststart or poststop hook is logged, and the
// operation goes on, with the hooks after it.
static void run_hooks_logged(const json& list, const std::string& phase, const ContainerState& st,
                             const std::string& status) {
    if (list.empty()) return;
    try {
        for (const auto& failure :
             run_all_hooks(hooks_from_json(list, phase), phase, oci_state_json(st, status).dump()))
            log_warning(failure);
    } catch (const Error& e) {
        log_warning(e.what());
    }
}

static const std::map<std::string, int>& signal_table() {
    static const std::map<std::string, int> names = {
        {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},     {"TRAP", SIGTRAP},
        {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},   {"FPE", SIGFPE},     {"KILL", SIGKILL},
        {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
        {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
        {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU},
        {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
        {"POLL", SIGPOLL}, {"PWR", SIGPWR},       {"SYS", SIGSYS},
    };
    return names;
}

std::vector<std::string> signal_names() {
    std::vector<std::string> out;
    for (const auto& [name, number] : signal_table()) out.push_back(name);
    return out;
}

int parse_signal(const std::string& s) {
    const auto& names = signal_table();
    if (!s.empty() && std::all_of(s.begin(), s.end(), ::isdigit)) {
        int n = std::atoi(s.c_str());
        if (n <= 0 || n > SIGRTMAX) throw Error("invalid signal \"" + s + "\"");
        return n;
    }
    std::string name = s;
    for (auto& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (name.rfind("SIG", 0) == 0) name = name.substr(3);
    auto it = names.find(name);
    if (it == names.end()) throw Error("invalid signal \"" + s + "\"");
    return it->second;
}

json container_state(const RuntimeContext& ctx, const std::string& id) {
    LockedContainer c = StateStore(ctx.root).open_existing(id, true);
    ContainerState st = c.load();
    return oci_state_json(st, status_of(st, c.dir()));
}

// As runc's list: the user that owns the state dir, by name ("#UID" when
// the host has none).
static std::string owner_of(const std::string& dir) {
    struct stat sb;
    if (::stat(dir.c_str(), &sb) < 0) return "";
    struct passwd pw, *found = nullptr;
    char buf[4096];
    if (::getpwuid_r(sb.st_uid, &pw, buf, sizeof buf, &found) == 0 && found) return found->pw_name;
    // Appended: GCC 12 at -O3 warns (-Wrestrict, a false positive) on
    // "#" + std::string&&, and the release build is -Werror.
    return std::string("#").append(std::to_string(sb.st_uid));
}

std::vector<json> list_containers(const RuntimeContext& ctx) {
    StateStore store(ctx.root);
    std::vector<json> out;
    for (const auto& id : store.list()) {
        try {
            auto c = store.open(id, true);
            if (!c) continue;
            ContainerState st = c->load();
            // `state` leaves it empty, as runc's does.
            st.owner = owner_of(c->dir());
            out.push_back(oci_state_json(st, status_of(st, c->dir())));
        } catch (const Error&) {
            // A create that crashed before its first save has no state file.
        }
    }
    return out;
}

void start_container(const RuntimeContext& ctx, const std::string& id) {
    LockedContainer c = StateStore(ctx.root).open_existing(id);
    ContainerState st = c.load();
    const std::string status = status_of(st, c.dir());
    if (status == "stopped") throw Error("cannot start a container that has stopped");
    if (status == "creating") throw Error("cannot start a container that is still being created");
    if (status == "paused") throw Error("cannot start a container in the paused state");
    if (status != "created") throw Error("cannot start an already running container");
    fault_point("start.state-loaded");
    // Before the fifo: the process must not run before they have. A failure
    // stops the container, as the spec asks (runc: start fails and init
    // dies); delete then runs the poststop hooks.
    try {
        // The state JSON only when there are hooks: it carries the annotations.
        if (!st.start_container.empty())
            run_hooks_in_container(st, hooks_from_json(st.start_container, "startContainer"), "startContainer",
                                   oci_state_json(st, "created").dump());
    } catch (const Error&) {
        UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0)));
        if (pidfd && check_liveness(st.pid, st.start_time) == Liveness::Alive)
            ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0);
        throw;
    }
    fault_point("start.start-container-hooks-run");
    const std::string fifo = c.path("exec.fifo");
    // The stub holds the fifo open for reading (and writing: create's fd) and
    // waits for one byte. Without waiting: no reader means no stub.
    UniqueFd fd(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd && errno == ENXIO) {
        if (check_liveness(st.pid, st.start_time) != Liveness::Alive)
            throw Error("cannot start a container that has stopped");
        throw Error("cannot start an already running container");
    }
    if (!fd) throw_errno("open", fifo);
    fault_point("start.fifo-opened");
    // An init that died since the open is an EPIPE to report, not a SIGPIPE
    // to die of; restored at once, for the poststart hooks' sake.
    struct sigaction ignore = {}, previous = {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &previous);
    const ssize_t written = ::write(fd.get(), "0", 1);
    const int write_err = errno;
    ::sigaction(SIGPIPE, &previous, nullptr);
    if (written != 1) {
        if (write_err == EPIPE) throw Error("cannot start a container that has stopped");
        throw Error("write " + fifo + ": " + errno_text(write_err), write_err);
    }
    // From here the stub may go on to the user's program: state then reads
    // "running" even if we die before removing the fifo (status_of).
    // Return once the stub has taken the byte (as runc's start returns once
    // its stub wrote it), noticing if init dies, or is no longer the stub (a
    // start killed after writing let it go on, and this byte stays unread),
    // instead of waiting forever under the lock.
    // Init is looked at before the byte is counted: a stub that takes the
    // byte in between and execs (and even exits, as /bin/true does) has
    // started, and must not read as stopped or already running.
    auto unread_bytes = [&] {
        int unread = 0;
        if (::ioctl(fd.get(), FIONREAD, &unread) < 0) throw_errno("ioctl FIONREAD", fifo);
        return unread;
    };
    for (int round = 0;; ++round) {
        if (unread_bytes() == 0) {
            fault_point("start.fifo-read");
            break;
        }
        const bool alive = check_liveness(st.pid, st.start_time) == Liveness::Alive;
        const bool stub = alive && runs_exec_stub(st.pid);
        if (unread_bytes() == 0) {
            fault_point("start.fifo-read");
            break;
        }
        if (!alive) throw Error("cannot start a container that has stopped");
        if (!stub) {
            ::unlink(fifo.c_str());
            throw Error("cannot start an already running container");
        }
        struct timespec ts = {0, (round < 100 ? 1 : 10) * 1000 * 1000L};
        ::nanosleep(&ts, nullptr);
    }
    // Gone: the container starts at most once.
    ::unlink(fifo.c_str());
    fault_point("start.fifo-removed");
    run_hooks_logged(st.poststart, "poststart", st, "running");
    fault_point("start.done");
}

// The container's processes: its cgroup's, or, for a rootless container
// without a cgroup, those in init's pid namespace (its own: a shared one is
// refused such a container's kill --all, which would reach other processes).
static std::vector<pid_t> member_pids(const ContainerState& st, const CgroupPaths& cgroup) {
    if (!cgroup.procs_dir().empty()) return CgroupManager::pids(cgroup);
    if (st.pid <= 0 || check_liveness(st.pid, st.start_time) != Liveness::Alive) return {};
    if (!st.own_pid_ns)
        throw Error("the container has no cgroup and shares its pid namespace: berth cannot tell its processes");
    struct stat init_ns {};
    if (::stat(("/proc/" + std::to_string(st.pid) + "/ns/pid").c_str(), &init_ns) < 0) return {};
    std::vector<pid_t> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = e.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        struct stat ns {};
        if (::stat((e.path() / "ns/pid").c_str(), &ns) == 0 && ns.st_ino == init_ns.st_ino &&
            ns.st_dev == init_ns.st_dev)
            out.push_back(std::stoi(name));
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<pid_t> container_pids(const RuntimeContext& ctx, const std::string& id) {
    LockedContainer c = StateStore(ctx.root).open_existing(id, true);
    const ContainerState st = c.load();
    return member_pids(st, CgroupPaths::from_json(st.cgroup));
}

// Signals whose default action ends a process.
static bool terminates_by_default(int sig) {
    switch (sig) {
        case SIGCHLD:
        case SIGCONT:
        case SIGSTOP:
        case SIGTSTP:
        case SIGTTIN:
        case SIGTTOU:
        case SIGURG:
        case SIGWINCH: return false;
        default: return true;
    }
}

void kill_container(const RuntimeContext& ctx, const std::string& id, int sig, bool all) {
    LockedContainer c = StateStore(ctx.root).open_existing(id);
    ContainerState st = c.load();
    const CgroupPaths cgroup = CgroupPaths::from_json(st.cgroup);
    // Frozen tasks (v1) act on SIGKILL only once thawed; runc thaws after it.
    auto thaw_if_killed = [&] {
        if (sig != SIGKILL || !CgroupManager::frozen(cgroup)) return;
        try {
            CgroupManager::thaw(cgroup);
        } catch (const Error& e) {
            log_warning(std::string("kill: thaw after SIGKILL: ") + e.what());
        }
    };
    fault_point("kill.state-loaded");
    if (all) {
        // Each pid is pinned with a pidfd and signalled only if it is still in
        // the cgroup after that: one that exited, and was reused outside the
        // container, since cgroup.procs was read never gets the signal.
        std::vector<std::pair<pid_t, UniqueFd>> pinned;
        for (pid_t p : member_pids(st, cgroup))
            if (UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, p, 0))); fd)
                pinned.emplace_back(p, std::move(fd));
        const std::vector<pid_t> members = member_pids(st, cgroup);
        for (auto& [p, fd] : pinned)
            if (std::find(members.begin(), members.end(), p) != members.end() &&
                ::syscall(SYS_pidfd_send_signal, fd.get(), sig, nullptr, 0) < 0 && errno != ESRCH)
                throw_errno("kill " + std::to_string(p));
        thaw_if_killed();
        return;
    }
    const std::string status = status_of(st, c.dir());
    if (status != "created" && status != "running" && status != "paused") throw Error("container not running");
    // A created container's init is the stub, pid 1 of its namespace with no
    // handlers, so the kernel would drop TERM: runc's init dies of it, and
    // `podman stop` relies on that. Deliver what the signal means.
    if (status == "created" && terminates_by_default(sig)) sig = SIGKILL;
    // Through a pidfd checked against init's start time: a pid reused since
    // the status was read cannot receive the signal.
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0)));
    if (!pidfd || check_liveness(st.pid, st.start_time) != Liveness::Alive) throw Error("container not running");
    fault_point("kill.pidfd-opened");
    if (::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) < 0)
        throw_errno("kill container init " + std::to_string(st.pid));
    thaw_if_killed();
    fault_point("kill.signal-sent");
}

void delete_container(const RuntimeContext& ctx, const std::string& id, bool force) {
    StateStore store(ctx.root);
    // A create killed before its state dir got its name left it under a
    // temporary one.
    if (force) store.remove_abandoned(id);
    auto c = store.open(id);
    if (!c) {
        // runc: deleting a missing container with --force succeeds; podman
        // and containerd rely on it.
        if (force) return;
        throw Error("container does not exist", ENOENT);
    }
    ContainerState st;
    bool have_state = true;
    try {
        st = c->load();
    } catch (const Error&) {
        // create crashed before its first save: nothing but the directory.
        if (!force) throw Error("container " + id + " is being created or was left half-created; use delete --force");
        have_state = false;
    }
    fault_point("delete.state-loaded");
    if (have_state) {
        std::string status = status_of(st, c->dir());
        if (status != "stopped" && !force)
            throw Error("cannot delete container " + id + " that is not stopped: " + status);
        // Killing by cgroup is for what init's death does not take along: a
        // container in a shared pid namespace, or a create that never finished.
        const bool kill_members = !st.own_pid_ns || st.creating || st.pid <= 0;
        const CgroupPaths cgroup = CgroupPaths::from_json(st.cgroup);
        if (!st.net_devices.empty()) {
            // Before init dies with its namespace, which would delete a
            // virtual device and rename nothing back.
            std::vector<spec::NetDevice> devices;
            for (const auto& [host, name] : st.net_devices) devices.push_back({host, name});
            const bool alive = st.pid > 0 && check_liveness(st.pid, st.start_time) == Liveness::Alive;
            move_net_devices_out(!st.net_ns_path.empty() ? st.net_ns_path
                                 : alive                 ? "/proc/" + std::to_string(st.pid) + "/ns/net"
                                                         : std::string(),
                                 devices);
            fault_point("delete.net-devices-returned");
        }
        if (status != "stopped" && st.pid > 0) {
            UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, st.pid, 0)));
            if (pidfd && check_liveness(st.pid, st.start_time) == Liveness::Alive &&
                ::syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) == 0 && !kill_members) {
                // The pid namespace goes with init, and the kernel lets init
                // exit only once every other member has: when the pidfd is
                // readable, the cgroup holds nothing of this container. A
                // paused init dies only once thawed.
                try {
                    CgroupManager::thaw(cgroup);
                } catch (const Error& e) {
                    log_warning(std::string("delete: thaw: ") + e.what());
                }
                struct pollfd pfd = {pidfd.get(), POLLIN, 0};
                if (::poll(&pfd, 1, 10000) == 0)
                    log_warning("delete: init " + std::to_string(st.pid) + " still alive 10 s after SIGKILL");
            }
        }
        fault_point("delete.init-killed");
        CgroupManager::destroy(cgroup, kill_members);
        fault_point("delete.cgroup-removed");
        // A container without a mount namespace of its own: its mounts are in
        // the host's, under this bind (create.cpp).
        if (st.host_rootfs_mount) detach_rootfs_bind(st.rootfs, st.host_rootfs_mount);
        run_hooks_logged(st.poststop, "poststop", st, "stopped");
        fault_point("delete.poststop-run");
    }
    c->remove();
    fault_point("delete.done");
}

int wait_container_init(pid_t pid, int init_fd, int master) {
    int status = 0;
    if (master >= 0) {
        status = relay_pty_until_exit(master, pid, init_fd);
    } else {
        static int forward_to = -1;
        forward_to = init_fd;
        struct sigaction sa = {};
        sa.sa_handler = [](int sig) {
            const int saved = errno;
            if (forward_to >= 0) ::syscall(SYS_pidfd_send_signal, forward_to, sig, nullptr, 0);
            errno = saved;
        };
        for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) ::sigaction(sig, &sa, nullptr);
        while (::waitpid(pid, &status, 0) < 0)
            if (errno != EINTR) throw_errno("wait for container");
        forward_to = -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_container(const RuntimeContext& ctx, const CreateOptions& opts, bool detach, bool keep) {
    // As runc: a console socket is for a caller that takes the pty, which a
    // foreground run does itself.
    if (!detach && !opts.console_socket.empty())
        throw Error("cannot use console socket if berth will not detach or allocate tty");
    // Foreground with a terminal: the master comes to us over this pair, and
    // we relay it to our own stdio (as exec -t does).
    CreateOptions o = opts;
    UniqueFd relay_end, console_end;
    if (!detach) {
        int sp[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) throw_errno("socketpair");
        relay_end.reset(sp[0]);
        console_end.reset(sp[1]);
        o.console_fd = console_end.get();
    }
    pid_t pid = create_container(ctx, o);
    console_end.reset();
    // Signals for us go to the container, as with runc run. Through a pidfd,
    // opened while init is our unreaped child (so it is init): a signal that
    // arrives once init is reaped cannot reach a process that reused its pid.
    UniqueFd init_fd, master;
    try {
        if (!detach) {
            init_fd = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
            if (!init_fd) throw_errno("pidfd_open container init " + std::to_string(pid));
            // Init sent the master before it answered ready, or never will.
            master = try_receive_fd(relay_end.get());
            relay_end.reset();
            // The size the process sees from its first instruction on.
            if (master && ::isatty(0)) {
                struct winsize ws;
                if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(master.get(), TIOCSWINSZ, &ws);
            }
        }
        start_container(ctx, opts.id);
    } catch (...) {
        try {
            delete_container(ctx, opts.id, true);
        } catch (...) {
        }
        throw;
    }
    if (detach) return 0;
    const int code = wait_container_init(pid, init_fd.get(), master.get());
    init_fd.reset();
    if (!keep) delete_container(ctx, opts.id, true);
    return code;
}

}  // namespace berth
