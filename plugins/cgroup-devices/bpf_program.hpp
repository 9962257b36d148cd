// The cgroup v2 form of the device rules: an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE, which the kernel runs on every open and mknod
// of a device node by a task in the cgroup. Returns 1 to allow, 0 to deny.
#pragma once

#include <linux/bpf.h>

#include <vector>

#include "rules.hpp"

namespace berth::plugins::devices {

// The program for `rules` (the effective list: config rules then defaults).
//
// The rules are tried last to first and the first that matches decides, so
// a later rule overrides an earlier one as a later write does on v1 (the
// config's leading deny-all is the fallback of everything after it). An
// allow rule matches a request whose access is all within the rule's; a
// deny rule matches one that asks for any of the rule's access. A request no
// rule matches is allowed, as in a cgroup without a program. Rules before a
// rule that matches everything are never reached and are not emitted.
//
// Registers: r2 device type (BPF_DEVCG_DEV_*), r3 access (BPF_DEVCG_ACC_*),
// r4 major, r5 minor; r1 is scratch once they are loaded. Compares are
// 32-bit (BPF_JMP32) so that numbers above INT32_MAX compare as unsigned.
std::vector<bpf_insn> device_program(const std::vector<DeviceRule>& rules);

}  // namespace berth::plugins::devices
