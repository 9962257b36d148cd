// The systemd cgroup driver's pure part: where a cgroupsPath of the form
// "slice:prefix:name" puts the container (which unit, in which slice, at
// which cgroup directory), and which unit properties linux.resources asks
// systemd for. Nothing here touches the system.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "berth/resources.hpp"

namespace berth::systemd {

struct UnitPlacement {
    std::string slice;   // the Slice= property, e.g. "system.slice"
    std::string unit;    // e.g. "berth-c1.scope"
    std::string cgroup;  // below the cgroup2 mount, e.g. "/system.slice/berth-c1.scope"
};

// "a-b.slice" → "/a.slice/a-b.slice"; "-.slice" → "/". Throws naming
// linux.cgroupsPath on anything systemd would not accept as a slice name.
std::string expand_slice(const std::string& slice);

// cgroupsPath "slice:prefix:name" as runc reads it: an empty slice is
// "system.slice"; the unit is "<prefix>-<name>.scope" ("<name>.scope" with
// no prefix). A name ending in ".slice" (runc: a slice of the container's
// own) is refused, naming the field.
// An empty cgroupsPath is ":berth:<id>", as runc's is ":runc:<id>".
UnitPlacement parse_cgroups_path(const std::string& cgroups_path, const std::string& id);

// A D-Bus property value of the types StartTransientUnit takes here:
// t (uint64), b (bool), s (string), ay (bitmap bytes), a(u) pid list is
// built by the caller.
using PropertyValue = std::variant<uint64_t, bool, std::string, std::vector<uint8_t>>;
struct Property {
    std::string name;
    PropertyValue value;
    bool operator==(const Property& o) const { return name == o.name && value == o.value; }
};

// "0-2,7" → bytes with bits 0,1,2,7 set, little-endian bit order as
// systemd's AllowedCPUs= wants. Throws naming `field` when malformed.
std::vector<uint8_t> cpu_list_to_bitmap(const std::string& list, const std::string& field);

// The unit properties for linux.resources on cgroup v2, as runc's systemd
// v2 driver sets them: MemoryMax, MemoryLow, MemorySwapMax, TasksMax,
// CPUWeight (from shares with `shares_to_weight`, the cpu plugin's curve),
// CPUQuotaPerSecUSec and CPUQuotaPeriodUSec, AllowedCPUs and
// AllowedMemoryNodes; and from `unified`, as runc maps it, memory.min, .low,
// .high, .max, .swap.max, pids.max, cpu.weight, cpu.max, cpuset.cpus and
// .mems (over the structured values). What systemd has no property for is
// left to the plugins, which write it into the delegated cgroup afterwards.
// Throws naming the field when a value cannot be one.
std::vector<Property> resource_properties(const Resources& r, uint64_t (*shares_to_weight)(uint64_t));

}  // namespace berth::systemd
