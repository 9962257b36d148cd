#include "conversions.hpp"

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
