#include "memory_subsystem.hpp"

#include <cerrno>
#include <new>
#include <string>

#include "conversions.hpp"
#include "memory_options.hpp"

namespace berth::plugins::memory {
namespace {

constexpr const char* kV1Limit = "memory.limit_in_bytes";
constexpr const char* kV1Memsw = "memory.memsw.limit_in_bytes";
constexpr uint64_t kMaxSwappiness = 100;

Status check_byte_value(const char* field, const std::optional<int64_t>& value) {
    if (value.value_or(0) >= -1) return Status::Ok();
    return Status::Error(EINVAL, std::string("linux.resources.memory.") + field + ": invalid value " +
                                     std::to_string(*value) + " (-1 for unlimited, or a byte count)");
}

Status check_swappiness(const std::optional<uint64_t>& swappiness) {
    if (!swappiness || *swappiness <= kMaxSwappiness) return Status::Ok();
    return Status::Error(
        EINVAL, "linux.resources.memory.swappiness: " + std::to_string(*swappiness) + " is out of range [0, 100]");
}

// EBUSY from the kernel means the new limit is below what is already charged;
// say so rather than leave a bare "Device or resource busy".
Status write_v1_limit(const CgroupDir& dir, int64_t limit) {
    Status s = dir.write(kV1Limit, std::to_string(limit));
    if (s.err == EBUSY) s.message += " (linux.resources.memory.limit is below the cgroup's current usage)";
    return s;
}

Status read_bytes(const CgroupDir& dir, const char* name, uint64_t* out) {
    std::string text;
    if (Status s = dir.read(name, &text); !s.ok()) return s;
    const auto value = parse_bytes(text);
    if (!value) return Status::Error(EINVAL, "parse " + dir.file(name) + ": unexpected content \"" + text + "\"");
    *out = *value;
    return Status::Ok();
}

// Limit and memory+swap, in the order the kernel accepts (runc's
// setMemoryAndSwap).
Status apply_v1_limit_and_swap(const CgroupDir& dir, const MemoryResources& mem) {
    const int64_t limit = mem.limit.value_or(0);
    int64_t swap = mem.swap.value_or(0);
    // An unlimited memory limit with swap unspecified means both unlimited;
    // otherwise memsw would keep capping memory (runc does the same).
    if (limit == -1 && swap == 0 && dir.has(kV1Memsw)) swap = -1;
    // Without swap accounting (swapaccount=0, no CONFIG_MEMCG_SWAP) there is
    // no memsw file: "unlimited" is then already true, anything else cannot
    // be honoured.
    if (swap != 0 && !dir.has(kV1Memsw)) {
        if (swap == -1) {
            swap = 0;
        } else {
            return Status::Error(ENOENT, "linux.resources.memory.swap is set but " + dir.file(kV1Memsw) +
                                             " does not exist (swap accounting is disabled)");
        }
    }

    if (limit != 0 && swap != 0) {
        uint64_t current_limit = 0;
        if (Status s = read_bytes(dir, kV1Limit, &current_limit); !s.ok()) return s;
        if (write_memsw_first(current_limit, swap)) {
            if (Status s = dir.write(kV1Memsw, std::to_string(swap)); !s.ok()) return s;
            return write_v1_limit(dir, limit);
        }
    }
    if (limit != 0)
        if (Status s = write_v1_limit(dir, limit); !s.ok()) return s;
    if (swap != 0)
        if (Status s = dir.write(kV1Memsw, std::to_string(swap)); !s.ok()) return s;
    return Status::Ok();
}

// v1: the switches beyond MemoryResources. memory.oom_control only takes
// "1" (disable) or "0"; runc writes it only to disable the killer.
Status apply_v1_options(const CgroupDir& dir, const MemoryOptions& opt) {
    if (opt.use_hierarchy) {
        if (Status s = dir.write("memory.use_hierarchy", *opt.use_hierarchy ? "1" : "0"); !s.ok()) {
            // Kernels >= 5.14 are always hierarchical and refuse 0 (EINVAL).
            const bool always = !*opt.use_hierarchy && s.err == EINVAL;
            s.message += always ? " (linux.resources.memory.useHierarchy: this kernel is always hierarchical)"
                                : " (linux.resources.memory.useHierarchy)";
            return s;
        }
    }
    if (opt.disable_oom_killer)
        if (Status s = dir.write("memory.oom_control", "1"); !s.ok()) {
            s.message += " (linux.resources.memory.disableOOMKiller)";
            return s;
        }
    if (opt.kernel_tcp)
        if (Status s = dir.write("memory.kmem.tcp.limit_in_bytes", std::to_string(*opt.kernel_tcp)); !s.ok()) {
            s.message += " (linux.resources.memory.kernelTCP)";
            return s;
        }
    return Status::Ok();
}

// v2 has no file for either switch: v2 is always hierarchical, so only
// `useHierarchy: false` cannot be honoured; the OOM killer cannot be turned
// off (memory.oom.group is something else). Both are refused, as crun
// refuses disableOOMKiller, rather than left silently unenforced.
Status check_v2_options(const MemoryOptions& opt) {
    if (opt.disable_oom_killer)
        return Status::Error(EINVAL,
                             "linux.resources.memory.disableOOMKiller: cgroup v2 has no way to disable the OOM killer "
                             "(memory.oom_control is cgroup v1 only)");
    if (opt.use_hierarchy && !*opt.use_hierarchy)
        return Status::Error(
            EINVAL, "linux.resources.memory.useHierarchy: false cannot be honoured: cgroup v2 is always hierarchical");
    if (opt.kernel_tcp)
        return Status::Error(EINVAL,
                             "linux.resources.memory.kernelTCP: cgroup v2 has no separate TCP buffer limit "
                             "(its memory.max counts socket memory)");
    return Status::Ok();
}

}  // namespace

bool MemorySubsystem::wants(const Resources& r) const {
    if (r.memory && (r.memory->limit || r.memory->reservation || r.memory->swap || r.memory->swappiness)) return true;
    return memory_options(r).any();
}

Status MemorySubsystem::validate(const Resources& r) const {
    if (!r.memory) return Status::Ok();
    const MemoryResources& mem = *r.memory;
    if (Status s = check_byte_value("limit", mem.limit); !s.ok()) return s;
    if (Status s = check_byte_value("reservation", mem.reservation); !s.ok()) return s;
    // The v2 conversion's rules are the strictest statement of what a
    // memory+swap value may be; on v1 the kernel refuses the same cases.
    if (const SwapMax swap = memory_swap_max(mem.swap, mem.limit); !swap.ok()) return Status::Error(EINVAL, swap.error);
    return check_swappiness(mem.swappiness);
}

Status MemorySubsystem::apply_v2(const CgroupDir& dir, const Resources& r) {
    const MemoryOptions opt = memory_options(r);
    if (Status s = check_v2_options(opt); !s.ok()) return s;
    if (!r.memory) return Status::Ok();
    const MemoryResources& mem = *r.memory;
    const SwapMax swap = memory_swap_max(mem.swap, mem.limit);
    if (!swap.ok()) return Status::Error(EINVAL, swap.error);
    if (swap.text) {
        // Without swap accounting there is no memory.swap.max; "no swap
        // limit" and "no swap" then hold already (runc ignores these too).
        const bool moot = *swap.text == "max" || *swap.text == "0";
        if (!(moot && !dir.has("memory.swap.max")))
            if (Status s = dir.write("memory.swap.max", *swap.text); !s.ok()) return s;
    }
    if (const int64_t limit = mem.limit.value_or(0); limit != 0)
        if (Status s = dir.write("memory.max", v2_limit_text(limit)); !s.ok()) return s;
    if (const int64_t reservation = mem.reservation.value_or(0); reservation != 0)
        if (Status s = dir.write("memory.low", v2_limit_text(reservation)); !s.ok()) return s;
    // swappiness has no v2 file; runc's fs2 driver ignores it as well,
    // and refusing it would break specs written for v1 hosts.
    return Status::Ok();
}

Status MemorySubsystem::apply_v1(const CgroupDir& dir, const Resources& r) {
    const MemoryOptions opt = memory_options(r);
    if (!r.memory) return apply_v1_options(dir, opt);
    const MemoryResources& mem = *r.memory;
    // Checked again because apply can run without validate (an update);
    // runc's writer refuses above 100 too.
    if (Status s = check_swappiness(mem.swappiness); !s.ok()) return s;
    if (Status s = apply_v1_limit_and_swap(dir, mem); !s.ok()) return s;
    if (const int64_t reservation = mem.reservation.value_or(0); reservation != 0)
        if (Status s = dir.write("memory.soft_limit_in_bytes", std::to_string(reservation)); !s.ok()) return s;
    if (mem.swappiness)
        if (Status s = dir.write("memory.swappiness", std::to_string(*mem.swappiness)); !s.ok()) return s;
    return apply_v1_options(dir, opt);
}

Status MemorySubsystem::unit_properties(const Resources& r, UnitProperties* out) const {
    return memory_unit_properties(r, out);
}

Status MemorySubsystem::stats(const CgroupDir& dir, bool unified, CgroupStats* out) const {
    // Counters named as the kernel names them; the host maps them onto
    // runc's stats shape. Usage and limit are required, the rest (swap,
    // kernel memory: configuration dependent) only reported when present.
    const auto counter = [&](const char* name, bool required) {
        if (!required && !dir.has(name)) return Status::Ok();
        uint64_t value = 0;
        if (Status s = read_bytes(dir, name, &value); !s.ok()) return s;
        out->values.emplace_back(name, value);
        return Status::Ok();
    };
    const auto keyed = [&](const char* name) {
        if (!dir.has(name)) return Status::Ok();
        std::string text;
        if (Status s = dir.read(name, &text); !s.ok()) return s;
        const auto values = flat_keyed_values(text);
        if (!values) return Status::Error(EINVAL, "parse " + dir.file(name) + ": a line is not \"key number\"");
        for (const auto& [key, value] : *values) out->values.emplace_back(std::string(name) + "." + key, value);
        return Status::Ok();
    };
    struct Counter {
        const char* name;
        bool required;
    };
    static constexpr Counter kV2Counters[] = {
        {"memory.current", true}, {"memory.max", true}, {"memory.swap.current", false}, {"memory.swap.max", false}};
    static constexpr Counter kV1Counters[] = {{"memory.usage_in_bytes", true},
                                              {"memory.limit_in_bytes", true},
                                              {"memory.max_usage_in_bytes", false},
                                              {"memory.failcnt", false},
                                              {"memory.memsw.usage_in_bytes", false},
                                              {"memory.memsw.max_usage_in_bytes", false},
                                              {"memory.memsw.failcnt", false},
                                              {"memory.memsw.limit_in_bytes", false},
                                              {"memory.kmem.usage_in_bytes", false},
                                              {"memory.kmem.max_usage_in_bytes", false},
                                              {"memory.kmem.failcnt", false},
                                              {"memory.kmem.limit_in_bytes", false},
                                              {"memory.kmem.tcp.usage_in_bytes", false},
                                              {"memory.kmem.tcp.max_usage_in_bytes", false},
                                              {"memory.kmem.tcp.failcnt", false},
                                              {"memory.kmem.tcp.limit_in_bytes", false}};
    // On v2 the container's directory has memory files only when the
    // controller is enabled for it (a memory limit was asked for):
    // without them there is nothing to report, which is not an error.
    if (unified && !dir.has("memory.current")) return Status::Ok();
    if (unified) {
        for (const Counter& c : kV2Counters)
            if (Status s = counter(c.name, c.required); !s.ok()) return s;
        for (const char* name : {"memory.stat", "memory.events"})
            if (Status s = keyed(name); !s.ok()) return s;
    } else {
        for (const Counter& c : kV1Counters)
            if (Status s = counter(c.name, c.required); !s.ok()) return s;
        for (const char* name : {"memory.stat", "memory.oom_control"})
            if (Status s = keyed(name); !s.ok()) return s;
    }
    return Status::Ok();
}

}  // namespace berth::plugins::memory
