// berth::guarded: the body of a noexcept plugin method, with every exception
// turned into a Status. Header-only: it compiles into the plugin and adds
// nothing to the ABI (docs/plugin-abi.md).
//
//   berth::Status apply_v2(const berth::CgroupDir& dir, const berth::Resources& r) noexcept override {
//       return berth::guarded("cgroup-example", [&] { return write_knob(dir, r); });
//   }
#pragma once

#include <cerrno>
#include <exception>
#include <new>
#include <string>

#include "berth/status.hpp"

namespace berth {

// Runs `body` (returning a Status) and catches everything it throws:
// std::bad_alloc becomes ENOMEM, anything else EIO, with a message that starts
// with `who` (the plugin's name) and carries what() when there is one. A
// failure to build that message (out of memory again) leaves it empty rather
// than throwing out of a noexcept method.
template <typename Fn>
Status guarded(const char* who, Fn&& body) noexcept {
    int err = EIO;
    try {
        try {
            return body();
        } catch (const std::bad_alloc&) {
            err = ENOMEM;
            return Status{ENOMEM, std::string(who) + ": out of memory"};
        } catch (const std::exception& e) {
            return Status{EIO, std::string(who) + ": " + e.what()};
        } catch (...) {
            return Status{EIO, std::string(who) + ": unexpected exception"};
        }
    } catch (...) {
        return Status{err, {}};
    }
}

}  // namespace berth
