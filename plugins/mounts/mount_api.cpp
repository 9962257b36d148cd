#include "mount_api.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace berth::mounts {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.release();
    }
    return *this;
}

UniqueFd::~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
}

std::string errno_text(int err) {
    std::string text = std::strerror(err);
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    return text;
}

Status mount_error(const std::string& destination, const std::string& what, int err) {
    return Status::Error(err, "mount " + destination + ": " + what + ": " + errno_text(err));
}

namespace {

// The kernel explains fsconfig failures in the fs context's message log
// ("e tmpfs: Bad value for 'size'"); reading it turns EINVAL into something a
// user can act on.
std::string context_messages(int fs_fd) {
    std::string out;
    char buf[512];
    for (;;) {
        ssize_t n = ::read(fs_fd, buf, sizeof buf - 1);
        if (n <= 0) break;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0')) --n;
        std::string line(buf, static_cast<size_t>(n));
        if (line.size() > 2 && line[1] == ' ') line = line.substr(2);
        if (!out.empty()) out += "; ";
        out += line;
    }
    return out;
}

Status fs_error(const std::string& destination, const std::string& what, int err, int fs_fd) {
    Status s = mount_error(destination, what, err);
    std::string detail = context_messages(fs_fd);
    if (!detail.empty()) s.message += " (" + detail + ")";
    return s;
}

}  // namespace

Status clone_tree(const std::string& destination, const std::string& source, bool recursive, UniqueFd* out) {
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
    int fd = ::open_tree(AT_FDCWD, source.c_str(), flags);
    if (fd < 0) return mount_error(destination, "open_tree \"" + source + "\"", errno);
    *out = UniqueFd(fd);
    return Status::Ok();
}

Status create_filesystem(const std::string& destination, const std::string& fstype,
                         const std::vector<FsConfigParam>& params, const std::vector<std::string>& superblock_flags,
                         uint64_t attr_flags, UniqueFd* out) {
    UniqueFd fs(::fsopen(fstype.c_str(), FSOPEN_CLOEXEC));
    if (!fs.valid()) return mount_error(destination, "fsopen " + fstype, errno);
    for (const FsConfigParam& p : params) {
        int rc = p.has_value ? ::fsconfig(fs.get(), FSCONFIG_SET_STRING, p.key.c_str(), p.value.c_str(), 0)
                             : ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, p.key.c_str(), nullptr, 0);
        if (rc < 0) {
            std::string shown = p.has_value ? p.key + "=" + p.value : p.key;
            return fs_error(destination, "fsconfig " + fstype + " " + shown, errno, fs.get());
        }
    }
    for (const std::string& key : superblock_flags) {
        if (::fsconfig(fs.get(), FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0) < 0)
            return fs_error(destination, "fsconfig " + fstype + " " + key, errno, fs.get());
    }
    if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
        return fs_error(destination, "create " + fstype + " superblock", errno, fs.get());
    int mnt = ::fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(attr_flags));
    if (mnt < 0) return fs_error(destination, "fsmount " + fstype, errno, fs.get());
    *out = UniqueFd(mnt);
    return Status::Ok();
}

Status set_mount_attr(const std::string& destination, int mount_fd, const MountAttrChange& change, bool recursive) {
    if (change.empty()) return Status::Ok();
    struct mount_attr attr {};
    attr.attr_set = change.set;
    attr.attr_clr = change.clear;
    unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    if (::mount_setattr(mount_fd, "", flags, &attr, sizeof attr) < 0)
        return mount_error(destination, recursive ? "mount_setattr (recursive)" : "mount_setattr", errno);
    return Status::Ok();
}

Status set_propagation(const std::string& destination, int mount_fd, unsigned long propagation, bool recursive) {
    if (propagation == 0) return Status::Ok();
    struct mount_attr attr {};
    attr.propagation = propagation;
    unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
    if (::mount_setattr(mount_fd, "", flags, &attr, sizeof attr) < 0)
        return mount_error(destination, "set propagation", errno);
    return Status::Ok();
}

Status attach_mount(const std::string& destination, int mount_fd, int to_dirfd, const std::string& to_path) {
    // T_SYMLINKS: the host's target is the magic link /proc/self/fd/N; without
    // it move_mount would try to mount on the link itself (EINVAL).
    if (::move_mount(mount_fd, "", to_dirfd, to_path.c_str(), MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_SYMLINKS) < 0)
        return mount_error(destination, "move_mount to " + to_path, errno);
    return Status::Ok();
}

}  // namespace berth::mounts
