#include "process/leave_host.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <sstream>
#include <string>

#include "errors/error.hpp"
#include "util/files.hpp"

namespace berth {

void close_fds_except(std::vector<int> keep) {
    std::sort(keep.begin(), keep.end());
    unsigned first = 3;
    for (int fd : keep) {
        if (fd < static_cast<int>(first)) continue;
        if (static_cast<unsigned>(fd) > first && ::syscall(SYS_close_range, first, fd - 1, 0) < 0)
            throw_errno("close_range");
        first = static_cast<unsigned>(fd) + 1;
    }
    if (::syscall(SYS_close_range, first, ~0U, 0) < 0) throw_errno("close_range");
}

void forget_caller_environment() {
    // Fields 48-51 of /proc/self/stat (proc(5)): where the kernel finds the
    // command line and the environment. The name in field 2 may hold spaces
    // and parentheses, so counting starts after its last ')'.
    const std::string stat = read_file("/proc/self/stat");
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos) throw Error("/proc/self/stat: unexpected format", EINVAL);
    std::istringstream in(stat.substr(paren + 1));
    std::string field;
    unsigned long arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
    for (int n = 3; n <= 51 && in >> field; ++n) {
        unsigned long v = std::strtoul(field.c_str(), nullptr, 10);
        if (n == 48) arg_start = v;
        if (n == 49) arg_end = v;
        if (n == 50) env_start = v;
        if (n == 51) env_end = v;
    }
    if (env_end > env_start) std::memset(reinterpret_cast<void*>(env_start), 0, env_end - env_start);
    static const char kName[] = "berth";
    if (arg_end > arg_start + sizeof kName) {
        std::memset(reinterpret_cast<void*>(arg_start), 0, arg_end - arg_start);
        std::memcpy(reinterpret_cast<void*>(arg_start), kName, sizeof kName);
    }
}

}  // namespace berth
