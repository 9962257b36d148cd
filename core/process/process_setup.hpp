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

// chdir to process.cwd, then refuses a cwd that getcwd() does not show
// inside the root: a path through a magic link (/proc/self/fd/N of an fd
// still open, /proc/1/cwd of a process outside) can lead out of it
// (CVE-2024-21626). The root is the container's by then.
void enter_cwd(const std::string& cwd);

// Right before the exec of the sealed-memfd stub, which is execute-only: the
// kernel keeps a process non-dumpable across the exec of a binary it cannot
// read (would_dump), so no process of the container can open its memory or
// fds between that exec and the stub's own PR_SET_DUMPABLE. Only
// CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH in the effective set would let it
// read the memfd: they leave the effective set here. The exec computes the
// effective set anew from the permitted and ambient ones, so nothing else
// changes.
void drop_read_override_for_exec();

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
