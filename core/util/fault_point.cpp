#include "util/fault_point.hpp"

#ifdef BERTH_FAULT_INJECTION
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace berth {
namespace {

// Read once, before main: init and the helpers forget the caller's
// environment before their last crash points.
struct FaultEnv {
    std::string trace, stop, at;
    FaultEnv() {
        auto get = [](const char* name) {
            const char* v = std::getenv(name);
            return std::string(v ? v : "");
        };
        trace = get("BERTH_FAULT_TRACE");
        stop = get("BERTH_FAULT_STOP");
        at = get("BERTH_FAULT_AT");
    }
};
const FaultEnv g_env;

volatile sig_atomic_t g_continued = 0;

// BERTH_FAULT_STOP is one step or several, comma-separated: a test may hold
// create and its init each at a step of its own.
bool stops_at(const char* step) {
    const std::string& list = g_env.stop;
    const size_t n = std::strlen(step);
    for (size_t at = 0; at <= list.size();) {
        size_t end = list.find(',', at);
        if (end == std::string::npos) end = list.size();
        if (end - at == n && list.compare(at, n, step) == 0) return true;
        at = end + 1;
    }
    return false;
}

// Held until a SIGCONT. Pid 1 of a pid namespace (the container's init)
// ignores its own SIGSTOP, so it waits in sigsuspend instead, with a
// handler: a signal from an ancestor namespace reaches it only then.
void hold() {
    if (::getpid() != 1) {
        ::raise(SIGSTOP);
        return;
    }
    sigset_t cont, before;
    sigemptyset(&cont);
    sigaddset(&cont, SIGCONT);
    ::sigprocmask(SIG_BLOCK, &cont, &before);
    struct sigaction on_cont {};
    struct sigaction old {};
    on_cont.sa_handler = [](int) { g_continued = 1; };
    sigemptyset(&on_cont.sa_mask);
    ::sigaction(SIGCONT, &on_cont, &old);
    sigset_t waiting = before;
    sigdelset(&waiting, SIGCONT);
    while (!g_continued) ::sigsuspend(&waiting);
    g_continued = 0;
    ::sigaction(SIGCONT, &old, nullptr);
    ::sigprocmask(SIG_SETMASK, &before, nullptr);
}

}  // namespace

// Opened once and kept, so that init still logs its steps after pivot_root
// (when the trace path no longer resolves) through the copy clone gave it.
// Close-on-exec and far above the fds init moves to 3.., so it never reaches
// the container nor takes the place of its init channel.
int fault_trace_fd() {
    static int fd = [] {
        if (g_env.trace.empty()) return -1;
        int f = ::open(g_env.trace.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (f < 0) return -1;
        int high = ::fcntl(f, F_DUPFD_CLOEXEC, 900);
        ::close(f);
        return high;
    }();
    return fd;
}

void fault_point(const char* step) {
    if (int fd = fault_trace_fd(); fd >= 0) {
        // O_APPEND writes of one short line are atomic between processes.
        std::string line = std::string(step) + "\n";
        (void)!::write(fd, line.data(), line.size());
    }
    // BERTH_FAULT_STOP=<step>: stop there until SIGCONT, so that a test can
    // run another verb inside a window between two steps.
    if (!g_env.stop.empty() && stops_at(step)) hold();
    if (g_env.at == step) {
        ::kill(::getpid(), SIGKILL);
        // Still here: we are pid 1 of a new pid namespace (the container's
        // init), which cannot signal itself. Die as abruptly as we can.
        _exit(128 + SIGKILL);
    }
}

}  // namespace berth
#endif
