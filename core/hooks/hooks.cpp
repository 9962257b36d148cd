#include "hooks/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>

#include "errors/error.hpp"
#include "init/exec_stub.hpp"
#include "process/process_setup.hpp"
#include "util/unique_fd.hpp"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace berth {

const std::vector<std::string>& supported_hook_kinds() {
    static const std::vector<std::string> kinds = {"prestart",       "createRuntime", "createContainer",
                                                   "startContainer", "poststart",     "poststop"};
    return kinds;
}

static void run_hook(const spec::Hook& h, const std::string& phase, const std::string& state, int exec_stub) {
    int in[2];
    if (::pipe2(in, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd rd(in[0]), wr(in[1]);
    std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
    if (exec_stub >= 0) args = stub_argv(-1, StubLsmAttr{}, h.path, args);
    ExecArgs argv(std::move(args)), envp(h.env);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork hook");
    if (pid == 0) {
        ::signal(SIGPIPE, SIG_DFL);  // ignored in berth (see below), not in hooks
        ::dup2(rd.get(), 0);
        // Only stdio: a hook run by init must not get the init channel or
        // the caller's preserved fds.
        ::syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
        if (exec_stub < 0) {
            ::execve(h.path.c_str(), argv.get(), envp.get());
        } else {
            try {
                drop_read_override_for_exec();
            } catch (const Error&) {
                _exit(127);
            }
            ::syscall(SYS_execveat, exec_stub, "", argv.get(), envp.get(), AT_EMPTY_PATH);
        }
        _exit(127);
    }
    rd.reset();
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    // A hook that does not read its stdin must not kill us. Put back after
    // the write: init runs hooks too, and an ignored SIGPIPE would be
    // inherited by the container's process.
    struct sigaction ignore = {}, saved = {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &saved);
    (void)!::write(wr.get(), state.data(), state.size());
    ::sigaction(SIGPIPE, &saved, nullptr);
    wr.reset();
    if (h.timeout && pidfd) {
        struct pollfd p = {pidfd.get(), POLLIN, 0};
        if (::poll(&p, 1, *h.timeout * 1000) == 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            throw Error(phase + " hook " + h.path + ": timed out after " + std::to_string(*h.timeout) + "s");
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw_errno("wait for hook", h.path);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    if (WIFSIGNALED(status))
        throw Error(phase + " hook " + h.path + ": killed by signal " + std::to_string(WTERMSIG(status)));
    throw Error(phase + " hook " + h.path + ": exit status " + std::to_string(WEXITSTATUS(status)));
}

nlohmann::json hooks_to_json(const std::vector<spec::Hook>& hooks) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& h : hooks)
        out.push_back({{"path", h.path}, {"args", h.args}, {"env", h.env}, {"timeout", h.timeout.value_or(0)}});
    return out;
}

std::vector<spec::Hook> hooks_from_json(const nlohmann::json& list, const std::string& field) {
    auto fail = [&](size_t i, const std::string& key, const std::string& msg) -> void {
        throw Error(field + "[" + std::to_string(i) + "]" + (key.empty() ? "" : "." + key) + ": " + msg);
    };
    if (!list.is_array()) throw Error(field + ": must be an array");
    std::vector<spec::Hook> hooks;
    for (size_t i = 0; i < list.size(); ++i) {
        const auto& j = list[i];
        if (!j.is_object()) fail(i, "", "must be an object");
        auto strings = [&](const char* key) {
            std::vector<std::string> out;
            auto it = j.find(key);
            if (it == j.end()) return out;
            if (!it->is_array()) fail(i, key, "must be an array of strings");
            for (const auto& s : *it) {
                if (!s.is_string()) fail(i, key, "must be an array of strings");
                out.push_back(s.get<std::string>());
            }
            return out;
        };
        spec::Hook h;
        auto path = j.find("path");
        if (path == j.end() || !path->is_string()) fail(i, "path", "must be a string");
        h.path = path->get<std::string>();
        h.args = strings("args");
        h.env = strings("env");
        if (auto t = j.find("timeout"); t != j.end()) {
            // A float would be converted with undefined behaviour when out of range.
            if (!t->is_number_integer()) fail(i, "timeout", "must be an integer");
            if (t->is_number_unsigned() ? t->get<uint64_t>() > uint64_t(INT_MAX) : t->get<int64_t>() > INT_MAX)
                fail(i, "timeout", "is out of range");
            if (int64_t v = t->get<int64_t>(); v > 0) h.timeout = static_cast<int>(v);
        }
        hooks.push_back(std::move(h));
    }
    return hooks;
}

void run_hooks(const std::vector<spec::Hook>& hooks, const std::string& phase, const std::string& state_json,
               int exec_stub) {
    for (const auto& h : hooks) run_hook(h, phase, state_json, exec_stub);
}

std::vector<std::string> run_all_hooks(const std::vector<spec::Hook>& hooks, const std::string& phase,
                                       const std::string& state_json) {
    std::vector<std::string> failures;
    for (const auto& h : hooks) {
        try {
            run_hook(h, phase, state_json, -1);
        } catch (const Error& e) {
            failures.push_back(e.what());
        }
    }
    return failures;
}

}  // namespace berth
