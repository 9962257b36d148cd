// `restore`: a container made as create makes one (state dir, cgroup through
// the plugins, hooks) whose processes come from a checkpoint instead of init.
// Everything is checked before the state dir exists; from then on a rollback
// guard undoes what was done if anything fails.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cgroups/cgroup_manager.hpp"
#include "checkpoint/checkpoint.hpp"
#include "checkpoint/checkpoint_options.hpp"
#include "checkpoint/engine_loader.hpp"
#include "container/initial_state.hpp"
#include "container/rollback.hpp"
#include "errors/error.hpp"
#include "hooks/hooks.hpp"
#include "log/log.hpp"
#include "namespaces/loopback.hpp"
#include "plugins/plugin_demand.hpp"
#include "rootfs/path_in_root.hpp"
#include "spec/spec.hpp"
#include "state/process_identity.hpp"
#include "state/state_store.hpp"
#include "terminal/console_socket.hpp"
#include "util/files.hpp"

namespace berth {
namespace {

std::string canonical_dir(const std::string& path, const char* flag) {
    std::error_code ec;
    const auto real = std::filesystem::canonical(path, ec);
    if (ec) throw_sys(ec.value(), flag, path);
    if (!std::filesystem::is_directory(real))
        throw Error(std::string(flag) + ": " + path + ": not a directory", ENOTDIR);
    return real.string();
}

// CRIU needs the root it restores into to be a mount point whose parent is
// not over-mounted: the rootfs bound at <state dir>/criu-root, as runc does.
// The bind is made in a mount namespace of our own (a slave of the host's),
// so that a restore killed halfway leaves no mount behind, only the empty
// directory, which goes with the state dir.
class CriuRoot {
public:
    CriuRoot(const std::string& rootfs, const std::string& dir) : dir_(dir) {
        if (::unshare(CLONE_NEWNS) < 0) throw_errno("restore: unshare the mount namespace");
        if (::mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) throw_errno("restore: make / a slave", "/");
        if (::mkdir(dir_.c_str(), 0700) < 0) throw_errno("mkdir", dir_);
        if (::mount(rootfs.c_str(), dir_.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
            throw_errno("restore: bind the rootfs " + rootfs + " at", dir_);
        mounted_ = true;
    }
    ~CriuRoot() { release(); }
    void release() {
        if (mounted_ && ::umount2(dir_.c_str(), MNT_DETACH) < 0)
            log_warning("restore: unmount " + dir_ + ": " + errno_text(errno));
        mounted_ = false;
        ::rmdir(dir_.c_str());
    }
    const std::string& path() const { return dir_; }

private:
    std::string dir_;
    bool mounted_ = false;
};

// Runs `fn` in the network namespace of `pid`, then comes back.
template <typename Fn>
void in_net_namespace(pid_t pid, Fn&& fn) {
    const std::string theirs_path = "/proc/" + std::to_string(pid) + "/ns/net";
    UniqueFd own(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)),
        theirs(::open(theirs_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!own) throw_errno("open", "/proc/self/ns/net");
    if (!theirs) throw_errno("open", theirs_path);
    if (::setns(theirs.get(), CLONE_NEWNET) < 0) throw_errno("setns", theirs_path);
    try {
        fn();
    } catch (...) {
        ::setns(own.get(), CLONE_NEWNET);
        throw;
    }
    if (::setns(own.get(), CLONE_NEWNET) < 0) throw_errno("setns back", "/proc/self/ns/net");
}

// What berth does at CRIU's notification points of a restore.
class RestoreEvents final : public CheckpointEvents {
public:
    RestoreEvents(const CgroupManager& cgroups, const CgroupPaths& cg, const spec::Spec& s, const ContainerState& st,
                  int console_sock, bool relay)
        : cgroups_(cgroups), cg_(cg), s_(s), st_(st), console_sock_(console_sock), relay_(relay) {}

    Status notify(const CheckpointNotice& n) noexcept override {
        try {
            log_debug(std::string("restore: criu notification ") + n.name + " (pid " + std::to_string(n.pid) + ")");
            switch (n.event) {
                case CheckpointEvent::kToolStarted:
                    // The restored processes are made by CRIU's forks: they
                    // start in its cgroup, the container's (runc does this too).
                    cgroups_.join(cg_, n.pid);
                    break;
                case CheckpointEvent::kSetupNamespaces: setup_namespaces(n.pid); break;
                case CheckpointEvent::kConsoleMaster: console_master(n.fd); break;
                default: break;
            }
            return Status::Ok();
        } catch (const Error& e) {
            return Status::Error(e.err() ? e.err() : EIO, e.what());
        } catch (const std::exception& e) {
            return Status::Error(EIO, e.what());
        }
    }

    UniqueFd take_master() { return std::move(master_); }

private:
    void setup_namespaces(pid_t pid) {
        // CRIU leaves a new network namespace as empty as runc asks it to
        // (parse_empty_ns): its loopback is brought up, as create does.
        const spec::Namespace* net = s_.find_namespace(CLONE_NEWNET);
        if (net && net->path.empty()) in_net_namespace(pid, [] { bring_loopback_up(); });
        // As runc: the hooks create runs before the process starts, with
        // the restored init's pid.
        if (s_.hooks.prestart.empty() && s_.hooks.create_runtime.empty()) return;
        ContainerState st = st_;
        st.pid = pid;
        const std::string state = oci_state_json(st, "creating").dump();
        run_hooks(s_.hooks.prestart, "prestart", state);
        run_hooks(s_.hooks.create_runtime, "createRuntime", state);
    }

    void console_master(int fd) {
        if (fd < 0) throw Error("restore: criu sent no fd with orphan-pts-master");
        if (console_sock_ >= 0) {
            unsigned n = 0;
            const std::string name = ::ioctl(fd, TIOCGPTN, &n) == 0 ? "/dev/pts/" + std::to_string(n) : "console";
            send_fd(console_sock_, fd, name);
        } else if (relay_) {
            master_.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
            if (!master_) throw_errno("dup the console master");
        } else {
            throw Error("restore: the checkpoint has a console, but process.terminal is false in the config");
        }
    }

    const CgroupManager& cgroups_;
    const CgroupPaths& cg_;
    const spec::Spec& s_;
    const ContainerState& st_;
    int console_sock_;
    bool relay_;
    UniqueFd master_;
};

// The container's cgroup per hierarchy, from each hierarchy's root (CRIU's
// cg_root): where the processes of the image go, whatever its cgroup was.
std::vector<std::pair<std::string, std::string>> cgroup_roots(const CgroupLayout& layout, const CgroupPaths& cg) {
    std::vector<std::pair<std::string, std::string>> out;
    auto below = [](const std::string& dir, const std::string& mount) {
        return dir.compare(0, mount.size(), mount) == 0 ? dir.substr(mount.size()) : dir;
    };
    if (!cg.unified.empty() && !layout.unified_mount.empty())
        out.emplace_back(layout.mode == CgroupMode::Unified ? "" : "unified", below(cg.unified, layout.unified_mount));
    for (const auto& [ctrl, dir] : cg.v1) {
        auto it = layout.v1_mounts.find(ctrl);
        if (it != layout.v1_mounts.end()) out.emplace_back(ctrl, below(dir, it->second));
    }
    return out;
}

// The pipes and outside files the container had as stdio at dump
// (kDescriptorsFile) are ours now: CRIU gives the restored processes our fds
// 0-2 in their place.
std::vector<InheritedFd> stdio_pipes(const std::string& image_dir) {
    std::vector<InheritedFd> out;
    const std::string path = image_dir + "/" + kDescriptorsFile;
    if (::access(path.c_str(), F_OK) < 0) return out;
    const auto fds = nlohmann::json::parse(read_file(path), nullptr, false);
    if (!fds.is_array()) throw Error("--image-path: " + path + ": not a JSON array of fd targets");
    for (size_t i = 0; i < fds.size() && i < 3; ++i)
        if (fds[i].is_string() &&
            (fds[i].get<std::string>().rfind("pipe:", 0) == 0 || fds[i].get<std::string>().rfind("file[", 0) == 0))
            out.push_back({fds[i].get<std::string>(), static_cast<int>(i)});
    return out;
}

void write_pid_file(const std::string& path, pid_t pid) {
    if (!path.empty()) write_file_replace(path, std::to_string(pid), 0644);
}

// CRIU binds each external mount onto its destination in the restored root,
// which must be there: a rootfs that never ran the container (podman's
// `restore --import`, another host) lacks what create made for the bind mounts
// (/etc/hosts, a volume's directory). Made as create makes them, a file for a
// file's bind, confined to the rootfs; not under a tmpfs, whose content CRIU
// restores whole (runc's prepareCriuRestoreMounts).
void make_bind_mountpoints(const std::string& rootfs, const spec::Spec& s, const std::string& bundle) {
    std::vector<std::string> tmpfs;
    for (const auto& m : s.mounts)
        if (m.type == "tmpfs") tmpfs.push_back(spec::clean_absolute_path(m.destination));
    const auto under_tmpfs = [&](const std::string& path) {
        for (const auto& t : tmpfs)
            if (t == "/" || path == t || path.rfind(t + "/", 0) == 0) return true;
        return false;
    };
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("restore: open the rootfs", rootfs);
    for (const auto& m : s.mounts) {
        if (m.type != "bind") continue;
        const std::string dest = spec::clean_absolute_path(m.destination);
        if (under_tmpfs(dest)) continue;
        const std::string source = m.source.empty() || m.source[0] == '/' ? m.source : bundle + "/" + m.source;
        struct stat sb;
        const bool file = ::stat(source.c_str(), &sb) == 0 && !S_ISDIR(sb.st_mode);
        if (file) touch_in_root(root.get(), dest);
        else mkdir_all_in_root(root.get(), dest);
    }
}

}  // namespace

int restore_container(const RuntimeContext& ctx, const RestoreOptions& o) {
    // --- everything is checked first: nothing on the system changes above store.create()
    validate_container_id(o.id);
    const std::string bundle = canonical_dir(o.bundle, "--bundle");
    spec::Spec s = spec::load_spec(bundle);
    if (!s.process) throw Error("process: is required to restore a container");
    const std::string rootfs =
        canonical_dir(s.root_path[0] == '/' ? s.root_path : bundle + "/" + s.root_path, "root.path");
    const std::string image_dir = canonical_dir(o.criu.image_dir, "--image-path");
    if (::access((image_dir + "/inventory.img").c_str(), F_OK) < 0)
        throw Error("--image-path: " + image_dir + " holds no checkpoint (inventory.img: " + errno_text(errno) + ")",
                    ENOENT);
    if (s.process->terminal && o.detach && o.console_socket.empty())
        throw Error("cannot allocate tty if berth will detach without setting console socket");
    if (!s.process->terminal && !o.console_socket.empty())
        throw Error("cannot use console socket if berth will not detach or allocate tty");
    if (ctx.systemd_cgroup)
        throw Error("restore: --systemd-cgroup is not supported yet (the cgroupfs driver only; docs/checkpoint.md)");
    if (!s.linux.net_devices.empty())
        throw Error("restore: linux.netDevices is not supported yet (docs/checkpoint.md)");
    if (!s.linux.net_devices.empty())
        throw Error("restore: linux.netDevices is not supported yet (docs/checkpoint.md)");
    if (o.no_pivot) log_warning("restore: --no-pivot changes nothing: CRIU sets up the restored root itself");

    const PluginRegistry plugins =
        load_checkpoint_plugins(ctx, o.plugins, plugin_demand(s.linux.resources.json, false), "restore");
    CgroupManager cgroups(detect_cgroup_layout(), plugins.cgroup_subsystems());
    cgroups.validate(s.linux.resources);
    CgroupPaths cg = cgroups.plan(s.linux.cgroups_path, o.id);

    RestoreRequest req;
    req.options = o.criu;
    req.options.image_dir = image_dir;
    if (!req.options.work_dir.empty()) make_dirs(req.options.work_dir, 0700);
    req.has_terminal = s.process->terminal;
    req.external_mounts = restore_external_mounts(s, bundle);
    req.inherit_fds = stdio_pipes(image_dir);
    std::vector<UniqueFd> ns_fds;
    for (const auto& ns : s.linux.namespaces) {
        if (ns.path.empty()) continue;
        const std::string key = external_namespace_key(ns.type);
        if (key.empty()) {
            req.join_namespaces.emplace_back(criu_namespace_name(ns.type), ns.path);
            continue;
        }
        UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw_errno("linux.namespaces: " + ns.type, ns.path);
        req.inherit_fds.push_back({key, fd.get()});
        ns_fds.push_back(std::move(fd));
    }
    req.cgroup_roots = cgroup_roots(cgroups.layout(), cg);
    UniqueFd console;
    if (!o.console_socket.empty()) console = connect_console_socket(o.console_socket);
    // A foreground restore waits for the processes like `run`: as runc, it
    // adopts what they leave behind unless told not to.
    if (!o.detach && !o.no_subreaper && ::prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        throw_errno("prctl(PR_SET_CHILD_SUBREAPER)");

    // --- from here on, the rollback guard undoes what was done
    pid_t pid = 0;
    UniqueFd init_fd, master;
    {
        StateStore store(ctx.root);
        LockedContainer c = store.create(o.id);
        ContainerRollback rollback(c);
        CgroupManager::refuse_shared(cg, s.linux.cgroups_path.empty());
        ContainerState st = initial_state(o.id, bundle, rootfs, s, plugins);
        st.cgroup = cg.to_json();
        c.save(st);
        // exec starts from the config the container was made with.
        write_file_replace(c.path("exec.json"), s.exec_config.dump(), 0600);
        rollback.set_cgroups(&cg);
        cgroups.create(cg, s.linux.resources);
        st.cgroup = cg.to_json();
        c.save(st);

        make_bind_mountpoints(rootfs, s, bundle);
        CriuRoot root(rootfs, c.path("criu-root"));
        req.root = root.path();
        RestoreEvents events(cgroups, cg, s, st, console.get(), s.process->terminal && !o.detach);
        const Status done = plugins.checkpoint_engine()->restore(req, events, &pid);
        if (pid > 0) rollback.set_pid(pid);
        root.release();
        if (!done.ok()) throw Error("restore: " + done.message, done.err);
        master = events.take_master();
        // Opened while the restored init is our unreaped child: it is that process.
        init_fd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
        if (!init_fd) throw_errno("pidfd_open restored init " + std::to_string(pid));
        const auto ps = read_proc_stat(pid);
        if (!ps) throw Error("restored init " + std::to_string(pid) + " vanished");
        st.pid = pid;
        st.start_time = ps->start_time;
        st.creating = false;
        c.save(st);
        write_pid_file(o.pid_file, pid);
        rollback.commit();
    }
    if (o.detach) return 0;
    const int code = wait_container_init(pid, init_fd.get(), master.get());
    delete_container(ctx, o.id, true);
    return code;
}

}  // namespace berth
