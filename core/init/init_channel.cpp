#include "init/init_channel.hpp"

#include <unistd.h>

#include <cstdint>

#include "errors/error.hpp"

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

// false on EOF before the first byte.
static bool read_exact(int fd, char* p, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = ::read(fd, p + got, n - got);
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

void send_message(int fd, const nlohmann::json& msg) {
    std::string body = msg.dump();
    uint32_t len = static_cast<uint32_t>(body.size());
    std::string frame(reinterpret_cast<const char*>(&len), sizeof len);
    frame += body;
    write_exact(fd, frame.data(), frame.size());
}

std::optional<nlohmann::json> receive_message(int fd) {
    uint32_t len = 0;
    if (!read_exact(fd, reinterpret_cast<char*>(&len), sizeof len)) return std::nullopt;
    if (len > (64u << 20)) throw Error("init channel: message too large");
    std::string body(len, '\0');
    if (!read_exact(fd, body.data(), len)) throw Error("init channel: message cut short");
    try {
        return nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("init channel: bad message: ") + e.what());
    }
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
