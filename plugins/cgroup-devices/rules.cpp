#include "rules.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace berth::plugins::devices {

using json = nlohmann::json;

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

namespace {

Status bad(size_t i, const char* field, const std::string& msg) {
    return Status::Error(
        EINVAL, "linux.resources.devices[" + std::to_string(i) + "]" + (*field ? "." : "") + field + ": " + msg);
}

Status device_number(const json& rule, size_t i, const char* field, int64_t* out) {
    auto it = rule.find(field);
    if (it == rule.end() || it->is_null()) {
        *out = kWildcard;
        return Status::Ok();
    }
    // -1 is how some clients spell the wildcard (runc's own configs.Wildcard).
    if (!it->is_number_integer()) return bad(i, field, "must be an integer, got " + it->dump());
    const int64_t n = it->is_number_unsigned() && it->get<uint64_t>() > INT64_MAX ? INT64_MAX : it->get<int64_t>();
    if (n < -1 || n > UINT32_MAX)
        return bad(i, field, it->dump() + " is out of range (0 to 4294967295, or -1 for any)");
    *out = n;
    return Status::Ok();
}

}  // namespace

Status parse_device_rules(std::string_view resources_json, std::vector<DeviceRule>* out) {
    try {
        out->clear();
        const json r = json::parse(resources_json, nullptr, false);
        if (r.is_discarded() || !r.is_object()) return Status::Error(EINVAL, "linux.resources: must be a JSON object");
        auto list = r.find("devices");
        if (list == r.end() || list->is_null()) return Status::Ok();
        if (!list->is_array()) return Status::Error(EINVAL, "linux.resources.devices: must be an array");
        for (size_t i = 0; i < list->size(); ++i) {
            const json& e = (*list)[i];
            if (!e.is_object()) return bad(i, "", "must be an object");
            DeviceRule rule;
            auto allow = e.find("allow");
            if (allow == e.end()) return bad(i, "allow", "is required");
            if (!allow->is_boolean()) return bad(i, "allow", "must be true or false, got " + allow->dump());
            rule.allow = allow->get<bool>();
            if (auto t = e.find("type"); t != e.end() && !t->is_null()) {
                const std::string type = t->is_string() ? t->get<std::string>() : "";
                if (type != "a" && type != "b" && type != "c")
                    return bad(i, "type", t->dump() + " must be \"a\", \"b\" or \"c\"");
                rule.type = type[0];
            }
            if (Status s = device_number(e, i, "major", &rule.major); !s.ok()) return s;
            if (Status s = device_number(e, i, "minor", &rule.minor); !s.ok()) return s;
            // runc 1.1 refuses an absent or empty access ("device access at
            // N field cannot be empty"), so that no rule's reach is guessed.
            auto a = e.find("access");
            if (a == e.end() || a->is_null() || (a->is_string() && a->get<std::string>().empty()))
                return bad(i, "access", "must not be empty (a combination of r, w and m)");
            if (!a->is_string()) return bad(i, "access", "must be a string, got " + a->dump());
            for (char c : a->get<std::string>()) {
                const uint8_t bit = c == 'r' ? kRead : c == 'w' ? kWrite : c == 'm' ? kMknod : 0;
                if (!bit) return bad(i, "access", a->dump() + ": '" + std::string(1, c) + "' is not one of r, w, m");
                if (rule.access & bit) return bad(i, "access", a->dump() + ": '" + std::string(1, c) + "' is repeated");
                rule.access |= bit;
            }
            out->push_back(rule);
        }
        return Status::Ok();
    } catch (const std::bad_alloc&) {
        return Status{ENOMEM, {}};
    } catch (const std::exception& e) {
        return Status::Error(EINVAL, std::string("linux.resources.devices: ") + e.what());
    }
}

bool lists_device_rules(std::string_view resources_json) {
    const json r = json::parse(resources_json, nullptr, false);
    if (r.is_discarded() || !r.is_object()) return false;
    auto list = r.find("devices");
    return list != r.end() && list->is_array() && !list->empty();
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
