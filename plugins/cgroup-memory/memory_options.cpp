#include "memory_options.hpp"

namespace berth::plugins::memory {

MemoryOptions memory_options(const Resources& r) {
    MemoryOptions out;
    if (!r.memory_extras) return out;
    const MemoryExtras& x = *r.memory_extras;
    out.disable_oom_killer = x.disable_oom_killer.value_or(false);
    out.use_hierarchy = x.use_hierarchy;
    if (x.kernel_tcp.value_or(0) != 0) out.kernel_tcp = x.kernel_tcp;
    return out;
}

}  // namespace berth::plugins::memory
