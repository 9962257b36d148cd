// Small file helpers that throw berth::Error naming the path.
#pragma once

#include <string>

namespace berth {

std::string read_file(const std::string& path);
// Writes an existing file (no create): sysctl-like files in /proc.
void write_existing_file(const std::string& path, const std::string& data);
// Temp file, fsync, rename: readers see the old or the new content, never half.
void write_file_atomic(const std::string& path, const std::string& data, unsigned mode = 0600);
// Temp file, rename, no fsync: atomic for readers and across a crash of the
// writer (the page cache outlives it), not across a power loss. For what a
// reboot makes meaningless anyway: container state, pid files.
void write_file_replace(const std::string& path, const std::string& data, unsigned mode = 0600);
// Like `mkdir -p`: the missing directories of `path` are made with `mode`.
void make_dirs(const std::string& path, unsigned mode);
// Like `rm -rf` for one directory tree; a missing path is fine.
void remove_tree(const std::string& path);

}  // namespace berth
