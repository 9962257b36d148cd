#include "process/clone_process.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

namespace berth {
namespace {

// struct clone_args of Linux 5.7 (<linux/sched.h> clashes with <sched.h>).
struct CloneArgs {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
constexpr uint64_t kCloneIntoCgroup = 0x200000000ULL;

}  // namespace

pid_t clone_process(int flags, int cgroup_fd, bool* in_cgroup) {
    *in_cgroup = false;
    if (cgroup_fd >= 0) {
        CloneArgs args = {};
        args.flags = static_cast<uint64_t>(static_cast<unsigned>(flags)) | kCloneIntoCgroup;
        args.exit_signal = SIGCHLD;
        args.cgroup = static_cast<uint64_t>(cgroup_fd);
        long pid = ::syscall(SYS_clone3, &args, sizeof args);
        if (pid >= 0) {
            *in_cgroup = true;
            return static_cast<pid_t>(pid);
        }
    }
    return static_cast<pid_t>(
        ::syscall(SYS_clone, static_cast<unsigned long>(flags) | SIGCHLD, nullptr, nullptr, nullptr, nullptr));
}

}  // namespace berth
