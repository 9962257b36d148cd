// Path resolution confined to a root directory: symlinks and ".." cannot
// leave it (openat2 RESOLVE_IN_ROOT), so a hostile rootfs cannot point a mount
// destination at the host.
#pragma once

#include <fcntl.h>

#include <string>

#include "util/unique_fd.hpp"

namespace berth {

// Opens `path` (absolute inside the root) with `flags` (O_PATH by default);
// throws naming `path`.
UniqueFd open_in_root(int root_fd, const std::string& path, int flags = O_PATH);

// Like mkdir -p inside the root, then opens the directory.
UniqueFd mkdir_all_in_root(int root_fd, const std::string& path, unsigned mode = 0755);

// Creates an empty file if nothing is there (parents too), then opens it.
UniqueFd touch_in_root(int root_fd, const std::string& path);

}  // namespace berth
