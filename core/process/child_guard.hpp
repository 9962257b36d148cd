// A forked helper of ours (exec's, the startContainer hooks'): SIGKILLed and
// reaped when the guard goes out of scope, unless reaped or released first,
// so no error path strands it.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>

namespace berth {

class ChildGuard {
public:
    explicit ChildGuard(pid_t pid) : pid_(pid) {}
    ChildGuard(const ChildGuard&) = delete;
    ChildGuard& operator=(const ChildGuard&) = delete;
    ChildGuard(ChildGuard&& other) noexcept : pid_(other.pid_) { other.pid_ = 0; }
    ChildGuard& operator=(ChildGuard&&) = delete;
    ~ChildGuard() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        reap();
    }
    // Waits for the child and returns its wait status.
    int reap() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = 0;
        return status;
    }
    // The child lives on without us (exec --detach).
    void release() { pid_ = 0; }

private:
    pid_t pid_;
};

}  // namespace berth
