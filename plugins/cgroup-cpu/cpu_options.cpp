#include "cpu_options.hpp"

#include <cerrno>

#include <nlohmann/json.hpp>

namespace berth::plugins::cpu {

Status parse_cpu_options(const std::string& resources_json, CpuOptions* out) {
    *out = CpuOptions{};
    const nlohmann::json res = nlohmann::json::parse(resources_json, nullptr, false);
    if (!res.is_object()) return Status::Ok();
    const auto cpu = res.find("cpu");
    if (cpu == res.end() || !cpu->is_object()) return Status::Ok();
    const auto bad = [](const char* key, const std::string& why) {
        return Status::Error(EINVAL, std::string("linux.resources.cpu.") + key + ": " + why);
    };
    // The integer at `key`, or nullopt when absent, null or 0.
    const auto integer = [&](const char* key, std::optional<int64_t>* value, int64_t min) {
        const auto it = cpu->find(key);
        if (it == cpu->end() || it->is_null()) return Status::Ok();
        if (!it->is_number_integer()) return bad(key, "must be an integer");
        if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
            return bad(key, std::to_string(it->get<uint64_t>()) + " is out of range");
        const int64_t v = it->get<int64_t>();
        if (v < min) return bad(key, std::to_string(v) + " is out of range (at least " + std::to_string(min) + ")");
        if (v != 0) *value = v;
        return Status::Ok();
    };
    std::optional<int64_t> period, burst;
    if (Status s = integer("realtimeRuntime", &out->realtime_runtime, -1); !s.ok()) return s;
    if (Status s = integer("realtimePeriod", &period, 0); !s.ok()) return s;
    if (Status s = integer("idle", &out->idle, 0); !s.ok()) return s;
    if (Status s = integer("burst", &burst, 0); !s.ok()) return s;
    // cpu.idle takes 0 or 1 only.
    if (out->idle && *out->idle != 1) return bad("idle", std::to_string(*out->idle) + " is out of range [0, 1]");
    if (period) out->realtime_period = static_cast<uint64_t>(*period);
    if (burst) out->burst = static_cast<uint64_t>(*burst);
    return Status::Ok();
}

}  // namespace berth::plugins::cpu
