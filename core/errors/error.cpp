#include "errors/error.hpp"

#include <cstring>

namespace berth {

void throw_sys(int err, const std::string& what, const std::string& path) {
    std::string msg = what;
    if (!path.empty()) msg += " " + path;
    msg += ": ";
    msg += std::strerror(err);
    throw Error(msg, err);
}

}  // namespace berth
