#include "rootfs/host_mount_sources.hpp"
#include "rootfs/propagation.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <algorithm>

#include "berth/mount_options.hpp"
#include "errors/error.hpp"
#include "rootless/rootless.hpp"
#include "util/files.hpp"

namespace berth {
namespace {

// A forked child that has unshared its user namespace and waits on a pipe
// for us to go; killed and reaped on destruction.
class UsernsHelper {
public:
    UsernsHelper() {
        int ready[2], hold[2];
        if (::pipe2(ready, O_CLOEXEC) < 0) throw_errno("idmap: pipe");
        UniqueFd ready_r(ready[0]), ready_w(ready[1]);
        if (::pipe2(hold, O_CLOEXEC) < 0) throw_errno("idmap: pipe");
        UniqueFd hold_r(hold[0]), hold_w(hold[1]);
        pid_ = ::fork();
        if (pid_ < 0) throw_errno("idmap: fork user namespace helper");
        if (pid_ == 0) {
            // Only async-signal-safe calls: we are a fork of create.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
            char ok = ::unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
            if (::write(ready_w.get(), &ok, 1) != 1) _exit(1);
            char b;
            while (::read(hold_r.get(), &b, 1) < 0 && errno == EINTR) {
            }
            _exit(0);
        }
        ready_w.reset();
        hold_r.reset();
        hold_ = std::move(hold_w);
        char ok = 'n';
        ssize_t n;
        while ((n = ::read(ready_r.get(), &ok, 1)) < 0 && errno == EINTR) {
        }
        if (n != 1 || ok != 'y') {
            // The destructor does not run for a constructor that throws.
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
            throw Error("idmap: the user namespace helper could not unshare its user namespace", EPERM);
        }
    }
    ~UsernsHelper() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    UniqueFd hold_;
};

}  // namespace

bool opened_by_host(const spec::Mount& m, bool userns) {
    return m.type == "bind" && (userns || !m.uid_mappings.empty());
}

bool has_submounts(const std::string& mountinfo, const std::string& dir) {
    const std::string prefix = dir == "/" ? "/" : dir + "/";
    size_t at = 0;
    while (at < mountinfo.size()) {
        size_t nl = mountinfo.find('\n', at);
        if (nl == std::string::npos) nl = mountinfo.size();
        // Field 5 is the mount point, with space, tab, newline and backslash
        // as octal escapes.
        size_t pos = at;
        for (int field = 0; field < 4 && pos < nl; ++field) {
            size_t sp = mountinfo.find(' ', pos);
            pos = sp == std::string::npos ? nl : sp + 1;
        }
        size_t end = std::min(mountinfo.find(' ', pos), nl);
        std::string point;
        for (size_t i = pos; i < end; ++i) {
            if (mountinfo[i] == '\\' && i + 3 < end) {
                point += static_cast<char>(std::stoi(mountinfo.substr(i + 1, 3), nullptr, 8));
                i += 3;
            } else {
                point += mountinfo[i];
            }
        }
        if (point.size() > prefix.size() && point.compare(0, prefix.size(), prefix) == 0) return true;
        at = nl + 1;
    }
    return false;
}

std::string id_map_text(const std::vector<spec::IdMapping>& maps) {
    std::string text;
    for (const auto& m : maps)
        text += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " + std::to_string(m.size) + "\n";
    return text;
}

UniqueFd user_namespace_with(const std::vector<spec::IdMapping>& uids, const std::vector<spec::IdMapping>& gids) {
    UsernsHelper helper;
    const std::string proc = "/proc/" + std::to_string(helper.pid());
    write_existing_file(proc + "/uid_map", id_map_text(uids));
    write_existing_file(proc + "/gid_map", id_map_text(gids));
    UniqueFd ns(::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) throw_errno("idmap: open", proc + "/ns/user");
    return ns;
}

HostMountSources HostMountSources::open(const spec::Spec& s, const std::string& bundle, bool handler_takes_fds) {
    HostMountSources out;
    const bool userns = s.has_namespace(CLONE_NEWUSER);
    for (size_t i = 0; i < s.mounts.size(); ++i) {
        const spec::Mount& m = s.mounts[i];
        if (!opened_by_host(m, userns)) continue;
        const std::string field = "mounts[" + std::to_string(i) + "]";
        // A bind handler built before ABI 1.1 knows only path sources: init
        // binds the path as before; an idmap has no such fallback.
        if (!handler_takes_fds) {
            if (!m.uid_mappings.empty())
                throw Error(field +
                            ".uidMappings: the plugin handling bind mounts is built against plugin ABI 1.0, "
                            "which cannot take an idmapped source (rebuild it against 1.1)");
            continue;
        }
        // Relative bind sources are relative to the bundle, as in runc.
        const std::string source = m.source[0] == '/' ? m.source : bundle + "/" + m.source;
        const bool recursive = parse_mount_options(m.options).recursive_bind;
        if (recursive && m.uid_mappings.empty()) {
            char real[PATH_MAX];
            if (::realpath(source.c_str(), real) && has_submounts(read_file("/proc/self/mountinfo"), real)) continue;
        }
        unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
        UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, source.c_str(), flags)));
        if (!tree)
            throw Error(
                field + ": mount " + m.destination + ": open bind source \"" + source + "\": " + errno_text(errno),
                errno);
        if (!m.uid_mappings.empty()) {
            UniqueFd ns;
            try {
                ns = user_namespace_with(m.uid_mappings, m.gid_mappings);
            } catch (const Error& e) {
                throw Error(field + ".uidMappings: " + e.what(), e.err());
            }
            struct mount_attr attr {};
            attr.attr_set = MOUNT_ATTR_IDMAP;
            attr.userns_fd = static_cast<uint64_t>(ns.get());
            unsigned at = AT_EMPTY_PATH | (m.recursive_idmap ? AT_RECURSIVE : 0);
            if (::syscall(SYS_mount_setattr, tree.get(), "", at, &attr, sizeof attr) < 0) {
                int err = errno;
                std::string hint = err == EINVAL ? " (does its filesystem support idmapped mounts?)" : "";
                throw Error(field + ".uidMappings: mount " + m.destination + ": idmap \"" + source +
                                "\": " + errno_text(err) + hint,
                            err);
            }
        }
        // What the clone would have been had init made it from its own
        // namespace, as runc and crun do: a user namespace turns the copy of
        // a shared mount into a slave (the kernel's rule for a less privileged
        // mount namespace), so a container can never mount onto the host's
        // tree through a volume; without one, the tree's propagation
        // (rootfsPropagation, slave by default) applies. A clone made here of
        // a shared mount is otherwise its peer: a mount made under /vol in a
        // user namespace showed on the host.
        const unsigned long tree_propagation =
            userns ? static_cast<unsigned long>(MS_SLAVE | MS_REC) : namespace_propagation(s.linux.rootfs_propagation);
        if (!(tree_propagation & MS_SHARED)) {
            struct mount_attr attr {};
            attr.propagation = tree_propagation & ~static_cast<unsigned long>(MS_REC);
            if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
                throw Error(field + ": mount " + m.destination + ": set the propagation of \"" + source +
                                "\": " + errno_text(errno),
                            errno);
        }
        out.trees_.emplace(i, std::move(tree));
    }
    return out;
}

std::vector<int> HostMountSources::fds() const {
    std::vector<int> out;
    for (const auto& [index, fd] : trees_) out.push_back(fd.get());
    for (const auto& [index, fd] : devices_) out.push_back(fd.get());
    return out;
}

std::optional<uint32_t> host_id_of(const std::vector<spec::IdMapping>& maps, uint32_t id) {
    for (const auto& m : maps)
        if (id >= m.container_id && static_cast<uint64_t>(id) - m.container_id < m.size)
            return m.host_id + (id - m.container_id);
    return std::nullopt;
}

bool devices_bound_from_host() { return ::geteuid() != 0 || !rootless::in_initial_user_namespace(); }

void HostMountSources::make_devices(const spec::Spec& s, const std::string& dir) {
    if (!s.has_namespace(CLONE_NEWUSER) || s.linux.devices.empty() || devices_bound_from_host()) return;
    if (::mkdir(dir.c_str(), 0700) < 0) throw_errno("mkdir", dir);
    try {
        for (size_t i = 0; i < s.linux.devices.size(); ++i) {
            const spec::Device& d = s.linux.devices[i];
            const std::string field = "linux.devices[" + std::to_string(i) + "]";
            // validate_mounts checked them.
            const uint32_t uid = host_id_of(s.linux.uid_mappings, d.uid).value_or(0);
            const uint32_t gid = host_id_of(s.linux.gid_mappings, d.gid).value_or(0);
            const std::string node = dir + "/" + std::to_string(i);
            const mode_t kind = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
            if (::mknod(node.c_str(), kind | (d.file_mode & 07777),
                        makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor))) < 0)
                throw Error(field + ".path: mknod " + d.path + " (on the host, in " + dir + "): " + errno_text(errno),
                            errno);
            UniqueFd tree;
            try {
                // mknod obeys the umask; the config's mode is what the device gets.
                if (::chmod(node.c_str(), d.file_mode & 07777) < 0) throw_errno("chmod", node);
                if (::lchown(node.c_str(), uid, gid) < 0) throw_errno("chown", node);
                tree.reset(static_cast<int>(
                    ::syscall(SYS_open_tree, AT_FDCWD, node.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
                if (!tree) throw_errno("open_tree", node);
                // The state dir may be on a nodev mount (/run): the node is
                // the container's to open.
                struct mount_attr attr {};
                attr.attr_clr = MOUNT_ATTR_NODEV;
                if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
                    throw_errno("clear nodev", node);
            } catch (const Error& e) {
                ::unlink(node.c_str());
                throw Error(field + ".path: " + d.path + ": " + e.what(), e.err());
            }
            devices_.emplace(i, std::move(tree));
        }
    } catch (...) {
        remove_devices(dir);
        throw;
    }
}

void remove_devices(const std::string& dir) {
    UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) return;
    for (size_t i = 0;; ++i) {
        // Named 0, 1, ... in order: the first name missing ends the list.
        if (::unlinkat(d.get(), std::to_string(i).c_str(), 0) < 0 && errno == ENOENT) break;
    }
    ::rmdir(dir.c_str());
}

int HostMountSources::device_for(size_t index) const {
    auto it = devices_.find(index);
    return it == devices_.end() ? -1 : it->second.get();
}

std::string HostMountSources::source_for(size_t index) const {
    auto it = trees_.find(index);
    return it == trees_.end() ? std::string() : "/proc/self/fd/" + std::to_string(it->second.get());
}

}  // namespace berth
