// What runc fills in when the config leaves it out: HOME from the
// container's /etc/passwd (or /), and a cwd that does not exist yet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth {

// The home directory of uid in passwd(5) text; nullopt when no line names
// it (or the field is empty). Pure: table-tested.
std::optional<std::string> home_from_passwd(const std::string& passwd, uint32_t uid);

// env with HOME=... appended when it has no HOME: the uid's home from the
// /etc/passwd of the caller's root (the container's), else "/".
std::vector<std::string> with_home(std::vector<std::string> env, uint32_t uid);

// Creates cwd (0755, with its parents) when it is missing, as runc does, in
// the caller's root: called after the container's root is entered.
void make_cwd(const std::string& cwd);

}  // namespace berth
