// A cgroup directory as plugins see it: a path and file writes relative to it.
// Header-only so that a plugin needs nothing from the host library. Files are
// never created: a write to a file the kernel does not offer is an error that
// names the file, which is also what keeps fake cgroupfs trees in unit tests
// honest.
#pragma once

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <unistd.h>

#include "berth/status.hpp"

namespace berth {

class CgroupDir {
public:
    explicit CgroupDir(std::string path) : path_(std::move(path)) {}

    const std::string& path() const { return path_; }

    std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

    bool has(std::string_view name) const { return ::access(file(name).c_str(), F_OK) == 0; }

    Status write(std::string_view name, std::string_view value) const {
        const std::string p = file(name);
        int fd = ::open(p.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0) return Status::Error(errno, "open " + p + ": " + std::strerror(errno));
        ssize_t n = ::write(fd, value.data(), value.size());
        int saved = errno;
        ::close(fd);
        if (n < 0)
            return Status::Error(saved, "write " + std::string(value) + " to " + p + ": " + std::strerror(saved));
        if (static_cast<size_t>(n) != value.size()) return Status::Error(EIO, "short write to " + p);
        return Status::Ok();
    }

    Status read(std::string_view name, std::string* out) const {
        const std::string p = file(name);
        int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return Status::Error(errno, "open " + p + ": " + std::strerror(errno));
        out->clear();
        char buf[4096];
        for (;;) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0) {
                int saved = errno;
                ::close(fd);
                return Status::Error(saved, "read " + p + ": " + std::strerror(saved));
            }
            if (n == 0) break;
            out->append(buf, static_cast<size_t>(n));
        }
        ::close(fd);
        return Status::Ok();
    }

private:
    std::string path_;
};

}  // namespace berth
