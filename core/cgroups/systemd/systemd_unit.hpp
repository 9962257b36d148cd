// The systemd cgroup driver's pure part: where a cgroupsPath of the form
// "slice:prefix:name" puts the container (which unit, in which slice, at
// which cgroup directory), and the unit properties the plugins map
// linux.resources to. Nothing here touches the system.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "berth/cgroup_subsystem.hpp"
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

// The unit properties for linux.resources on cgroup v2: what each subsystem
// yields for its controller (CgroupSubsystem::unit_properties: the cpu,
// memory, pids and cpuset plugins map their fields and unified keys as
// runc's systemd v2 driver does). What systemd has no property for is left
// to the plugins, which write it into the delegated cgroup afterwards.
// Throws with the plugin's message (it names the field).
std::vector<Property> resource_properties(const std::vector<CgroupSubsystem*>& subsystems, const Resources& r);

}  // namespace berth::systemd
