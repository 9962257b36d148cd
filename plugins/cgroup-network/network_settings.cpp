#include "network_settings.hpp"

#include <nlohmann/json.hpp>

namespace berth::plugins::network {

using json = nlohmann::json;

namespace {

// IFNAMSIZ is 16 with the terminating NUL.
bool interface_name(const std::string& s) {
    if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
    for (char c : s)
        if (c == '/' || c == ':' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
    return true;
}

bool uint32_value(const json& v) { return v.is_number_unsigned() && v.get<uint64_t>() <= UINT32_MAX; }

}  // namespace

Status parse_network(const std::string& resources_json, NetworkSettings* out) {
    *out = NetworkSettings{};
    const json res = json::parse(resources_json, nullptr, false);
    if (!res.is_object()) return Status::Ok();
    auto it = res.find("network");
    if (it == res.end() || it->is_null()) return Status::Ok();
    const std::string base = "linux.resources.network";
    if (!it->is_object()) return Status::Error(EINVAL, base + ": must be an object");
    for (auto& [key, v] : it->items()) {
        if (key == "classID") {
            if (v.is_null()) continue;
            if (!uint32_value(v))
                return Status::Error(EINVAL, base + ".classID: must be an integer from 0 to 4294967295");
            out->class_id = v.get<uint32_t>();
        } else if (key == "priorities") {
            if (v.is_null()) continue;
            if (!v.is_array()) return Status::Error(EINVAL, base + ".priorities: must be an array");
            for (size_t i = 0; i < v.size(); ++i) {
                const std::string at = base + ".priorities[" + std::to_string(i) + "]";
                const json& e = v[i];
                if (!e.is_object()) return Status::Error(EINVAL, at + ": must be an object with name and priority");
                for (auto& [k, _] : e.items())
                    if (k != "name" && k != "priority")
                        return Status::Error(EINVAL, at + "." + k + ": unknown field (known: name, priority)");
                auto name = e.find("name");
                if (name == e.end() || !name->is_string()) return Status::Error(EINVAL, at + ".name: must be a string");
                if (!interface_name(name->get<std::string>()))
                    return Status::Error(
                        EINVAL, at + ".name: \"" + name->get<std::string>() +
                                    "\" is not a network interface name (1 to 15 bytes, no whitespace, '/' or ':')");
                auto prio = e.find("priority");
                if (prio == e.end() || !uint32_value(*prio))
                    return Status::Error(EINVAL, at + ".priority: must be an integer from 0 to 4294967295");
                out->priorities.push_back({name->get<std::string>(), prio->get<uint32_t>()});
            }
        } else {
            return Status::Error(EINVAL, base + "." + key + ": unknown field (known: classID, priorities)");
        }
    }
    return Status::Ok();
}

std::string classid_text(uint32_t class_id) { return std::to_string(class_id); }

std::string ifpriomap_line(const InterfacePriority& p) { return p.name + " " + std::to_string(p.priority); }

}  // namespace berth::plugins::network
