// One error convention for the whole core: berth::Error carries a message that
// names the field, path or flag at fault, and the errno when a syscall failed.
// The CLI prints what() and exits 1, as runc does.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

namespace berth {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& msg, int err = 0) : std::runtime_error(msg), errno_(err) {}
    int err() const noexcept { return errno_; }

private:
    int errno_;
};

// strerror(err) as Go spells it ("no such file or directory"): podman maps
// runc's texts to exit codes by matching them.
std::string errno_text(int err);

// "<what> <path>: <errno_text(err)>", the shape of Go's *os.PathError that
// runc's users (podman maps "no such file or directory" to 127) depend on.
[[noreturn]] void throw_sys(int err, const std::string& what, const std::string& path = {});

// Throws with the current errno.
[[noreturn]] inline void throw_errno(const std::string& what, const std::string& path = {}) {
    throw_sys(errno, what, path);
}

}  // namespace berth
