#include "conversions.hpp"

#include <charconv>

namespace berth::plugins::pids {

std::optional<std::string> pids_max_value(std::optional<int64_t> limit) {
    if (!limit || *limit == 0) return std::nullopt;
    if (*limit < 0) return std::string("max");
    return std::to_string(*limit);
}

Status pids_unit_properties(const Resources& r, UnitProperties* out) {
    if (const auto value = pids_max_value(r.pids ? r.pids->limit : std::nullopt))
        set_unit_property(out, unit_number_property("TasksMax", *unit_number(*value)));
    return unified_number_properties(r.unified, {{"pids.max", "TasksMax"}}, out);
}

std::optional<uint64_t> parse_pids_value(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\n");
    if (first == std::string_view::npos) return std::nullopt;
    text = text.substr(first, text.find_last_not_of(" \t\n") - first + 1);
    if (text == "max") return 0;
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace berth::plugins::pids
