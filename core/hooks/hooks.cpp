#include "hooks/hooks.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors/error.hpp"
#include "util/unique_fd.hpp"

namespace berth {

static void run_hook(const spec::Hook& h, const std::string& phase, const std::string& state) {
    int in[2];
    if (::pipe2(in, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd rd(in[0]), wr(in[1]);
    std::vector<std::string> args = h.args.empty() ? std::vector<std::string>{h.path} : h.args;
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env = h.env;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork hook");
    if (pid == 0) {
        ::signal(SIGPIPE, SIG_DFL);  // ignored in berth (see below), not in hooks
        ::dup2(rd.get(), 0);
        ::execve(h.path.c_str(), argv.data(), envp.data());
        _exit(127);
    }
    rd.reset();
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    // A hook that does not read its stdin must not block us.
    ::signal(SIGPIPE, SIG_IGN);
    (void)!::write(wr.get(), state.data(), state.size());
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
    if (WIFSIGNALED(status)) throw Error(phase + " hook " + h.path + ": killed by signal " + std::to_string(WTERMSIG(status)));
    throw Error(phase + " hook " + h.path + ": exit status " + std::to_string(WEXITSTATUS(status)));
}

nlohmann::json hooks_to_json(const std::vector<spec::Hook>& hooks) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& h : hooks)
        out.push_back({{"path", h.path}, {"args", h.args}, {"env", h.env}, {"timeout", h.timeout.value_or(0)}});
    return out;
}

std::vector<spec::Hook> hooks_from_json(const nlohmann::json& list) {
    std::vector<spec::Hook> hooks;
    for (const auto& j : list) {
        spec::Hook h;
        h.path = j.value("path", "");
        h.args = j.value("args", std::vector<std::string>{});
        h.env = j.value("env", std::vector<std::string>{});
        if (int t = j.value("timeout", 0); t > 0) h.timeout = t;
        hooks.push_back(std::move(h));
    }
    return hooks;
}

void run_hooks(const std::vector<spec::Hook>& hooks, const std::string& phase, const std::string& state_json) {
    for (const auto& h : hooks) run_hook(h, phase, state_json);
}

}  // namespace berth
