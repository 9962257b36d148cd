#include "util/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "errors/error.hpp"
#include "util/unique_fd.hpp"

namespace berth {

std::string read_file(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw_errno("open", path);
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read", path);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

static void write_all(int fd, const std::string& data, const std::string& path) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write", path);
        }
        off += static_cast<size_t>(n);
    }
}

void write_existing_file(const std::string& path, const std::string& data) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_errno("open", path);
    write_all(fd.get(), data, path);
}

static void write_and_rename(const std::string& path, const std::string& data, unsigned mode, bool sync) {
    const std::string tmp = path + ".tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) throw_errno("create", tmp);
    write_all(fd.get(), data, tmp);
    if (sync && ::fsync(fd.get()) < 0) throw_errno("fsync", tmp);
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) < 0) {
        int e = errno;
        ::unlink(tmp.c_str());
        throw_sys(e, "rename", path);
    }
}

void write_file_atomic(const std::string& path, const std::string& data, unsigned mode) {
    write_and_rename(path, data, mode, true);
}

void write_file_replace(const std::string& path, const std::string& data, unsigned mode) {
    write_and_rename(path, data, mode, false);
}

void remove_tree(const std::string& path) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec && ec.value() != ENOENT) throw_sys(ec.value(), "remove", path);
}

void make_dirs(const std::string& path, unsigned mode) {
    for (size_t i = 1; i <= path.size(); ++i) {
        if (i < path.size() && path[i] != '/') continue;
        const std::string dir = path.substr(0, i);
        if (::mkdir(dir.c_str(), mode) < 0 && errno != EEXIST) throw_errno("mkdir", dir);
    }
}

}  // namespace berth
