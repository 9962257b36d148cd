// Result of every call across the plugin boundary. Exceptions never cross it:
// the host and a plugin may have been built at different times, and a result
// value keeps the contract explicit.
#pragma once

#include <cerrno>
#include <string>
#include <utility>

namespace berth {

struct Status {
    int err = 0;          // errno of the failing call, or EINVAL for a bad value
    std::string message;  // names the file, field or setting that failed

    bool ok() const { return err == 0; }

    static Status Ok() { return {}; }
    static Status Error(int e, std::string msg) { return {e != 0 ? e : EINVAL, std::move(msg)}; }
};

}  // namespace berth
