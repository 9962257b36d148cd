// runc-shaped argument parsing from per-verb option tables. Long options may
// be written --name, -name, --name=value or --name value; short ones -b dir.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace berth::cli {

struct OptionSpec {
    const char* name;
    char short_name;  // 0 when none
    bool takes_value;
    const char* help;
};

struct ParsedArgs {
    std::map<std::string, std::string> values;            // options given, by long name ("true" for flags)
    std::map<std::string, std::vector<std::string>> all;  // every value of a repeated option, in order
    std::vector<std::string> positional;

    bool has(const std::string& name) const { return values.count(name) != 0; }
    bool flag(const std::string& name) const;
    std::string get(const std::string& name, const std::string& fallback = "") const;
    std::vector<std::string> list(const std::string& name) const;
};

// Parses args[begin..] up to the first positional when stop_at_positional
// (the global options before the verb), else all of them. Throws
// berth::Error naming an unknown flag or a flag missing its value.
ParsedArgs parse_args(const std::vector<OptionSpec>& table, const std::vector<std::string>& args, size_t& pos,
                      bool stop_at_positional, const std::string& context);

}  // namespace berth::cli
