// A process identified by pid AND start time, so that a recycled pid never
// reads as our container.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace berth {

struct ProcStat {
    char state = '?';         // R, S, D, Z, ...
    uint64_t start_time = 0;  // clock ticks since boot, field 22
};

// Reads /proc/PID/stat; nullopt when the process does not exist.
std::optional<ProcStat> read_proc_stat(pid_t pid);

enum class Liveness { Alive, Zombie, Gone };

// Alive only when the pid exists, is not a zombie and started at start_time.
Liveness check_liveness(pid_t pid, uint64_t start_time);

}  // namespace berth
