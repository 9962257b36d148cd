// The steps that turn the init process into the spec's process, run inside
// the container after its root is changed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "spec/spec.hpp"

namespace berth {

void apply_rlimits(const std::vector<spec::Rlimit>& rlimits);

// setgroups/setresgid/setresuid keeping the capabilities, then the five
// capability sets (bounding first, ambient last).
void switch_user_and_capabilities(const spec::Process& p);

// "CAP_SYS_RESOURCE" for 24; "capability N" for a number libcap does not name.
std::string capability_name(int cap);

// The capabilities of `wanted` missing from `have` (bit N = capability N),
// by name, each once, in the order of `wanted`. For errors: when capset is
// refused, they say which capability berth itself lacks (docker's
// --privileged asks for every one; a host without CAP_SYS_RESOURCE in its
// bounding set cannot give it, with any runtime).
std::vector<std::string> missing_capabilities(const std::vector<int>& wanted, uint64_t have);

// Resolves args[0] the way execvp would, with the container's PATH (from the
// spec's env, never the host's). Errors read as runc's do:
//   exec: "nope": executable file not found in $PATH
//   exec: /bin/nope: no such file or directory
std::string find_executable(const std::string& name, const std::vector<std::string>& env);

}  // namespace berth
