#include "process/kernel_policies.hpp"

#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "errors/error.hpp"

namespace berth {
namespace {

// sched_setattr(2)'s argument (linux/sched/types.h, which clashes with
// glibc's sched.h).
struct SchedAttr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
    uint32_t sched_util_min, sched_util_max;
};

}  // namespace

std::vector<unsigned> parse_id_list(const std::string& given, const std::string& field, unsigned max) {
    std::vector<unsigned> out;
    auto bad = [&](const std::string& why) -> void {
        throw Error(field + ": \"" + given + "\" is not a list such as \"0-3,7\": " + why, EINVAL);
    };
    // The schema's pattern allows spaces ("0, 2-3").
    std::string text;
    for (char ch : given)
        if (ch != ' ') text += ch;
    if (text.empty()) bad("it is empty");
    size_t at = 0;
    while (at <= text.size()) {
        size_t comma = text.find(',', at);
        if (comma == std::string::npos) comma = text.size();
        const std::string item = text.substr(at, comma - at);
        const size_t dash = item.find('-');
        auto number = [&](const std::string& s) {
            if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 6)
                bad("\"" + item + "\"");
            const unsigned long v = std::stoul(s);
            if (v > max) bad(s + " is above " + std::to_string(max));
            return static_cast<unsigned>(v);
        };
        const unsigned first = number(item.substr(0, dash));
        const unsigned last = dash == std::string::npos ? first : number(item.substr(dash + 1));
        if (last < first) bad("\"" + item + "\" runs backwards");
        for (unsigned i = first; i <= last; ++i) out.push_back(i);
        at = comma + 1;
    }
    return out;
}

cpu_set_t cpu_set_of(const std::string& list, const std::string& field) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (unsigned cpu : parse_id_list(list, field, CPU_SETSIZE - 1)) CPU_SET(cpu, &set);
    return set;
}

std::vector<unsigned long> node_mask_of(const std::string& list, const std::string& field) {
    constexpr unsigned kBits = 8 * sizeof(unsigned long);
    std::vector<unsigned long> mask;
    for (unsigned node : parse_id_list(list, field, 1023)) {
        if (mask.size() <= node / kBits) mask.resize(node / kBits + 1);
        mask[node / kBits] |= 1UL << (node % kBits);
    }
    return mask;
}

void apply_scheduler(const std::optional<spec::Scheduler>& s) {
    if (!s) return;
    SchedAttr attr{};
    attr.size = sizeof attr;
    attr.sched_policy = s->policy;
    attr.sched_flags = s->flags;
    attr.sched_nice = s->nice;
    attr.sched_priority = s->priority;
    attr.sched_runtime = s->runtime;
    attr.sched_deadline = s->deadline;
    attr.sched_period = s->period;
    if (::syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
        throw Error(
            "process.scheduler: sched_setattr: " + errno_text(errno) +
                (errno == EPERM ? " (a realtime or deadline policy needs CAP_SYS_NICE in the host's user namespace)"
                                : ""),
            errno);
}

void apply_io_priority(const std::optional<spec::IoPriority>& p) {
    if (!p) return;
    constexpr int kWhoProcess = 1, kClassShift = 13;
    if (::syscall(SYS_ioprio_set, kWhoProcess, 0, (p->klass << kClassShift) | p->priority) < 0)
        throw Error("process.ioPriority: ioprio_set: " + errno_text(errno), errno);
}

void apply_cpu_affinity(const std::string& list, const std::string& field) {
    if (list.empty()) return;
    const cpu_set_t set = cpu_set_of(list, field);
    if (::sched_setaffinity(0, sizeof set, &set) < 0)
        throw Error(field + ": sched_setaffinity \"" + list + "\": " + errno_text(errno), errno);
}

void apply_personality(const std::optional<unsigned long>& domain) {
    if (!domain) return;
    if (::personality(*domain) < 0) throw Error("linux.personality: personality: " + errno_text(errno), errno);
}

void apply_memory_policy(const std::optional<spec::MemoryPolicy>& p) {
    if (!p) return;
    std::vector<unsigned long> mask =
        p->nodes.empty() ? std::vector<unsigned long>{} : node_mask_of(p->nodes, "linux.memoryPolicy.nodes");
    const unsigned long max_node = mask.size() * 8 * sizeof(unsigned long) + 1;
    if (::syscall(SYS_set_mempolicy, p->mode, mask.empty() ? nullptr : mask.data(), mask.empty() ? 0 : max_node) < 0)
        throw Error("linux.memoryPolicy: set_mempolicy: " + errno_text(errno), errno);
}

}  // namespace berth
