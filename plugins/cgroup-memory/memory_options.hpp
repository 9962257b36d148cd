// The memory fields beyond MemoryResources (the host's MemoryExtras) as the
// writers use them: the v1-only switches of the memory controller.
#pragma once

#include <cstdint>
#include <optional>

#include "berth/resources.hpp"

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

// What linux.resources.memory.{disableOOMKiller,useHierarchy,kernelTCP} ask
// for (the host has checked their types).
MemoryOptions memory_options(const Resources& r);

}  // namespace berth::plugins::memory
