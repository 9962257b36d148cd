#include "memory_options.hpp"

#include <cerrno>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace berth::plugins::memory {

Status parse_memory_options(const std::string& resources_json, MemoryOptions* out) {
    *out = MemoryOptions{};
    const nlohmann::json res = nlohmann::json::parse(resources_json, nullptr, false);
    if (!res.is_object()) return Status::Ok();
    const auto mem = res.find("memory");
    if (mem == res.end() || !mem->is_object()) return Status::Ok();
    const auto flag = [&](const char* key, std::optional<bool>* value) {
        const auto it = mem->find(key);
        if (it == mem->end() || it->is_null()) return Status::Ok();
        if (!it->is_boolean())
            return Status::Error(EINVAL, std::string("linux.resources.memory.") + key + ": must be a boolean");
        *value = it->get<bool>();
        return Status::Ok();
    };
    std::optional<bool> oom;
    if (Status s = flag("disableOOMKiller", &oom); !s.ok()) return s;
    out->disable_oom_killer = oom.value_or(false);
    if (Status s = flag("useHierarchy", &out->use_hierarchy); !s.ok()) return s;
    if (const auto tcp = mem->find("kernelTCP"); tcp != mem->end() && !tcp->is_null()) {
        if (!tcp->is_number_integer() ||
            (tcp->is_number_unsigned() ? tcp->get<uint64_t>() > INT64_MAX : tcp->get<int64_t>() < -1))
            return Status::Error(EINVAL, "linux.resources.memory.kernelTCP: must be -1 (unlimited) or a byte count");
        if (const int64_t v = tcp->get<int64_t>(); v != 0) out->kernel_tcp = v;
    }
    return Status::Ok();
}

}  // namespace berth::plugins::memory
