// The memory fields the SDK's MemoryResources does not model, read from the
// raw `linux.resources` JSON: v1-only switches of the memory controller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "berth/status.hpp"

namespace berth::plugins::memory {

struct MemoryOptions {
    // Only `true` asks for anything (runc writes memory.oom_control only then).
    bool disable_oom_killer = false;
    // Either value asks for something: v1 memory.use_hierarchy.
    std::optional<bool> use_hierarchy;
    // kernelTCP: the v1 memory.kmem.tcp limit in bytes, -1 unlimited; 0 or
    // absent asks for nothing (docker sends zeros for what it leaves alone).
    std::optional<int64_t> kernel_tcp;
    bool any() const { return disable_oom_killer || use_hierarchy.has_value() || kernel_tcp.has_value(); }
};

// Parses linux.resources.memory.{disableOOMKiller,useHierarchy,kernelTCP}; a value of
// the wrong type is an error naming the field. Absent or null is unset.
Status parse_memory_options(const std::string& resources_json, MemoryOptions* out);

}  // namespace berth::plugins::memory
