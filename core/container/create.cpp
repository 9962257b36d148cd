// `create`: everything is validated before the system is touched; from the
// first change on, a rollback guard undoes what was done if anything fails.
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "cgroups/cgroup_manager.hpp"
#include "cgroups/systemd/systemd_scope.hpp"
#include "cgroups/systemd/systemd_unit.hpp"
#include "container/container.hpp"
#include "container/initial_state.hpp"
#include "container/rollback.hpp"
#include "errors/error.hpp"
#include "lsm/lsm.hpp"
#include "namespaces/net_devices.hpp"
#include "rootless/rootless.hpp"
#include "hooks/hooks.hpp"
#include "init/container_init.hpp"
#include "process/clone_process.hpp"
#include "init/exec_stub.hpp"
#include "init/init_channel.hpp"
#include "log/log.hpp"
#include "namespaces/namespaces.hpp"
#include "plugins/registry.hpp"
#include "rootfs/host_mount_sources.hpp"
#include "rootfs/rootfs.hpp"
#include "seccomp/seccomp_listener.hpp"
#include "spec/spec.hpp"
#include "state/process_identity.hpp"
#include "state/state_store.hpp"
#include "terminal/console_socket.hpp"
#include "util/fault_point.hpp"
#include "util/files.hpp"

namespace berth {
namespace {

std::string absolute(const std::string& p) {
    char buf[PATH_MAX];
    if (!::realpath(p.c_str(), buf)) throw_errno("resolve", p);
    return buf;
}

void check_supported(const spec::Spec& s) {
    if (!s.process) throw Error("process: is required to create a container");
    // A mount namespace joined by path is set up like a new one, as runc does;
    // without any, the mounts are made in the host's, under a bind of the
    // rootfs that delete detaches (docs/architecture.md).
    validate_namespace_paths(s);
}

// Whether a linux.resources value asks for anything (zero, "", null, [] and
// objects of those do not: docker sends zeros for what it leaves alone).
bool asks(const nlohmann::json& v) {
    if (v.is_null()) return false;
    if (v.is_number()) return v.get<double>() != 0;
    if (v.is_string()) return !v.get<std::string>().empty();
    if (v.is_boolean()) return v.get<bool>();
    for (const auto& item : v)
        if (asks(item)) return true;
    return false;
}

// A rootless caller gets a cgroup only where it may make one: a cgroup v2
// subtree delegated to it (chowned, or systemd's user@.service). Without
// one, a container that asks for no limits goes on without a cgroup, and
// one that asks for limits is refused naming them (runc's rule). The device
// allowlist needs none: such a container cannot make device nodes, only get
// the host's through its mounts.
CgroupPaths plan_rootless_cgroup(const CgroupManager& cgroups, const spec::Spec& s, const std::string& id) {
    const CgroupLayout& l = cgroups.layout();
    // Beside the caller's own cgroup: its own holds processes, and v2 lets
    // no controller be enabled below a cgroup that does.
    const std::string own = l.own_unified.empty() ? "/" : l.own_unified;
    const std::string parent = own.substr(0, own.find_last_of('/')) + "/berth";
    CgroupPaths p = cgroups.plan(s.linux.cgroups_path, id, parent);
    // The deepest directory of each leaf that exists must be ours to write.
    std::string why;
    auto writable = [&](const std::string& leaf) {
        std::string dir = leaf;
        while (dir.size() > 1 && ::access(dir.c_str(), F_OK) != 0) dir = dir.substr(0, dir.find_last_of('/'));
        if (::access(dir.c_str(), W_OK) == 0) return true;
        why = dir + " is not writable by uid " + std::to_string(::geteuid());
        return false;
    };
    bool ok = l.mode == CgroupMode::Unified && !p.unified.empty() && writable(p.unified);
    if (l.mode != CgroupMode::Unified) why = "cgroup v1 hierarchies are not delegated to users";
    if (ok) return p;
    const nlohmann::json raw = nlohmann::json::parse(s.linux.resources.json, nullptr, false);
    if (raw.is_object())
        for (const auto& [key, value] : raw.items())
            if (key != "devices" && asks(value))
                throw Error("linux.resources." + key + ": a rootless container cannot be given limits here: " + why +
                                " (docs/rootless.md: a delegated cgroup v2 subtree)",
                            EPERM);
    log_debug("rootless: the container gets no cgroup: " + why);
    CgroupPaths none;
    none.mode = l.mode;
    return none;
}

void write_id_map(pid_t pid, const char* file, const char* field, const std::vector<spec::IdMapping>& maps) {
    std::string text;
    for (auto& m : maps)
        text += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
    const std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    try {
        write_existing_file(path, text);
    } catch (const Error& e) {
        throw Error(std::string("linux.") + field + ": " + e.what(), e.err());
    }
}

// pid and time namespaces apply to children, so the parent joins or creates
// them before clone. Returns clone flags still to pass.
// The parent's own pid_for_children/time_for_children, restored after clone
// so that hooks and later children stay in the host's namespaces.
struct ChildNamespaces {
    UniqueFd pid, time;
    void restore() {
        if (pid && ::setns(pid.get(), CLONE_NEWPID) < 0) throw_errno("restore pid namespace for children");
        if (time && ::setns(time.get(), CLONE_NEWTIME) < 0) throw_errno("restore time namespace for children");
    }
};

int prepare_child_namespaces(const spec::Spec& s, ChildNamespaces& saved) {
    int flags = 0;
    for (const auto& ns : s.linux.namespaces) {
        if (ns.path.empty()) {
            // A new cgroup namespace is made by init once it is in its
            // cgroup, so that the container's cgroup is its root.
            if (ns.clone_flag != CLONE_NEWTIME && ns.clone_flag != CLONE_NEWCGROUP) flags |= ns.clone_flag;
            continue;
        }
        if (ns.clone_flag != CLONE_NEWPID && ns.clone_flag != CLONE_NEWTIME) continue;
        if (ns.clone_flag == CLONE_NEWPID)
            saved.pid = UniqueFd(::open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC));
        else saved.time = UniqueFd(::open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC));
        join_namespace(ns);
    }
    if (const spec::Namespace* t = s.find_namespace(CLONE_NEWTIME); t && t->path.empty()) {
        saved.time = UniqueFd(::open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC));
        if (::unshare(CLONE_NEWTIME) < 0) throw_errno("linux.namespaces: create time namespace");
        std::string offsets;
        for (auto& [clock, off] : s.linux.time_offsets)
            offsets += clock + " " + std::to_string(off.first) + " " + std::to_string(off.second) + "\n";
        if (!offsets.empty()) write_existing_file("/proc/self/timens_offsets", offsets);
    }
    return flags;
}

void write_pid_file(const std::string& path, pid_t pid) {
    if (path.empty()) return;
    // Bare pid, no newline: some readers use Atoi.
    write_file_replace(path, std::to_string(pid), 0644);
}

// --debug: how long each step of create took, from its start.
class StepTimer {
public:
    void operator()(const char* step) {
        log_debug(std::string("create: ") + step + " at " +
                  std::to_string(
                      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count()) +
                  " ms");
    }

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace

pid_t create_container(const RuntimeContext& ctx, const CreateOptions& opts) {
    StepTimer step;
    // --- validate everything first: nothing on the system changes above the store.create() line
    validate_container_id(opts.id);
    const std::string bundle = absolute(opts.bundle);
    // The text lives only while it is parsed: a config of hundreds of MB
    // must not be held twice (see exhaustion_test). Not const: the
    // annotations are moved into the state, not copied.
    spec::Spec s = spec::parse_spec([&] {
        try {
            return read_file(bundle + "/config.json");
        } catch (const Error& e) {
            throw Error("cannot read bundle config: " + std::string(e.what()), e.err());
        }
    }());
    check_supported(s);
    const std::string rootfs_in = s.root_path[0] == '/' ? s.root_path : bundle + "/" + s.root_path;
    struct stat sb;
    if (::stat(rootfs_in.c_str(), &sb) < 0) throw Error("root.path: " + rootfs_in + ": " + errno_text(errno), errno);
    if (!S_ISDIR(sb.st_mode)) throw Error("root.path: " + rootfs_in + ": not a directory", ENOTDIR);
    const std::string rootfs = absolute(rootfs_in);
    if (s.process->terminal && opts.console_socket.empty() && opts.console_fd < 0)
        throw Error("cannot allocate tty if berth will detach without setting console socket");
    if (!s.process->terminal && !opts.console_socket.empty())
        throw Error("cannot use console socket if berth will not detach or allocate tty");
    if (opts.preserve_fds < 0) throw Error("--preserve-fds: must not be negative");
    // Checked before we open anything: a fd we open ourselves must never be
    // taken for one of the caller's and handed to the container.
    for (int fd = 3; fd < 3 + opts.preserve_fds; ++fd)
        if (::fcntl(fd, F_GETFD) < 0) throw Error("--preserve-fds: fd " + std::to_string(fd) + " is not open", EBADF);

    // Only the plugins this config needs are loaded (registry.hpp); the rest
    // stay active, recorded and planned as before.
    const PluginDemand demand = plugin_demand(s.linux.resources.json, !s.mounts.empty());
    PluginRegistry plugins = PluginRegistry::load(load_plugin_config(plugin_config_path(ctx.plugin_config)),
                                                  opts.plugins, {&demand, ctx.plugin_index});
    step("spec parsed, plugins loaded");
    CgroupManager cgroups(detect_cgroup_layout(), plugins.cgroup_subsystems());
    cgroups.validate(s.linux.resources);
    validate_mounts(s, bundle, plugins);
    lsm::check(*s.process, s.linux.mount_label);
    check_net_devices(s);
    // Bind sources opened with our privileges (a user namespace, idmapped
    // mounts); init inherits the fds through clone.
    HostMountSources mount_sources = HostMountSources::open(s, bundle, plugins.mount_handler_abi_minor("bind") >= 1);
    // --systemd-cgroup: systemd makes the directory, a transient scope whose
    // cgroupsPath is slice:prefix:name; it is made once init exists (a
    // scope needs a pid), so init is cloned outside it and moved in by systemd.
    std::optional<systemd::UnitPlacement> unit;
    std::vector<systemd::Property> unit_properties;
    if (ctx.systemd_cgroup) {
        if (cgroups.layout().mode != CgroupMode::Unified)
            throw Error(
                "--systemd-cgroup: berth's systemd driver needs cgroup v2 alone (unified); this host's cgroups are " +
                to_string(cgroups.layout().mode));
        unit = systemd::parse_cgroups_path(s.linux.cgroups_path, opts.id);
        unit_properties = systemd::resource_properties(plugins.cgroup_subsystems(), s.linux.resources);
    }
    if (ctx.rootless && ::geteuid() != 0 && !s.has_namespace(CLONE_NEWUSER))
        throw Error("linux.namespaces: a rootless container needs a user namespace (berth runs as uid " +
                        std::to_string(::geteuid()) + "; `berth spec --rootless` writes one)",
                    EPERM);
    CgroupPaths cg = ctx.rootless && !unit ? plan_rootless_cgroup(cgroups, s, opts.id)
                                           : cgroups.plan(unit ? unit->cgroup : s.linux.cgroups_path, opts.id);
    if (unit) cg.planned.clear();  // systemd's to make and remove, never ours
    // What state.json says of the cgroup. Of a scope, nothing until
    // StartTransientUnit has made it ours: a unit of that name may be another
    // container's until then, and delete --force after a crash must not touch it.
    auto saved_cgroup = [&] {
        if (!unit || !cg.systemd_unit.empty()) return cg.to_json();
        CgroupPaths none;
        none.mode = cg.mode;
        return none.to_json();
    };

    step("validated");
    // --- from here on, the rollback guard undoes what we did
    StateStore store(ctx.root);
    LockedContainer c = store.create(opts.id);
    ContainerRollback rollback(c);
    // After the id is known to be free: a duplicate id's cgroup is busy too,
    // and "container with id exists" is the error that names the problem.
    CgroupManager::refuse_shared(cg, s.linux.cgroups_path.empty() && !unit);
    ContainerState st = initial_state(opts.id, bundle, rootfs, s, plugins);
    st.cgroup = saved_cgroup();
    // Saved before anything else exists, so that `delete --force` can clean
    // up after a create that crashed: the cgroup plan lists every directory
    // cgroups.create() may make (and those it must never remove).
    c.save(st);
    fault_point("create.state-saved");
    s.exec_config["noNewKeyring"] = opts.no_new_keyring;
    write_file_replace(c.path("exec.json"), s.exec_config.dump(), 0600);

    if (!unit) {
        rollback.set_cgroups(&cg);
        cgroups.create(cg, s.linux.resources);
    }
    st.cgroup = saved_cgroup();
    c.save(st);
    fault_point("create.cgroup-saved");
    step("state dir and cgroup made");

    const std::string fifo = c.path("exec.fifo");
    if (::mkfifo(fifo.c_str(), 0600) < 0) throw_errno("mkfifo", fifo);
    // Init inherits it and the stub waits reading it; `start` writes the byte
    // (crun's direction; runc's stub opens /proc/self/fd/N for writing, which
    // needs a /proc in the container). Read-write, so that opening it does not
    // wait for a writer and the stub's read waits for the byte rather than
    // seeing end of file: the stub itself counts as a writer. Nothing in the
    // container opens it by path: the state dir is not there.
    UniqueFd opened(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
    if (!opened) throw_errno("open", fifo);
    // Above fd 3 and the preserved fds, which init moves into place.
    UniqueFd fifo_fd(::fcntl(opened.get(), F_DUPFD_CLOEXEC, 4 + opts.preserve_fds));
    if (!fifo_fd) throw_errno("dup", fifo);
    opened.reset();
    fault_point("create.fifo-made");
    mount_sources.make_devices(s, c.path("devices"));
    if (!s.has_namespace(CLONE_NEWNS)) {
        // Saved at once: delete --force detaches it after a crash from here.
        st.host_rootfs_mount = bind_rootfs_in_host_namespace(rootfs);
        rollback.set_rootfs_bind(rootfs, st.host_rootfs_mount);
        c.save(st);
        fault_point("create.rootfs-bound");
    }
    UniqueFd stub = make_exec_stub_memfd();
    UniqueFd console;
    if (!opts.console_socket.empty()) {
        console = connect_console_socket(opts.console_socket);
    } else if (s.process->terminal && opts.console_fd >= 0) {
        console.reset(::fcntl(opts.console_fd, F_DUPFD_CLOEXEC, 3));
        if (!console) throw_errno("dup console fd");
    }
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) throw_errno("socketpair");
    UniqueFd parent_end(sp[0]), child_end(sp[1]);

    UniqueFd unified_fd;
    if (!cg.unified.empty() && !unit) unified_fd.reset(::open(cg.unified.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    // Init joins its v1 hierarchies itself (CgroupManager::join_self says
    // why), where it is root on the host's files: not in a user namespace,
    // not under systemd (which places the scope's process).
    const std::vector<std::string> join_v1_tasks =
        !unit && !s.has_namespace(CLONE_NEWUSER) ? CgroupManager::self_join_files(cg) : std::vector<std::string>{};
    // Below, create writes init's id maps as the user when it is not root.
    const bool maps_by_user = ::geteuid() != 0 && s.has_namespace(CLONE_NEWUSER);
    ChildNamespaces host_ns;
    int flags = prepare_child_namespaces(s, host_ns);
    std::fflush(nullptr);
    bool in_unified = false;
    pid_t pid = clone_process(flags, unified_fd.get(), &in_unified);
    if (pid < 0) throw_errno("clone");
    if (pid == 0) {
        parent_end.reset();
        unified_fd.reset();
        InitFds fds{child_end.get(),   stub.get(),     console.get(),  fifo_fd.get(),
                    opts.preserve_fds, &mount_sources, &join_v1_tasks, maps_by_user};
        run_container_init(fds, plugins, s);
    }
    unified_fd.reset();
    rollback.set_pid(pid);
    // Init may die before it reads the spec: a write to its end of the
    // channel must fail with EPIPE, not kill us before the rollback. Only
    // now, so that init (and the container's process) keep the default.
    ::signal(SIGPIPE, SIG_IGN);
    host_ns.restore();
    step("cloned init");
    child_end.reset();
    console.reset();
    // Init's alone from here: start must find no reader once init is gone.
    fifo_fd.reset();
    // Init's identity is saved at once: from here on `delete --force` after
    // a crash of ours can kill it even before it is in its cgroup (it also
    // dies on its own: PR_SET_PDEATHSIG, or EOF on fd 3 before the spec).
    if (auto ps = read_proc_stat(pid)) {
        st.pid = pid;
        st.start_time = ps->start_time;
        c.save(st);
    }
    fault_point("create.cloned");

    if (s.has_namespace(CLONE_NEWUSER)) {
        if (maps_by_user) {
            rootless::write_id_maps(pid, s.linux.uid_mappings, s.linux.gid_mappings);
        } else {
            write_id_map(pid, "uid_map", "uidMappings", s.linux.uid_mappings);
            write_id_map(pid, "gid_map", "gidMappings", s.linux.gid_mappings);
        }
    }
    if (unit) {
        // Only once the unit is ours does the rollback's destroy stop it: a
        // unit of the same name that exists already (UnitExists) is another
        // container's.
        systemd::SystemdScope::start(*unit, pid, unit_properties, "berth container " + opts.id).release();
        // A crash before this save leaves the scope to systemd: delete
        // --force kills init (saved above), and systemd removes an empty scope.
        struct stat scope;
        if (::stat(cg.unified.c_str(), &scope) < 0) throw_errno("the scope's cgroup", cg.unified);
        cg.systemd_unit = unit->unit;
        cg.systemd_cgroup_id = scope.st_ino;
        st.cgroup = cg.to_json();
        c.save(st);
        rollback.set_cgroups(&cg);
        fault_point("create.systemd-scope");
        // What systemd has no property for, and the same values again as
        // files, through the plugins in the delegated cgroup.
        cgroups.update(cg, s.linux.resources);
        in_unified = true;
    }
    // Placed before it runs anything of the user's.
    cgroups.join(cg, pid, in_unified, !join_v1_tasks.empty());
    if (!join_v1_tasks.empty()) {
        const std::optional<nlohmann::json> joined = receive_answer(parent_end.get(), "container init's cgroup join");
        if (!joined || joined->value("type", "") != "joined")
            throw Error("container init exited before it joined its cgroups");
    }
    fault_point("create.cgroup-joined");
    if (!s.linux.net_devices.empty()) {
        // Saved first: after a crash, delete --force moves them back.
        const spec::Namespace* net = s.find_namespace(CLONE_NEWNET);
        st.net_ns_path = net->path;
        for (const auto& d : s.linux.net_devices) st.net_devices.emplace_back(d.host_name, d.name);
        c.save(st);
        const std::string netns = net->path.empty() ? "/proc/" + std::to_string(pid) + "/ns/net" : net->path;
        UniqueFd ns(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
        if (!ns) throw_errno("linux.netDevices: open the container's network namespace", netns);
        rollback.set_net_devices(&s.linux.net_devices, ns.get());
        move_net_devices_in(ns.get(), s.linux.net_devices);
        fault_point("create.net-devices-moved");
    }
    auto ps = read_proc_stat(pid);
    if (!ps) throw Error("init process " + std::to_string(pid) + " vanished");
    st.pid = pid;
    st.start_time = ps->start_time;

    // createContainer hooks are init's to run (container_init.cpp). Only
    // built for hooks: the annotations may be huge (exhaustion_test).
    const bool any_hooks =
        !s.hooks.prestart.empty() || !s.hooks.create_runtime.empty() || !s.hooks.create_container.empty();
    const std::string state_json = any_hooks ? oci_state_json(st, "creating").dump() : std::string();
    run_hooks(s.hooks.prestart, "prestart", state_json);
    run_hooks(s.hooks.create_runtime, "createRuntime", state_json);
    fault_point("create.hooks-run");

    step("init placed in its cgroup");
    // Init is a clone of us and has the parsed spec already: the message only
    // says "go" with what was decided since.
    send_message(parent_end.get(), {{"rootfs", rootfs},
                                    {"bundle", bundle},
                                    {"no_pivot", opts.no_pivot},
                                    {"keyring", opts.no_new_keyring ? "" : opts.id},
                                    {"state", s.hooks.create_container.empty() ? "" : state_json}});
    fault_point("create.spec-sent");
    bool ready = false;
    UniqueFd passed;
    while (auto msg = receive_message(parent_end.get(), &passed)) {
        const std::string type = msg->value("type", "");
        if (type == "ready") {
            ready = true;
        } else if (type == kSeccompFdMessage) {
            if (!passed || !s.linux.seccomp) throw Error("linux.seccomp.listenerPath: init sent no notify fd");
            // Init waits in any notified syscall until the listener has it.
            send_to_seccomp_listener(
                s.linux.seccomp->listener_path,
                container_process_state(pid, s.linux.seccomp->listener_metadata, oci_state_json(st, "creating")),
                passed.get());
            passed.reset();
            fault_point("create.seccomp-fd-sent");
        } else if (type == "error") {
            throw Error(msg->value("message", "init failed"), msg->value("errno", 0));
        }
    }
    step("init answered");
    // Attached by init (or not needed any more): the host keeps no node.
    remove_devices(c.path("devices"));
    fault_point("create.init-answered");
    // EOF: init either exec'd the stub (after "ready") or died. "ready"
    // alone is not enough: init may die between it and the exec. fd 3 is
    // closed by the exec only once init's new image is in place, and by
    // death only once its memory is gone, so at EOF /proc/PID/exe tells.
    if (!ready || !runs_exec_stub(pid)) {
        int status = 0;
        if (!ready) {
            ::waitpid(pid, &status, 0);
            rollback.set_pid(0);
        }
        throw Error("container init exited before it was ready (status " + std::to_string(status) + ")");
    }
    fault_point("create.init-ready");
    st.creating = false;
    c.save(st);
    fault_point("create.saved");
    write_pid_file(opts.pid_file, pid);
    rollback.commit();
    fault_point("create.done");
    step("done");
    return pid;
}

}  // namespace berth
