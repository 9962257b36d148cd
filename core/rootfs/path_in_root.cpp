#include "rootfs/path_in_root.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errors/error.hpp"

namespace berth {
namespace {

int openat2_in_root(int root_fd, const std::string& path, int flags, unsigned mode = 0) {
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    std::string rel = path;
    while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
    if (rel.empty()) rel = ".";
    return static_cast<int>(::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how));
}

std::string parent_of(const std::string& path) {
    size_t slash = path.find_last_of('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

}  // namespace

UniqueFd open_in_root(int root_fd, const std::string& path, int flags) {
    int fd = openat2_in_root(root_fd, path, flags ? flags : O_PATH);
    if (fd < 0) throw_errno("open", path);
    return UniqueFd(fd);
}

UniqueFd mkdir_all_in_root(int root_fd, const std::string& path, unsigned mode) {
    int fd = openat2_in_root(root_fd, path, O_PATH | O_DIRECTORY);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != ENOENT) throw_errno("open", path);
    if (path == "/" || path.empty()) throw_errno("open", path);
    UniqueFd parent = mkdir_all_in_root(root_fd, parent_of(path), mode);
    if (::mkdirat(parent.get(), base_of(path).c_str(), mode) < 0 && errno != EEXIST) throw_errno("mkdir", path);
    fd = openat2_in_root(root_fd, path, O_PATH | O_DIRECTORY);
    if (fd < 0) throw_errno("open", path);
    return UniqueFd(fd);
}

UniqueFd touch_in_root(int root_fd, const std::string& path) {
    int fd = openat2_in_root(root_fd, path, O_PATH);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != ENOENT) throw_errno("open", path);
    mkdir_all_in_root(root_fd, parent_of(path));
    fd = openat2_in_root(root_fd, path, O_CREAT | O_RDONLY | O_NOFOLLOW, 0644);
    if (fd < 0) throw_errno("create", path);
    ::close(fd);
    return open_in_root(root_fd, path);
}

}  // namespace berth
