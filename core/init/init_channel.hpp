// The fd-3 channel between `create` and the container's init: a stream
// socketpair carrying length-prefixed JSON messages. The parent sends the
// spec; init answers {"type":"ready"} or {"type":"error","message":...}.
// The socket is close-on-exec, so EOF after "ready" means init has exec'd.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "util/unique_fd.hpp"

namespace berth {

constexpr int kInitChannelFd = 3;

void send_message(int fd, const nlohmann::json& msg);
// nullopt on EOF. A {"type":"log"} message (forward_logs_over) is logged as
// the verb's own and never returned.
std::optional<nlohmann::json> receive_message(int fd);
// The same, and a fd sent with the message (SCM_RIGHTS) goes to *passed.
std::optional<nlohmann::json> receive_message(int fd, UniqueFd* passed);

// The peer's next message; an {"type":"error"} one is thrown as the peer's
// own error (`what` failed, when it has no message). nullopt on EOF.
std::optional<nlohmann::json> receive_answer(int fd, const std::string& what);
// Sends `msg` and returns the peer's answer (receive_answer). A peer that died (EPIPE,
// ECONNRESET, EOF) answers nothing; an {"type":"error"} answer is thrown as
// the peer's own error (`what` when it has no message).
std::optional<nlohmann::json> send_and_receive(int fd, const nlohmann::json& msg, const std::string& what);

// In a child on the far side of a channel (init, the exec and hook helpers),
// which keeps no log file of the host's: its log records go over
// *channel (read at each record: init moves its channel) to the verb.
void forward_logs_over(const int* channel);

// {"type": kSeccompFdMessage} carries the seccomp listener fd from init or
// the exec helper to the verb, which hands it to linux.seccomp.listenerPath.
constexpr const char* kSeccompFdMessage = "seccompFd";
// A message as the channel frames it, built ahead of a send that must not
// allocate (right after the seccomp filter is loaded).
std::string frame_message(const nlohmann::json& msg);
// Sends a frame from frame_message with `passed` attached (SCM_RIGHTS): one
// sendmsg, no allocation.
void send_frame_with_fd(int fd, const std::string& frame, int passed);

// The last word of a child (init, the exec helper) that failed: sends
// {"type":"error"} with the message and errno, so that the verb's own error
// is the child's, then _exit(1). A dead peer is ignored: there is no one left
// to tell.
[[noreturn]] void report_error_and_exit(int fd, const std::exception& e) noexcept;

}  // namespace berth
