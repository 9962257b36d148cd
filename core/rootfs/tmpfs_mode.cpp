#include "rootfs/tmpfs_mode.hpp"

#include <cstdio>

namespace berth {

bool has_mode_option(const std::vector<std::string>& options) {
    for (const std::string& option : options) {
        for (size_t start = 0; start <= option.size();) {
            size_t end = option.find(',', start);
            if (end == std::string::npos) end = option.size();
            if (option.compare(start, 5, "mode=") == 0 && end - start >= 5) return true;
            start = end + 1;
        }
    }
    return false;
}

std::vector<std::string> tmpfs_options_with_mode(const std::vector<std::string>& options, mode_t covered_mode) {
    if (has_mode_option(options)) return options;
    char mode[16];
    std::snprintf(mode, sizeof mode, "mode=%04o", static_cast<unsigned>(covered_mode & 07777));
    std::vector<std::string> out;
    out.reserve(options.size() + 1);
    out.emplace_back(mode);
    out.insert(out.end(), options.begin(), options.end());
    return out;
}

}  // namespace berth
