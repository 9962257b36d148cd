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

}  // namespace berth::spec

namespace berth {

// A libseccomp filter context built in memory; nothing is loaded.
struct SeccompFilterDeleter {
    void operator()(void* ctx) const;
};
using SeccompFilter = std::unique_ptr<void, SeccompFilterDeleter>;

// Builds the filter without loading it (scmp_filter_ctx is a void*). Syscall
// names this libseccomp does not know are skipped, as runc does.
SeccompFilter build_seccomp_filter(const spec::Seccomp& s);

// Loads the filter into the calling process. Syscall names this libseccomp or
// kernel does not know are skipped, as runc does.
void load_seccomp(const spec::Seccomp& s);

}  // namespace berth
