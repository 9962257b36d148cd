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

// The same parser as cgroup-cpu's: plugins are built and shipped on their
// own and share nothing but the SDK headers.
std::optional<std::vector<std::pair<std::string, uint64_t>>> flat_keyed_values(std::string_view text) {
    std::vector<std::pair<std::string, uint64_t>> out;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        if (line.empty()) continue;
        const auto space = line.find(' ');
        if (space == 0 || space == std::string_view::npos) return std::nullopt;
        const std::string_view number = line.substr(space + 1);
        uint64_t value = 0;
        const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
        if (ec != std::errc() || end != number.data() + number.size()) return std::nullopt;
        out.emplace_back(std::string(line.substr(0, space)), value);
    }
    return out;
}

}  // namespace berth::plugins::memory
