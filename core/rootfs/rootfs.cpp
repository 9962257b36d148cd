#include "rootfs/rootfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <map>

#include "errors/error.hpp"
#include "plugins/registry.hpp"
#include "rootfs/path_in_root.hpp"
#include "util/unique_fd.hpp"

namespace berth {
namespace {

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

unsigned long propagation_flag(const std::string& p) {
    static const std::map<std::string, unsigned long> t = {
        {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC}, {"slave", MS_SLAVE},
        {"rslave", MS_SLAVE | MS_REC}, {"shared", MS_SHARED},             {"rshared", MS_SHARED | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
    };
    auto it = t.find(p);
    return it == t.end() ? 0 : it->second;
}

std::string bind_source(const spec::Mount& m, const std::string& bundle) {
    // Relative bind sources are relative to the bundle, as in runc.
    return m.source[0] == '/' ? m.source : bundle + "/" + m.source;
}

MountRequest request_for(const spec::Mount& m, const std::string& bundle) {
    MountRequest r;
    r.type = m.type;
    r.source = m.type == "bind" ? bind_source(m, bundle) : m.source;
    r.destination = m.destination;
    r.options = m.options;
    return r;
}

struct DefaultDevice {
    const char* path;
    unsigned major, minor;
};
constexpr DefaultDevice kDefaultDevices[] = {
    {"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

void make_device(int root_fd, const std::string& path, char type, unsigned major, unsigned minor, unsigned mode,
                 uid_t uid, gid_t gid, bool userns) {
    if (userns) {
        // mknod is not allowed in a user namespace: bind the host's node instead.
        UniqueFd target = touch_in_root(root_fd, path);
        if (::mount(path.c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) < 0)
            throw_errno("bind device", path);
        return;
    }
    size_t slash = path.find_last_of('/');
    UniqueFd dir = mkdir_all_in_root(root_fd, path.substr(0, slash ? slash : 1));
    UniqueFd real_dir(::openat(dir.get(), ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    const std::string name = path.substr(slash + 1);
    mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
    ::unlinkat(real_dir.get(), name.c_str(), 0);
    if (::mknodat(real_dir.get(), name.c_str(), kind | (mode & 07777), makedev(major, minor)) < 0)
        throw_errno("mknod", path);
    // mknod obeys the umask; the spec's mode is what the device gets.
    if (::fchmodat(real_dir.get(), name.c_str(), mode & 07777, 0) < 0) throw_errno("chmod", path);
    if (::fchownat(real_dir.get(), name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) < 0) throw_errno("chown", path);
}

void make_dev_links(int root_fd, bool has_devpts) {
    UniqueFd dev_path = open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY);
    UniqueFd dev(::openat(dev_path.get(), ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    std::vector<std::pair<const char*, const char*>> links = {
        {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"}};
    if (has_devpts) links.push_back({"pts/ptmx", "ptmx"});
    for (auto& [target, name] : links) {
        if (std::string(name) == "ptmx") ::unlinkat(dev.get(), name, 0);
        if (::symlinkat(target, dev.get(), name) < 0 && errno != EEXIST) throw_errno("symlink", std::string("/dev/") + name);
    }
}

}  // namespace

void validate_mounts(const spec::Spec& s, const std::string& bundle, const PluginRegistry& plugins) {
    for (size_t i = 0; i < s.mounts.size(); ++i) {
        const spec::Mount& m = s.mounts[i];
        const std::string field = "mounts[" + std::to_string(i) + "]";
        MountHandler* h = plugins.mount_handler(m.type);
        if (!h) throw Error(field + ".type: no loaded mount handler for type \"" + m.type + "\" (destination " + m.destination + ")");
        Status st = h->validate(request_for(m, bundle));
        if (!st.ok()) throw Error(field + ": " + st.message, st.err);
    }
}

void prepare_rootfs(const spec::Spec& s, const std::string& rootfs, const std::string& bundle,
                    const PluginRegistry& plugins, bool userns) {
    unsigned long prop = s.linux.rootfs_propagation.empty() ? (MS_SLAVE | MS_REC)
                                                            : propagation_flag(s.linux.rootfs_propagation);
    // Shared propagation would leak our mounts to the host; start from slave
    // or private and apply a shared rootfsPropagation to the rootfs only.
    unsigned long host_side = (prop & MS_SHARED) ? (MS_SLAVE | MS_REC) : (prop | MS_REC);
    if (::mount(nullptr, "/", nullptr, host_side, nullptr) < 0) throw_errno("make mount tree private", "/");
    if (::mount(rootfs.c_str(), rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) throw_errno("bind rootfs", rootfs);
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open rootfs", rootfs);

    bool has_dev = false, has_devpts = false;
    for (const spec::Mount& m : s.mounts) {
        MountRequest req = request_for(m, bundle);
        if (m.destination == "/dev") has_dev = true;
        if (m.type == "devpts" && m.destination == "/dev/pts") has_devpts = true;
        struct stat sb;
        bool file_target = m.type == "bind" && ::stat(req.source.c_str(), &sb) == 0 && !S_ISDIR(sb.st_mode);
        UniqueFd target = file_target ? touch_in_root(root.get(), m.destination) : mkdir_all_in_root(root.get(), m.destination);
        req.target = fd_path(target.get());
        MountHandler* h = plugins.mount_handler(m.type);
        if (!h) throw Error("mount " + m.destination + ": no loaded mount handler for type \"" + m.type + "\"");
        Status st = h->mount(req);
        if (!st.ok()) throw Error(st.message, st.err);
    }
    if (has_dev) {
        for (const DefaultDevice& d : kDefaultDevices) make_device(root.get(), d.path, 'c', d.major, d.minor, 0666, 0, 0, userns);
        make_dev_links(root.get(), has_devpts);
    }
    for (const spec::Device& d : s.linux.devices)
        make_device(root.get(), d.path, d.type, static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor),
                    d.file_mode, d.uid, d.gid, userns);
}

void enter_rootfs(const std::string& rootfs, bool no_pivot) {
    if (::chdir(rootfs.c_str()) < 0) throw_errno("chdir", rootfs);
    if (no_pivot) {
        if (::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0) throw_errno("move rootfs to /", rootfs);
        if (::chroot(".") < 0) throw_errno("chroot", rootfs);
    } else {
        // pivot_root(".", ".") stacks the old root on top of the new one; it is
        // made a slave (so the unmount does not reach the host) and detached.
        if (::syscall(SYS_pivot_root, ".", ".") < 0) throw_errno("pivot_root", rootfs);
        if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) throw_errno("make old root slave", "/");
        if (::umount2(".", MNT_DETACH) < 0) throw_errno("unmount old root", "/");
    }
    if (::chdir("/") < 0) throw_errno("chdir", "/");
}

void finish_rootfs(const spec::Spec& s) {
    UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    for (const std::string& p : s.linux.masked_paths) {
        int fd = -1;
        try {
            fd = open_in_root(root.get(), p).release();
        } catch (const Error& e) {
            if (e.err() == ENOENT) continue;
            throw;
        }
        UniqueFd target(fd);
        struct stat sb;
        if (::fstat(target.get(), &sb) < 0) throw_errno("stat", p);
        if (S_ISDIR(sb.st_mode)) {
            if (::mount("tmpfs", fd_path(target.get()).c_str(), "tmpfs", MS_RDONLY, nullptr) < 0) throw_errno("mask", p);
        } else if (::mount("/dev/null", fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) < 0) {
            throw_errno("mask", p);
        }
    }
    for (const std::string& p : s.linux.readonly_paths) {
        UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, root.get(), (p.c_str() + 1), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)));
        if (!tree) {
            if (errno == ENOENT) continue;
            throw_errno("readonly path", p);
        }
        struct mount_attr attr = {};
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
            throw_errno("make read-only", p);
        UniqueFd target = open_in_root(root.get(), p);
        if (::syscall(SYS_move_mount, tree.get(), "", target.get(), "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            throw_errno("mount read-only", p);
    }
    if (s.root_readonly) {
        struct mount_attr attr = {};
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (::syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &attr, sizeof attr) < 0) throw_errno("make root read-only", "/");
    }
    if (!s.linux.rootfs_propagation.empty()) {
        if (::mount(nullptr, "/", nullptr, propagation_flag(s.linux.rootfs_propagation), nullptr) < 0)
            throw_errno("set rootfs propagation " + s.linux.rootfs_propagation + " on", "/");
    }
}

}  // namespace berth
