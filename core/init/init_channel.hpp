// The fd-3 channel between `create` and the container's init: a stream
// socketpair carrying length-prefixed JSON messages. The parent sends the
// spec; init answers {"type":"ready"} or {"type":"error","message":...}.
// The socket is close-on-exec, so EOF after "ready" means init has exec'd.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

namespace berth {

constexpr int kInitChannelFd = 3;

void send_message(int fd, const nlohmann::json& msg);
// nullopt on EOF.
std::optional<nlohmann::json> receive_message(int fd);

// The last word of a child (init, the exec helper) that failed: sends
// {"type":"error"} with the message and errno, so that the verb's own error
// is the child's, then _exit(1). A dead peer is ignored: there is no one left
// to tell.
[[noreturn]] void report_error_and_exit(int fd, const std::exception& e) noexcept;

}  // namespace berth
