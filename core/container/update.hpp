// `update`: new cgroup limits for a live container, as runc 1.1 does them.
// The pure parts (flag values, the merge) are here so they can be tested
// without a container.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth {

// A size as runc's update flags read it (go-units RAMInBytes): a decimal
// number, optionally fractional, then an optional space and a binary unit
// k, m, g, t or p (any case, optional "i" and "b"): "64m" = 64 MiB.
// Throws berth::Error "invalid size: '<text>'".
int64_t ram_in_bytes(const std::string& text);

// runc's update flags (by long name, without dashes) as a linux.resources
// patch in the OCI shape. Only flags that are given appear; errors name the
// flag as runc does ("invalid value for memory: invalid size: 'x'").
nlohmann::json resources_from_update_flags(const std::map<std::string, std::string>& flags);

struct MergedResources {
    nlohmann::json resources;          // the container's new linux.resources
    std::vector<std::string> ignored;  // patch fields update does not change ("devices", "memory.swappiness", ...)
    bool kernel_memory = false;        // a kernel memory value was given (ignored, as runc 1.1 does)
};

// The container's current linux.resources with `patch` applied the way runc
// 1.1's update applies it: only memory limit/reservation/swap, cpu
// shares/quota/period/realtime/cpus/mems, pids limit, blockIO weight and
// unified change; zero (or "") means "leave as it is", which is what docker
// sends for fields it does not change; everything else, devices included,
// is left alone and reported in `ignored`. Throws naming a field of the
// wrong type.
MergedResources merge_update(const nlohmann::json& current, const nlohmann::json& patch);

// Reads `--resources FILE`, or stdin for "-": a JSON object.
nlohmann::json read_resources_argument(const std::string& path);

}  // namespace berth
