#include "rootless/rootless.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "errors/error.hpp"
#include "util/fault_point.hpp"
#include "util/files.hpp"

namespace berth::rootless {
namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// newuidmap PID ID HOSTID COUNT ...: the setuid helper of Debian's uidmap.
void run_map_helper(const char* helper, const char* field, const char* sub_file, pid_t pid,
                    const std::vector<spec::IdMapping>& maps) {
    std::vector<std::string> args = {helper, std::to_string(pid)};
    for (const auto& m : maps) {
        args.push_back(std::to_string(m.container_id));
        args.push_back(std::to_string(m.host_id));
        args.push_back(std::to_string(m.size));
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int err[2];
    if (::pipe2(err, O_CLOEXEC) < 0) throw_errno("pipe");
    const pid_t child = ::fork();
    if (child < 0) throw_errno("fork", helper);
    if (child == 0) {
        ::dup2(err[1], 2);
        ::execvp(helper, argv.data());
        _exit(127);
    }
    ::close(err[1]);
    std::string out;
    char buf[256];
    for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    ::close(err[0]);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    std::ostringstream maps_text;
    for (const auto& m : maps) maps_text << " " << m.container_id << ":" << m.host_id << ":" << m.size;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        throw Error(std::string(field) + ": these mappings need " + helper +
                        " (Debian's uidmap package), which is not installed",
                    ENOENT);
    throw Error(std::string(field) + ":" + maps_text.str() + ": " + helper + " refused them" +
                    (out.empty() ? "" : " (" + out + ")") + "; " + sub_file + " must give them to the user",
                EPERM);
}

bool own_single(const std::vector<spec::IdMapping>& maps, unsigned own) {
    return maps.size() == 1 && maps[0].size == 1 && maps[0].host_id == own;
}

}  // namespace

bool in_initial_user_namespace() {
    try {
        std::istringstream in(read_file("/proc/self/uid_map"));
        unsigned long first = 1, lower = 1, count = 0;
        in >> first >> lower >> count;
        return first == 0 && lower == 0 && count == 4294967295UL;
    } catch (const Error&) {
        return true;  // no user namespaces at all
    }
}

bool decide(const std::string& flag) {
    if (flag == "true") return true;
    if (flag == "false") return false;
    if (flag.empty() || flag == "auto") return ::geteuid() != 0 || !in_initial_user_namespace();
    throw Error("--rootless: must be auto, true or false, not \"" + flag + "\"", EINVAL);
}

std::string default_state_root(bool rootless) {
    if (!rootless) return "/run/berth";
    const std::string xdg = env("XDG_RUNTIME_DIR");
    if (xdg.empty())
        throw Error("rootless: XDG_RUNTIME_DIR is not set: set it (as a login session does) or give --root DIR",
                    EINVAL);
    return xdg + "/berth";
}

std::string plugin_index_path(bool rootless) {
    if (!rootless) return "/run/berth-plugin-index.json";
    const std::string xdg = env("XDG_RUNTIME_DIR");
    return xdg.empty() ? "" : xdg + "/berth-plugin-index.json";
}

std::string user_plugin_config(bool rootless) {
    if (!rootless) return "";
    std::string base = env("XDG_CONFIG_HOME");
    if (base.empty() && !env("HOME").empty()) base = env("HOME") + "/.config";
    if (base.empty()) return "";
    const std::string path = base + "/berth/plugins.yaml";
    return ::access(path.c_str(), F_OK) == 0 ? path : "";
}

void write_id_maps(pid_t pid, const std::vector<spec::IdMapping>& uids, const std::vector<spec::IdMapping>& gids) {
    const std::string proc = "/proc/" + std::to_string(pid);
    if (own_single(uids, ::geteuid()) && own_single(gids, ::getegid())) {
        auto text = [](const spec::IdMapping& m) {
            return std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " 1\n";
        };
        try {
            // An unprivileged gid_map needs setgroups denied first (user_namespaces(7)).
            write_existing_file(proc + "/setgroups", "deny");
            write_existing_file(proc + "/uid_map", text(uids[0]));
            fault_point("create.uid-map-written");
            write_existing_file(proc + "/gid_map", text(gids[0]));
        } catch (const Error& e) {
            throw Error(std::string("linux.uidMappings: ") + e.what(), e.err());
        }
        return;
    }
    run_map_helper("newuidmap", "linux.uidMappings", "/etc/subuid", pid, uids);
    run_map_helper("newgidmap", "linux.gidMappings", "/etc/subgid", pid, gids);
}

}  // namespace berth::rootless
