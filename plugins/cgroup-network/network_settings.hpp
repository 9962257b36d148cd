// linux.resources.network parsed and validated, and the lines written for it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "berth/status.hpp"

namespace berth::plugins::network {

struct InterfacePriority {
    std::string name;  // "eth0"
    uint32_t priority;
};

struct NetworkSettings {
    std::optional<uint32_t> class_id;  // unset: net_cls.classid is not written
    std::vector<InterfacePriority> priorities;
};

// linux.resources.network: {"classID": N, "priorities": [{"name": "eth0", "priority": N}]}.
// Errors name the field (linux.resources.network.priorities[1].name). An
// interface name is what the kernel takes: 1 to 15 bytes, no whitespace nor '/'.
Status parse_network(const std::string& resources_json, NetworkSettings* out);

// net_cls.classid takes the number in decimal (reads give decimal too).
std::string classid_text(uint32_t class_id);

// One "eth0 5" line: net_prio.ifpriomap takes one interface per write.
std::string ifpriomap_line(const InterfacePriority& p);

}  // namespace berth::plugins::network
