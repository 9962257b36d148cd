#include "copy_up.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "mount_api.hpp"

namespace berth::mounts {

namespace {

struct DirCloser {
    void operator()(DIR* d) const { ::closedir(d); }
};

class Copier {
public:
    Copier(const std::string& destination, dev_t dev) : dest_(destination), dev_(dev) {}

    Status dir(int from, int to, const std::string& rel) {
        int fd = ::openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return fail("open", rel, errno);
        std::unique_ptr<DIR, DirCloser> d(::fdopendir(fd));
        if (!d) {
            int err = errno;
            ::close(fd);
            return fail("opendir", rel, err);
        }
        // Names first: the directory is not changed while it is read, but
        // fewer fds stay open while descending.
        std::vector<std::string> names;
        for (;;) {
            errno = 0;
            struct dirent* e = ::readdir(d.get());
            if (e == nullptr) {
                if (errno != 0) return fail("readdir", rel, errno);
                break;
            }
            std::string n = e->d_name;
            if (n != "." && n != "..") names.push_back(std::move(n));
        }
        for (const std::string& n : names) {
            Status s = entry(from, to, n, rel.empty() ? n : rel + "/" + n);
            if (!s.ok()) return s;
        }
        return Status::Ok();
    }

private:
    Status entry(int from, int to, const std::string& name, const std::string& rel) {
        struct stat st {};
        if (::fstatat(from, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail("stat", rel, errno);
        const mode_t type = st.st_mode & S_IFMT;
        if (type == S_IFDIR) {
            if (::mkdirat(to, name.c_str(), 0700) != 0) return fail("mkdir", rel, errno);
            UniqueFd dst(::openat(to, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!dst.valid()) return fail("open copy of", rel, errno);
            if (st.st_dev == dev_) {
                UniqueFd src(::openat(from, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (!src.valid()) return fail("open", rel, errno);
                Status s = dir(src.get(), dst.get(), rel);
                if (!s.ok()) return s;
            }
            return attributes(dst.get(), st, rel);
        }
        if (type == S_IFREG) {
            UniqueFd src(::openat(from, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
            if (!src.valid()) return fail("open", rel, errno);
            UniqueFd dst(::openat(to, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
            if (!dst.valid()) return fail("create copy of", rel, errno);
            Status s = contents(src.get(), dst.get(), rel);
            if (!s.ok()) return s;
            return attributes(dst.get(), st, rel);
        }
        if (type == S_IFLNK) {
            std::vector<char> target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 0) + 1);
            ssize_t n = ::readlinkat(from, name.c_str(), target.data(), target.size());
            if (n < 0) return fail("readlink", rel, errno);
            if (static_cast<size_t>(n) >= target.size()) return fail("readlink", rel, ENAMETOOLONG);
            target[static_cast<size_t>(n)] = '\0';
            if (::symlinkat(target.data(), to, name.c_str()) != 0) return fail("symlink", rel, errno);
            if (::fchownat(to, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
                return fail("chown", rel, errno);
            struct timespec times[2] = {st.st_atim, st.st_mtim};
            if (::utimensat(to, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) return fail("utimes", rel, errno);
            return Status::Ok();
        }
        // fifo, socket, character or block device: a node like it.
        if (::mknodat(to, name.c_str(), type | 0600, st.st_rdev) != 0) return fail("mknod", rel, errno);
        if (::fchownat(to, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
            return fail("chown", rel, errno);
        if (::fchmodat(to, name.c_str(), st.st_mode & 07777, 0) != 0) return fail("chmod", rel, errno);
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        if (::utimensat(to, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) return fail("utimes", rel, errno);
        return Status::Ok();
    }

    Status contents(int src, int dst, const std::string& rel) {
        char buf[65536];
        for (;;) {
            ssize_t n = ::read(src, buf, sizeof buf);
            if (n < 0) {
                if (errno == EINTR) continue;
                return fail("read", rel, errno);
            }
            if (n == 0) return Status::Ok();
            for (ssize_t done = 0; done < n;) {
                ssize_t w = ::write(dst, buf + done, static_cast<size_t>(n - done));
                if (w < 0) {
                    if (errno == EINTR) continue;
                    return fail("write copy of", rel, errno);
                }
                done += w;
            }
        }
    }

    // Owner before mode: chown clears the set-id bits.
    Status attributes(int fd, const struct stat& st, const std::string& rel) {
        if (::fchown(fd, st.st_uid, st.st_gid) != 0) return fail("chown", rel, errno);
        if (::fchmod(fd, st.st_mode & 07777) != 0) return fail("chmod", rel, errno);
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        if (::futimens(fd, times) != 0) return fail("utimes", rel, errno);
        return Status::Ok();
    }

    Status fail(const char* what, const std::string& rel, int err) const {
        return mount_error(dest_, std::string("tmpcopyup: ") + what + " " + rel, err);
    }

    const std::string& dest_;
    dev_t dev_;
};

}  // namespace

Status copy_up(const std::string& destination, int from_dir, int to_dir) {
    struct stat st {};
    if (::fstat(from_dir, &st) != 0) return mount_error(destination, "tmpcopyup: stat", errno);
    return Copier(destination, st.st_dev).dir(from_dir, to_dir, "");
}

}  // namespace berth::mounts
