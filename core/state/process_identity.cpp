#include "state/process_identity.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace berth {

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return std::nullopt;
    buf[n] = '\0';
    // comm may contain spaces and parentheses: fields start after the last ')'.
    std::string s(buf, static_cast<size_t>(n));
    size_t close = s.rfind(')');
    if (close == std::string::npos || close + 2 >= s.size()) return std::nullopt;
    ProcStat st;
    st.state = s[close + 2];
    // Field 3 is the state; the start time is field 22.
    size_t pos = close + 2;
    for (int field = 3; field < 22; ++field) {
        pos = s.find(' ', pos);
        if (pos == std::string::npos) return std::nullopt;
        ++pos;
    }
    st.start_time = std::strtoull(s.c_str() + pos, nullptr, 10);
    return st;
}

Liveness check_liveness(pid_t pid, uint64_t start_time) {
    if (pid <= 0) return Liveness::Gone;
    auto st = read_proc_stat(pid);
    if (!st || st->start_time != start_time) return Liveness::Gone;
    if (st->state == 'Z' || st->state == 'X') return Liveness::Zombie;
    return Liveness::Alive;
}

}  // namespace berth
