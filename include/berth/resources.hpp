// The parts of the OCI `linux.resources` object the host parses and validates
// before handing them to cgroup plugins. Unset fields are std::nullopt and must
// never be written. Plugins for resources not modelled here read `json`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace berth {

struct MemoryResources {
    std::optional<int64_t> limit;        // bytes; -1 means unlimited
    std::optional<int64_t> reservation;  // bytes; soft limit (v1) / memory.low (v2)
    std::optional<int64_t> swap;         // bytes of memory+swap, as in the spec; -1 unlimited
    std::optional<uint64_t> swappiness;  // v1 only
};

struct CpuResources {
    std::optional<uint64_t> shares;  // v1 cpu.shares; converted to cpu.weight on v2
    std::optional<int64_t> quota;    // microseconds per period; -1 means unlimited
    std::optional<uint64_t> period;  // microseconds
};

struct PidsResources {
    std::optional<int64_t> limit;  // 0 or -1 means unlimited
};

struct Resources {
    std::optional<MemoryResources> memory;
    std::optional<CpuResources> cpu;
    std::optional<PidsResources> pids;
    // The whole `linux.resources` object as JSON text ("{}" when absent).
    std::string json = "{}";

    // ABI 1.2 (members are only ever added here, at the end: the host makes
    // Resources and a plugin built against older headers reads the members
    // it knows, at the same offsets).

    // linux.resources.unified: cgroup v2 file name -> value, the string
    // entries as given. The host writes them (after the plugins' files) and
    // has checked that each key's controller is served; a plugin reads its
    // own controller's keys for its unit properties.
    std::map<std::string, std::string> unified;
};

}  // namespace berth
