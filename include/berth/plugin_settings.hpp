// berth::SettingsReader: reads a plugin's `settings:` map from plugins.yaml
// (every scalar a string) key by key, and remembers which keys it was asked
// for so that the plugin can refuse the others by name. Header-only.
//
//   struct Settings {
//       explicit Settings(berth::SettingsReader& r)
//           : strict(r.boolean("strict", false)), weight(r.integer("weight", 100, 1, 10000)) {}
//       bool strict;
//       int64_t weight;
//   };
#pragma once

#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

namespace berth {

// The per-plugin `settings` map of plugins.yaml, scalars as strings.
using PluginSettings = std::map<std::string, std::string>;

// A setting with a bad value. The message names the key; the plugin's name is
// put in front by whoever reports it (plugin_export.hpp).
struct SettingError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

class SettingsReader {
public:
    explicit SettingsReader(const PluginSettings& settings) : settings_(settings) {}

    // The value of `key`, or nullopt when it is not set.
    std::optional<std::string> text(const std::string& key) {
        known_.insert(key);
        auto it = settings_.find(key);
        if (it == settings_.end()) return std::nullopt;
        return it->second;
    }

    std::string text(const std::string& key, std::string fallback) { return text(key).value_or(std::move(fallback)); }

    // "true" or "false", as YAML writes them.
    bool boolean(const std::string& key, bool fallback) {
        const auto v = text(key);
        if (!v) return fallback;
        if (*v == "true") return true;
        if (*v == "false") return false;
        throw SettingError("setting \"" + key + "\" must be \"true\" or \"false\", not \"" + *v + "\"");
    }

    // A whole number in [min, max], written in `base` (10, or 8 for modes).
    int64_t integer(const std::string& key, int64_t fallback, int64_t min, int64_t max, int base = 10) {
        const auto v = text(key);
        if (!v) return fallback;
        int64_t n = 0;
        const char* end = v->data() + v->size();
        const auto [ptr, ec] = std::from_chars(v->data(), end, n, base);
        if (v->empty() || ec != std::errc() || ptr != end || n < min || n > max)
            throw SettingError("setting \"" + key + "\" must be " + (base == 8 ? "an octal number" : "a whole number") +
                               " from " + show(min, base) + " to " + show(max, base) + ", not \"" + *v + "\"");
        return n;
    }

    // The keys that were set but never asked for, as `"a", "b"`; empty when none.
    std::string unknown_keys() const {
        std::string out;
        for (const auto& [key, value] : settings_)
            if (!known_.count(key)) out += (out.empty() ? "\"" : ", \"") + key + "\"";
        return out;
    }

    // The keys asked for, as `a, b` (for "known: ..." in messages).
    std::string known_keys() const {
        std::string out;
        for (const std::string& key : known_) out += (out.empty() ? "" : ", ") + key;
        return out;
    }

private:
    static std::string show(int64_t n, int base) {
        if (n == 0) return "0";
        char buf[32];
        const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, n, base);
        return (base == 8 ? "0" : "") + std::string(buf, ec == std::errc() ? ptr : buf);
    }

    const PluginSettings& settings_;
    std::set<std::string> known_;
};

}  // namespace berth
