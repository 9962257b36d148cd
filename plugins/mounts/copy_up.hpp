// tmpcopyup: a fresh tmpfs that starts with what the image has under the
// directory it is mounted over (runc's and crun's extension; podman puts it on
// /tmp, /run, /var/tmp... so that an image's files there survive the tmpfs).
#pragma once

#include <string>

#include "berth/status.hpp"

namespace berth::mounts {

// Copies the tree under the directory `from_dir` into the directory `to_dir`
// (the root of the new, still detached tmpfs): directories, regular files,
// symlinks (as symlinks, never followed), fifos, sockets and device nodes,
// each with its owner, mode and timestamps. Extended attributes are not
// copied. Everything is opened relative to the two fds with O_NOFOLLOW, so a
// symlink in the image cannot make the copy read or write outside them; a
// directory on another filesystem (a mount below the destination) is left
// empty, as the mount itself is not the image's. Errors name the destination.
Status copy_up(const std::string& destination, int from_dir, int to_dir);

}  // namespace berth::mounts
