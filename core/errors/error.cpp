#include "errors/error.hpp"

#include <cstring>

namespace berth {

std::string errno_text(int err) {
    std::string s = std::strerror(err);
    if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
    return s;
}

void throw_sys(int err, const std::string& what, const std::string& path) {
    std::string msg = what;
    if (!path.empty()) msg += " " + path;
    msg += ": ";
    msg += errno_text(err);
    throw Error(msg, err);
}

}  // namespace berth
