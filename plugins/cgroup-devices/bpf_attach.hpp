// Loading a device program into the kernel and attaching it to a cgroup v2
// directory, with the bpf(2) syscall (no libbpf: four commands are all that
// is needed).
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "berth/status.hpp"

namespace berth::plugins::devices {

// Loads `prog` as BPF_PROG_TYPE_CGROUP_DEVICE. On success *fd is the
// program's fd (the caller closes it). A verifier rejection carries the
// verifier's log in the message.
Status load_device_program(const std::vector<bpf_insn>& prog, int* fd);

// Attaches the program to the cgroup directory `cgroup_dir` as its device
// program, replacing what was attached there before without a moment when
// none is: with exactly one program attached, BPF_F_REPLACE swaps it
// atomically; otherwise the new one is attached next to the old ones
// (BPF_F_ALLOW_MULTI: the kernel runs them all and a request needs every
// one's yes) and the old ones are detached after.
Status attach_device_program(const std::string& cgroup_dir, int prog_fd);

// The ids of the device programs attached directly to `cgroup_dir`.
Status attached_device_programs(const std::string& cgroup_dir, std::vector<uint32_t>* ids);

}  // namespace berth::plugins::devices
