#include "process/exec_process.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <limits>

#include "errors/error.hpp"

namespace berth {
namespace {

std::optional<uint32_t> to_id(const std::string& s) {
    if (s.empty() || s.size() > 10 || !std::all_of(s.begin(), s.end(), ::isdigit)) return std::nullopt;
    unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
    if (v > std::numeric_limits<uint32_t>::max()) return std::nullopt;
    return static_cast<uint32_t>(v);
}

void add_unique(std::vector<int>& set, int cap) {
    if (std::find(set.begin(), set.end(), cap) == set.end()) set.push_back(cap);
}

}  // namespace

std::pair<uint32_t, std::optional<uint32_t>> parse_exec_user(const std::string& s) {
    const size_t colon = s.find(':');
    auto uid = to_id(s.substr(0, colon));
    if (!uid) throw Error("--user: \"" + s + "\": the uid must be a number (UID[:GID])", EINVAL);
    if (colon == std::string::npos) return {*uid, std::nullopt};
    auto gid = to_id(s.substr(colon + 1));
    if (!gid) throw Error("--user: \"" + s + "\": the gid must be a number (UID[:GID])", EINVAL);
    return {*uid, gid};
}

std::vector<std::string> merge_env(const std::vector<std::string>& env, const std::string& what) {
    std::vector<std::string> out;
    for (const auto& e : env) {
        const size_t eq = e.find('=');
        if (eq == std::string::npos || eq == 0)
            throw Error(what + ": \"" + e + "\" is not of the form KEY=VALUE", EINVAL);
        auto same_key = [&](const std::string& o) { return o.size() > eq && o.compare(0, eq + 1, e, 0, eq + 1) == 0; };
        auto it = std::find_if(out.begin(), out.end(), same_key);
        if (it != out.end()) *it = e;
        else out.push_back(e);
    }
    return out;
}

spec::Process process_for_exec(const spec::Process& base, const ExecFlags& f, std::vector<std::string>* warnings) {
    spec::Process p = base;
    if (f.args.empty() || f.args[0].empty()) throw Error("exec: process args cannot be empty", EINVAL);
    p.args = f.args;
    if (!f.cwd.empty()) {
        if (f.cwd[0] != '/') throw Error("--cwd: \"" + f.cwd + "\" must be an absolute path", EINVAL);
        p.cwd = f.cwd;
    }
    if (!f.caps.empty()) {
        if (!p.capabilities) p.capabilities = spec::Capabilities{};
        for (const auto& name : f.caps) {
            int n = spec::capability_number(name);
            if (n < 0) {
                // runc and crun warn and go on (a client may pass a name its
                // kernel or runtime does not know); the config's
                // capabilities stay strict (spec.cpp).
                if (warnings)
                    warnings->push_back("--cap: unknown capability \"" + name + "\" ignored (as runc and crun do)");
                continue;
            }
            // Not inheritable: runc 1.1.2 stopped that (CVE-2022-29162).
            add_unique(p.capabilities->bounding, n);
            add_unique(p.capabilities->effective, n);
            add_unique(p.capabilities->permitted, n);
            add_unique(p.capabilities->ambient, n);
        }
    }
    std::vector<std::string> env = p.env;
    env.insert(env.end(), f.env.begin(), f.env.end());
    p.env = merge_env(env, "--env");
    p.terminal = f.tty;
    if (f.no_new_privs) p.no_new_privileges = *f.no_new_privs;
    if (!f.apparmor.empty()) p.apparmor_profile = f.apparmor;
    if (!f.process_label.empty()) p.selinux_label = f.process_label;
    if (!f.user.empty()) {
        auto [uid, gid] = parse_exec_user(f.user);
        p.user.uid = uid;
        if (gid) p.user.gid = *gid;
    }
    for (const auto& g : f.additional_gids) {
        auto gid = to_id(g);
        if (!gid) throw Error("--additional-gids: \"" + g + "\" must be a non-negative number", EINVAL);
        p.user.additional_gids.push_back(*gid);
    }
    return p;
}

}  // namespace berth
