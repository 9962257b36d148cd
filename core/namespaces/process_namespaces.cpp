#include "namespaces/process_namespaces.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "errors/error.hpp"
#include "state/process_identity.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace berth {
namespace {

struct NsType {
    const char* name;
    int flag;
};
// User first: the others are owned by it and need its capabilities to join.
constexpr NsType kTypes[] = {
    {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},  {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP},
    {"time", CLONE_NEWTIME}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET},
};

const char* type_name(int flag) {
    for (const auto& t : kTypes)
        if (t.flag == flag) return t.name;
    return "?";
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

}  // namespace

ProcessNamespaces open_process_namespaces(pid_t pid, uint64_t start_time) {
    ProcessNamespaces ns;
    ns.pidfd = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    // Opened first, checked second: if the start time matches now, the pidfd
    // is the container's init and stays so.
    if (!ns.pidfd || check_liveness(pid, start_time) != Liveness::Alive)
        throw Error("container init " + std::to_string(pid) + " is not running", ESRCH);
    const std::string dir = "/proc/" + std::to_string(pid) + "/ns/";
    for (const auto& t : kTypes) {
        const std::string theirs = dir + t.name;
        const std::string ours = std::string("/proc/self/ns/") + t.name;
        struct stat our_st;
        if (::stat(ours.c_str(), &our_st) < 0) {
            if (errno == ENOENT) continue;  // a namespace type this kernel does not have
            throw_errno("stat", ours);
        }
        UniqueFd fd(::open(theirs.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) {
            if (errno == ENOENT || errno == ESRCH)
                throw Error("container init " + std::to_string(pid) + " is not running", ESRCH);
            throw_errno("open", theirs);
        }
        struct stat their_st;
        if (::fstat(fd.get(), &their_st) < 0) throw_errno("stat", theirs);
        if (same_file(our_st, their_st)) {
            if (t.flag == CLONE_NEWNS) {
                const std::string root = "/proc/" + std::to_string(pid) + "/root";
                ns.root.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
                if (!ns.root) throw_errno("open the container's root", root);
            }
            continue;
        }
        ns.flags |= t.flag;
        ns.fds.emplace_back(t.flag, std::move(fd));
    }
    // Still alive now, so the /proc/<pid> just read was the pidfd's process.
    if (::syscall(SYS_pidfd_send_signal, ns.pidfd.get(), 0, nullptr, 0) < 0)
        throw Error("container init " + std::to_string(pid) + " is not running", ESRCH);
    return ns;
}

void join_process_namespaces(const ProcessNamespaces& ns, int which) {
    const int flags = ns.flags & which;
    if (flags == 0) return;
    if (::setns(ns.pidfd.get(), flags) == 0) return;
    // The init can exit between reading its namespaces and joining them (a
    // concurrent kill or delete): the same error as finding it gone.
    if (errno == ESRCH) throw Error("container init is not running", ESRCH);
    if (errno != EINVAL) throw_errno("join the container's namespaces");
    for (const auto& [flag, fd] : ns.fds) {
        if (!(flag & flags)) continue;
        if (::setns(fd.get(), flag) < 0)
            throw Error(std::string("join the container's ") + type_name(flag) + " namespace: " + errno_text(errno),
                        errno);
    }
}

}  // namespace berth
