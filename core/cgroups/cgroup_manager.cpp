#include "cgroups/cgroup_manager.hpp"
#include "cgroups/unified_resources.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>

#include "cgroups/systemd/systemd_scope.hpp"
#include "errors/error.hpp"
#include "log/log.hpp"
#include "util/fault_point.hpp"
#include "util/files.hpp"

namespace berth {

using json = nlohmann::json;

std::string to_string(CgroupMode m) {
    switch (m) {
        case CgroupMode::Unified: return "unified";
        case CgroupMode::Hybrid: return "hybrid";
        case CgroupMode::Legacy: return "legacy";
    }
    return "?";
}

json CgroupPaths::to_json() const {
    json j = {{"mode", to_string(mode)}, {"unified", unified},  {"v1", v1}, {"created", created}, {"prune", prune},
              {"planned", planned},      {"existing", existing}};
    if (!systemd_unit.empty()) {
        j["systemdUnit"] = systemd_unit;
        j["systemdCgroupId"] = systemd_cgroup_id;
    }
    return j;
}

// state.json's "cgroup": delete kills what these directories hold and removes
// them, so a corrupt entry is refused, never guessed.
CgroupPaths CgroupPaths::from_json(const json& j) {
    auto fail = [](const std::string& field, const std::string& msg) -> void {
        throw Error("cgroup." + field + ": " + msg);
    };
    auto path = [&](const json& v, const std::string& field) {
        if (!v.is_string()) fail(field, "must be a string");
        std::string p = v.get<std::string>();
        if (!p.empty() && p[0] != '/') fail(field, "\"" + p + "\" must be an absolute path");
        return p;
    };
    auto paths = [&](const char* key) {
        std::vector<std::string> out;
        auto it = j.find(key);
        if (it == j.end()) return out;
        if (!it->is_array()) fail(key, "must be an array");
        for (size_t i = 0; i < it->size(); ++i)
            out.push_back(path((*it)[i], std::string(key) + "[" + std::to_string(i) + "]"));
        return out;
    };
    if (!j.is_object()) throw Error("cgroup: must be an object");
    CgroupPaths p;
    std::string m = "unified";
    if (auto it = j.find("mode"); it != j.end()) {
        if (!it->is_string()) fail("mode", "must be a string");
        m = it->get<std::string>();
    }
    if (m == "unified") p.mode = CgroupMode::Unified;
    else if (m == "hybrid") p.mode = CgroupMode::Hybrid;
    else if (m == "legacy") p.mode = CgroupMode::Legacy;
    else fail("mode", "unknown mode \"" + m + "\"");
    if (auto it = j.find("unified"); it != j.end()) p.unified = path(*it, "unified");
    if (auto it = j.find("v1"); it != j.end()) {
        if (!it->is_object()) fail("v1", "must be an object");
        for (auto& [ctrl, dir] : it->items()) p.v1[ctrl] = path(dir, "v1." + ctrl);
    }
    p.created = paths("created");
    p.prune = paths("prune");
    p.planned = paths("planned");
    p.existing = paths("existing");
    if (auto it = j.find("systemdUnit"); it != j.end()) {
        // StopUnit is given this name: only a scope of the container's own.
        if (!it->is_string()) fail("systemdUnit", "must be a string");
        p.systemd_unit = it->get<std::string>();
        const std::string sfx = ".scope";
        if (p.systemd_unit.size() <= sfx.size() ||
            p.systemd_unit.compare(p.systemd_unit.size() - sfx.size(), sfx.size(), sfx) != 0 ||
            p.systemd_unit.find_first_of("/ \n") != std::string::npos)
            fail("systemdUnit", "\"" + p.systemd_unit + "\" must be a scope unit name");
        // ... and the one whose directory is the container's.
        if (std::filesystem::path(p.unified).filename() != p.systemd_unit)
            fail("systemdUnit", "\"" + p.systemd_unit + "\" is not the unit of " + p.unified);
        auto id = j.find("systemdCgroupId");
        if (id == j.end() || !id->is_number_unsigned() || id->get<uint64_t>() == 0)
            fail("systemdCgroupId", "must be a cgroup id");
        p.systemd_cgroup_id = id->get<uint64_t>();
    }
    return p;
}

std::string CgroupPaths::procs_dir() const {
    if (!unified.empty()) return unified;
    if (auto it = v1.find("pids"); it != v1.end()) return it->second;
    return v1.empty() ? "" : v1.begin()->second;
}

CgroupLayout parse_cgroup_layout(const std::string& mountinfo, const std::string& self_cgroup) {
    CgroupLayout l;
    bool sys_fs_cgroup_is_v2 = false, v1_controllers = false;
    std::istringstream in(mountinfo);
    std::string line;
    while (std::getline(in, line)) {
        // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
        std::istringstream ls(line);
        std::string id, parent, dev, root, mountpoint, opts, tok;
        ls >> id >> parent >> dev >> root >> mountpoint >> opts;
        while (ls >> tok && tok != "-") {
        }
        std::string fstype, source, super;
        ls >> fstype >> source >> super;
        if (fstype == "cgroup2") {
            if (l.unified_mount.empty() || mountpoint == "/sys/fs/cgroup") l.unified_mount = mountpoint;
            if (mountpoint == "/sys/fs/cgroup") sys_fs_cgroup_is_v2 = true;
        } else if (fstype == "cgroup") {
            std::istringstream ss(super);
            std::string o;
            // Super options mix controllers with flags of the hierarchy. A
            // named hierarchy is one too, keyed "name=systemd" as
            // /proc/self/cgroup lists it; other valued options
            // (release_agent=) are not.
            static const std::set<std::string> kNotControllers = {"rw",        "ro",   "clone_children", "xattr",
                                                                  "noprefix",  "none", "cpuset_v2_mode", "favordynmods",
                                                                  "nsdelegate"};
            while (std::getline(ss, o, ',')) {
                const bool named = o.rfind("name=", 0) == 0;
                if (kNotControllers.count(o) || (!named && o.find('=') != std::string::npos) || l.v1_mounts.count(o))
                    continue;
                l.v1_mounts[o] = mountpoint;
                v1_controllers |= !named;
            }
        }
    }
    // Named hierarchies alone leave the controllers, and the freezer, to v2.
    if (sys_fs_cgroup_is_v2 || !v1_controllers) {
        l.mode = CgroupMode::Unified;
        l.v1_mounts.clear();
    } else {
        l.mode = l.unified_mount.empty() ? CgroupMode::Legacy : CgroupMode::Hybrid;
    }
    std::istringstream cg(self_cgroup);
    while (std::getline(cg, line)) {
        // hierarchy-id:controller-list:path
        size_t a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        if (ctrls.empty()) {
            l.own_unified = path;
            continue;
        }
        std::istringstream cs(ctrls);
        std::string c;
        while (std::getline(cs, c, ',')) l.own_v1[c] = path;
    }
    return l;
}

CgroupPaths with_sub_cgroups(const CgroupPaths& paths, const std::vector<std::string>& specs) {
    CgroupPaths out = paths;
    if (specs.empty()) return out;
    std::map<std::string, std::string> sub;  // controller ("" for all) → path
    for (const std::string& spec : specs) {
        const std::string flag = "--cgroup \"" + spec + "\": ";
        const size_t colon = spec.find(':');
        std::string path = colon == std::string::npos ? spec : spec.substr(colon + 1);
        while (!path.empty() && path.front() == '/') path.erase(0, 1);
        while (!path.empty() && path.back() == '/') path.pop_back();
        if (path.empty()) throw Error(flag + "no sub-cgroup path", EINVAL);
        for (size_t start = 0; start <= path.size();) {
            size_t end = path.find('/', start);
            if (end == std::string::npos) end = path.size();
            if (path.compare(start, end - start, "..") == 0)
                throw Error(flag + "the path may not contain \"..\"", EINVAL);
            start = end + 1;
        }
        if (colon == std::string::npos) {
            if (specs.size() != 1)
                throw Error(flag + "a path without a controller must be the only --cgroup (as runc)", EINVAL);
            sub[""] = path;
            continue;
        }
        if (paths.mode == CgroupMode::Unified)
            throw Error(flag + "cgroup v2 has one hierarchy: give the path alone, without controllers", EINVAL);
        std::istringstream controllers(spec.substr(0, colon));
        std::string c;
        bool any = false;
        while (std::getline(controllers, c, ',')) {
            if (c.empty()) continue;
            any = true;
            if (!paths.v1.count(c))
                throw Error(flag + "the container has no cgroup v1 hierarchy for \"" + c + "\"", EINVAL);
            if (sub.count(c)) throw Error(flag + "a second path for \"" + c + "\"", EINVAL);
            sub[c] = path;
        }
        if (!any) throw Error(flag + "no controller before the colon", EINVAL);
    }
    if (auto all = sub.find(""); all != sub.end()) {
        if (!out.unified.empty()) out.unified += "/" + all->second;
        for (auto& [key, dir] : out.v1) dir += "/" + all->second;
        return out;
    }
    // Co-mounted controllers (cpu,cpuacct) share a directory: the process
    // can be in one cgroup of a hierarchy only, so they move together.
    std::map<std::string, std::string> by_dir;  // the container's dir → sub path
    for (const auto& [key, path] : sub) {
        const std::string& dir = paths.v1.at(key);
        auto [it, fresh] = by_dir.emplace(dir, path);
        if (!fresh && it->second != path)
            throw Error("--cgroup: \"" + key + "\" shares its hierarchy with another controller given another path",
                        EINVAL);
    }
    for (auto& [key, dir] : out.v1)
        if (auto it = by_dir.find(paths.v1.at(key)); it != by_dir.end()) dir += "/" + it->second;
    return out;
}

CgroupLayout detect_cgroup_layout() {
    return parse_cgroup_layout(read_file("/proc/self/mountinfo"), read_file("/proc/self/cgroup"));
}

// The controllers linux.resources.unified names (validate has checked the
// keys; a key it would refuse names no controller here).
static std::set<std::string> unified_controllers(const Resources& r) {
    std::set<std::string> out;
    const json raw = json::parse(r.json, nullptr, false);
    try {
        for (auto& [key, value] : unified_entries(raw)) out.insert(unified_key_controller(key));
    } catch (const Error&) {
    }
    return out;
}

std::vector<CgroupSubsystem*> CgroupManager::wanted(const Resources& r) const {
    // A plugin whose controller a unified key names is wanted too: its
    // controller must be enabled for the key's file to exist.
    const auto by_unified = unified_controllers(r);
    std::vector<CgroupSubsystem*> out;
    for (auto* s : subsystems_)
        if (s->wants(r) || by_unified.count(s->controller())) out.push_back(s);
    return out;
}

// Hybrid hosts: a controller with no v1 hierarchy that is bound to the
// cgroup2 mount instead (hugetlb on this project's hosts) is served there,
// through the subsystem's v2 writer, in the container's unified directory.
static bool served_on_unified(const CgroupLayout& l, const CgroupSubsystem* s) {
    if (l.mode != CgroupMode::Hybrid || l.unified_mount.empty() || l.v1_mounts.count(s->v1_controller())) return false;
    try {
        std::istringstream in(read_file(l.unified_mount + "/cgroup.controllers"));
        std::string tok;
        while (in >> tok)
            if (tok == s->controller()) return true;
    } catch (const Error&) {
    }
    return false;
}

void CgroupManager::validate(const Resources& r) const {
    std::set<std::string> loaded;
    for (auto* s : subsystems_) loaded.insert(s->controller());
    // A resource no loaded plugin serves would silently go unenforced.
    auto need = [&](bool set, const char* field, const char* controller) {
        if (set && !loaded.count(controller))
            throw Error(std::string("linux.resources.") + field + ": no active plugin handles the \"" + controller +
                        "\" controller (the cgroup-" + controller +
                        " plugin does: enable it in the plugin config or --plugins)");
    };
    // Zero asks for nothing (runc; docker sends zeros for what it leaves alone).
    auto set = [](const auto& v) { return v && *v != 0; };
    need(r.pids && set(r.pids->limit), "pids", "pids");
    need(
        r.memory && (set(r.memory->limit) || set(r.memory->reservation) || set(r.memory->swap) || r.memory->swappiness),
        "memory", "memory");
    need(r.cpu && (set(r.cpu->shares) || set(r.cpu->quota) || set(r.cpu->period)), "cpu", "cpu");
    // The other controllers' resources: a loaded plugin must want the
    // request, or it would go unenforced. The device allowlist is a security
    // boundary: without the plugin a deny-all rule would leave every device
    // open, so it is refused like the rest.
    static const struct {
        const char* field;
        const char* controller;
        bool (*asks)(const Resources&);
    } kOther[] = {
        {"blockIO", "io", [](const Resources& res) { return res.block_io.has_value(); }},
        {"hugepageLimits", "hugetlb", [](const Resources& res) { return !res.hugepage_limits.empty(); }},
        {"network", "net_cls", [](const Resources& res) { return res.network.has_value(); }},
        {"rdma", "rdma", [](const Resources& res) { return !res.rdma.empty(); }},
        {"devices", "devices", [](const Resources& res) { return !res.devices.empty(); }},
    };
    auto served_by = [&](const std::string& field, const char* controller) {
        bool served = false;
        for (auto* s : subsystems_) served |= std::string(s->controller()) == controller && s->wants(r);
        if (!served)
            throw Error("linux.resources." + field + ": no loaded plugin handles it (it needs a plugin for the \"" +
                        controller + "\" controller, e.g. cgroup-" + controller + ")");
    };
    for (const auto& o : kOther)
        if (o.asks(r)) served_by(o.field, o.controller);
    // The fields beyond CpuResources and MemoryResources: a plugin for the
    // controller serves them when its wants() says so. Zero, "" and false
    // ask for nothing.
    if (r.cpuset) {
        if (!r.cpuset->cpus.value_or("").empty()) served_by("cpu.cpus", "cpuset");
        if (!r.cpuset->mems.value_or("").empty()) served_by("cpu.mems", "cpuset");
    }
    if (const auto& c = r.cpu_extras) {
        if (set(c->realtime_runtime)) served_by("cpu.realtimeRuntime", "cpu");
        if (set(c->realtime_period)) served_by("cpu.realtimePeriod", "cpu");
        if (set(c->idle)) served_by("cpu.idle", "cpu");
        if (set(c->burst)) served_by("cpu.burst", "cpu");
    }
    if (const auto& m = r.memory_extras) {
        if (m->disable_oom_killer.value_or(false)) served_by("memory.disableOOMKiller", "memory");
        // useHierarchy true is every modern kernel's only mode: only false asks.
        if (m->use_hierarchy == false) served_by("memory.useHierarchy", "memory");
        if (set(m->kernel_tcp)) served_by("memory.kernelTCP", "memory");
        // As runc 1.1: kernel memory limits are deprecated, and kernels since
        // 6.1 reject them; berth neither sets nor refuses one, and says so.
        if (set(m->kernel))
            log_warning(
                "linux.resources.memory.kernel: kernel memory limits are ignored (deprecated; recent kernels "
                "refuse them)");
    }
    const json raw = json::parse(r.json, nullptr, false);
    validate_unified(raw);
    // The field a refusal below names: "linux.resources.network" rather than
    // "linux.resources" when the controller is one of kOther's.
    auto field_of = [&](const CgroupSubsystem* s) {
        for (const auto& o : kOther)
            if (std::string(s->controller()) == o.controller) return std::string("linux.resources.") + o.field;
        return std::string("linux.resources");
    };
    for (auto* s : wanted(r)) {
        Status st = s->validate(r);
        if (!st.ok()) throw Error(st.message, st.err);
        // v2 has no net_cls nor net_prio. runc's fs2 drops the request
        // silently; berth refuses it before anything is made.
        if (layout_.mode == CgroupMode::Unified && std::string(s->controller()) == "net_cls")
            throw Error(field_of(s) +
                        ": cgroup v2 has no net_cls nor net_prio controller (tag packets by cgroup path instead, "
                        "e.g. nftables \"socket cgroupv2\")");
        if (layout_.mode != CgroupMode::Unified && !layout_.v1_mounts.count(s->v1_controller()) &&
            !served_on_unified(layout_, s))
            throw Error(field_of(s) + ": the host has no cgroup v1 hierarchy for \"" + s->v1_controller() + "\"");
    }
}

// linux.resources.unified: each key is a v2 file of a controller an active
// plugin serves (the manager writes it, after that plugin's own values), or
// one of the core files a container may set. On v1 and hybrid hosts only a
// controller served on the cgroup2 mount (served_on_unified) may be named:
// the other controllers' files live in v1 hierarchies under other names.
void CgroupManager::validate_unified(const json& raw) const {
    for (auto& [key, value] : unified_entries(raw)) {
        const std::string field = unified_field(key);
        const std::string controller = unified_key_controller(key);
        if (controller == "cgroup") {
            if (layout_.mode != CgroupMode::Unified)
                throw Error(field +
                            ": invalid configuration: cannot use unified on cgroup v1 (the host's cgroups are " +
                            to_string(layout_.mode) + ")");
            continue;
        }
        // v2 has no devices files: its plugin attaches an eBPF program.
        if (controller == "devices")
            throw Error(field + ": cgroup v2 has no devices controller files (use linux.resources.devices)");
        const CgroupSubsystem* owner = nullptr;
        for (auto* s : subsystems_)
            if (controller == s->controller()) owner = s;
        if (!owner)
            throw Error(field + ": no active plugin serves controller \"" + controller + "\" (the cgroup-" +
                        controller + " plugin does: enable it in the plugin config or --plugins)");
        if (layout_.mode != CgroupMode::Unified && !served_on_unified(layout_, owner))
            throw Error(field + ": invalid configuration: cannot use unified on cgroup v1 (the host's cgroups are " +
                        to_string(layout_.mode) + " and \"" + controller + "\" is not on its cgroup2 mount)");
    }
}

// After the plugins' writes, so that a unified value wins over a structured
// one (runc's order). A value of several lines is written a line at a time,
// as the kernel takes one entry per write (io.max, rdma.max).
static void write_unified(const std::string& dir, const Resources& r) {
    const json raw = json::parse(r.json, nullptr, false);
    const CgroupDir cg(dir);
    for (auto& [key, value] : unified_entries(raw)) {
        const std::string field = unified_field(key);
        std::vector<std::string> lines;
        std::istringstream in(value);
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) lines.push_back(line);
        if (lines.empty()) lines.push_back(value);
        for (const std::string& line : lines) {
            Status st = cg.write(key, line);
            if (st.ok()) continue;
            if (st.err == ENOENT)
                throw Error(field + ": " + cg.file(key) +
                                " does not exist (the kernel has no such file, or its controller is not enabled)",
                            ENOENT);
            throw Error(field + ": " + st.message, st.err);
        }
    }
}

// The directories from just below a hierarchy's mount down to `leaf`,
// shallowest first: what create makes, plans and prepares level by level.
static std::vector<std::string> dirs_below(const std::string& mount, const std::string& leaf) {
    std::vector<std::string> dirs;
    for (size_t pos = mount.size(); pos < leaf.size();) {
        size_t next = leaf.find('/', pos + 1);
        if (next == std::string::npos) next = leaf.size();
        std::string dir = leaf.substr(0, next);
        pos = next;
        if (dir.size() <= mount.size() || dir.back() == '/') continue;
        dirs.push_back(std::move(dir));
    }
    return dirs;
}

static std::string join_path(const std::string& base, const std::string& rel) {
    if (rel.empty() || rel == "/") return base;
    if (rel[0] == '/') return base + rel;
    return base + "/" + rel;
}

CgroupPaths CgroupManager::plan(const std::string& cgroups_path, const std::string& id,
                                const std::string& default_parent) const {
    std::string rel = cgroups_path.empty() ? default_parent + "/" + id : cgroups_path;
    // delete kills everything in the container's cgroup: it must be a cgroup
    // of its own, never a hierarchy's root or the runtime's own cgroup.
    if (rel.find_first_not_of("/.") == std::string::npos)
        throw Error("linux.cgroupsPath: \"" + rel + "\" must name a cgroup of the container's own");
    if (rel.find(':') != std::string::npos)
        throw Error("linux.cgroupsPath: \"" + rel +
                    "\" looks like a systemd slice:prefix:name path; the systemd cgroup driver is not supported");
    for (size_t start = 0; start <= rel.size();) {
        size_t end = rel.find('/', start);
        if (end == std::string::npos) end = rel.size();
        if (rel.compare(start, end - start, "..") == 0)
            throw Error("linux.cgroupsPath: \"" + rel + "\" must not contain \"..\"");
        start = end + 1;
    }
    // Relative paths are relative to the runtime's own cgroup, as in runc.
    auto under = [&](const std::string& mount, const std::string& own) {
        return rel[0] == '/' ? join_path(mount, rel) : join_path(join_path(mount, own), rel);
    };
    CgroupPaths p;
    p.mode = layout_.mode;
    if (!layout_.unified_mount.empty()) p.unified = under(layout_.unified_mount, layout_.own_unified);
    // A default parent is ours: remove it with the last container in it.
    const bool prune_parent = cgroups_path.empty() && !default_parent.empty();
    if (prune_parent && !p.unified.empty()) p.prune.push_back(layout_.unified_mount + default_parent);
    // Every mounted v1 hierarchy, whatever the active plugins are (as runc
    // and crun): pause needs the freezer; cpuacct and blkio only account
    // (`events` reads cpu usage from cpuacct, and the clients read them from
    // the container's cgroup: containerd's task metrics, docker and podman
    // stats); and a container left at a hierarchy's root, name=systemd's or
    // one no plugin serves, could mount it from a user and a cgroup namespace
    // and reach its release_agent (CVE-2022-0492). Empty on a v2 host.
    for (auto& [key, mount] : layout_.v1_mounts) {
        auto own = layout_.own_v1.find(key);
        p.v1[key] = under(mount, own == layout_.own_v1.end() ? "/" : own->second);
        if (prune_parent) p.prune.push_back(mount + default_parent);
    }
    // Every directory below the mounts down to the leaves, shallowest first.
    auto look = [&](const std::string& mount, const std::string& leaf) {
        for (const std::string& dir : dirs_below(mount, leaf)) {
            auto& list = ::access(dir.c_str(), F_OK) == 0 ? p.existing : p.planned;
            if (std::find(list.begin(), list.end(), dir) == list.end()) list.push_back(dir);
        }
    };
    if (!p.unified.empty()) look(layout_.unified_mount, p.unified);
    for (auto& [ctrl, dir] : p.v1) look(layout_.v1_mounts.at(ctrl), dir);
    return p;
}

// mkdir -p below a hierarchy's mount, recording what it made so that delete
// removes only that. A crash point after each level ("<label>.<depth>",
// whether it was made or found) keeps the step names the same from run to run.
static void make_dirs(const std::string& mount, const std::string& path, const std::string& label,
                      std::vector<std::string>& created) {
    int depth = 0;
    for (const std::string& dir : dirs_below(mount, path)) {
        ++depth;
        // A delete may remove a shared parent (prune) between our mkdirs:
        // make it again.
        for (int attempt = 0;; ++attempt) {
            if (::mkdir(dir.c_str(), 0755) == 0) {
                created.push_back(dir);
                break;
            }
            if (errno == EEXIST) break;
            if (errno != ENOENT || attempt == 3) throw_errno("mkdir", dir);
            make_dirs(mount, dir.substr(0, dir.rfind('/')), label + ".again", created);
        }
        fault_point(("create.cgroup-dir." + label + "." + std::to_string(depth)).c_str());
    }
}

// v1 cpuset: a new directory starts with empty cpuset.cpus and cpuset.mems,
// and no task can join it (ENOSPC) nor can a child be given a CPU. Every
// directory from the mount down to the leaf that is empty gets its parent's
// lists, as runc's cpuset ensureParent does; a cpuset plugin then narrows
// the leaf's.
static void inherit_cpusets(const std::string& mount, const std::string& leaf) {
    std::string parent = mount;
    for (const std::string& dir : dirs_below(mount, leaf)) {
        for (const char* file : {"/cpuset.cpus", "/cpuset.mems"}) {
            const std::string own = dir + file;
            std::string value = read_file(own);
            if (value.find_first_not_of(" \n") != std::string::npos) continue;
            value = read_file(parent + file);
            if (value.find_first_not_of(" \n") == std::string::npos)
                continue;  // the parent's is empty too: the kernel says so on join
            write_existing_file(own, value);
        }
        parent = dir;
    }
}

static void enable_controllers(const std::string& mount, const std::string& dir,
                               const std::vector<CgroupSubsystem*>& subs) {
    if (subs.empty()) return;
    std::string available = read_file(mount + "/cgroup.controllers");
    std::string line;
    for (auto* s : subs) {
        std::string c = s->controller();
        // v2 has no devices controller to enable: its plugin attaches an
        // eBPF program to the cgroup instead.
        if (c == "devices") continue;
        std::istringstream in(available);
        std::string tok;
        bool found = false;
        while (in >> tok) found |= tok == c;
        if (!found) throw Error("cgroup controller \"" + c + "\" is not available in " + mount + "/cgroup.controllers");
        line += (line.empty() ? "+" : " +") + c;
    }
    if (line.empty()) return;
    // Every ancestor of the container's cgroup must delegate the controllers.
    // Only what is missing is written: a rootless caller may not write the
    // subtree_control of the ancestors above its delegated subtree, where
    // they are enabled already.
    auto enable_in = [&](const std::string& cg) {
        const std::string file = cg + "/cgroup.subtree_control";
        std::string enabled = " ";
        try {
            enabled += read_file(file) + " ";
        } catch (const Error&) {
        }
        for (char& ch : enabled)
            if (ch == '\n') ch = ' ';
        std::string missing;
        std::istringstream want(line);
        // The needle is appended piece by piece: GCC 12 at -O3 warns
        // (-Wrestrict, a false positive) on " " + std::string&&, and the
        // release build is -Werror.
        for (std::string tok; want >> tok;) {
            std::string needle(" ");
            needle.append(tok, 1).append(" ");
            if (enabled.find(needle) == std::string::npos) missing.append(missing.empty() ? "" : " ").append(tok);
        }
        if (missing.empty()) return;
        try {
            write_existing_file(file, missing);
        } catch (const Error& e) {
            throw Error("enable controllers (" + missing + ") in " + file + ": " + errno_text(e.err()), e.err());
        }
    };
    std::string cur = mount;
    std::string rest = dir.substr(mount.size());
    size_t pos = 1;
    while (pos < rest.size()) {
        size_t next = rest.find('/', pos);
        if (next == std::string::npos) break;  // the leaf itself is not an ancestor
        enable_in(cur);
        cur += rest.substr(pos - 1, next - pos + 1);
        pos = next + 1;
    }
    enable_in(cur);
}

namespace {

std::vector<std::string> leaves_of(const CgroupPaths& paths) {
    std::vector<std::string> leaves;
    if (!paths.unified.empty()) leaves.push_back(paths.unified);
    for (auto& [ctrl, dir] : paths.v1) leaves.push_back(dir);
    return leaves;
}

bool listed(const std::vector<std::string>& list, const std::string& d) {
    return std::find(list.begin(), list.end(), d) != list.end();
}

// What one of the container's leaves holds before create: pids, or none when
// the directory is missing.
std::vector<pid_t> procs_in(const std::string& dir) {
    std::vector<pid_t> out;
    std::string text;
    try {
        text = read_file(dir + "/cgroup.procs");
    } catch (const Error& e) {
        if (e.err() == ENOENT) return out;
        throw;
    }
    std::istringstream in(text);
    pid_t pid;
    while (in >> pid) out.push_back(pid);
    return out;
}

}  // namespace

void CgroupManager::refuse_shared(const CgroupPaths& paths, bool default_path) {
    // delete, kill --all and pause act on every process in the container's
    // cgroup: a cgroup that already holds processes (another container's,
    // given the same cgroupsPath) would make them act on those too. runc 1.2
    // refuses the same way.
    for (auto& leaf : leaves_of(paths)) {
        if (!listed(paths.existing, leaf)) continue;
        // The default, /<id>, is beside the host's own cgroups (system.slice,
        // init.scope, a session's): an id that names one of those would get
        // its limits, and delete, pause and kill --all would act on all that
        // is below it, where its own cgroup.procs may well be empty. A
        // container named so must be given its cgroupsPath. plan() looked
        // before create held the id: a container of this id that was being
        // deleted then has removed its cgroup since, and that is fine.
        if (default_path && ::access(leaf.c_str(), F_OK) == 0)
            throw Error("linux.cgroupsPath: not given, so the container's cgroup would be " + leaf +
                            ", which exists already and is not this container's: give the container a "
                            "linux.cgroupsPath of its own",
                        EEXIST);
        auto pids = procs_in(leaf);
        if (pids.empty()) continue;
        throw Error(
            "linux.cgroupsPath: cgroup " + leaf + " is not empty (" + std::to_string(pids.size()) +
            " process(es), pid " + std::to_string(pids.front()) +
            "): a container needs a cgroup of its own; berth does not share one with processes it did not start");
    }
}

// linux.resources.cpu's realtimeRuntime (when above 0) and realtimePeriod
// (0 when not given).
struct RealtimeAsk {
    int64_t runtime = 0;
    int64_t period = 0;
};
static std::optional<RealtimeAsk> realtime_ask(const Resources& r) {
    if (!r.cpu_extras) return std::nullopt;
    RealtimeAsk a{r.cpu_extras->realtime_runtime.value_or(0),
                  static_cast<int64_t>(r.cpu_extras->realtime_period.value_or(0))};
    if (a.runtime <= 0) return std::nullopt;
    return a;
}

// A v1 cgroup's realtime bandwidth as the kernel compares it: runtime/period
// in units of 2^-20 (to_ratio() in kernel/sched/core.c).
static uint64_t rt_ratio(int64_t runtime, int64_t period) {
    if (runtime <= 0 || period <= 0) return 0;
    return (static_cast<uint64_t>(runtime) << 20) / static_cast<uint64_t>(period);
}
static int64_t rt_value(const std::string& dir, const char* file) {
    std::string v = read_file(dir + "/" + file);
    return std::strtoll(v.c_str(), nullptr, 10);
}
static uint64_t rt_ratio_of(const std::string& dir) {
    return rt_ratio(rt_value(dir, "cpu.rt_runtime_us"), rt_value(dir, "cpu.rt_period_us"));
}

// v1 cpu: a new cgroup has no realtime budget (cpu.rt_runtime_us 0), and the
// kernel refuses a child a share of its period beyond what its parent's
// leaves, so a container asking for realtimeRuntime below a level berth
// made (a nested cgroupsPath, or the rootless default parent) failed with
// EINVAL where crun (which copies the budget down the chain it makes)
// succeeds. Each directory above the leaf that is berth's (made for this
// container, or a default parent) is raised, top down, to what its
// children then hold: the siblings' budgets and the leaf's request. Raised
// only as far as needed (crun copies the parent's whole budget, which would
// leave nothing for a second such parent), and only when realtime is asked
// for. A directory that existed before is someone else's: it and what is
// above it are left alone, and the kernel's refusal of the leaf names the
// field. A budget stays with berth's parent until that is removed with its
// last container.
static void give_realtime_budget(const std::string& mount, const std::string& leaf, const CgroupPaths& paths,
                                 const RealtimeAsk& ask) {
    std::vector<std::string> chain = dirs_below(mount, leaf);
    if (chain.empty() || chain.back() != leaf) return;
    chain.pop_back();
    auto ours = [&](const std::string& d) {
        return listed(paths.created, d) || listed(paths.planned, d) || listed(paths.prune, d);
    };
    // What each directory of the chain must hold, bottom up: the sum of its
    // children's ratios with the one on the chain at what it will hold.
    const int64_t leaf_period = ask.period > 0 ? ask.period : rt_value(leaf, "cpu.rt_period_us");
    uint64_t below = rt_ratio(ask.runtime, leaf_period);
    std::string child = leaf;
    std::vector<std::pair<std::string, uint64_t>> raise;  // bottom up
    for (auto it = chain.rbegin(); it != chain.rend() && ours(*it); ++it) {
        const std::string& dir = *it;
        uint64_t need = below;
        for (const auto& e : std::filesystem::directory_iterator(dir)) {
            if (!e.is_directory() || e.path().string() == child) continue;
            if (::access((e.path().string() + "/cpu.rt_runtime_us").c_str(), F_OK) == 0)
                need += rt_ratio_of(e.path().string());
        }
        const uint64_t held = rt_ratio_of(dir);
        if (need > held) raise.emplace_back(dir, need);
        below = std::max(need, held);
        child = dir;
    }
    for (auto it = raise.rbegin(); it != raise.rend(); ++it) {
        const auto& [dir, need] = *it;
        const uint64_t period = static_cast<uint64_t>(rt_value(dir, "cpu.rt_period_us"));
        // Rounded up: the kernel floors each ratio, so this one holds the sum.
        const uint64_t runtime = (need * period + (1u << 20) - 1) >> 20;
        try {
            write_existing_file(dir + "/cpu.rt_runtime_us", std::to_string(runtime));
        } catch (const Error& e) {
            throw Error("linux.resources.cpu.realtimeRuntime: give " + dir +
                            " the realtime budget its containers need (" + "cpu.rt_runtime_us " +
                            std::to_string(runtime) + " of " + std::to_string(period) + "): " + errno_text(e.err()) +
                            " (its parent's cpu.rt_runtime_us must leave room for it)",
                        e.err());
        }
    }
}

// Hybrid: the wanted subsystems served on the cgroup2 mount (served_on_unified)
// get their controller enabled on the ancestors and write their v2 files.
static void apply_on_unified_in_hybrid(const CgroupLayout& l, const CgroupPaths& paths,
                                       const std::vector<CgroupSubsystem*>& subs, const Resources& r) {
    std::vector<CgroupSubsystem*> on_unified;
    for (auto* s : subs)
        if (served_on_unified(l, s)) on_unified.push_back(s);
    if (on_unified.empty()) return;
    enable_controllers(l.unified_mount, paths.unified, on_unified);
    for (auto* s : on_unified) {
        Status st = s->apply_v2(CgroupDir(paths.unified), r);
        if (!st.ok()) throw Error(st.message, st.err);
    }
    write_unified(paths.unified, r);
}

void CgroupManager::create(CgroupPaths& paths, const Resources& r) const {
    auto subs = wanted(r);
    // On error the caller destroys what `paths.created` lists.
    {
        if (!paths.unified.empty()) {
            make_dirs(layout_.unified_mount, paths.unified, "unified", paths.created);
            if (layout_.mode == CgroupMode::Unified) {
                enable_controllers(layout_.unified_mount, paths.unified, subs);
                for (auto* s : subs) {
                    Status st = s->apply_v2(CgroupDir(paths.unified), r);
                    if (!st.ok()) throw Error(st.message, st.err);
                }
                write_unified(paths.unified, r);
                fault_point("create.cgroup-applied.unified");
            } else {
                apply_on_unified_in_hybrid(layout_, paths, subs, r);
            }
        }
        for (auto& [ctrl, dir] : paths.v1) {
            make_dirs(layout_.v1_mounts.at(ctrl), dir, ctrl, paths.created);
            if (ctrl == "cpuset") inherit_cpusets(layout_.v1_mounts.at(ctrl), dir);
            if (auto rt = realtime_ask(r); ctrl == "cpu" && rt)
                give_realtime_budget(layout_.v1_mounts.at(ctrl), dir, paths, *rt);
        }
        if (layout_.mode != CgroupMode::Unified) {
            for (auto* s : subs) {
                if (served_on_unified(layout_, s)) continue;
                Status st = s->apply_v1(CgroupDir(paths.v1.at(s->v1_controller())), r);
                if (!st.ok()) throw Error(st.message, st.err);
            }
            fault_point("create.cgroup-applied.v1");
        }
    }
}

void CgroupManager::join(const CgroupPaths& paths, pid_t pid, bool in_unified, bool in_v1) const {
    const std::string p = std::to_string(pid);
    if (!paths.unified.empty() && !in_unified) write_existing_file(paths.unified + "/cgroup.procs", p);
    if (in_v1) return;
    for (auto& [ctrl, dir] : paths.v1) write_existing_file(dir + "/cgroup.procs", p);
}

std::vector<std::string> CgroupManager::self_join_files(const CgroupPaths& paths) {
    std::vector<std::string> files;
    if (::geteuid() != 0) return files;
    for (const auto& [ctrl, dir] : paths.v1) files.push_back(dir + "/tasks");
    return files;
}

void CgroupManager::join_self(const std::vector<std::string>& tasks_files) {
    for (const std::string& tasks : tasks_files) write_existing_file(tasks, "0");
}

std::vector<pid_t> CgroupManager::pids(const CgroupPaths& paths) {
    const std::string dir = paths.procs_dir();
    return dir.empty() ? std::vector<pid_t>{} : procs_in(dir);
}

namespace {

void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000 * 1000};
    nanosleep(&ts, nullptr);
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// The v1 freezer directory, or "" when the container's cgroup is v2 (or has
// no freezer).
std::string v1_freezer(const CgroupPaths& paths) {
    if (paths.mode == CgroupMode::Unified) return "";
    auto it = paths.v1.find("freezer");
    return it == paths.v1.end() ? "" : it->second;
}

std::string freezer_dir(const CgroupPaths& paths) {
    if (paths.mode == CgroupMode::Unified && !paths.unified.empty()) return paths.unified;
    std::string d = v1_freezer(paths);
    if (d.empty()) throw Error("the container has no freezer cgroup (the host has no v1 freezer hierarchy)");
    return d;
}

// v2: cgroup.events says "frozen 1" once every task is frozen.
bool v2_events_frozen(const std::string& dir, bool want) {
    std::istringstream in(read_file(dir + "/cgroup.events"));
    std::string key, value;
    while (in >> key >> value)
        if (key == "frozen") return (value == "1") == want;
    throw Error(dir + "/cgroup.events: no \"frozen\" key (the kernel has no cgroup v2 freezer)");
}

// Polls `done` for up to ~10 s, as runc waits for the freezer.
template <typename Fn>
bool wait_until(Fn&& done) {
    for (int i = 0; i < 1000; ++i) {
        if (done()) return true;
        sleep_ms(i < 10 ? 1 : 10);
    }
    return done();
}

// Best effort, no waiting: the caller only needs SIGKILLed tasks to run.
void thaw_for_kill(const CgroupPaths& paths) {
    try {
        if (paths.mode == CgroupMode::Unified) {
            if (!paths.unified.empty() && ::access((paths.unified + "/cgroup.freeze").c_str(), F_OK) == 0)
                write_existing_file(paths.unified + "/cgroup.freeze", "0");
        } else if (std::string d = v1_freezer(paths);
                   !d.empty() && ::access((d + "/freezer.state").c_str(), F_OK) == 0) {
            write_existing_file(d + "/freezer.state", "THAWED");
        }
    } catch (const Error&) {
    }
}

}  // namespace

void CgroupManager::freeze(const CgroupPaths& paths) {
    const std::string dir = freezer_dir(paths);
    if (paths.mode == CgroupMode::Unified) {
        write_existing_file(dir + "/cgroup.freeze", "1");
        if (wait_until([&] { return v2_events_frozen(dir, true); })) return;
        thaw_for_kill(paths);
        throw Error("timeout waiting for " + dir + " to freeze (cgroup.events)", ETIMEDOUT);
    }
    // v1: a freeze that races with new tasks (fork, a concurrent exec) can
    // stay FREEZING; the kernel's advice, and runc's practice, is to write
    // FROZEN again, thawing now and then to let stragglers settle.
    const std::string state = dir + "/freezer.state";
    for (int attempt = 0; attempt < 1000; ++attempt) {
        if (attempt % 50 == 49) {
            write_existing_file(state, "THAWED");
            sleep_ms(10);
        }
        write_existing_file(state, "FROZEN");
        const std::string now = trimmed(read_file(state));
        if (now == "FROZEN") return;
        if (now != "FREEZING") throw Error(state + ": unexpected state \"" + now + "\" while freezing");
        if (attempt % 25 == 24) sleep_ms(1);
    }
    write_existing_file(state, "THAWED");
    throw Error("unable to freeze " + dir + " (tasks stayed FREEZING)", EBUSY);
}

void CgroupManager::thaw(const CgroupPaths& paths) {
    const std::string dir = freezer_dir(paths);
    if (paths.mode == CgroupMode::Unified) {
        write_existing_file(dir + "/cgroup.freeze", "0");
        if (!wait_until([&] { return v2_events_frozen(dir, false); }))
            throw Error("timeout waiting for " + dir + " to thaw (cgroup.events)", ETIMEDOUT);
        return;
    }
    const std::string state = dir + "/freezer.state";
    write_existing_file(state, "THAWED");
    if (!wait_until([&] { return trimmed(read_file(state)) == "THAWED"; }))
        throw Error("timeout waiting for " + dir + " to thaw (freezer.state)", ETIMEDOUT);
}

bool CgroupManager::frozen(const CgroupPaths& paths) {
    try {
        if (paths.mode == CgroupMode::Unified) {
            // The state asked for; pause waits for the kernel to reach it.
            return !paths.unified.empty() && trimmed(read_file(paths.unified + "/cgroup.freeze")) == "1";
        }
        const std::string d = v1_freezer(paths);
        if (d.empty()) return false;
        const std::string state = trimmed(read_file(d + "/freezer.state"));
        if (state == "THAWED") return false;
        // FROZEN because an ancestor is frozen is not our pause.
        if (::access((d + "/freezer.self_freezing").c_str(), F_OK) == 0)
            return trimmed(read_file(d + "/freezer.self_freezing")) == "1";
        return true;
    } catch (const Error&) {
        return false;  // the cgroup is gone: a stopped container
    }
}

void CgroupManager::update(const CgroupPaths& paths, const Resources& r) const {
    auto subs = wanted(r);
    if (paths.mode == CgroupMode::Unified) {
        if (paths.unified.empty()) throw Error("the container has no cgroup v2 directory to update");
        enable_controllers(layout_.unified_mount, paths.unified, subs);
        for (auto* s : subs) {
            Status st = s->apply_v2(CgroupDir(paths.unified), r);
            if (!st.ok()) throw Error(st.message, st.err);
        }
        write_unified(paths.unified, r);
        return;
    }
    if (!paths.unified.empty()) apply_on_unified_in_hybrid(layout_, paths, subs, r);
    if (auto rt = realtime_ask(r); rt && paths.v1.count("cpu") && layout_.v1_mounts.count("cpu"))
        give_realtime_budget(layout_.v1_mounts.at("cpu"), paths.v1.at("cpu"), paths, *rt);
    for (auto* s : subs) {
        if (served_on_unified(layout_, s)) continue;
        auto it = paths.v1.find(s->v1_controller());
        if (it == paths.v1.end())
            throw Error(std::string("linux.resources: the container has no cgroup in the v1 \"") + s->v1_controller() +
                        "\" hierarchy");
        Status st = s->apply_v1(CgroupDir(it->second), r);
        if (!st.ok()) throw Error(st.message, st.err);
    }
}

void CgroupManager::destroy(const CgroupPaths& paths, bool kill_members) {
    if (!paths.systemd_unit.empty()) {
        // Systemd removed the scope with its last process; a scope of the
        // same name now is another container's: neither killed nor stopped.
        struct stat sb;
        const bool there = ::stat(paths.unified.c_str(), &sb) == 0;
        if (!there || sb.st_ino != paths.systemd_cgroup_id) {
            if (there)
                log_warning("cgroup " + paths.unified + " is no longer the container's (" + paths.systemd_unit +
                            " was made again since): left alone");
            else systemd::SystemdScope::reset_failed(paths.systemd_unit);  // a failed scope keeps its name
            return;
        }
    }
    // Kill until empty: a process may fork while we read the list.
    for (int round = 0; kill_members && round < 200; ++round) {
        auto left = pids(paths);
        if (left.empty()) break;
        for (pid_t p : left) ::kill(p, SIGKILL);
        // A paused container's tasks die only once thawed (v1).
        if (round == 0) thaw_for_kill(paths);
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, nullptr);
    }
    // Without the kill, a paused container's init was killed frozen: thaw so
    // that it and its pid namespace go.
    if (!kill_members) thaw_for_kill(paths);
    // The directory is systemd's: stopping the unit removes it (and kills
    // what is left; a scope cannot be shared, systemd refuses a second one).
    if (!paths.systemd_unit.empty()) {
        systemd::SystemdScope::stop(paths.systemd_unit);
        return;
    }
    // Ours to remove: what we made, and what we planned to make (a crash may
    // have come before `created` was saved). What existed before is not,
    // unless we made it again after a concurrent delete pruned it.
    auto ours = [&](const std::string& d) {
        return std::find(paths.created.begin(), paths.created.end(), d) != paths.created.end() ||
               std::find(paths.existing.begin(), paths.existing.end(), d) == paths.existing.end();
    };
    // The leaves get a few more tries while exiting tasks leave them; the
    // ancestors we made may be shared with other containers, so one try each.
    const std::vector<std::string> leaves = leaves_of(paths);
    // Without the kill, a leaf still busy after init's pid namespace is gone
    // holds someone else's processes: one shared wait for all leaves, not
    // one per hierarchy.
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    const auto waited_ms = [&] {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
    };
    for (auto& d : leaves) {
        if (!ours(d)) continue;
        for (int i = 0;; ++i) {
            if (::rmdir(d.c_str()) == 0 || errno == ENOENT) break;
            if (errno != EBUSY) throw_errno("remove cgroup", d);
            if (!kill_members && waited_ms() >= 2000) {
                // Not ours to empty: another container was given this
                // cgroupsPath after this one stopped. runc leaves it too.
                auto left = procs_in(d);
                log_warning("cgroup " + d + " still holds " + std::to_string(left.size()) +
                            " process(es) that are not this container's" +
                            (left.empty() ? std::string() : " (pid " + std::to_string(left.front()) + ")") +
                            ": left in place");
                break;
            }
            if (kill_members && i == 199) throw_errno("remove cgroup", d);
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, nullptr);
        }
    }
    std::vector<std::string> ancestors = paths.created;
    ancestors.insert(ancestors.end(), paths.planned.begin(), paths.planned.end());
    // Deepest first, so that a parent is empty when its turn comes.
    auto depth = [](const std::string& d) { return std::count(d.begin(), d.end(), '/'); };
    std::stable_sort(ancestors.begin(), ancestors.end(), [&](auto& a, auto& b) { return depth(a) > depth(b); });
    // A directory is tried once: `created` and `planned` list the same ones,
    // and the default parent is in `prune` too (16 failing rmdirs a delete
    // on a hybrid host before).
    std::vector<std::string> tried;
    auto try_rmdir = [&](const std::string& d) {
        if (listed(tried, d)) return;
        tried.push_back(d);
        ::rmdir(d.c_str());
    };
    for (auto& d : ancestors)
        if (!listed(leaves, d) && ours(d)) try_rmdir(d);
    // berth's own default parent goes with its last container, whoever made it.
    for (auto& d : paths.prune) try_rmdir(d);
}

namespace {

// cpuacct's files as flat counters: cpuacct.usage (ns), cpuacct.stat.user and
// .system (USER_HZ ticks), and the per-cpu lists as cpuacct.usage_percpu.N
// (and _user/_sys where the kernel has them).
void read_cpuacct(const std::string& dir, std::map<std::string, uint64_t>& out) {
    const auto number = [&](const std::string& file, const std::string& text) {
        errno = 0;
        char* end = nullptr;
        const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
        if (errno || end == text.c_str() || *end)
            throw Error("parse " + dir + "/" + file + ": unexpected content \"" + text + "\"");
        return static_cast<uint64_t>(v);
    };
    out["cpuacct.usage"] = number("cpuacct.usage", trimmed(read_file(dir + "/cpuacct.usage")));
    for (const char* file : {"cpuacct.usage_percpu", "cpuacct.usage_percpu_user", "cpuacct.usage_percpu_sys"}) {
        const std::string path = dir + "/" + file;
        if (::access(path.c_str(), F_OK) != 0) continue;
        std::istringstream in(read_file(path));
        std::string tok;
        for (size_t i = 0; in >> tok; ++i) out[std::string(file) + "." + std::to_string(i)] = number(file, tok);
    }
    std::istringstream stat(read_file(dir + "/cpuacct.stat"));
    std::string key, value;
    while (stat >> key >> value) out["cpuacct.stat." + key] = number("cpuacct.stat", value);
}

}  // namespace

std::map<std::string, uint64_t> CgroupManager::stats(const CgroupPaths& paths) const {
    std::map<std::string, uint64_t> out;
    const bool unified = paths.mode == CgroupMode::Unified;
    const auto present = [](const std::string& dir) { return !dir.empty() && ::access(dir.c_str(), F_OK) == 0; };
    for (auto* s : subsystems_) {
        std::string dir;
        bool on_unified = unified;
        if (unified) {
            dir = paths.unified;
        } else if (auto it = paths.v1.find(s->v1_controller()); it != paths.v1.end()) {
            dir = it->second;
        } else if (served_on_unified(layout_, s)) {
            dir = paths.unified;
            on_unified = true;
        }
        if (!present(dir)) continue;
        CgroupStats st;
        Status status = s->stats(CgroupDir(dir), on_unified, &st);
        if (!status.ok())
            throw Error(std::string("stats of the \"") + s->controller() + "\" controller: " + status.message,
                        status.err);
        for (auto& [key, value] : st.values) out[key] = value;
    }
    if (!unified)
        if (auto it = paths.v1.find("cpuacct"); it != paths.v1.end() && present(it->second))
            read_cpuacct(it->second, out);
    return out;
}

}  // namespace berth
