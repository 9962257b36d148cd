#include "cpu_list.hpp"

#include <algorithm>
#include <charconv>

namespace berth::plugins::cpuset {
namespace {

std::optional<uint32_t> number(std::string_view s) {
    if (s.empty() || s.size() > 10) return std::nullopt;
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v > kMaxIndex) return std::nullopt;
    return static_cast<uint32_t>(v);
}

}  // namespace

std::string cpu_list_problem(std::string_view text) {
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    size_t index = 0;
    while (!text.empty()) {
        const size_t comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        const std::string where = "item " + std::to_string(++index) + " \"" + std::string(item) + "\"";
        if (item.empty()) return "item " + std::to_string(index) + " is empty";
        if (comma != std::string_view::npos && text.empty()) return "it ends with a comma";
        const size_t dash = item.find('-');
        const auto first = number(item.substr(0, dash));
        if (!first) return where + " is not a number or range of numbers from 0 to " + std::to_string(kMaxIndex);
        if (dash == std::string_view::npos) continue;
        const auto last = number(item.substr(dash + 1));
        if (!last) return where + " is not a number or range of numbers from 0 to " + std::to_string(kMaxIndex);
        if (*last < *first) return where + " is a range that ends before it starts";
    }
    return "";
}

std::optional<std::vector<uint32_t>> parse_cpu_list(std::string_view text) {
    if (!cpu_list_problem(text).empty()) return std::nullopt;
    if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    std::vector<uint32_t> out;
    while (!text.empty()) {
        const size_t comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
        const size_t dash = item.find('-');
        const uint32_t first = *number(item.substr(0, dash));
        const uint32_t last = dash == std::string_view::npos ? first : *number(item.substr(dash + 1));
        for (uint32_t i = first; i <= last; ++i) out.push_back(i);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<uint8_t> cpu_bitmap(const std::vector<uint32_t>& numbers) {
    std::vector<uint8_t> bits;
    for (const uint32_t n : numbers) {
        if (bits.size() <= n / 8) bits.resize(n / 8 + 1, 0);
        bits[n / 8] |= static_cast<uint8_t>(1u << (n % 8));
    }
    return bits;
}

}  // namespace berth::plugins::cpuset
