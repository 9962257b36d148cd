// The lines written for linux.resources.network (parsed and validated by the
// host: NetworkResources).
#pragma once

#include <cstdint>
#include <string>

#include "berth/resources.hpp"

namespace berth::plugins::network {

// net_cls.classid takes the number in decimal (reads give decimal too).
std::string classid_text(uint32_t class_id);

// One "eth0 5" line: net_prio.ifpriomap takes one interface per write.
std::string ifpriomap_line(const NetworkPriority& p);

}  // namespace berth::plugins::network
