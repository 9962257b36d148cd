#include "seccomp/seccomp_filter.hpp"

#include <malloc.h>
#include <seccomp.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <utility>

#include "errors/error.hpp"
#include "init/init_channel.hpp"

namespace berth::spec {

namespace {

struct ActionEntry {
    const char* name;
    uint32_t action;
    bool takes_errno;  // errnoRet goes into the action's data (default EPERM)
};

// runc's names; SCMP_ACT_KILL is the thread kill, as in libseccomp.
const std::vector<ActionEntry>& action_table() {
    static const std::vector<ActionEntry> t = {
        {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false},
        {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
        {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
        {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
        {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
        {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
        {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
        {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
        {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
    };
    return t;
}

// libseccomp 2.6 added SCMP_FLTATR_CTL_WAITKILL; older ones cannot set the flag.
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#define BERTH_HAVE_SECCOMP_WAITKILL 1
#endif

struct FlagEntry {
    const char* name;
    int attr;          // enum scmp_filter_attr, or -1: this libseccomp has none
    unsigned min_api;  // seccomp_api_get() level that says library and kernel can
};

// The runtime-spec's flags, in its order.
const std::vector<FlagEntry>& flag_table() {
    static const std::vector<FlagEntry> t = {
        {"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC, 2},
        {"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG, 3},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB, 4},
#ifdef BERTH_HAVE_SECCOMP_WAITKILL
        {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SCMP_FLTATR_CTL_WAITKILL, 7},
#else
        {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", -1, 0},
#endif
    };
    return t;
}

const FlagEntry* find_flag(const std::string& name) {
    for (const FlagEntry& e : flag_table())
        if (name == e.name) return &e;
    return nullptr;
}

std::string libseccomp_version() {
    const scmp_version* v = seccomp_version();
    if (!v) return "?";
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

const std::vector<std::pair<std::string, uint32_t>>& arch_table() {
    static const std::vector<std::pair<std::string, uint32_t>> t = {
        {"SCMP_ARCH_X86", SCMP_ARCH_X86},
        {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
        {"SCMP_ARCH_X32", SCMP_ARCH_X32},
        {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
        {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
        {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
        {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
        {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
        {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
        {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
        {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
        {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
        {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
        {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
        {"SCMP_ARCH_S390", SCMP_ARCH_S390},
        {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
        {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
    };
    return t;
}

const std::vector<std::pair<std::string, int>>& op_table() {
    static const std::vector<std::pair<std::string, int>> t = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    return t;
}

template <typename Table>
std::vector<std::string> names_of(const Table& t) {
    std::vector<std::string> out;
    for (const auto& e : t) out.emplace_back(e.first);
    return out;
}

}  // namespace

std::optional<uint32_t> seccomp_action(const std::string& name, std::optional<uint32_t> errno_ret) {
    for (const ActionEntry& e : action_table())
        if (name == e.name) return e.takes_errno ? e.action | (errno_ret.value_or(EPERM) & 0xFFFF) : e.action;
    return std::nullopt;
}

std::optional<uint32_t> seccomp_arch(const std::string& name) {
    for (const auto& [n, arch] : arch_table())
        if (n == name) return arch;
    return std::nullopt;
}

std::optional<int> seccomp_op(const std::string& name) {
    for (const auto& [n, op] : op_table())
        if (n == name) return op;
    return std::nullopt;
}

std::vector<std::string> seccomp_action_names() {
    std::vector<std::string> out;
    for (const ActionEntry& e : action_table()) out.emplace_back(e.name);
    return out;
}
std::vector<std::string> seccomp_arch_names() { return names_of(arch_table()); }
std::vector<std::string> seccomp_op_names() { return names_of(op_table()); }

std::vector<std::string> seccomp_flag_names() {
    std::vector<std::string> out;
    for (const FlagEntry& e : flag_table()) out.emplace_back(e.name);
    return out;
}

std::optional<std::string> seccomp_flag_problem(const std::string& name) {
    const FlagEntry* e = find_flag(name);
    if (!e) return "unknown flag \"" + name + "\"";
    if (e->attr < 0) return name + " is not supported by libseccomp " + libseccomp_version() + " (2.6 or later needed)";
    if (seccomp_api_get() < e->min_api)
        return name + " is not supported here: libseccomp " + libseccomp_version() +
               " with this kernel gives API level " + std::to_string(seccomp_api_get()) + ", " +
               std::to_string(e->min_api) + " needed";
    return std::nullopt;
}

bool seccomp_syscall_known(const std::string& name) {
    return seccomp_syscall_resolve_name(name.c_str()) != __NR_SCMP_ERROR;
}

bool Seccomp::notifies() const {
    return std::any_of(rules.begin(), rules.end(), [](const SeccompRule& r) { return r.action == SCMP_ACT_NOTIFY; });
}

std::vector<std::vector<SeccompArg>> seccomp_rule_conditions(const std::vector<SeccompArg>& args) {
    bool repeated = false;
    for (size_t i = 0; i < args.size() && !repeated; ++i)
        for (size_t j = i + 1; j < args.size(); ++j)
            if (args[i].index == args[j].index) repeated = true;
    if (!repeated) return {args};
    std::vector<std::vector<SeccompArg>> one_each;
    for (const auto& a : args) one_each.push_back({a});
    return one_each;
}

}  // namespace berth::spec

namespace berth {

void SeccompFilterDeleter::operator()(void* ctx) const { seccomp_release(ctx); }

SeccompFilter build_seccomp_filter(const spec::Seccomp& s, bool* notifies) {
    if (notifies) *notifies = false;
    SeccompFilter filter(seccomp_init(s.default_action));
    if (!filter) throw Error("linux.seccomp.defaultAction: seccomp_init failed");
    scmp_filter_ctx ctx = filter.get();
    // libseccomp sets no_new_privs itself on load unless told not to: that
    // must follow process.noNewPrivileges alone, which the caller applies.
    if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); rc < 0)
        throw Error("linux.seccomp: keep no_new_privs as process.noNewPrivileges says: " + errno_text(-rc), -rc);
    for (uint32_t arch : s.architectures) {
        int rc = seccomp_arch_add(ctx, arch);
        if (rc < 0 && rc != -EEXIST) throw Error("linux.seccomp.architectures: " + errno_text(-rc), -rc);
    }
    for (const std::string& name : s.flags) {
        if (auto problem = spec::seccomp_flag_problem(name)) throw Error("linux.seccomp.flags: " + *problem, EINVAL);
        int rc = seccomp_attr_set(ctx, static_cast<scmp_filter_attr>(spec::find_flag(name)->attr), 1);
        if (rc < 0) throw Error("linux.seccomp.flags: " + name + ": " + errno_text(-rc), -rc);
    }
    for (const auto& rule : s.rules) {
        // A rule whose action is the default adds nothing (libseccomp refuses it).
        if (rule.action == s.default_action) continue;
        std::vector<std::vector<scmp_arg_cmp>> groups;
        for (const auto& conditions : spec::seccomp_rule_conditions(rule.args)) {
            std::vector<scmp_arg_cmp> cmps;
            for (const auto& a : conditions)
                cmps.push_back({a.index, static_cast<scmp_compare>(a.op), a.value, a.value_two});
            groups.push_back(std::move(cmps));
        }
        for (const auto& name : rule.names) {
            int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) continue;
            for (auto& cmps : groups) {
                int rc = seccomp_rule_add_array(ctx, rule.action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
                if (rc < 0) throw Error("linux.seccomp: rule for " + name + ": " + errno_text(-rc), -rc);
                if (notifies && rule.action == SCMP_ACT_NOTIFY) *notifies = true;
            }
        }
    }
    return filter;
}

void load_seccomp(const spec::Seccomp& s, int channel) {
    bool notifies = false;
    SeccompFilter filter = build_seccomp_filter(s, &notifies);
    // Everything the hand-over needs is ready before the load: from it on, a
    // syscall of ours that a notify rule names waits for a listener that
    // does not have the fd yet. The allocator must not give memory back
    // either (libseccomp frees its BPF program after loading it): no trim
    // (brk) and no munmap of a large block.
    std::string frame;
    if (notifies) {
        frame = frame_message({{"type", kSeccompFdMessage}});
        ::mallopt(M_TRIM_THRESHOLD, INT_MAX);
        ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
        (void)seccomp_api_get();  // libseccomp probes the kernel once, and caches it
    }
    int rc = seccomp_load(filter.get());
    if (rc < 0) throw Error("linux.seccomp: load filter: " + errno_text(-rc), -rc);
    if (!notifies) return;
    int fd = seccomp_notify_fd(filter.get());
    if (fd < 0) throw Error("linux.seccomp: no notify fd after loading the filter: " + errno_text(-fd), -fd);
    // Close-on-exec (the kernel makes it so): it never reaches the container.
    send_frame_with_fd(channel, frame, fd);
}

}  // namespace berth
