#include "rootfs/rootfs.hpp"

#include <fcntl.h>
#include <sched.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "berth/mount_options.hpp"
#include "errors/error.hpp"
#include "lsm/lsm.hpp"
#include "rootless/rootless.hpp"
#include "log/log.hpp"
#include "plugins/registry.hpp"
#include "rootfs/host_mount_sources.hpp"
#include "rootfs/path_in_root.hpp"
#include "rootfs/propagation.hpp"
#include "rootfs/tmpfs_mode.hpp"
#include "util/files.hpp"
#include "util/unique_fd.hpp"

namespace berth {
namespace {

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

std::string bind_source(const spec::Mount& m, const std::string& bundle) {
    // Relative bind sources are relative to the bundle, as in runc.
    return m.source[0] == '/' ? m.source : bundle + "/" + m.source;
}

// The mount label goes in with the options, so that the handler's validate
// sees what its mount will get.
MountRequest request_for(const spec::Mount& m, const std::string& bundle, const std::string& mount_label) {
    MountRequest r;
    r.type = m.type;
    r.source = m.type == "bind" ? bind_source(m, bundle) : m.source;
    r.destination = m.destination;
    r.options = lsm::with_mount_label(m.type, m.options, mount_label);
    return r;
}

struct DefaultDevice {
    const char* path;
    unsigned major, minor;
};
constexpr DefaultDevice kDefaultDevices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

void make_device(int root_fd, const std::string& path, char type, unsigned major, unsigned minor, unsigned mode,
                 uid_t uid, gid_t gid, bool userns, int host_node = -1) {
    if (userns && host_node >= 0) {
        // Made by create on the host (HostMountSources::make_devices), from
        // fd to fd.
        UniqueFd target = touch_in_root(root_fd, path);
        if (::syscall(SYS_move_mount, host_node, "", target.get(), "",
                      MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            throw_errno("bind device", path);
        return;
    }
    if (userns) {
        // mknod is not allowed in a user namespace: the default devices are
        // binds of the host's nodes, as in runc and crun.
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
    std::vector<std::pair<const char*, const char*>> links = {{"/proc/self/fd", "fd"},
                                                              {"/proc/self/fd/0", "stdin"},
                                                              {"/proc/self/fd/1", "stdout"},
                                                              {"/proc/self/fd/2", "stderr"}};
    // As runc: a /dev/core only where the kernel has a /proc/kcore to point to.
    if (::access("/proc/kcore", F_OK) == 0) links.push_back({"/proc/kcore", "core"});
    if (has_devpts) links.push_back({"pts/ptmx", "ptmx"});
    for (auto& [target, name] : links) {
        if (std::string(name) == "ptmx") ::unlinkat(dev.get(), name, 0);
        if (::symlinkat(target, dev.get(), name) < 0 && errno != EEXIST)
            throw_errno("symlink", std::string("/dev/") + name);
    }
}

std::string clean_destination(const std::string& dest) {
    std::string clean = std::filesystem::path(dest).lexically_normal().string();
    while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
    return clean;
}

// Files under /proc that may be covered by a bind of a regular file (what
// lxcfs does to show a container its own limits). Only these names: a bind
// over any other procfs file or directory could stand in for /proc/sys, a
// masked path or the /proc/self/fd that init and the stub rely on.
bool allowed_in_procfs(const spec::Mount& m, const std::string& clean, bool source_is_file) {
    static const char* const kFiles[] = {"/proc/cpuinfo", "/proc/diskstats", "/proc/loadavg", "/proc/meminfo",
                                         "/proc/stat",    "/proc/swaps",     "/proc/uptime",  "/proc/slabinfo"};
    if (m.type == "proc") return true;
    return m.type == "bind" && source_is_file &&
           std::find(std::begin(kFiles), std::end(kFiles), clean) != std::end(kFiles);
}

// A mount may not land inside procfs (CVE-2019-19921 class): whatever the
// path said, the check is on the directory or file the destination resolved
// to, so a symlink (or an earlier mount) pointing into /proc is caught too.
void refuse_mount_into_procfs(const spec::Mount& m, int target, bool source_is_file) {
    struct statfs sfs;
    if (::fstatfs(target, &sfs) < 0) throw_errno("statfs", m.destination);
    if (sfs.f_type != PROC_SUPER_MAGIC) return;
    if (allowed_in_procfs(m, clean_destination(m.destination), source_is_file)) return;
    throw Error("mount " + m.destination +
                    ": destination is inside procfs; only a proc mount or a bind of a file onto "
                    "/proc/{cpuinfo,diskstats,loadavg,meminfo,stat,swaps,uptime,slabinfo} may go there",
                EPERM);
}

// Masks and read-only paths are mounted from and onto fds (open_tree,
// fsmount, move_mount), never through a /proc/self/fd path.
void move_onto(int tree, int target, const std::string& what, const std::string& path) {
    if (::syscall(SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        throw_errno(what, path);
}

// dev_null was checked to be the 1:3 device (open_verified_dev_null): a
// clone of its mount at that dentry is that same node.
void mask_with_dev_null(int dev_null, int target, const std::string& path) {
    UniqueFd tree(
        static_cast<int>(::syscall(SYS_open_tree, dev_null, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)));
    if (!tree) throw_errno("mask (clone /dev/null)", path);
    move_onto(tree.get(), target, "mask", path);
}

// One empty read-only tmpfs, made at the first masked directory and cloned
// from there for the others (open_tree + move_mount instead of a new
// superblock each: fsopen, fsconfig, fsmount). Nothing can write to it, so
// sharing it between masks shows nothing of one to another.
class TmpfsMask {
public:
    void apply(int target, const std::string& path) {
        if (!first_) {
            UniqueFd fs(static_cast<int>(::syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC)));
            if (!fs) throw_errno("mask (fsopen tmpfs)", path);
            if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
                throw_errno("mask (create tmpfs)", path);
            first_.reset(static_cast<int>(::syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY)));
            if (!first_) throw_errno("mask (fsmount tmpfs)", path);
            // After the move the fd names the attached mount, which (unlike
            // a detached one, on kernels before 6.15) open_tree may clone.
            move_onto(first_.get(), target, "mask", path);
            return;
        }
        UniqueFd mnt(static_cast<int>(
            ::syscall(SYS_open_tree, first_.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)));
        if (!mnt) throw_errno("mask (clone tmpfs)", path);
        move_onto(mnt.get(), target, "mask", path);
    }

private:
    UniqueFd first_;
};

// The mode of the directory a tmpfs covers is only known before the
// destination is created: a directory made for the mount gets the kernel's
// 1777, as in runc.
std::vector<std::string> with_covered_mode(int root_fd, const std::string& destination,
                                           const std::vector<std::string>& options) {
    if (has_mode_option(options)) return options;
    UniqueFd covered;
    try {
        covered = open_in_root(root_fd, destination, O_PATH | O_DIRECTORY);
    } catch (const Error&) {
        // Missing: made below for the mount. Anything else (not a
        // directory, a loop) is reported by the resolve that follows.
        return options;
    }
    struct stat sb;
    if (::fstat(covered.get(), &sb) < 0) throw_errno("stat", destination);
    return tmpfs_options_with_mode(options, sb.st_mode);
}

bool is_same_inode(int a, int b) {
    struct stat sa, sb;
    if (::fstat(a, &sa) < 0 || ::fstat(b, &sb) < 0) throw_errno("stat", "rootfs");
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// A mount whose destination is the root itself ("/", or a symlink to it)
// stacks on the rootfs: as in runc, whose mounts resolve the rootfs path
// again each time, what follows goes on top of it, and so does pivot_root
// (which enters the rootfs by path). The fd held so far still names the
// covered mount, so it is opened again by path, which gives the top one.
UniqueFd reopen_covered_root(const std::string& rootfs) {
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open rootfs", rootfs);
    return root;
}

// A berth that may not mknod on the host (not root, or in a user namespace
// itself: rootless, alone or under rootless podman) cannot make the config's
// nodes there; as runc does, each is then a bind of the host's node of the
// same path. A node the host does not have cannot be bound: runc fails at the
// mount with a bare ENOENT, crun likewise; berth refuses it here, before
// anything is made, naming the field. A node whose numbers differ from the
// config is bound all the same, as runc does, with a warning.
void check_host_device(const spec::Device& d, size_t index) {
    const std::string field = "linux.devices[" + std::to_string(index) + "].path";
    struct stat sb;
    if (::stat(d.path.c_str(), &sb) < 0)
        throw Error(field + ": " + d.path + ": " + errno_text(errno) +
                        " on the host (berth may not mknod here, so a device is bind-mounted from the host's node)",
                    errno);
    if (!S_ISCHR(sb.st_mode) && !S_ISBLK(sb.st_mode) && !S_ISFIFO(sb.st_mode))
        throw Error(field + ": " + d.path +
                        " is not a device node on the host (berth may not mknod here, so a "
                        "device is bind-mounted from the host's node)",
                    EINVAL);
    const char kind = S_ISBLK(sb.st_mode) ? 'b' : S_ISFIFO(sb.st_mode) ? 'p' : 'c';
    const char want = d.type == 'u' ? 'c' : d.type;
    const bool numbers_differ = kind != 'p' && (major(sb.st_rdev) != static_cast<unsigned>(d.major) ||
                                                minor(sb.st_rdev) != static_cast<unsigned>(d.minor));
    if (kind != want || numbers_differ)
        log_warning(field + ": the host's " + d.path + " is " + std::string(1, kind) + " " +
                    std::to_string(major(sb.st_rdev)) + ":" + std::to_string(minor(sb.st_rdev)) + ", not " +
                    std::string(1, d.type) + " " + std::to_string(d.major) + ":" + std::to_string(d.minor) +
                    "; berth may not mknod here, and the host's node is what the container gets");
}

// In a user namespace each linux.devices entry is made on the host by create
// (HostMountSources::make_devices), owned by the host ids its uid and gid
// map to, so that the container sees the config's owner. An id no mapping
// covers would be the overflow id: refused before anything is made.
void check_device_owner(const spec::Spec& s, const spec::Device& d, size_t index) {
    const std::string field = "linux.devices[" + std::to_string(index) + "]";
    if (!host_id_of(s.linux.uid_mappings, d.uid))
        throw Error(field + ".uid: " + std::to_string(d.uid) + " is not mapped in linux.uidMappings (" + d.path +
                        " is made on the host, owned by the id its uid maps to)",
                    EINVAL);
    if (!host_id_of(s.linux.gid_mappings, d.gid))
        throw Error(field + ".gid: " + std::to_string(d.gid) + " is not mapped in linux.gidMappings (" + d.path +
                        " is made on the host, owned by the id its gid maps to)",
                    EINVAL);
}

// The mount the rootfs directory is on (the rootfs's own mount when it is a
// mount point), made private in this namespace if it is shared, as runc does.
void make_parent_mount_private(const std::string& rootfs) {
    struct statx stx {};
    if (::statx(AT_FDCWD, rootfs.c_str(), 0, STATX_MNT_ID, &stx) < 0) throw_errno("statx", rootfs);
    if (!(stx.stx_mask & STATX_MNT_ID)) throw Error("statx " + rootfs + ": the kernel gives no mount id", ENOSYS);
    const std::string mountinfo = read_file("/proc/self/mountinfo");
    if (auto point = shared_mount_point(mountinfo, stx.stx_mnt_id))
        if (::mount(nullptr, point->c_str(), nullptr, MS_PRIVATE, nullptr) < 0)
            throw_errno("make the mount the rootfs is on private", *point);
}

}  // namespace

UniqueFd open_verified_dev_null() {
    // The host's /dev/null, opened before pivot_root; never the rootfs's
    // (CVE-2025-31133: a rootfs /dev/null that is a symlink to a procfs file
    // turned every masked file into a writable host sysctl).
    UniqueFd fd(::open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw_errno("open", "/dev/null");
    struct stat sb;
    if (::fstat(fd.get(), &sb) < 0) throw_errno("stat", "/dev/null");
    if (!S_ISCHR(sb.st_mode) || sb.st_rdev != makedev(1, 3))
        throw Error("/dev/null: not the 1:3 character device", EPERM);
    return fd;
}

void validate_mounts(const spec::Spec& s, const std::string& bundle, const PluginRegistry& plugins) {
    for (size_t i = 0; i < s.mounts.size(); ++i) {
        const spec::Mount& m = s.mounts[i];
        const std::string field = "mounts[" + std::to_string(i) + "]";
        MountHandler* h = plugins.mount_handler(m.type);
        if (!h)
            throw Error(field + ".type: no loaded mount handler for type \"" + m.type + "\" (destination " +
                        m.destination + ")");
        if (clean_destination(m.destination) == "/proc" && m.type != "proc")
            throw Error(field + ": /proc must be a proc mount, not " + m.type +
                            " (init, masked and read-only paths rely on it)",
                        EINVAL);
        Status st = h->validate(request_for(m, bundle, s.linux.mount_label));
        // "options[K]: ..." names one option of this mount (mount_handler.hpp).
        if (!st.ok()) throw Error(field + (st.message.starts_with("options[") ? "." : ": ") + st.message, st.err);
    }
    if (devices_bound_from_host()) {
        if (s.has_namespace(CLONE_NEWUSER) || !rootless::in_initial_user_namespace())
            for (size_t i = 0; i < s.linux.devices.size(); ++i) check_host_device(s.linux.devices[i], i);
    } else if (s.has_namespace(CLONE_NEWUSER)) {
        for (size_t i = 0; i < s.linux.devices.size(); ++i) check_device_owner(s, s.linux.devices[i], i);
    }
}

void prepare_rootfs(const spec::Spec& s, const std::string& rootfs, const std::string& bundle,
                    const PluginRegistry& plugins, bool userns, const HostMountSources* sources) {
    // An unbindable rootfsPropagation is applied to / after pivot_root
    // (finish_rootfs), and so is shared once more; see namespace_propagation.
    // Without a mount namespace of its own the tree is the host's: left as it
    // is (runc makes the host's whole tree rslave, which would stop every
    // propagation a systemd host relies on), and create has bound the rootfs
    // already (bind_rootfs_in_host_namespace).
    if (s.has_namespace(CLONE_NEWNS)) {
        const unsigned long tree = namespace_propagation(s.linux.rootfs_propagation);
        if (::mount(nullptr, "/", nullptr, tree, nullptr) < 0)
            throw_errno("set the mount tree's propagation (linux.rootfsPropagation)", "/");
        // A shared tree keeps the host's peer groups: the bind below would show
        // on the host, and pivot_root refuses a shared parent of the new root.
        if (tree & MS_SHARED) make_parent_mount_private(rootfs);
        if (::mount(rootfs.c_str(), rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
            throw_errno("bind rootfs", rootfs);
    }
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open rootfs", rootfs);

    bool has_dev = false, has_devpts = false;
    for (const spec::Mount& m : s.mounts) {
        MountRequest req = request_for(m, bundle, s.linux.mount_label);
        if (sources) {
            // A bind create opened with the host's privileges: the handler
            // attaches that detached mount (host_mount_sources.hpp).
            std::string opened = sources->source_for(static_cast<size_t>(&m - s.mounts.data()));
            if (!opened.empty()) req.source = std::move(opened);
        }
        if (m.destination == "/dev") has_dev = true;
        if (m.type == "devpts" && m.destination == "/dev/pts") has_devpts = true;
        struct stat sb;
        bool file_target = m.type == "bind" && ::stat(req.source.c_str(), &sb) == 0 && !S_ISDIR(sb.st_mode);
        const bool is_bind = parse_mount_options(m.options).bind;
        if (m.type == "tmpfs" && !is_bind) req.options = with_covered_mode(root.get(), m.destination, req.options);
        UniqueFd target =
            file_target ? touch_in_root(root.get(), m.destination) : mkdir_all_in_root(root.get(), m.destination);
        refuse_mount_into_procfs(m, target.get(), file_target);
        req.target = fd_path(target.get());
        MountHandler* h = plugins.mount_handler(m.type);
        if (!h) throw Error("mount " + m.destination + ": no loaded mount handler for type \"" + m.type + "\"");
        Status st = h->mount(req);
        if (!st.ok()) throw Error(st.message, st.err);
        if (is_same_inode(target.get(), root.get())) root = reopen_covered_root(rootfs);
    }
    if (has_dev)
        for (const DefaultDevice& d : kDefaultDevices)
            make_device(root.get(), d.path, 'c', d.major, d.minor, 0666, 0, 0, userns);
    for (size_t i = 0; i < s.linux.devices.size(); ++i) {
        const spec::Device& d = s.linux.devices[i];
        try {
            make_device(root.get(), d.path, d.type, static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor),
                        d.file_mode, d.uid, d.gid, userns, sources ? sources->device_for(i) : -1);
        } catch (const Error& e) {
            throw Error("linux.devices[" + std::to_string(i) + "].path: " + e.what(), e.err());
        }
    }
    // After the spec's devices, as runc: a privileged spec lists the host's
    // /dev/ptmx (ctr --privileged copies all of /dev), and /dev/ptmx must still
    // end up the link to this container's devpts instance.
    if (has_dev) make_dev_links(root.get(), has_devpts);
}

void enter_rootfs(const std::string& rootfs, bool no_pivot, bool own_mount_ns) {
    if (::chdir(rootfs.c_str()) < 0) throw_errno("chdir", rootfs);
    if (!own_mount_ns) {
        if (::chroot(".") < 0) throw_errno("chroot", rootfs);
    } else if (no_pivot) {
        // With a shared rootfsPropagation / is the host's peer, and a tree
        // moved onto it would show on the host: / alone is made a slave first.
        if (::mount(nullptr, "/", nullptr, MS_SLAVE, nullptr) < 0) throw_errno("make / a slave before the move", "/");
        if (::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0) throw_errno("move rootfs to /", rootfs);
        if (::chroot(".") < 0) throw_errno("chroot", rootfs);
    } else {
        // pivot_root(".", ".") stacks the old root on top of the new one; it is
        // made a slave (so the unmount does not reach the host: with a shared
        // rootfsPropagation its mounts are the host's peers) and detached.
        // mount(2) resolves "." to the cwd's own mount without going down to
        // what is stacked on it: through the old root's fd, as runc does, or
        // the slave step hits the new root's tree instead (which dropped the
        // propagation a bind asked for, "rshared" showing as master:N alone).
        UniqueFd old_root(::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
        if (!old_root) throw_errno("open old root", "/");
        if (::syscall(SYS_pivot_root, ".", ".") < 0) throw_errno("pivot_root", rootfs);
        if (::fchdir(old_root.get()) < 0) throw_errno("fchdir", "old root");
        if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) throw_errno("make old root slave", "/");
        if (::umount2(".", MNT_DETACH) < 0) throw_errno("unmount old root", "/");
    }
    if (::chdir("/") < 0) throw_errno("chdir", "/");
}

uint64_t bind_rootfs_in_host_namespace(const std::string& rootfs) {
    UniqueFd tree(static_cast<int>(
        ::syscall(SYS_open_tree, AT_FDCWD, rootfs.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)));
    if (!tree) throw_errno("bind rootfs (open_tree)", rootfs);
    struct mount_attr attr = {};
    attr.propagation = MS_PRIVATE;
    if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        throw_errno("bind rootfs (make private)", rootfs);
    if (::syscall(SYS_move_mount, tree.get(), "", AT_FDCWD, rootfs.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0)
        throw_errno("bind rootfs", rootfs);
    struct statx stx {};
    if (::statx(tree.get(), "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID)) {
        const int err = errno;
        ::umount2(rootfs.c_str(), MNT_DETACH);
        throw Error("bind rootfs " + rootfs + ": no mount id: " + errno_text(err), err);
    }
    return stx.stx_mnt_id;
}

void detach_rootfs_bind(const std::string& rootfs, uint64_t mount_id) {
    // Top down: what is stacked on the bind at the same path was mounted
    // after it, by the container's init (a mount onto "/").
    for (int round = 0; round < 64; ++round) {
        const std::string mountinfo = read_file("/proc/self/mountinfo");
        if (!has_mount_id(mountinfo, mount_id)) return;
        const std::optional<uint64_t> top = top_mount_at(mountinfo, rootfs);
        if (!top)
            throw Error("detach the rootfs bind: mount " + std::to_string(mount_id) + " is no longer at " + rootfs,
                        EINVAL);
        if (::umount2(rootfs.c_str(), MNT_DETACH) < 0) throw_errno("detach the rootfs bind", rootfs);
        if (*top == mount_id) return;
    }
    throw Error("detach the rootfs bind: too many mounts stacked at " + rootfs, EBUSY);
}

void protect_paths(const spec::Spec& s, const std::string& rootfs, int dev_null) {
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_errno("open rootfs", rootfs);
    // A masked or read-only path the rootfs does not have is nothing to protect.
    auto open_if_there = [&](const std::string& p) {
        try {
            return open_in_root(root.get(), p);
        } catch (const Error& e) {
            if (e.err() == ENOENT) return UniqueFd();
            throw;
        }
    };
    TmpfsMask tmpfs_mask;
    for (const std::string& p : s.linux.masked_paths) {
        UniqueFd target = open_if_there(p);
        if (!target) continue;
        struct stat sb;
        if (::fstat(target.get(), &sb) < 0) throw_errno("stat", p);
        if (S_ISDIR(sb.st_mode)) tmpfs_mask.apply(target.get(), p);
        else mask_with_dev_null(dev_null, target.get(), p);
    }
    for (const std::string& p : s.linux.readonly_paths) {
        // Resolved inside the root first: open_tree on the path itself would
        // follow magic links such as /proc/1/root out of the container.
        UniqueFd target = open_if_there(p);
        if (!target) continue;
        UniqueFd tree(static_cast<int>(::syscall(SYS_open_tree, target.get(), "",
                                                 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH)));
        if (!tree) throw_errno("readonly path", p);
        struct mount_attr attr = {};
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (::syscall(SYS_mount_setattr, tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
            throw_errno("make read-only", p);
        move_onto(tree.get(), target.get(), "mount read-only", p);
    }
}

void finish_rootfs(const spec::Spec& s) {
    if (s.root_readonly) {
        struct mount_attr attr = {};
        attr.attr_set = MOUNT_ATTR_RDONLY;
        if (::syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &attr, sizeof attr) < 0)
            throw_errno("make root read-only", "/");
    }
    // Slave and private were the whole tree's before anything was mounted,
    // as in runc, so that a mount's own propagation option stands (a bind
    // "rshared" under an "rslave" root stays shared and a slave). Shared and
    // unbindable are set again on the new root (unbindable only now: the
    // binds would have failed), for / alone or, for the r* forms, the tree.
    const unsigned long flag = propagation_flag(s.linux.rootfs_propagation);
    if (flag & (MS_SHARED | MS_UNBINDABLE)) {
        if (::mount(nullptr, "/", nullptr, flag, nullptr) < 0)
            throw_errno("set rootfs propagation " + s.linux.rootfs_propagation + " on", "/");
    }
}

std::vector<std::string> default_device_paths() {
    std::vector<std::string> out;
    for (const DefaultDevice& d : kDefaultDevices) out.push_back(d.path);
    return out;
}

}  // namespace berth
