#include "block_io.hpp"

#include <nlohmann/json.hpp>

namespace berth::plugins::io {
namespace {

using json = nlohmann::json;

const std::string kBase = "linux.resources.blockIO";

Status integer(const json& v, const std::string& field, int64_t min, int64_t max, int64_t* out) {
    if (!v.is_number_integer()) return Status::Error(EINVAL, field + ": must be an integer");
    if (v.is_number_unsigned() ? v.get<uint64_t>() > static_cast<uint64_t>(max)
                               : v.get<int64_t>() < min || v.get<int64_t>() > max)
        return Status::Error(
            EINVAL, field + ": " + v.dump() + " is outside [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    *out = v.get<int64_t>();
    return Status::Ok();
}

// A weight: absent, null or 0 is unset; otherwise 10-1000 (the kernel's
// blkio range, which runc's spec documents).
Status weight(const json& obj, const char* key, const std::string& field, std::optional<uint16_t>* out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return Status::Ok();
    if (!it->is_number_integer()) return Status::Error(EINVAL, field + ": must be an integer");
    if (it->is_number_unsigned() && it->get<uint64_t>() == 0) return Status::Ok();
    if (it->is_number_unsigned() ? it->get<uint64_t>() < 10 || it->get<uint64_t>() > 1000 : true)
        return Status::Error(EINVAL, field + ": " + it->dump() + " is outside [10, 1000] (0 or absent: unset)");
    *out = static_cast<uint16_t>(it->get<uint64_t>());
    return Status::Ok();
}

Status device(const json& e, const std::string& at, int64_t* major, int64_t* minor) {
    for (auto [key, out] : {std::pair{"major", major}, std::pair{"minor", minor}}) {
        auto it = e.find(key);
        if (it == e.end()) return Status::Error(EINVAL, at + "." + key + ": is required");
        if (Status s = integer(*it, at + "." + key, 0, UINT32_MAX, out); !s.ok()) return s;
    }
    return Status::Ok();
}

}  // namespace

bool BlockIO::empty() const {
    if (weight || leaf_weight || !weight_devices.empty()) return false;
    for (const auto& t : throttles)
        if (!t.empty()) return false;
    return true;
}

const char* throttle_field(Throttle t) {
    switch (t) {
        case Throttle::ReadBps: return "throttleReadBpsDevice";
        case Throttle::WriteBps: return "throttleWriteBpsDevice";
        case Throttle::ReadIops: return "throttleReadIOPSDevice";
        case Throttle::WriteIops: return "throttleWriteIOPSDevice";
    }
    return "";
}

const char* v1_throttle_file(Throttle t) {
    switch (t) {
        case Throttle::ReadBps: return "blkio.throttle.read_bps_device";
        case Throttle::WriteBps: return "blkio.throttle.write_bps_device";
        case Throttle::ReadIops: return "blkio.throttle.read_iops_device";
        case Throttle::WriteIops: return "blkio.throttle.write_iops_device";
    }
    return "";
}

std::string device_line(int64_t major, int64_t minor, uint64_t value) {
    return std::to_string(major) + ":" + std::to_string(minor) + " " + std::to_string(value);
}

std::string io_max_line(Throttle t, const ThrottleDevice& d) {
    static const char* const kKeys[] = {"rbps", "wbps", "riops", "wiops"};
    return std::to_string(d.major) + ":" + std::to_string(d.minor) + " " + kKeys[static_cast<int>(t)] + "=" +
           std::to_string(d.rate);
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
    if (weight == 0) return 0;
    return 1 + (weight - 10) * 9999 / 990;
}

Status parse_block_io(const std::string& resources_json, BlockIO* out) {
    *out = BlockIO{};
    const json res = json::parse(resources_json, nullptr, false);
    if (!res.is_object()) return Status::Ok();
    auto b = res.find("blockIO");
    if (b == res.end() || b->is_null()) return Status::Ok();
    if (!b->is_object()) return Status::Error(EINVAL, kBase + ": must be an object");
    static const char* const kKnown[] = {"weight",
                                         "leafWeight",
                                         "weightDevice",
                                         "throttleReadBpsDevice",
                                         "throttleWriteBpsDevice",
                                         "throttleReadIOPSDevice",
                                         "throttleWriteIOPSDevice"};
    for (auto& [key, v] : b->items()) {
        bool known = false;
        for (const char* k : kKnown) known |= key == k;
        if (!known) return Status::Error(EINVAL, kBase + "." + key + ": unknown field");
    }
    if (Status s = weight(*b, "weight", kBase + ".weight", &out->weight); !s.ok()) return s;
    if (Status s = weight(*b, "leafWeight", kBase + ".leafWeight", &out->leaf_weight); !s.ok()) return s;
    auto list = [&](const char* key, auto&& each) -> Status {
        auto it = b->find(key);
        if (it == b->end() || it->is_null()) return Status::Ok();
        const std::string field = kBase + "." + key;
        if (!it->is_array()) return Status::Error(EINVAL, field + ": must be an array");
        for (size_t i = 0; i < it->size(); ++i) {
            const std::string at = field + "[" + std::to_string(i) + "]";
            if (!(*it)[i].is_object()) return Status::Error(EINVAL, at + ": must be an object");
            if (Status s = each((*it)[i], at); !s.ok()) return s;
        }
        return Status::Ok();
    };
    Status s = list("weightDevice", [&](const json& e, const std::string& at) {
        WeightDevice d;
        if (Status s = device(e, at, &d.major, &d.minor); !s.ok()) return s;
        if (Status s = weight(e, "weight", at + ".weight", &d.weight); !s.ok()) return s;
        if (Status s = weight(e, "leafWeight", at + ".leafWeight", &d.leaf_weight); !s.ok()) return s;
        if (d.weight || d.leaf_weight) out->weight_devices.push_back(d);
        return Status::Ok();
    });
    if (!s.ok()) return s;
    for (Throttle t : kThrottles) {
        s = list(throttle_field(t), [&](const json& e, const std::string& at) {
            ThrottleDevice d;
            if (Status s = device(e, at, &d.major, &d.minor); !s.ok()) return s;
            auto rate = e.find("rate");
            if (rate == e.end()) return Status::Error(EINVAL, at + ".rate: is required");
            if (!rate->is_number_unsigned()) return Status::Error(EINVAL, at + ".rate: must be a non-negative integer");
            d.rate = rate->get<uint64_t>();
            out->throttles[static_cast<int>(t)].push_back(d);
            return Status::Ok();
        });
        if (!s.ok()) return s;
    }
    return Status::Ok();
}

}  // namespace berth::plugins::io
