// The mode of a tmpfs's root when the spec does not give one.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace berth {

// True when some option (or a comma-joined part of one, "size=1m,mode=700")
// sets the tmpfs root's mode.
bool has_mode_option(const std::vector<std::string>& options);

// A tmpfs mounted over an existing directory takes that directory's mode
// (permission bits plus setuid, setgid and sticky), as runc and crun do,
// unless the options give mode= themselves; the kernel's default, 1777, is
// left for destinations that did not exist. Returns the options with
// "mode=<octal>" put first, so anything later still wins.
std::vector<std::string> tmpfs_options_with_mode(const std::vector<std::string>& options, mode_t covered_mode);

}  // namespace berth
