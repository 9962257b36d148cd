#include "conversions.hpp"

#include <cerrno>
#include <charconv>
#include <limits>

namespace berth::plugins::memory {

std::string v2_limit_text(int64_t bytes) { return bytes == -1 ? std::string("max") : std::to_string(bytes); }

SwapMax memory_swap_max(std::optional<int64_t> swap, std::optional<int64_t> limit) {
    const int64_t s = swap.value_or(0);
    const int64_t m = limit.value_or(0);
    if (m == -1 && s == 0) return {"max", {}};
    if (s == 0) return {};
    if (s == -1) return {"max", {}};
    if (s < -1) return {std::nullopt, "linux.resources.memory.swap: invalid value " + std::to_string(s)};
    if (m == -1) return {std::to_string(s), {}};
    if (m == 0)
        return {std::nullopt, "linux.resources.memory.swap: cannot be set without linux.resources.memory.limit"};
    if (m < 0) return {std::nullopt, "linux.resources.memory.limit: invalid value " + std::to_string(m)};
    if (s < m)
        return {std::nullopt, "linux.resources.memory.swap: " + std::to_string(s) +
                                  " is less than linux.resources.memory.limit " + std::to_string(m)};
    return {std::to_string(s - m), {}};
}

Status memory_unit_properties(const Resources& r, UnitProperties* out) {
    if (r.memory) {
        auto bytes = [](int64_t v) { return v < 0 ? kUnitInfinity : static_cast<uint64_t>(v); };
        if (const int64_t limit = r.memory->limit.value_or(0); limit != 0)
            set_unit_property(out, unit_number_property("MemoryMax", bytes(limit)));
        if (const int64_t low = r.memory->reservation.value_or(0); low != 0)
            set_unit_property(out, unit_number_property("MemoryLow", bytes(low)));
        const SwapMax swap = memory_swap_max(r.memory->swap, r.memory->limit);
        if (!swap.ok()) return Status::Error(EINVAL, swap.error);
        if (swap.text) set_unit_property(out, unit_number_property("MemorySwapMax", *unit_number(*swap.text)));
    }
    return unified_number_properties(r.unified,
                                     {{"memory.min", "MemoryMin"},
                                      {"memory.low", "MemoryLow"},
                                      {"memory.high", "MemoryHigh"},
                                      {"memory.max", "MemoryMax"},
                                      {"memory.swap.max", "MemorySwapMax"}},
                                     out);
}

bool write_memsw_first(uint64_t current_limit, int64_t new_swap) {
    return new_swap == -1 || (new_swap > 0 && current_limit < static_cast<uint64_t>(new_swap));
}

std::optional<uint64_t> parse_bytes(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\n");
    if (first == std::string_view::npos) return std::nullopt;
    text = text.substr(first, text.find_last_not_of(" \t\n") - first + 1);
    if (text == "max") return std::numeric_limits<uint64_t>::max();
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace berth::plugins::memory
