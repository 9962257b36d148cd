// Man pages and the bash completion, rendered from the same command table
// as the parser and --help (main.cpp), so that they cannot drift from it.
#pragma once

#include <string>
#include <vector>

#include "args.hpp"

namespace berth::cli {

struct CommandDoc {
    std::string name;
    std::string usage;  // positional arguments
    std::string summary;
    std::vector<OptionSpec> options;
    std::string exit_status;  // "" : 0 on success, 1 on an error
    std::string examples;     // command lines, one a line
};

// "-b, --bundle value" as --help and the man pages show an option.
std::string option_label(const OptionSpec& o);
// berth(8): the verbs and the global options.
std::string man_page(const std::vector<CommandDoc>& commands, const std::vector<OptionSpec>& global,
                     const std::string& version);
// berth-<verb>(8).
std::string verb_man_page(const CommandDoc& c, const std::string& version);
// A bash completion script: verbs, global flags, each verb's flags, values
// of --format / --log-format, files for other values, ids from `list -q`,
// `signals` after kill's id, plugin names (from `plugins list`) for
// --plugins and `plugins inspect`, verbs for `help`.
std::string bash_completion(const std::vector<CommandDoc>& commands, const std::vector<OptionSpec>& global,
                            const std::vector<std::string>& signals);

}  // namespace berth::cli
