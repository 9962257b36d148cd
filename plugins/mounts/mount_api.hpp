// Thin wrappers over the new mount API (fsopen, fsconfig, fsmount, open_tree,
// mount_setattr, move_mount) that return Status messages naming the spec
// destination, as errors crossing the plugin boundary must.
//
// Why the new API: the host hands us /proc/self/fd/N, an O_PATH fd of the
// destination. After mount(2) onto it, the fd still points at the directory
// *under* the new mount, so a following MS_REMOUNT or propagation change via
// the same path would hit the wrong mount. Here a mount is built and adjusted
// as a detached mount fd and attached once with move_mount, and the mount fd
// keeps referring to the new mount afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/status.hpp"
#include "mount_options.hpp"

namespace berth::mounts {

// Owns one file descriptor; closes it on destruction.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
    UniqueFd& operator=(UniqueFd&& o) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd();

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_ = -1;
};

// strerror with a lower-case first letter, as runc and crun print errors.
std::string errno_text(int err);

// "mount <destination>: <what>: <errno text>" with `err` as the Status errno.
Status mount_error(const std::string& destination, const std::string& what, int err);

// A detached copy of the mount (tree, when recursive) at `source`.
Status clone_tree(const std::string& destination, const std::string& source, bool recursive, UniqueFd* out);

// A detached new mount of `fstype` configured with `params` (string or flag
// keys) and superblock flag keys, mounted with fsmount's `attr_flags`.
Status create_filesystem(const std::string& destination, const std::string& fstype,
                         const std::vector<FsConfigParam>& params, const std::vector<std::string>& superblock_flags,
                         uint64_t attr_flags, UniqueFd* out);

// mount_setattr on the mount (tree) `mount_fd` refers to; no-op when empty.
Status set_mount_attr(const std::string& destination, int mount_fd, const MountAttrChange& change, bool recursive);

// mount_setattr of the propagation type (MS_PRIVATE, ...); no-op when 0.
Status set_propagation(const std::string& destination, int mount_fd, unsigned long propagation, bool recursive);

// move_mount of the detached `mount_fd` onto `to_path` relative to `to_dirfd`
// (AT_FDCWD for an absolute path such as /proc/self/fd/N). The last component
// is followed if it is a (magic) link.
Status attach_mount(const std::string& destination, int mount_fd, int to_dirfd, const std::string& to_path);

}  // namespace berth::mounts
