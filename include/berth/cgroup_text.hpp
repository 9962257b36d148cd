// Parsers for the text formats of cgroupfs files that plugins read for
// stats. Header-only, like the rest of the SDK: no ABI, nothing to link.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth {

// A "flat keyed" file (cpu.stat, memory.stat, memory.events, pids.events):
// one "key value" line each, the value an unsigned integer. nullopt when a
// line is not of that form; blank lines are skipped.
inline std::optional<std::vector<std::pair<std::string, uint64_t>>> flat_keyed_values(std::string_view text) {
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

}  // namespace berth
