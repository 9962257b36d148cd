#include "rules.hpp"

#include <algorithm>

namespace berth::plugins::devices {

std::string access_text(uint8_t access) {
    std::string s;
    if (access & kRead) s += 'r';
    if (access & kWrite) s += 'w';
    if (access & kMknod) s += 'm';
    return s;
}

std::string rule_text(const DeviceRule& r) {
    auto number = [](int64_t n) { return n == kWildcard ? std::string("*") : std::to_string(n); };
    return std::string(1, r.type) + " " + number(r.major) + ":" + number(r.minor) + " " + access_text(r.access);
}

std::vector<DeviceRule> device_rules(const std::vector<DeviceCgroupRule>& spec_rules) {
    std::vector<DeviceRule> out;
    for (const DeviceCgroupRule& r : spec_rules) {
        DeviceRule rule{r.type, r.major, r.minor, 0, r.allow};
        for (char c : r.access) rule.access |= c == 'r' ? kRead : c == 'w' ? kWrite : c == 'm' ? kMknod : 0;
        out.push_back(rule);
    }
    return out;
}

const std::vector<DeviceRule>& default_allowed_rules() {
    static const std::vector<DeviceRule> rules = {
        {'c', kWildcard, kWildcard, kMknod, true},
        {'b', kWildcard, kWildcard, kMknod, true},
        {'c', 1, 3, kAllAccess, true},            // /dev/null
        {'c', 1, 8, kAllAccess, true},            // /dev/random
        {'c', 1, 7, kAllAccess, true},            // /dev/full
        {'c', 5, 0, kAllAccess, true},            // /dev/tty
        {'c', 1, 5, kAllAccess, true},            // /dev/zero
        {'c', 1, 9, kAllAccess, true},            // /dev/urandom
        {'c', 136, kWildcard, kAllAccess, true},  // /dev/pts/*, and /dev/console bound to one
        {'c', 5, 2, kAllAccess, true},            // /dev/ptmx
        {'c', 10, 200, kAllAccess, true},         // /dev/net/tun
    };
    return rules;
}

std::vector<DeviceRule> effective_rules(const std::vector<DeviceRule>& config_rules) {
    std::vector<DeviceRule> out = config_rules;
    const auto& defaults = default_allowed_rules();
    out.insert(out.end(), defaults.begin(), defaults.end());
    return out;
}

namespace {

// The rules as the kernel can take them: "a" only for everything.
std::vector<DeviceRule> kernel_rules(const std::vector<DeviceRule>& rules) {
    std::vector<DeviceRule> out;
    for (const DeviceRule& r : rules) {
        if (r.type != 'a' || r.matches_everything()) {
            out.push_back(r);
            continue;
        }
        DeviceRule b = r, c = r;
        b.type = 'b';
        c.type = 'c';
        out.push_back(b);
        out.push_back(c);
    }
    return out;
}

}  // namespace

std::vector<V1Write> v1_writes(const std::vector<DeviceRule>& rules) {
    std::vector<V1Write> out;
    for (const DeviceRule& r : kernel_rules(rules))
        out.push_back({r.allow ? "devices.allow" : "devices.deny", rule_text(r)});
    return out;
}

V1ListState v1_expected_list(const std::vector<DeviceRule>& rules) {
    bool default_allow = true;  // a fresh cgroup below an allow-all parent
    std::vector<DeviceRule> exceptions;
    for (const DeviceRule& r : kernel_rules(rules)) {
        if (r.matches_everything()) {
            default_allow = r.allow;
            exceptions.clear();
            continue;
        }
        auto same = std::find_if(exceptions.begin(), exceptions.end(), [&](const DeviceRule& e) {
            return e.type == r.type && e.major == r.major && e.minor == r.minor;
        });
        if (r.allow != default_allow) {
            // An exception to the default: added, or merged into the one
            // for the same device.
            if (same != exceptions.end()) same->access |= r.access;
            else exceptions.push_back(r);
        } else if (same != exceptions.end()) {
            same->access &= static_cast<uint8_t>(~r.access);
            if (!same->access) exceptions.erase(same);
        }
    }
    V1ListState state;
    if (default_allow) {
        state.lines = {"a *:* rwm"};
        state.exact = exceptions.empty();
        return state;
    }
    for (const DeviceRule& e : exceptions) state.lines.push_back(rule_text(e));
    std::sort(state.lines.begin(), state.lines.end());
    return state;
}

std::vector<std::string> v1_list_lines(std::string_view text) {
    std::vector<std::string> lines;
    while (!text.empty()) {
        const auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
        if (!line.empty()) lines.emplace_back(line);
    }
    std::sort(lines.begin(), lines.end());
    return lines;
}

}  // namespace berth::plugins::devices
