// What client_fixtures_test and probe_fixtures_test both need to run a
// client's config.json here: the rlimit names clients set, and whether a bind
// destination the rootfs lacks must be made as a file.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::test {

// RLIMIT_* name -> resource, for the ones clients set; -1 when unknown.
inline int rlimit_resource(const std::string& type) {
    static const std::vector<std::pair<std::string, int>> t = {
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_STACK", RLIMIT_STACK},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    };
    for (const auto& [n, r] : t)
        if (n == type) return r;
    return -1;
}

// The clients bind files (/etc/hosts, resolv.conf...) from their own dirs,
// which the test replaces: a destination that is not in the rootfs is made as
// a file when its name says so.
inline bool looks_like_a_file(const std::string& rootfs, const std::string& destination) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path in_root = fs::path(rootfs) / fs::path(destination).relative_path();
    if (fs::exists(in_root, ec)) return !fs::is_directory(in_root, ec);
    const std::string base = fs::path(destination).filename().string();
    return base.find('.') != std::string::npos || base == "hosts" || base == "hostname" || base == "resolv.conf";
}

// A client's rlimits above this machine's hard limits cannot be set (no
// CAP_SYS_RESOURCE here): lowered to what the host allows.
inline void fit_rlimits_to_host(nlohmann::json& cfg) {
    if (!cfg["process"].contains("rlimits")) return;
    for (auto& rl : cfg["process"]["rlimits"]) {
        int res = rlimit_resource(rl.value("type", ""));
        struct rlimit cur {};
        if (res < 0 || getrlimit(res, &cur) != 0 || cur.rlim_max == RLIM_INFINITY) continue;
        rl["hard"] = std::min<uint64_t>(rl.value("hard", uint64_t{0}), cur.rlim_max);
        rl["soft"] = std::min<uint64_t>(rl.value("soft", uint64_t{0}), rl["hard"].get<uint64_t>());
    }
}

// Hooks of the client's own (docker's libnetwork-setkey via /proc/PID/exe,
// binaries this host lacks) cannot run here: dropped.
inline void drop_missing_hooks(nlohmann::json& cfg) {
    if (!cfg.contains("hooks")) return;
    for (auto& [stage, list] : cfg["hooks"].items()) {
        nlohmann::json kept = nlohmann::json::array();
        for (auto& h : list) {
            const std::string path = h.value("path", "");
            if (path.rfind("/proc/", 0) == 0 || !std::filesystem::exists(path)) continue;
            kept.push_back(h);
        }
        list = kept;
    }
}

// Bind sources from the client's own dirs do not exist here: each missing one
// becomes a stand-in under `dir`, a file or a directory as the destination
// needs.
inline void stand_in_missing_bind_sources(nlohmann::json& cfg, const std::string& rootfs, const std::string& dir) {
    if (!cfg.contains("mounts")) return;
    int n = 0;
    for (auto& m : cfg["mounts"]) {
        const auto opts = m.value("options", std::vector<std::string>{});
        const bool bind = m.value("type", "") == "bind" || std::find(opts.begin(), opts.end(), "bind") != opts.end() ||
                          std::find(opts.begin(), opts.end(), "rbind") != opts.end();
        if (!bind || std::filesystem::exists(m.value("source", ""))) continue;
        const std::string stand_in = dir + "/" + std::to_string(n++);
        if (looks_like_a_file(rootfs, m.value("destination", ""))) std::ofstream(stand_in) << "";
        else std::filesystem::create_directories(stand_in);
        m["source"] = stand_in;
    }
}

}  // namespace berth::test
