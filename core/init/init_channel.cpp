#include "init/init_channel.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "errors/error.hpp"
#include "log/log.hpp"
#include "util/fd_passing.hpp"

namespace berth {

static void write_exact(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            throw_errno("write to init channel");
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
}

// One read; with `passed`, by recvmsg, keeping a fd that came along.
static ssize_t read_some(int fd, char* p, size_t n, UniqueFd* passed) {
    if (!passed) return ::read(fd, p, n);
    int got = -1;
    const ssize_t r = receive_with_fd(fd, p, n, &got);
    if (got >= 0) passed->reset(got);
    return r;
}

// false on EOF before the first byte.
static bool read_exact(int fd, char* p, size_t n, UniqueFd* passed = nullptr) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read_some(fd, p + got, n - got, passed);
        if (r < 0) {
            if (errno == EINTR) continue;
            throw_errno("read from init channel");
        }
        if (r == 0) {
            if (got == 0) return false;
            throw Error("init channel: message cut short");
        }
        got += static_cast<size_t>(r);
    }
    return true;
}

std::string frame_message(const nlohmann::json& msg) {
    std::string body = msg.dump();
    uint32_t len = static_cast<uint32_t>(body.size());
    std::string frame(reinterpret_cast<const char*>(&len), sizeof len);
    frame += body;
    return frame;
}

void send_message(int fd, const nlohmann::json& msg) {
    const std::string frame = frame_message(msg);
    write_exact(fd, frame.data(), frame.size());
}

void send_frame_with_fd(int fd, const std::string& frame, int passed) {
    const ssize_t w = send_with_fd(fd, frame.data(), frame.size(), passed);
    if (w < 0) throw_errno("send seccomp listener fd over init channel");
    // The fd went with the first byte; the rest, if any, is plain data.
    write_exact(fd, frame.data() + w, frame.size() - static_cast<size_t>(w));
}

std::optional<nlohmann::json> receive_message(int fd) { return receive_message(fd, nullptr); }

std::optional<nlohmann::json> receive_message(int fd, UniqueFd* passed) {
    for (;;) {
        uint32_t len = 0;
        if (!read_exact(fd, reinterpret_cast<char*>(&len), sizeof len, passed)) return std::nullopt;
        if (len > (64u << 20)) throw Error("init channel: message too large");
        std::string body(len, '\0');
        if (!read_exact(fd, body.data(), len, passed)) throw Error("init channel: message cut short");
        nlohmann::json msg;
        try {
            msg = nlohmann::json::parse(body);
        } catch (const nlohmann::json::exception& e) {
            throw Error(std::string("init channel: bad message: ") + e.what());
        }
        if (!msg.is_object() || msg.value("type", "") != "log") return msg;
        log_forwarded(msg.value("level", ""), msg.value("msg", ""));
    }
}

namespace {

// Outside send_and_receive's catch: the peer's error may carry EPIPE.
void throw_peer_error(const std::optional<nlohmann::json>& answer, const std::string& what) {
    if (answer && answer->value("type", "") == "error")
        throw Error(answer->value("message", what + " failed"), answer->value("errno", 0));
}

}  // namespace

std::optional<nlohmann::json> receive_answer(int fd, const std::string& what) {
    std::optional<nlohmann::json> answer = receive_message(fd);
    throw_peer_error(answer, what);
    return answer;
}

std::optional<nlohmann::json> send_and_receive(int fd, const nlohmann::json& msg, const std::string& what) {
    std::optional<nlohmann::json> answer;
    try {
        send_message(fd, msg);
        answer = receive_message(fd);
    } catch (const Error& e) {
        if (e.err() != EPIPE && e.err() != ECONNRESET) throw;
    }
    throw_peer_error(answer, what);
    return answer;
}

void forward_logs_over(const int* channel) {
    log_forward_to([channel](const char* level, const std::string& text) {
        send_message(*channel, {{"type", "log"}, {"level", level}, {"msg", text}});
    });
}

void report_error_and_exit(int fd, const std::exception& e) noexcept {
    const Error* be = dynamic_cast<const Error*>(&e);
    try {
        send_message(fd, {{"type", "error"}, {"message", e.what()}, {"errno", be ? be->err() : 0}});
    } catch (...) {
    }
    _exit(1);
}

}  // namespace berth
