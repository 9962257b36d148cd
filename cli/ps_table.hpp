// `ps` in table format, as runc: ps(1) runs on the host with the caller's
// arguments (default -ef) and only the header and the container's processes
// are kept.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace berth::cli {

// Keeps the header line and the lines whose PID column (found by name in
// the header) is one of `pids`. Throws naming what it could not parse.
std::string filter_ps_output(const std::string& output, const std::vector<pid_t>& pids);

// Runs `ps args...` (PATH lookup) and returns its stdout and stderr together;
// throws with that output when ps fails.
std::string run_host_ps(const std::vector<std::string>& args);

// Rows as runc's `list` prints them (Go's tabwriter with minwidth 12,
// padding 3): every column but the last is as wide as its widest cell plus
// 3, at least 12; the last is not padded. Long ids keep the columns aligned.
std::string aligned_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace berth::cli
