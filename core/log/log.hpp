// Logging: text to stderr by default, or to --log FILE as text or as one
// JSON object per line ({"level","msg","time"}), which containerd's shim reads.
#pragma once

#include <string>

namespace berth {

void setup_logging(const std::string& file, bool json, bool debug);
void log_error(const std::string& msg);
void log_warning(const std::string& msg);
void log_debug(const std::string& msg);

}  // namespace berth
