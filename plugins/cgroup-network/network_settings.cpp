#include "network_settings.hpp"

namespace berth::plugins::network {

std::string classid_text(uint32_t class_id) { return std::to_string(class_id); }

std::string ifpriomap_line(const NetworkPriority& p) { return p.name + " " + std::to_string(p.priority); }

}  // namespace berth::plugins::network
