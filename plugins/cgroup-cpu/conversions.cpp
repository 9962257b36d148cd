#include "conversions.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>

namespace berth::plugins::cpu {

uint64_t shares_to_weight(uint64_t shares) {
    if (shares == 0) return 0;
    if (shares <= kMinShares) return kMinWeight;
    if (shares >= kMaxShares) return kMaxWeight;
    // A parabola through (log2 2, 0), (log2 1024, 2), (log2 262144, 4) in
    // (log2 shares, log10 weight); rounding up keeps every share count above
    // the minimum above the minimum weight.
    const double l = std::log2(static_cast<double>(shares));
    const double exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
    return static_cast<uint64_t>(std::ceil(std::pow(10.0, exponent)));
}

std::optional<std::string> cpu_max(std::optional<int64_t> quota, std::optional<uint64_t> period) {
    const int64_t q = quota.value_or(0);
    const uint64_t p = period.value_or(0);
    if (q == 0 && p == 0) return std::nullopt;
    const std::string quota_text = q > 0 ? std::to_string(q) : "max";
    return quota_text + " " + std::to_string(p != 0 ? p : kDefaultPeriod);
}

uint64_t quota_per_sec(uint64_t quota, uint64_t period) {
    uint64_t per_sec = quota * 1000000 / (period != 0 ? period : kDefaultPeriod);
    if (per_sec % 10000 != 0) per_sec = (per_sec / 10000 + 1) * 10000;
    return per_sec;
}

Status cpu_unit_properties(const Resources& r, UnitProperties* out) {
    if (r.cpu) {
        if (const uint64_t shares = r.cpu->shares.value_or(0); shares != 0)
            set_unit_property(out, unit_number_property("CPUWeight", shares_to_weight(shares)));
        const int64_t quota = r.cpu->quota.value_or(0);
        const uint64_t period = r.cpu->period.value_or(0);
        if (period != 0) set_unit_property(out, unit_number_property("CPUQuotaPeriodUSec", period));
        if (quota != 0 || period != 0)
            set_unit_property(out, unit_number_property("CPUQuotaPerSecUSec",
                                                        quota > 0 ? quota_per_sec(static_cast<uint64_t>(quota), period)
                                                                  : kUnitInfinity));
    }
    if (Status s = unified_number_properties(r.unified, {{"cpu.weight", "CPUWeight"}}, out); !s.ok()) return s;
    const auto max = r.unified.find("cpu.max");
    if (max == r.unified.end()) return Status::Ok();
    // "QUOTA [PERIOD]", QUOTA "max" for none.
    const std::string& text = max->second;
    const size_t space = text.find(' ');
    const auto quota = unit_number(std::string_view(text).substr(0, space));
    const auto period =
        space == std::string::npos ? std::optional<uint64_t>(0) : unit_number(std::string_view(text).substr(space + 1));
    if (!quota || !period || *period == kUnitInfinity)
        return Status::Error(EINVAL, "linux.resources.unified[\"cpu.max\"]: \"" + text +
                                         "\": want \"QUOTA [PERIOD]\", QUOTA a number or \"max\", PERIOD a number");
    if (*period != 0) set_unit_property(out, unit_number_property("CPUQuotaPeriodUSec", *period));
    set_unit_property(out,
                      unit_number_property("CPUQuotaPerSecUSec",
                                           *quota == kUnitInfinity ? kUnitInfinity : quota_per_sec(*quota, *period)));
    return Status::Ok();
}

std::optional<uint64_t> flat_keyed_value(std::string_view text, std::string_view key) {
    while (!text.empty()) {
        const auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != ' ') continue;
        std::string_view number = line.substr(key.size() + 1);
        uint64_t value = 0;
        const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
        if (ec != std::errc() || end != number.data() + number.size()) return std::nullopt;
        return value;
    }
    return std::nullopt;
}

}  // namespace berth::plugins::cpu
