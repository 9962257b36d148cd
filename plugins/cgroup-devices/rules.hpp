// linux.resources.devices as a list of device cgroup rules, and the pure
// conversions from that list to what the kernel is given: writes to
// devices.allow/devices.deny (v1), or the expected devices.list.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "berth/resources.hpp"
#include "berth/status.hpp"

namespace berth::plugins::devices {

inline constexpr int64_t kWildcard = -1;

// Access bits, the same values as the kernel's BPF_DEVCG_ACC_* so that the
// eBPF program can compare them directly.
enum Access : uint8_t { kMknod = 1, kRead = 2, kWrite = 4, kAllAccess = 7 };

struct DeviceRule {
    char type = 'a';  // 'a' (all), 'b' (block), 'c' (char)
    int64_t major = kWildcard;
    int64_t minor = kWildcard;
    uint8_t access = 0;  // Access bits, never 0
    bool allow = false;

    // "a *:* rwm": every device, every access.
    bool matches_everything() const {
        return type == 'a' && major == kWildcard && minor == kWildcard && access == kAllAccess;
    }
    bool operator==(const DeviceRule&) const = default;
};

// The "rwm" text of access bits, in the kernel's order.
std::string access_text(uint8_t access);

// The kernel's rule text: "c 1:3 rwm", "a *:* rwm", "b 8:* m".
std::string rule_text(const DeviceRule& r);

// linux.resources.devices as the host parsed and validated them, with the
// access letters as the kernel's bits.
std::vector<DeviceRule> device_rules(const std::vector<DeviceCgroupRule>& spec_rules);

// The devices every container gets after the config's rules, as runc 1.1
// appends them (libcontainer/specconv AllowedDevices): mknod of any char or
// block device, /dev/null, random, full, tty, zero, urandom, /dev/pts/*
// (136:*), /dev/ptmx (5:2) and /dev/net/tun (10:200). /dev/console needs no
// rule of its own: it is a bind mount of a pts (136:*).
const std::vector<DeviceRule>& default_allowed_rules();

// The config's rules followed by the defaults: the list that is enforced.
std::vector<DeviceRule> effective_rules(const std::vector<DeviceRule>& config_rules);

struct V1Write {
    std::string file;  // "devices.allow" or "devices.deny"
    std::string line;  // "c 1:3 rwm"
    bool operator==(const V1Write&) const = default;
};

// The v1 writes that turn a fresh cgroup into `rules`, in order. The kernel
// reads any line starting with "a" as "every device, every access" whatever
// follows, so an "a" rule narrower than that is written as a "b" and a "c"
// rule.
std::vector<V1Write> v1_writes(const std::vector<DeviceRule>& rules);

// What v1's devices.list holds after v1_writes(rules) on a fresh cgroup, as a
// sorted list of lines, emulating the kernel: "a" to devices.deny starts a
// deny-by-default list with no exceptions, an allow rule then adds (or widens)
// an exception, a deny rule narrows or removes the exception with the same
// type and numbers. nullopt-like empty result is never returned: a
// default-allow cgroup lists "a *:* rwm" (the kernel does not list the denied
// exceptions of a default-allow cgroup, so `exact` tells whether the list
// says everything).
struct V1ListState {
    std::vector<std::string> lines;  // sorted
    bool exact = true;               // false: default allow with deny exceptions
};
V1ListState v1_expected_list(const std::vector<DeviceRule>& rules);

// devices.list text as sorted lines.
std::vector<std::string> v1_list_lines(std::string_view devices_list);

}  // namespace berth::plugins::devices
