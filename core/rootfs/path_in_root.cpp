#include "rootfs/path_in_root.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include "errors/error.hpp"

namespace berth {
namespace {

int openat2_in_root(int root_fd, const std::string& path, int flags, unsigned mode = 0) {
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const char* rel = path.c_str();
    while (*rel == '/') ++rel;
    if (*rel == '\0') rel = ".";
    return static_cast<int>(::syscall(SYS_openat2, root_fd, rel, &how, sizeof how));
}

std::string parent_of(const std::string& path) {
    size_t slash = path.find_last_of('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) { return path.substr(path.find_last_of('/') + 1); }

}  // namespace

UniqueFd open_in_root(int root_fd, const std::string& path, int flags) {
    int fd = openat2_in_root(root_fd, path, flags);
    if (fd < 0) throw_errno("open", path);
    return UniqueFd(fd);
}

// Walks the path one component at a time. A missing component is created;
// a dangling symlink is followed (inside the root) and its target created,
// as runc's securejoin + MkdirAll do. Every step is re-opened with
// RESOLVE_IN_ROOT, so nothing outside the root is ever touched.
static UniqueFd mkdir_all_walk(int root_fd, const std::string& path, unsigned mode, int depth) {
    if (depth > 40) throw_sys(ELOOP, "mkdir", path);
    std::vector<std::string> parts;
    for (size_t start = 0; start <= path.size();) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        if (end > start && path.compare(start, end - start, ".") != 0) parts.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    std::string cur = "/";
    UniqueFd dir = open_in_root(root_fd, "/", O_PATH | O_DIRECTORY);
    for (size_t i = 0; i < parts.size(); ++i) {
        const std::string next = (cur == "/" ? "" : cur) + "/" + parts[i];
        int fd = openat2_in_root(root_fd, next, O_PATH | O_DIRECTORY);
        if (fd < 0 && errno == ENOENT) {
            char target[4096];
            ssize_t n = ::readlinkat(dir.get(), parts[i].c_str(), target, sizeof target - 1);
            if (n >= 0) {
                target[n] = '\0';
                std::string rest;
                for (size_t j = i + 1; j < parts.size(); ++j) rest += "/" + parts[j];
                std::string via = target[0] == '/' ? std::string(target) : cur + "/" + target;
                return mkdir_all_walk(root_fd, via + rest, mode, depth + 1);
            }
            if (::mkdirat(dir.get(), parts[i].c_str(), mode) < 0 && errno != EEXIST) throw_errno("mkdir", next);
            fd = openat2_in_root(root_fd, next, O_PATH | O_DIRECTORY);
        }
        if (fd < 0) throw_errno("open", next);
        dir.reset(fd);
        cur = next;
    }
    return dir;
}

UniqueFd mkdir_all_in_root(int root_fd, const std::string& path, unsigned mode) {
    int fd = openat2_in_root(root_fd, path, O_PATH | O_DIRECTORY);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != ENOENT) throw_errno("open", path);
    return mkdir_all_walk(root_fd, path, mode, 0);
}

// The last component may be a dangling symlink (an image's
// /etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf): it is
// followed inside the root, like the directories above it, and the file is
// made where it points, as runc's securejoin does. Creating with O_NOFOLLOW
// on the symlink itself would fail with ELOOP.
static UniqueFd touch_walk(int root_fd, const std::string& path, int depth) {
    if (depth > 40) throw_sys(ELOOP, "create", path);
    int fd = openat2_in_root(root_fd, path, O_PATH);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != ENOENT) throw_errno("open", path);
    const std::string parent = parent_of(path);
    const std::string name = base_of(path);
    UniqueFd dir = mkdir_all_in_root(root_fd, parent);
    char target[4096];
    ssize_t n = ::readlinkat(dir.get(), name.c_str(), target, sizeof target - 1);
    if (n >= 0) {
        target[n] = '\0';
        // A relative target is taken from the symlink's directory; its ".."
        // is resolved by openat2 inside the root, never lexically.
        std::string via = target[0] == '/' ? std::string(target) : (parent == "/" ? "" : parent) + "/" + target;
        return touch_walk(root_fd, via, depth + 1);
    }
    if (name.empty() || name == "." || name == "..") throw_sys(EISDIR, "create", path);
    fd = ::openat(dir.get(), name.c_str(), O_CREAT | O_EXCL | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        // Something appeared since the readlink (a symlink too, maybe): resolve again.
        if (errno == EEXIST) return touch_walk(root_fd, path, depth + 1);
        throw_errno("create", path);
    }
    ::close(fd);
    fd = ::openat(dir.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw_errno("open", path);
    return UniqueFd(fd);
}

UniqueFd touch_in_root(int root_fd, const std::string& path) { return touch_walk(root_fd, path, 0); }

}  // namespace berth
