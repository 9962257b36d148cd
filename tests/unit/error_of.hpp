// The message of the berth::Error a call throws, or "<no error>": unit tests
// assert on whole messages, since naming the field is the contract.
#pragma once

#include <functional>
#include <string>

#include "errors/error.hpp"

namespace berth::test {

inline std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const berth::Error& e) {
        return e.what();
    }
    return "<no error>";
}

}  // namespace berth::test
