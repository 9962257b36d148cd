// The config `berth spec` writes: the same defaults as `runc spec`, so that a
// bundle made for one runs on the other.
#include <nlohmann/json.hpp>

#include "spec/spec.hpp"

namespace berth::spec {

std::string default_spec_json() {
    using json = nlohmann::json;
    const json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    json j = {
        {"ociVersion", BERTH_OCI_VERSION},
        {"process",
         {{"terminal", true},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", {"sh"}},
          {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
          {"cwd", "/"},
          {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
          {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
          {"noNewPrivileges", true}}},
        {"root", {{"path", "rootfs"}, {"readonly", true}}},
        {"hostname", "berth"},
        {"mounts",
         {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
          {{"destination", "/dev"},
           {"type", "tmpfs"},
           {"source", "tmpfs"},
           {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
          {{"destination", "/dev/pts"},
           {"type", "devpts"},
           {"source", "devpts"},
           {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
          {{"destination", "/dev/shm"},
           {"type", "tmpfs"},
           {"source", "shm"},
           {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
          {{"destination", "/dev/mqueue"},
           {"type", "mqueue"},
           {"source", "mqueue"},
           {"options", {"nosuid", "noexec", "nodev"}}},
          {{"destination", "/sys"},
           {"type", "sysfs"},
           {"source", "sysfs"},
           {"options", {"nosuid", "noexec", "nodev", "ro"}}},
          {{"destination", "/sys/fs/cgroup"},
           {"type", "cgroup"},
           {"source", "cgroup"},
           {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}}}},
        {"linux",
         {{"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
          {"namespaces",
           {{{"type", "pid"}},
            {{"type", "network"}},
            {{"type", "ipc"}},
            {{"type", "uts"}},
            {{"type", "mount"}},
            {{"type", "cgroup"}}}},
          {"maskedPaths",
           {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
            "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
          {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}},
    };
    return j.dump(4) + "\n";
}

}  // namespace berth::spec

namespace berth::spec {

std::string rootless_spec_json(unsigned uid, unsigned gid) {
    using json = nlohmann::json;
    json j = json::parse(default_spec_json());
    json namespaces = json::array();
    for (const auto& ns : j["linux"]["namespaces"])
        // A new network namespace would have no device an unprivileged user
        // could set up; the user namespace is what makes the rest possible.
        if (ns["type"] != "network" && ns["type"] != "user") namespaces.push_back(ns);
    namespaces.push_back({{"type", "user"}});
    j["linux"]["namespaces"] = namespaces;
    j["linux"]["uidMappings"] = json::array({{{"containerID", 0}, {"hostID", uid}, {"size", 1}}});
    j["linux"]["gidMappings"] = json::array({{{"containerID", 0}, {"hostID", gid}, {"size", 1}}});
    json mounts = json::array();
    for (auto m : j["mounts"]) {
        // sysfs cannot be mounted without owning the network namespace.
        if (m["destination"] == "/sys") {
            mounts.push_back({{"destination", "/sys"},
                              {"type", "none"},
                              {"source", "/sys"},
                              {"options", {"rbind", "nosuid", "noexec", "nodev", "ro"}}});
            continue;
        }
        // Only the one mapped uid and gid exist in the container.
        if (m.contains("options")) {
            json opts = json::array();
            for (const auto& o : m["options"]) {
                const std::string s = o.get<std::string>();
                if (s.rfind("uid=", 0) != 0 && s.rfind("gid=", 0) != 0) opts.push_back(o);
            }
            m["options"] = opts;
        }
        mounts.push_back(m);
    }
    j["mounts"] = mounts;
    // An unprivileged user cannot write cgroup limits.
    j["linux"].erase("resources");
    return j.dump(4) + "\n";
}

}  // namespace berth::spec
