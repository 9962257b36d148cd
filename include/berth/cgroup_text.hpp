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

// One value of a "nested keyed" file (io.stat, rdma.current): a line
// "<device> key=value key=value ...".
struct NestedKeyedValue {
    std::string device, key;
    uint64_t value;
    bool operator==(const NestedKeyedValue& o) const { return device == o.device && key == o.key && value == o.value; }
};

// Every value of a nested keyed file, the values unsigned integers; "max"
// (no limit: not a count) is skipped. nullopt when a line is not of that
// form; blank lines are skipped.
inline std::optional<std::vector<NestedKeyedValue>> nested_keyed_values(std::string_view text) {
    std::vector<NestedKeyedValue> out;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        const auto space = line.find(' ');
        const std::string_view device = line.substr(0, space);
        if (line.empty()) continue;
        if (device.empty()) return std::nullopt;
        std::string_view rest = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
        while (!rest.empty()) {
            const auto sep = rest.find(' ');
            const std::string_view kv = rest.substr(0, sep);
            rest = sep == std::string_view::npos ? std::string_view{} : rest.substr(sep + 1);
            if (kv.empty()) continue;  // a doubled or trailing space
            const auto eq = kv.find('=');
            if (eq == 0 || eq == std::string_view::npos) return std::nullopt;
            const std::string_view number = kv.substr(eq + 1);
            if (number == "max") continue;
            uint64_t value = 0;
            const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
            if (number.empty() || ec != std::errc() || end != number.data() + number.size()) return std::nullopt;
            out.push_back({std::string(device), std::string(kv.substr(0, eq)), value});
        }
    }
    return out;
}

}  // namespace berth
