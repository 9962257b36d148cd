#include "memory_subsystem.hpp"

#include <cerrno>
#include <new>
#include <string>

#include "conversions.hpp"

namespace berth::plugins::memory {
namespace {

constexpr const char* kV1Limit = "memory.limit_in_bytes";
constexpr const char* kV1Memsw = "memory.memsw.limit_in_bytes";
constexpr uint64_t kMaxSwappiness = 100;

// The interface is noexcept: an allocation failure must come back as a
// Status, not terminate the host.
template <typename Fn>
Status guarded(Fn&& fn) noexcept {
    try {
        return fn();
    } catch (const std::bad_alloc&) {
        return Status{ENOMEM, {}};
    } catch (...) {
        return Status{EIO, {}};
    }
}

Status check_byte_value(const char* field, const std::optional<int64_t>& value) {
    if (value.value_or(0) >= -1) return Status::Ok();
    return Status::Error(EINVAL, std::string("linux.resources.memory.") + field + ": invalid value " +
                                     std::to_string(*value) + " (-1 for unlimited, or a byte count)");
}

Status check_swappiness(const std::optional<uint64_t>& swappiness) {
    if (!swappiness || *swappiness <= kMaxSwappiness) return Status::Ok();
    return Status::Error(EINVAL, "linux.resources.memory.swappiness: " + std::to_string(*swappiness) +
                                     " is out of range [0, 100]");
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

}  // namespace

bool MemorySubsystem::wants(const Resources& r) const noexcept {
    return r.memory && (r.memory->limit || r.memory->reservation || r.memory->swap || r.memory->swappiness);
}

Status MemorySubsystem::validate(const Resources& r) const noexcept {
    return guarded([&] {
        if (!r.memory) return Status::Ok();
        const MemoryResources& mem = *r.memory;
        if (Status s = check_byte_value("limit", mem.limit); !s.ok()) return s;
        if (Status s = check_byte_value("reservation", mem.reservation); !s.ok()) return s;
        // The v2 conversion's rules are the strictest statement of what a
        // memory+swap value may be; on v1 the kernel refuses the same cases.
        if (const SwapMax swap = memory_swap_max(mem.swap, mem.limit); !swap.ok())
            return Status::Error(EINVAL, swap.error);
        return check_swappiness(mem.swappiness);
    });
}

Status MemorySubsystem::apply_v2(const CgroupDir& dir, const Resources& r) noexcept {
    return guarded([&] {
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
    });
}

Status MemorySubsystem::apply_v1(const CgroupDir& dir, const Resources& r) noexcept {
    return guarded([&] {
        if (!r.memory) return Status::Ok();
        const MemoryResources& mem = *r.memory;
        // Checked again because apply can run without validate (an update);
        // runc's writer refuses above 100 too.
        if (Status s = check_swappiness(mem.swappiness); !s.ok()) return s;
        if (Status s = apply_v1_limit_and_swap(dir, mem); !s.ok()) return s;
        if (const int64_t reservation = mem.reservation.value_or(0); reservation != 0)
            if (Status s = dir.write("memory.soft_limit_in_bytes", std::to_string(reservation)); !s.ok()) return s;
        if (mem.swappiness)
            if (Status s = dir.write("memory.swappiness", std::to_string(*mem.swappiness)); !s.ok()) return s;
        return Status::Ok();
    });
}

Status MemorySubsystem::stats(const CgroupDir& dir, bool unified, CgroupStats* out) const noexcept {
    return guarded([&] {
        const char* const usage_file = unified ? "memory.current" : "memory.usage_in_bytes";
        const char* const limit_file = unified ? "memory.max" : kV1Limit;
        uint64_t usage = 0, limit = 0;
        if (Status s = read_bytes(dir, usage_file, &usage); !s.ok()) return s;
        if (Status s = read_bytes(dir, limit_file, &limit); !s.ok()) return s;
        out->values.emplace_back(usage_file, usage);
        out->values.emplace_back(limit_file, limit);
        return Status::Ok();
    });
}

}  // namespace berth::plugins::memory
