// Logging: text to stderr by default, or to --log FILE as text or as one
// JSON object per line ({"level","msg","time"}), which containerd's shim reads.
#pragma once

#include <functional>
#include <string>

namespace berth {

void setup_logging(const std::string& file, bool json, bool debug);
void log_error(const std::string& msg);
void log_warning(const std::string& msg);
void log_debug(const std::string& msg);

// A child of a verb that sheds the host's fds before it enters the container
// (init, the exec and hook helpers) keeps no log file: from here on its
// records go to `sink` ("error", "warning" or "debug", and the message),
// which sends them to the verb over their channel; the verb logs them with
// log_forwarded, in its --log file and format, as its own.
void log_forward_to(std::function<void(const char* level, const std::string& msg)> sink);
void log_forwarded(const std::string& level, const std::string& msg);

}  // namespace berth
