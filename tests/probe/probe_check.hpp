// What berth-probe (tests/probe/probe.c) printed, checked against the config
// the container was created from: each difference as one line naming the
// field. A pure function, so that its rules have table tests of their own
// (tests/unit/probe_check_test.cpp) and the integration tests only gather
// the host-side facts it needs (ProbeHost).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::test {

struct ProbeHost {
    // readlink of /proc/self/ns/<kind> in the runtime's caller: a namespace
    // the config does not ask for is shared with it.
    std::map<std::string, std::string> namespaces;
    // readlink of each linux.namespaces[].path, read while it was alive.
    std::map<std::string, std::string> joined;
    // Bits of the capabilities the kernel knows (cap_last_cap).
    uint64_t known_caps = ~uint64_t{0};
    // The cgroup the container must be in, as the config's cgroupsPath.
    std::string cgroups_path;
};

inline int probe_cap_number(const std::string& name) {
    static const char* const kNames[] = {"CAP_CHOWN",
                                         "CAP_DAC_OVERRIDE",
                                         "CAP_DAC_READ_SEARCH",
                                         "CAP_FOWNER",
                                         "CAP_FSETID",
                                         "CAP_KILL",
                                         "CAP_SETGID",
                                         "CAP_SETUID",
                                         "CAP_SETPCAP",
                                         "CAP_LINUX_IMMUTABLE",
                                         "CAP_NET_BIND_SERVICE",
                                         "CAP_NET_BROADCAST",
                                         "CAP_NET_ADMIN",
                                         "CAP_NET_RAW",
                                         "CAP_IPC_LOCK",
                                         "CAP_IPC_OWNER",
                                         "CAP_SYS_MODULE",
                                         "CAP_SYS_RAWIO",
                                         "CAP_SYS_CHROOT",
                                         "CAP_SYS_PTRACE",
                                         "CAP_SYS_PACCT",
                                         "CAP_SYS_ADMIN",
                                         "CAP_SYS_BOOT",
                                         "CAP_SYS_NICE",
                                         "CAP_SYS_RESOURCE",
                                         "CAP_SYS_TIME",
                                         "CAP_SYS_TTY_CONFIG",
                                         "CAP_MKNOD",
                                         "CAP_LEASE",
                                         "CAP_AUDIT_WRITE",
                                         "CAP_AUDIT_CONTROL",
                                         "CAP_SETFCAP",
                                         "CAP_MAC_OVERRIDE",
                                         "CAP_MAC_ADMIN",
                                         "CAP_SYSLOG",
                                         "CAP_WAKE_ALARM",
                                         "CAP_BLOCK_SUSPEND",
                                         "CAP_AUDIT_READ",
                                         "CAP_PERFMON",
                                         "CAP_BPF",
                                         "CAP_CHECKPOINT_RESTORE"};
    for (int i = 0; i < static_cast<int>(sizeof kNames / sizeof kNames[0]); i++)
        if (name == kNames[i]) return i;
    return -1;
}

// The /proc/<pid>/ns name of a linux.namespaces[].type.
inline std::string probe_ns_kind(const std::string& type) {
    if (type == "network") return "net";
    if (type == "mount") return "mnt";
    return type;
}

inline std::vector<std::string> probe_mismatches(const nlohmann::json& config, const nlohmann::json& probe,
                                                 const ProbeHost& host) {
    using nlohmann::json;
    std::vector<std::string> out;
    auto differ = [&](const std::string& field, const auto& want, const auto& got) {
        std::ostringstream s;
        s << field << ": config asks for " << json(want).dump() << ", the container has " << json(got).dump();
        out.push_back(s.str());
    };
    auto check = [&](const std::string& field, const auto& want, const auto& got) {
        if (!(json(want) == json(got))) differ(field, want, got);
    };
    const json process = config.value("process", json::object());
    const json linux = config.value("linux", json::object());
    const json user = process.value("user", json::object());

    check("process.user.uid", user.value("uid", 0u), probe.value("uid", -1));
    check("process.user.uid (effective)", user.value("uid", 0u), probe.value("euid", -1));
    check("process.user.gid", user.value("gid", 0u), probe.value("gid", -1));
    check("process.user.gid (effective)", user.value("gid", 0u), probe.value("egid", -1));
    check("process.user.additionalGids", user.value("additionalGids", std::set<unsigned>{}),
          probe.value("groups", std::set<unsigned>{}));
    if (user.contains("umask")) check("process.user.umask", user["umask"], probe.value("umask", -1));
    else check("process.user.umask (runc's default 0022)", 022, probe.value("umask", -1));

    // The capabilities after the runtime's execve of the probe (a file
    // without capabilities), as the kernel computes them from the sets the
    // config asks for (capabilities(7)): ambient is kept only where also
    // permitted and inheritable; root gets bounding | inheritable as
    // permitted and effective, anyone else exactly its ambient set.
    const json caps = process.value("capabilities", json::object());
    auto mask = [&](const std::string& set) {
        uint64_t m = 0;
        for (const auto& c : caps.value(set, std::vector<std::string>{}))
            if (int n = probe_cap_number(c); n >= 0) m |= uint64_t{1} << n;
        return m & host.known_caps;
    };
    const uint64_t bnd = mask("bounding"), inh = mask("inheritable");
    const uint64_t amb = mask("ambient") & mask("permitted") & inh;
    const bool root = user.value("uid", 0u) == 0;
    const uint64_t prm = root ? (bnd | inh) : amb;
    for (const auto& [set, field, want] :
         std::vector<std::tuple<std::string, std::string, uint64_t>>{{"bounding", "CapBnd", bnd},
                                                                     {"effective", "CapEff", prm},
                                                                     {"permitted", "CapPrm", prm},
                                                                     {"inheritable", "CapInh", inh},
                                                                     {"ambient", "CapAmb", amb}}) {
        uint64_t got = std::stoull(probe.value(field, std::string("0")), nullptr, 16);
        if (want != got) {
            std::ostringstream s;
            s << "process.capabilities." << set << ": after exec the config means 0x" << std::hex << want << ", "
              << field << " is 0x" << got;
            out.push_back(s.str());
        }
    }
    check("process.noNewPrivileges", process.value("noNewPrivileges", false) ? 1 : 0, probe.value("NoNewPrivs", -1));
    if (linux.contains("seccomp")) {
        check("linux.seccomp (Seccomp mode)", 2, probe.value("Seccomp", -1));
        if (probe.value("Seccomp_filters", 0) < 1)
            differ("linux.seccomp (Seccomp_filters)", ">= 1", probe.value("Seccomp_filters", 0));
    } else {
        check("linux.seccomp absent (Seccomp mode)", 0, probe.value("Seccomp", -1));
    }
    for (const auto& rl : process.value("rlimits", json::array())) {
        const std::string type = rl.value("type", "");
        const json got = probe.value("rlimits", json::object()).value(type, json::object());
        check("process.rlimits " + type,
              json({{"soft", rl.value("soft", uint64_t{0})}, {"hard", rl.value("hard", uint64_t{0})}}), got);
    }
    if (process.contains("oomScoreAdj"))
        check("process.oomScoreAdj", process["oomScoreAdj"], probe.value("oom_score_adj", -1001));
    check("process.cwd", process.value("cwd", std::string("/")), probe.value("cwd", std::string()));
    std::set<std::string> env;
    for (const auto& e : probe.value("env", std::vector<std::string>{})) env.insert(e);
    bool home = false;
    for (const auto& e : process.value("env", std::vector<std::string>{})) {
        if (!env.count(e)) differ("process.env", e, "missing");
        home = home || e.rfind("HOME=", 0) == 0;
    }
    // Without HOME in the config the runtime sets one (runc: the user's from
    // the container's /etc/passwd, else "/").
    if (!home && std::none_of(env.begin(), env.end(), [](const std::string& e) { return e.rfind("HOME=/", 0) == 0; }))
        differ("process.env (no HOME: the runtime's)", "HOME=<the user's home or />", "no HOME");
    const bool terminal = process.value("terminal", false);
    check("process.terminal (isatty 0,1,2)", json({terminal, terminal, terminal}),
          probe.value("isatty", json::array()));

    // Namespaces: joined ones are the path's, new ones are not the caller's,
    // absent ones are the caller's.
    std::map<std::string, json> asked;
    for (const auto& ns : linux.value("namespaces", json::array())) asked[probe_ns_kind(ns.value("type", ""))] = ns;
    const json probe_ns = probe.value("namespaces", json::object());
    for (const auto& [kind, host_ns] : host.namespaces) {
        if (!probe_ns.contains(kind)) continue;
        const std::string got = probe_ns[kind];
        auto a = asked.find(kind);
        if (a == asked.end()) {
            check("linux.namespaces (no " + kind + ": the runtime's)", host_ns, got);
        } else if (a->second.contains("path")) {
            const std::string path = a->second["path"].get<std::string>();
            auto j = host.joined.find(path);
            check("linux.namespaces " + kind + " path " + path, j == host.joined.end() ? std::string("?") : j->second,
                  got);
        } else if (got == host_ns) {
            differ("linux.namespaces " + kind + " (a new one)", "not " + host_ns, got);
        }
    }
    const bool own_uts = asked.count("uts") && !asked["uts"].contains("path");
    if (own_uts && config.contains("hostname")) check("hostname", config["hostname"], probe.value("hostname", ""));
    if (own_uts && config.contains("domainname"))
        check("domainname", config["domainname"], probe.value("domainname", ""));

    // Mounts: a read-only root, masked paths empty, read-only paths not writable.
    if (config.value("root", json::object()).value("readonly", false)) {
        std::string opts;
        for (const auto& m : probe.value("mounts", json::array()))
            if (m.value("path", "") == "/") opts = m.value("options", "");
        if (("," + opts + ",").find(",ro,") == std::string::npos)
            differ("root.readonly", "/ mounted ro", "/ mounted " + opts);
    }
    const json paths = probe.value("paths", json::object());
    for (const auto& p : linux.value("maskedPaths", std::vector<std::string>{})) {
        const json got = paths.value(p, json::object());
        if (!got.value("exists", false)) continue;
        if (got.value("size", -1) != 0) differ("linux.maskedPaths " + p, "empty", got);
    }
    for (const auto& p : linux.value("readonlyPaths", std::vector<std::string>{})) {
        const json got = paths.value(p, json::object());
        if (got.value("exists", false) && got.value("writable", true))
            differ("linux.readonlyPaths " + p, "not writable", got);
    }

    // runtime-spec v1.2: scheduling, I/O priority, personality, memory policy.
    const json sched = process.value("scheduler", json::object());
    if (!sched.empty()) {
        static const std::map<std::string, int> policies = {{"SCHED_OTHER", 0}, {"SCHED_FIFO", 1},
                                                            {"SCHED_RR", 2},    {"SCHED_BATCH", 3},
                                                            {"SCHED_IDLE", 5},  {"SCHED_DEADLINE", 6}};
        const json got = probe.value("sched", json::object());
        auto it = policies.find(sched.value("policy", ""));
        check("process.scheduler.policy", it == policies.end() ? -1 : it->second, got.value("policy", -1));
        if (sched.contains("nice")) check("process.scheduler.nice", sched["nice"], got.value("nice", -100));
        if (sched.contains("priority"))
            check("process.scheduler.priority", sched["priority"], got.value("priority", -1));
    }
    const json io = process.value("ioPriority", json::object());
    if (!io.empty()) {
        static const std::map<std::string, int> classes = {
            {"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}};
        auto it = classes.find(io.value("class", ""));
        const json got = probe.value("ioprio", json::object());
        check("process.ioPriority.class", it == classes.end() ? -1 : it->second, got.value("class", -1));
        // The idle class has no levels (ioprio_get reports 7 there).
        if (io.value("class", "") != "IOPRIO_CLASS_IDLE")
            check("process.ioPriority.priority", io.value("priority", 0), got.value("priority", -1));
    }
    if (linux.contains("personality"))
        check("linux.personality.domain", linux["personality"].value("domain", "") == "LINUX32" ? 8 : 0,
              probe.value("personality", -1));
    if (linux.contains("memoryPolicy")) {
        static const std::map<std::string, int> modes = {{"MPOL_DEFAULT", 0},
                                                         {"MPOL_PREFERRED", 1},
                                                         {"MPOL_BIND", 2},
                                                         {"MPOL_INTERLEAVE", 3},
                                                         {"MPOL_LOCAL", 4},
                                                         {"MPOL_PREFERRED_MANY", 5},
                                                         {"MPOL_WEIGHTED_INTERLEAVE", 6}};
        auto it = modes.find(linux["memoryPolicy"].value("mode", ""));
        check("linux.memoryPolicy.mode", it == modes.end() ? -1 : it->second,
              probe.value("mempolicy", json::object()).value("mode", -1));
    }

    // cgroup: in a new cgroup namespace every hierarchy is its root; else the
    // container is in cgroupsPath (in the hierarchies berth manages).
    const std::vector<std::string> cgroups = probe.value("cgroup", std::vector<std::string>{});
    auto path_of = [](const std::string& line) {
        auto c = line.find(':', line.find(':') + 1);
        return c == std::string::npos ? std::string() : line.substr(c + 1);
    };
    if (asked.count("cgroup") && !asked["cgroup"].contains("path")) {
        for (const auto& l : cgroups)
            if (path_of(l) != "/") differ("linux.namespaces cgroup (a new one: every hierarchy at /)", "/", l);
    } else if (!host.cgroups_path.empty()) {
        bool in = false;
        for (const auto& l : cgroups) in = in || path_of(l) == host.cgroups_path;
        if (!in) differ("linux.cgroupsPath", host.cgroups_path, cgroups);
    }
    return out;
}

}  // namespace berth::test
