#include "ps_table.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "errors/error.hpp"
#include "util/unique_fd.hpp"

extern char** environ;

namespace berth::cli {
namespace {

std::vector<std::string> fields_of(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> out;
    for (std::string f; in >> f;) out.push_back(f);
    return out;
}

}  // namespace

std::string filter_ps_output(const std::string& output, const std::vector<pid_t>& pids) {
    std::vector<std::string> lines;
    std::istringstream in(output);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    if (lines.empty()) throw Error("ps: no output from ps");
    const auto titles = fields_of(lines[0]);
    const auto pid_col = std::find(titles.begin(), titles.end(), "PID");
    if (pid_col == titles.end()) throw Error("ps: couldn't find PID field in ps output");
    const size_t index = static_cast<size_t>(pid_col - titles.begin());
    std::string result = lines[0] + "\n";
    for (size_t i = 1; i < lines.size(); ++i) {
        const auto f = fields_of(lines[i]);
        if (f.empty()) continue;
        const std::string field = index < f.size() ? f[index] : "";
        char* end = nullptr;
        errno = 0;
        const long pid = std::strtol(field.c_str(), &end, 10);
        if (field.empty() || *end || errno) throw Error("ps: unable to parse pid from \"" + lines[i] + "\"");
        if (std::find(pids.begin(), pids.end(), static_cast<pid_t>(pid)) != pids.end()) result += lines[i] + "\n";
    }
    return result;
}

std::string run_host_ps(const std::vector<std::string>& args) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) throw_errno("pipe");
    UniqueFd rd(p[0]), wr(p[1]);
    std::vector<std::string> argv_s = {"ps"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, wr.get(), 1);
    posix_spawn_file_actions_adddup2(&fa, wr.get(), 2);
    pid_t pid;
    const int rc = ::posix_spawnp(&pid, "ps", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw_sys(rc, "ps: run ps");
    wr.reset();
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(rd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        const std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                                  : "killed by signal " + std::to_string(WTERMSIG(status));
        while (!out.empty() && out.back() == '\n') out.pop_back();
        throw Error("ps: " + how + ": " + out);
    }
    return out;
}

std::string aligned_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> width;
    for (const auto& row : rows)
        for (size_t i = 0; i + 1 < row.size(); ++i) {
            if (width.size() <= i) width.resize(i + 1, 12);
            width[i] = std::max(width[i], row[i].size() + 3);
        }
    std::string out;
    for (const auto& row : rows) {
        for (size_t i = 0; i < row.size(); ++i) {
            out += row[i];
            if (i + 1 < row.size()) out.append(width[i] - row[i].size(), ' ');
        }
        out += "\n";
    }
    return out;
}

}  // namespace berth::cli
