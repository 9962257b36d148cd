// nlohmann::json parses iteratively, but copies, compares and dumps a value
// recursively: a config.json of 100000 nested arrays overflows the stack in
// dump(). The runtime's own files are a few levels deep, so deeper input is
// refused before parsing.
#pragma once

#include <cstddef>
#include <string_view>

namespace berth {

constexpr size_t kMaxJsonDepth = 64;

// True when brackets outside strings nest deeper than kMaxJsonDepth.
// Malformed text is left to the parser.
bool json_too_deep(std::string_view text);

}  // namespace berth
