#include "log/log.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "state/state_store.hpp"

namespace berth {
namespace {

// One JSON object per line, with the field names runc's logrus uses.
class JsonFileSink : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
public:
    explicit JsonFileSink(const std::string& path) { file_.open(path, false); }

protected:
    void sink_it_(const spdlog::details::log_msg& m) override {
        const char* level = m.level == spdlog::level::err     ? "error"
                            : m.level == spdlog::level::warn  ? "warning"
                            : m.level == spdlog::level::debug ? "debug"
                                                              : "info";
        nlohmann::json j = {
            {"level", level}, {"msg", std::string(m.payload.data(), m.payload.size())}, {"time", now_rfc3339()}};
        std::string line = j.dump() + "\n";
        spdlog::memory_buf_t buf;
        buf.append(line.data(), line.data() + line.size());
        file_.write(buf);
        file_.flush();
    }
    void flush_() override { file_.flush(); }

private:
    spdlog::details::file_helper file_;
};

std::shared_ptr<spdlog::logger> file_logger;
std::function<void(const char*, const std::string&)> forward;
bool debug_enabled = false;
bool text_format = false;

// The text format is logfmt (msg="..."): quotes and backslashes in a message
// must not end the value early.
std::string logfmt_escape(const std::string& msg) {
    std::string out;
    for (char c : msg) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

// true when the record went somewhere (a file, or the verb): else it is
// for stderr.
bool emit(spdlog::level::level_enum lvl, const std::string& msg) {
    if (forward) {
        try {
            forward(lvl == spdlog::level::err ? "error" : lvl == spdlog::level::warn ? "warning" : "debug", msg);
        } catch (...) {
            // The verb is gone: there is no one left to tell.
        }
        return true;
    }
    if (file_logger) file_logger->log(lvl, text_format ? logfmt_escape(msg) : msg);
    return file_logger != nullptr;
}

}  // namespace

void setup_logging(const std::string& file, bool json, bool debug) {
    debug_enabled = debug;
    if (file.empty()) return;
    std::shared_ptr<spdlog::sinks::sink> sink;
    if (json) sink = std::make_shared<JsonFileSink>(file);
    else sink = std::make_shared<spdlog::sinks::basic_file_sink_st>(file);
    // A synchronous logger: no threads, so that clone happens single-threaded.
    file_logger = std::make_shared<spdlog::logger>("berth", sink);
    text_format = !json;
    if (!json)
        file_logger->set_pattern("time=\"%Y-%m-%dT%H:%M:%S.%fZ\" level=%l msg=\"%v\"", spdlog::pattern_time_type::utc);
    file_logger->set_level(debug ? spdlog::level::debug : spdlog::level::info);
    // Every record reaches the file at once: a verb killed by its client
    // (a shim's timeout), or a child that execs, keeps nothing buffered.
    file_logger->flush_on(spdlog::level::trace);
}

void log_forward_to(std::function<void(const char* level, const std::string& msg)> sink) {
    // Closed before the child closes its fds, so that nothing ever writes to
    // an fd number the log file no longer has.
    file_logger.reset();
    forward = std::move(sink);
}

void log_forwarded(const std::string& level, const std::string& msg) {
    if (level == "error") log_error(msg);
    else if (level == "warning") log_warning(msg);
    else if (level == "debug") log_debug(msg);
}

void log_error(const std::string& msg) {
    // An error also goes to stderr, as runc's does, but never from a child
    // whose stderr is the container's.
    if (!emit(spdlog::level::err, msg) || !forward) std::fprintf(stderr, "berth: %s\n", msg.c_str());
}

void log_warning(const std::string& msg) {
    if (!emit(spdlog::level::warn, msg)) std::fprintf(stderr, "berth: warning: %s\n", msg.c_str());
}

void log_debug(const std::string& msg) {
    if (!debug_enabled) return;
    if (!emit(spdlog::level::debug, msg)) std::fprintf(stderr, "berth: debug: %s\n", msg.c_str());
}

}  // namespace berth
