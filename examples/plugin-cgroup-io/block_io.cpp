#include "block_io.hpp"

#include <cerrno>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>

namespace berth_example::io {
namespace {

using json = nlohmann::json;

const std::string kPrefix = "linux.resources.blockIO";

// The JSON type as the spec's reader would say it, for messages.
std::string describe(const json& v) {
    if (v.is_string()) return "\"" + v.get<std::string>() + "\"";
    return v.dump();
}

berth::Status bad(const std::string& field, const std::string& msg) {
    return berth::Status::Error(EINVAL, field + ": " + msg);
}

// An integer in [lo, hi]; floats, strings, booleans and out-of-range values are
// refused with the field's name.
berth::Status integer(const json& v, const std::string& field, int64_t lo, uint64_t hi, uint64_t* out) {
    if (!v.is_number_integer()) return bad(field, "must be an integer, not " + describe(v));
    if (v.is_number_unsigned()) {
        const uint64_t u = v.get<uint64_t>();
        if (u > hi) return bad(field, std::to_string(u) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        if (lo > 0 && u < static_cast<uint64_t>(lo))
            return bad(field, std::to_string(u) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        *out = u;
        return berth::Status::Ok();
    }
    const int64_t i = v.get<int64_t>();
    if (i < 0 && lo == 0) return bad(field, "must not be negative, not " + std::to_string(i));
    if (i < lo || (i >= 0 && static_cast<uint64_t>(i) > hi))
        return bad(field, std::to_string(i) + " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    *out = static_cast<uint64_t>(i);
    return berth::Status::Ok();
}

berth::Status parse_rules(const json& list, const std::string& field, std::vector<ThrottleRule>* out) {
    if (list.is_null()) return berth::Status::Ok();
    if (!list.is_array()) return bad(field, "must be a list of {major, minor, rate}, not " + describe(list));
    for (size_t i = 0; i < list.size(); ++i) {
        const std::string at = field + "[" + std::to_string(i) + "]";
        const json& e = list[i];
        if (!e.is_object()) return bad(at, "must be an object with major, minor and rate, not " + describe(e));
        // Other keys are ignored: the runtime spec says unknown properties must be.
        ThrottleRule rule;
        uint64_t n = 0;
        for (const char* key : {"major", "minor", "rate"}) {
            if (!e.contains(key)) return bad(at + "." + key, "is required");
            const uint64_t hi = std::string(key) == "rate" ? std::numeric_limits<uint64_t>::max() : std::numeric_limits<uint32_t>::max();
            if (berth::Status s = integer(e[key], at + "." + key, 0, hi, &n); !s.ok()) return s;
            if (std::string(key) == "major") rule.major = static_cast<uint32_t>(n);
            else if (std::string(key) == "minor") rule.minor = static_cast<uint32_t>(n);
            else rule.rate = n;
        }
        out->push_back(rule);
    }
    return berth::Status::Ok();
}

}  // namespace

namespace {

// One row per Throttle, in its order: the spec's field, the io.max key (v2)
// and the blkio file (v1).
struct ThrottleNames {
    const char* spec_field;
    const char* v2_key;
    const char* v1_file;
};
constexpr ThrottleNames kThrottleNames[] = {
    {"throttleReadBpsDevice", "rbps", "blkio.throttle.read_bps_device"},
    {"throttleWriteBpsDevice", "wbps", "blkio.throttle.write_bps_device"},
    {"throttleReadIOPSDevice", "riops", "blkio.throttle.read_iops_device"},
    {"throttleWriteIOPSDevice", "wiops", "blkio.throttle.write_iops_device"},
};
static_assert(std::size(kThrottleNames) == std::size(kThrottles));

const ThrottleNames& names(Throttle t) { return kThrottleNames[static_cast<int>(t)]; }

}  // namespace

const char* spec_field(Throttle t) { return names(t).spec_field; }
const char* v2_key(Throttle t) { return names(t).v2_key; }
const char* v1_file(Throttle t) { return names(t).v1_file; }

bool BlockIO::any() const {
    if (weight) return true;
    for (auto t : kThrottles)
        if (!rules(t).empty()) return true;
    return false;
}

berth::Status parse_block_io(const std::string& resources_json, BlockIO* out) {
    *out = BlockIO{};
    // The host hands over the object it has already parsed, but a plugin must
    // not trust that: parse without exceptions and say what went wrong.
    const json resources = json::parse(resources_json, nullptr, /*allow_exceptions=*/false);
    if (resources.is_discarded() || !resources.is_object())
        return berth::Status::Error(EINVAL, "linux.resources: not a JSON object");
    auto it = resources.find("blockIO");
    if (it == resources.end() || it->is_null()) return berth::Status::Ok();
    const json& b = *it;
    if (!b.is_object()) return bad(kPrefix, "must be an object, not " + describe(b));

    if (auto w = b.find("weight"); w != b.end() && !w->is_null()) {
        uint64_t n = 0;
        // 0 is "unset" in runc; everything else must be in the kernel's range.
        if (!(w->is_number_integer() && w->get<int64_t>() == 0)) {
            if (berth::Status s = integer(*w, kPrefix + ".weight", 10, 1000, &n); !s.ok()) return s;
            out->weight = static_cast<uint16_t>(n);
        }
    }
    for (auto t : kThrottles) {
        auto f = b.find(spec_field(t));
        if (f == b.end()) continue;
        if (berth::Status s = parse_rules(*f, kPrefix + "." + spec_field(t), &out->throttle[static_cast<int>(t)]); !s.ok())
            return s;
    }
    for (const char* key : {"leafWeight", "weightDevice"}) {
        auto f = b.find(key);
        if (f == b.end() || f->is_null()) continue;
        if (f->is_array() && f->empty()) continue;
        if (f->is_number_integer() && f->get<int64_t>() == 0) continue;
        out->unsupported.emplace_back(key);
    }
    return berth::Status::Ok();
}

uint64_t blkio_weight_to_io_weight(uint16_t weight) {
    if (weight == 0) return 0;
    return 1 + (static_cast<uint64_t>(weight) - 10) * 9999 / 990;
}

std::string io_max_line(Throttle t, const ThrottleRule& rule) {
    return std::to_string(rule.major) + ":" + std::to_string(rule.minor) + " " + v2_key(t) + "=" +
           (rule.rate == 0 ? std::string("max") : std::to_string(rule.rate));
}

std::string blkio_throttle_line(const ThrottleRule& rule) {
    return std::to_string(rule.major) + ":" + std::to_string(rule.minor) + " " + std::to_string(rule.rate);
}

}  // namespace berth_example::io
