#include "args.hpp"

#include "errors/error.hpp"

namespace berth::cli {

bool ParsedArgs::flag(const std::string& name) const {
    auto it = values.find(name);
    return it != values.end() && it->second != "false";
}

std::string ParsedArgs::get(const std::string& name, const std::string& fallback) const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
}

std::vector<std::string> ParsedArgs::list(const std::string& name) const {
    auto it = all.find(name);
    return it == all.end() ? std::vector<std::string>{} : it->second;
}

static std::string prefix(const std::string& context) { return context.empty() ? "" : context + ": "; }

static const OptionSpec* find_option(const std::vector<OptionSpec>& table, const std::string& name, bool is_short) {
    for (const auto& o : table) {
        if (name == o.name) return &o;
        if (is_short && name.size() == 1 && o.short_name == name[0]) return &o;
    }
    return nullptr;
}

ParsedArgs parse_args(const std::vector<OptionSpec>& table, const std::vector<std::string>& args, size_t& pos,
                      bool stop_at_positional, const std::string& context) {
    ParsedArgs out;
    bool options_done = false;
    while (pos < args.size()) {
        const std::string& a = args[pos];
        if (options_done || a.size() < 2 || a[0] != '-') {
            if (stop_at_positional) break;
            out.positional.push_back(a);
            ++pos;
            continue;
        }
        if (a == "--") {
            options_done = true;
            ++pos;
            continue;
        }
        bool is_short = a[1] != '-';
        std::string body = a.substr(is_short ? 1 : 2);
        std::string value;
        bool has_value = false;
        if (auto eq = body.find('='); eq != std::string::npos) {
            value = body.substr(eq + 1);
            body = body.substr(0, eq);
            has_value = true;
        }
        const OptionSpec* o = find_option(table, body, is_short);
        if (!o) throw Error(prefix(context) + "unknown flag " + a.substr(0, a.find('=')));
        ++pos;
        if (o->takes_value) {
            if (!has_value) {
                if (pos >= args.size())
                    throw Error(prefix(context) + "flag --" + std::string(o->name) + " needs a value");
                value = args[pos++];
            }
        } else if (!has_value) {
            value = "true";
        } else if (value != "true" && value != "false") {
            throw Error(prefix(context) + "flag --" + std::string(o->name) + " takes true or false, not \"" + value +
                        "\"");
        }
        out.values[o->name] = value;
        out.all[o->name].push_back(value);
    }
    return out;
}

}  // namespace berth::cli
