// linux.seccomp: parsed and checked with the rest of the spec, loaded by init
// with libseccomp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace berth::spec {

struct SeccompArg {
    unsigned index = 0;
    uint64_t value = 0;
    uint64_t value_two = 0;
    int op = 0;  // enum scmp_compare
};

struct SeccompRule {
    std::vector<std::string> names;
    uint32_t action = 0;  // SCMP_ACT_*, errno folded in
    std::vector<SeccompArg> args;
};

struct Seccomp {
    uint32_t default_action = 0;
    std::vector<uint32_t> architectures;  // SCMP_ARCH_*
    std::vector<SeccompRule> rules;
    std::vector<std::string> flags;  // SECCOMP_FILTER_FLAG_*, each known and supported here
    // Where the notify fd goes (a host path), with the metadata for the
    // listener: runtime-spec ContainerProcessState.
    std::string listener_path;
    std::string listener_metadata;

    // Whether a rule asks for SCMP_ACT_NOTIFY.
    bool notifies() const;
};

// "SCMP_ACT_ERRNO" with its errnoRet → the libseccomp action; nullopt when unknown.
std::optional<uint32_t> seccomp_action(const std::string& name, std::optional<uint32_t> errno_ret);
std::optional<uint32_t> seccomp_arch(const std::string& name);
std::optional<int> seccomp_op(const std::string& name);

// The libseccomp rules that one syscall rule becomes. libseccomp ANDs the
// comparisons of one rule but refuses two on the same argument; profiles
// that list several (docker's personality, conformance suites) mean "any of
// them", so, as runc and crun do, such a rule becomes one rule per
// comparison. Otherwise it stays one rule with all of them.
std::vector<std::vector<SeccompArg>> seccomp_rule_conditions(const std::vector<SeccompArg>& args);

// The names the three functions above accept, in table order (`features`).
std::vector<std::string> seccomp_action_names();
std::vector<std::string> seccomp_arch_names();
std::vector<std::string> seccomp_op_names();

// linux.seccomp.flags: every flag the runtime-spec names, in its order.
std::vector<std::string> seccomp_flag_names();
// Why a flag cannot be applied here (unknown, or this libseccomp or kernel
// lacks it), or nullopt when it can.
std::optional<std::string> seccomp_flag_problem(const std::string& name);

// Whether this libseccomp knows a syscall name (on some architecture).
// Rules name syscalls newer than the library, and those are skipped.
bool seccomp_syscall_known(const std::string& name);

}  // namespace berth::spec

namespace berth {

// A libseccomp filter context built in memory; nothing is loaded.
struct SeccompFilterDeleter {
    void operator()(void* ctx) const;
};
using SeccompFilter = std::unique_ptr<void, SeccompFilterDeleter>;

// Builds the filter without loading it (scmp_filter_ctx is a void*). Syscall
// names this libseccomp does not know are skipped, as runc does (the parser
// warns about them). `notifies`, when given, says whether a SCMP_ACT_NOTIFY
// rule made it into the filter (all its names may have been skipped).
SeccompFilter build_seccomp_filter(const spec::Seccomp& s, bool* notifies = nullptr);

// Loads the filter into the calling process. When it has a SCMP_ACT_NOTIFY
// rule, the listener fd goes over `channel` at once (init_channel.hpp's
// kSeccompFdMessage with the fd as SCM_RIGHTS), before any other syscall of
// ours can be caught by the filter: until create or exec hands it to the
// listener, a notified syscall would wait forever.
void load_seccomp(const spec::Seccomp& s, int channel);

}  // namespace berth
