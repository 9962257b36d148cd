#include "spec/spec.hpp"

#include <sched.h>
#include <seccomp.h>
#include <sys/resource.h>
#include <sys/capability.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "berth/mount_options.hpp"
#include "errors/error.hpp"
#include "process/kernel_policies.hpp"
#include "log/log.hpp"
#include "util/files.hpp"
#include "util/json_depth.hpp"

namespace berth::spec {

// set_mempolicy(2) modes and mode flags.
const std::map<std::string, int>& memory_policy_modes() {
    static const std::map<std::string, int> t = {{"MPOL_DEFAULT", 0},
                                                 {"MPOL_PREFERRED", 1},
                                                 {"MPOL_BIND", 2},
                                                 {"MPOL_INTERLEAVE", 3},
                                                 {"MPOL_LOCAL", 4},
                                                 {"MPOL_PREFERRED_MANY", 5},
                                                 {"MPOL_WEIGHTED_INTERLEAVE", 6}};
    return t;
}

const std::map<std::string, int>& memory_policy_flags() {
    static const std::map<std::string, int> t = {
        {"MPOL_F_NUMA_BALANCING", 1 << 13}, {"MPOL_F_RELATIVE_NODES", 1 << 14}, {"MPOL_F_STATIC_NODES", 1 << 15}};
    return t;
}

namespace {

using json = nlohmann::json;

[[noreturn]] void fail(const std::string& field, const std::string& msg) { throw Error(field + ": " + msg); }

std::string type_name(const json& v) {
    if (v.is_string()) return "a string";
    if (v.is_boolean()) return "a boolean";
    if (v.is_number()) return "a number";
    if (v.is_array()) return "an array";
    if (v.is_object()) return "an object";
    return "null";
}

// A JSON value and the dotted path that names it in errors.
struct Field {
    const json* v;
    std::string path;

    std::string join(const char* key) const { return path.empty() ? key : path + "." + key; }

    // A member that is absent or null reads as nullopt.
    std::optional<Field> get(const char* key) const {
        object();
        auto it = v->find(key);
        if (it == v->end() || it->is_null()) return std::nullopt;
        return Field{&*it, join(key)};
    }
    Field need(const char* key) const {
        auto f = get(key);
        if (!f) fail(join(key), "is required");
        return *f;
    }

    const json& object() const {
        if (!v->is_object()) fail(path, "must be an object, not " + type_name(*v));
        return *v;
    }
    std::vector<Field> array() const {
        if (!v->is_array()) fail(path, "must be an array, not " + type_name(*v));
        std::vector<Field> out;
        for (size_t i = 0; i < v->size(); ++i) out.push_back({&(*v)[i], path + "[" + std::to_string(i) + "]"});
        return out;
    }
    std::string str() const {
        if (!v->is_string()) fail(path, "must be a string, not " + type_name(*v));
        // Every string ends up as a C string in some syscall, which would cut it there.
        const auto& s = v->get_ref<const std::string&>();
        if (s.find('\0') != std::string::npos) fail(path, "must not contain a NUL character");
        return s;
    }
    bool boolean() const {
        if (!v->is_boolean()) fail(path, "must be a boolean, not " + type_name(*v));
        return v->get<bool>();
    }
    int64_t i64() const {
        if (!v->is_number_integer()) fail(path, "must be an integer, not " + type_name(*v));
        if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
            fail(path, "is out of range");
        return v->get<int64_t>();
    }
    uint64_t u64() const {
        if (!v->is_number_integer()) fail(path, "must be an integer, not " + type_name(*v));
        if (!v->is_number_unsigned() && v->get<int64_t>() < 0) fail(path, "must not be negative");
        return v->get<uint64_t>();
    }
    uint32_t u32() const {
        uint64_t x = u64();
        if (x > std::numeric_limits<uint32_t>::max()) fail(path, "is out of range");
        return static_cast<uint32_t>(x);
    }
    std::vector<std::string> strings() const {
        std::vector<std::string> out;
        for (auto& f : array()) out.push_back(f.str());
        return out;
    }
    std::map<std::string, std::string> string_map() const {
        std::map<std::string, std::string> out;
        for (auto& [k, val] : object().items()) out[k] = Field{&val, path + "." + k}.str();
        return out;
    }
};

std::string absolute_path(const Field& f) {
    std::string p = f.str();
    if (p.empty() || p[0] != '/') fail(f.path, "must be an absolute path, not \"" + p + "\"");
    return p;
}

const std::map<std::string, int>& rlimit_table() {
    static const std::map<std::string, int> t = {
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
    };
    return t;
}

// A name of `table` for field `f`; fails naming the field and the choices.
template <typename T>
T named(const Field& f, const std::map<std::string, T>& table) {
    const std::string name = f.str();
    auto it = table.find(name);
    if (it != table.end()) return it->second;
    std::string choices;
    for (const auto& [k, v] : table) choices += (choices.empty() ? "" : ", ") + k;
    fail(f.path, "unknown value \"" + name + "\" (one of " + choices + ")");
}

// sched(7) and sched_setattr(2).
Scheduler parse_scheduler(const Field& f) {
    static const std::map<std::string, uint32_t> policies = {{"SCHED_OTHER", 0},   {"SCHED_FIFO", 1}, {"SCHED_RR", 2},
                                                             {"SCHED_BATCH", 3},   {"SCHED_ISO", 4},  {"SCHED_IDLE", 5},
                                                             {"SCHED_DEADLINE", 6}};
    static const std::map<std::string, uint64_t> flags = {
        {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},     {"SCHED_FLAG_DL_OVERRUN", 0x04},
        {"SCHED_FLAG_KEEP_POLICY", 0x08},   {"SCHED_FLAG_KEEP_PARAMS", 0x10}, {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
        {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}};
    Scheduler out;
    const Field policy = f.need("policy");
    out.policy = named(policy, policies);
    if (out.policy == 4) fail(policy.path, "SCHED_ISO is not implemented by Linux");
    if (auto n = f.get("nice")) {
        const int64_t v = n->i64();
        if (v < -20 || v > 19) fail(n->path, std::to_string(v) + " is outside [-20, 19]");
        out.nice = static_cast<int32_t>(v);
    }
    const bool realtime = out.policy == 1 || out.policy == 2;
    if (auto pr = f.get("priority")) {
        const int64_t v = pr->i64();
        if (realtime ? (v < 1 || v > 99) : v != 0)
            fail(pr->path, std::to_string(v) +
                               (realtime ? " is outside [1, 99]" : ": only SCHED_FIFO and SCHED_RR take a priority"));
        out.priority = static_cast<uint32_t>(v);
    } else if (realtime) {
        fail(f.join("priority"), "is required for " + policy.str());
    }
    if (auto fl = f.get("flags"))
        for (auto& flag : fl->array()) out.flags |= named(flag, flags);
    const bool deadline = out.policy == 6;
    for (auto [key, dst] : {std::pair{"runtime", &out.runtime}, {"deadline", &out.deadline}, {"period", &out.period}}) {
        auto v = f.get(key);
        if (!v) continue;
        if (!deadline) fail(v->path, "is for SCHED_DEADLINE only");
        *dst = v->u64();
    }
    if (deadline) {
        // sched_setattr(2): runtime <= deadline <= period (a period of 0 is the deadline).
        if (out.runtime == 0 || out.deadline == 0) fail(f.path, "SCHED_DEADLINE needs a runtime and a deadline");
        if (out.runtime > out.deadline) fail(f.join("runtime"), "must not exceed the deadline");
        if (out.period != 0 && out.deadline > out.period) fail(f.join("deadline"), "must not exceed the period");
    }
    return out;
}

// ioprio_set(2).
IoPriority parse_io_priority(const Field& f) {
    static const std::map<std::string, int> classes = {
        {"IOPRIO_CLASS_RT", 1}, {"IOPRIO_CLASS_BE", 2}, {"IOPRIO_CLASS_IDLE", 3}};
    IoPriority out;
    out.klass = named(f.need("class"), classes);
    if (auto pr = f.get("priority")) {
        const int64_t v = pr->i64();
        if (v < 0 || v > 7) fail(pr->path, std::to_string(v) + " is outside [0, 7]");
        out.priority = static_cast<int>(v);
    }
    return out;
}

Process parse_process(const Field& p) {
    p.object();
    Process out;
    if (auto f = p.get("terminal")) out.terminal = f->boolean();
    if (auto f = p.get("consoleSize")) out.console_size = {{f->need("height").u32(), f->need("width").u32()}};
    if (auto u = p.get("user")) {
        u->object();
        if (auto f = u->get("uid")) out.user.uid = f->u32();
        if (auto f = u->get("gid")) out.user.gid = f->u32();
        if (auto f = u->get("umask")) out.user.umask = f->u32();
        if (auto f = u->get("additionalGids"))
            for (auto& g : f->array()) out.user.additional_gids.push_back(g.u32());
        if (u->get("username")) fail(u->join("username"), "is for Windows containers");
    }
    auto args = p.need("args");
    out.args = args.strings();
    if (out.args.empty() || out.args[0].empty()) fail(args.path, "must name a program to run");
    if (auto f = p.get("env")) {
        auto items = f->array();
        for (auto& e : items) {
            std::string s = e.str();
            if (s.find('=') == std::string::npos || s[0] == '=')
                fail(e.path, "\"" + s + "\" is not of the form KEY=VALUE");
            out.env.push_back(std::move(s));
        }
    }
    out.cwd = absolute_path(p.need("cwd"));
    if (auto c = p.get("capabilities")) {
        c->object();
        Capabilities caps;
        auto set = [&](const char* key, std::vector<int>& dst) {
            auto f = c->get(key);
            if (!f) return;
            for (auto& name : f->array()) {
                int n = capability_number(name.str());
                if (n < 0) fail(name.path, "unknown capability \"" + name.str() + "\"");
                dst.push_back(n);
            }
        };
        set("bounding", caps.bounding);
        set("effective", caps.effective);
        set("inheritable", caps.inheritable);
        set("permitted", caps.permitted);
        set("ambient", caps.ambient);
        out.capabilities = caps;
    }
    if (auto f = p.get("rlimits")) {
        std::set<std::string> seen;
        for (auto& r : f->array()) {
            Rlimit rl;
            rl.type = r.need("type").str();
            auto it = rlimit_table().find(rl.type);
            if (it == rlimit_table().end()) fail(r.join("type"), "unknown rlimit \"" + rl.type + "\"");
            if (!seen.insert(rl.type).second) fail(r.join("type"), "duplicate rlimit \"" + rl.type + "\"");
            rl.resource = it->second;
            rl.soft = r.need("soft").u64();
            rl.hard = r.need("hard").u64();
            if (rl.soft > rl.hard)
                fail(r.path,
                     "soft limit " + std::to_string(rl.soft) + " is above hard limit " + std::to_string(rl.hard));
            out.rlimits.push_back(rl);
        }
    }
    if (auto f = p.get("noNewPrivileges")) out.no_new_privileges = f->boolean();
    if (auto f = p.get("oomScoreAdj")) {
        int64_t v = f->i64();
        if (v < -1000 || v > 1000) fail(f->path, std::to_string(v) + " is outside [-1000, 1000]");
        out.oom_score_adj = static_cast<int>(v);
    }
    if (auto f = p.get("apparmorProfile")) out.apparmor_profile = f->str();
    if (auto f = p.get("selinuxLabel")) out.selinux_label = f->str();
    if (auto f = p.get("scheduler")) out.scheduler = parse_scheduler(*f);
    if (auto f = p.get("ioPriority")) out.io_priority = parse_io_priority(*f);
    if (auto a = p.get("execCPUAffinity")) {
        a->object();
        for (auto [key, dst] :
             {std::pair{"initial", &out.exec_cpu_affinity.initial}, {"final", &out.exec_cpu_affinity.final}}) {
            auto v = a->get(key);
            if (!v || v->str().empty()) continue;  // the schema allows "": not set
            *dst = v->str();
            cpu_set_of(*dst, v->path);  // a list that names CPUs, checked now
        }
    }
    return out;
}

bool has_dotdot(const std::string& path) {
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        if (path.compare(start, end - start, "..") == 0) return true;
        start = end + 1;
    }
    return false;
}

std::vector<IdMapping> parse_id_mappings(const Field& f) {
    std::vector<IdMapping> out;
    for (auto& m : f.array()) {
        IdMapping x{m.need("containerID").u32(), m.need("hostID").u32(), m.need("size").u32()};
        if (x.size == 0) fail(m.join("size"), "must not be 0");
        out.push_back(x);
    }
    if (out.empty()) fail(f.path, "must not be empty");
    return out;
}

// uidMappings/gidMappings and the idmap/ridmap options of one mount. As
// runc 1.2: an idmapped mount is a bind; the mappings need no user
// namespace (they say which host ids the source's ids show as).
void parse_mount_idmap(const Field& m, Mount& mt) {
    for (size_t k = 0; k < mt.options.size(); ++k) {
        const std::string& o = mt.options[k];
        // runc ignores crun's form (a bind drops it as data); so does berth,
        // saying so. The option stays so that later indexes keep naming the
        // config's; the mounts plugin skips it (is_mount_option).
        if (is_crun_idmap_option(o))
            log_warning(m.join("options") + "[" + std::to_string(k) + "]: \"" + o +
                        "\": crun's idmap=uids=...;gids=... form is not supported and is ignored; use uidMappings "
                        "and gidMappings on the mount (" +
                        mt.destination + ")");
    }
    const unsigned extensions = parse_mount_options(mt.options).extensions;
    const bool idmap = extensions & (kIdmap | kRecursiveIdmap);
    mt.recursive_idmap = extensions & kRecursiveIdmap;
    auto uids = m.get("uidMappings"), gids = m.get("gidMappings");
    if (uids) mt.uid_mappings = parse_id_mappings(*uids);
    if (gids) mt.gid_mappings = parse_id_mappings(*gids);
    if (!uids && !gids && !idmap) return;
    const std::string field = m.join(uids ? "uidMappings" : gids ? "gidMappings" : "options");
    if (mt.type != "bind")
        fail(field,
             "idmapped mounts are bind mounts only, not type \"" + mt.type + "\" (mount " + mt.destination + ")");
    if (uids && !gids) fail(m.join("gidMappings"), "is required with uidMappings (mount " + mt.destination + ")");
    if (gids && !uids) fail(m.join("uidMappings"), "is required with gidMappings (mount " + mt.destination + ")");
}

std::vector<Mount> parse_mounts(const Field& f) {
    std::vector<Mount> out;
    for (auto& m : f.array()) {
        m.object();
        Mount mt;
        auto dest = m.need("destination");
        mt.destination = dest.str();
        if (mt.destination.empty()) fail(dest.path, "must not be empty");
        // runc accepts a relative destination as relative to the container's
        // /, and warns: so do we.
        if (mt.destination[0] != '/') {
            log_warning(dest.path + ": \"" + mt.destination + "\" is not absolute: taken as /" + mt.destination);
            mt.destination = "/" + mt.destination;
        }
        if (has_dotdot(mt.destination)) fail(dest.path, "\"" + mt.destination + "\" must not contain \"..\"");
        if (auto s = m.get("source")) mt.source = s->str();
        if (auto t = m.get("type")) mt.type = t->str();
        if (auto o = m.get("options")) mt.options = o->strings();
        if (parse_mount_options(mt.options).bind || mt.type == "bind" || mt.type == "rbind") {
            if (mt.type == "rbind") mt.options.push_back("rbind");
            mt.type = "bind";
            if (mt.source.empty()) fail(m.join("source"), "is required for a bind mount");
        }
        if (mt.type.empty()) fail(m.join("type"), "is required for mount " + mt.destination);
        parse_mount_idmap(m, mt);
        out.push_back(std::move(mt));
    }
    return out;
}

std::vector<Hook> parse_hooks(const std::optional<Field>& f) {
    std::vector<Hook> out;
    if (!f) return out;
    for (auto& h : f->array()) {
        Hook hk;
        hk.path = absolute_path(h.need("path"));
        if (auto a = h.get("args")) hk.args = a->strings();
        if (auto e = h.get("env")) hk.env = e->strings();
        if (auto t = h.get("timeout")) {
            int64_t v = t->i64();
            if (v <= 0) fail(t->path, "must be a positive number of seconds");
            hk.timeout = static_cast<int>(v);
        }
        out.push_back(std::move(hk));
    }
    return out;
}

std::optional<int64_t> limit_field(const Field& parent, const char* key) {
    auto f = parent.get(key);
    if (!f) return std::nullopt;
    int64_t v = f->i64();
    if (v < -1) fail(f->path, "must be -1 (unlimited) or a positive number, not " + std::to_string(v));
    return v;
}

std::optional<bool> bool_field(const Field& parent, const char* key) {
    auto f = parent.get(key);
    if (!f) return std::nullopt;
    return f->boolean();
}

// The members an object may have: a field the spec does not define is a
// typo or a newer spec's, and applying the rest would leave it unenforced.
void known_members(const Field& f, std::initializer_list<const char*> known) {
    for (auto& [key, val] : f.object().items()) {
        bool ok = false;
        for (const char* k : known) ok |= key == k;
        if (!ok) {
            std::string names;
            for (const char* k : known) names.append(names.empty() ? "" : ", ").append(k);
            fail(f.join(key.c_str()), "unknown field (known: " + names + ")");
        }
    }
}

// A device number of blockIO: required, 0..2^32-1.
int64_t device_number(const Field& parent, const char* key) {
    const Field f = parent.need(key);
    const int64_t v = f.i64();
    if (v < 0 || v > std::numeric_limits<uint32_t>::max())
        fail(f.path, std::to_string(v) + " is outside [0, 4294967295]");
    return v;
}

// A blkio weight: 10-1000 (the kernel's range, which runc's spec documents);
// absent, null or 0 is unset.
std::optional<uint16_t> weight_field(const Field& parent, const char* key) {
    auto f = parent.get(key);
    if (!f) return std::nullopt;
    const int64_t v = f->i64();
    if (v == 0) return std::nullopt;
    if (v < 10 || v > 1000) fail(f->path, std::to_string(v) + " is outside [10, 1000] (0 or absent: unset)");
    return static_cast<uint16_t>(v);
}

BlockIoResources parse_block_io(const Field& b) {
    known_members(b, {"weight", "leafWeight", "weightDevice", "throttleReadBpsDevice", "throttleWriteBpsDevice",
                      "throttleReadIOPSDevice", "throttleWriteIOPSDevice"});
    BlockIoResources out;
    out.weight = weight_field(b, "weight");
    out.leaf_weight = weight_field(b, "leafWeight");
    if (auto list = b.get("weightDevice"))
        for (const Field& e : list->array()) {
            BlockIoWeightDevice d;
            d.major = device_number(e, "major");
            d.minor = device_number(e, "minor");
            d.weight = weight_field(e, "weight");
            d.leaf_weight = weight_field(e, "leafWeight");
            if (d.weight || d.leaf_weight) out.weight_device.push_back(d);
        }
    const std::pair<const char*, std::vector<BlockIoThrottleDevice>*> throttles[] = {
        {"throttleReadBpsDevice", &out.throttle_read_bps_device},
        {"throttleWriteBpsDevice", &out.throttle_write_bps_device},
        {"throttleReadIOPSDevice", &out.throttle_read_iops_device},
        {"throttleWriteIOPSDevice", &out.throttle_write_iops_device}};
    for (const auto& [key, devices] : throttles)
        if (auto list = b.get(key))
            for (const Field& e : list->array()) {
                BlockIoThrottleDevice d;
                d.major = device_number(e, "major");
                d.minor = device_number(e, "minor");
                d.rate = e.need("rate").u64();
                devices->push_back(d);
            }
    return out;
}

// As runc 1.1 validates a device rule, so that no rule's reach is guessed.
DeviceCgroupRule parse_device_rule(const Field& e) {
    e.object();
    DeviceCgroupRule rule;
    rule.allow = e.need("allow").boolean();
    if (auto t = e.get("type")) {
        const std::string type = t->str();
        if (type != "a" && type != "b" && type != "c") fail(t->path, "\"" + type + "\" must be \"a\", \"b\" or \"c\"");
        rule.type = type[0];
    }
    for (auto [key, out] : {std::pair{"major", &rule.major}, std::pair{"minor", &rule.minor}})
        if (auto f = e.get(key)) {
            // -1 is how some clients spell the wildcard (runc's own configs.Wildcard).
            const int64_t n = f->i64();
            if (n < -1 || n > std::numeric_limits<uint32_t>::max())
                fail(f->path, std::to_string(n) + " is out of range (0 to 4294967295, or -1 for any)");
            *out = n;
        }
    auto a = e.get("access");
    if (!a || (a->v->is_string() && a->v->get_ref<const std::string&>().empty()))
        fail(e.join("access"), "must not be empty (a combination of r, w and m)");
    rule.access = a->str();
    for (size_t i = 0; i < rule.access.size(); ++i) {
        const char c = rule.access[i];
        if (c != 'r' && c != 'w' && c != 'm')
            fail(a->path, "\"" + rule.access + "\": '" + std::string(1, c) + "' is not one of r, w, m");
        if (rule.access.find(c) != i) fail(a->path, "\"" + rule.access + "\": '" + std::string(1, c) + "' is repeated");
    }
    return rule;
}

// IFNAMSIZ is 16 with the terminating NUL; the kernel looks the name up as given.
bool interface_name(const std::string& s) {
    if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
    for (char c : s)
        if (c == '/' || c == ':' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
    return true;
}

NetworkResources parse_network(const Field& n) {
    known_members(n, {"classID", "priorities"});
    NetworkResources out;
    if (auto f = n.get("classID")) out.class_id = f->u32();
    if (auto list = n.get("priorities"))
        for (const Field& e : list->array()) {
            known_members(e, {"name", "priority"});
            NetworkPriority p;
            const Field name = e.need("name");
            p.name = name.str();
            if (!interface_name(p.name))
                fail(name.path,
                     "\"" + p.name + "\" is not a network interface name (1 to 15 bytes, no whitespace, '/' or ':')");
            p.priority = e.need("priority").u32();
            out.priorities.push_back(p);
        }
    return out;
}

std::map<std::string, RdmaLimit> parse_rdma(const Field& r) {
    std::map<std::string, RdmaLimit> out;
    for (auto& [device, val] : r.object().items()) {
        // Written into rdma.max as the line's first word.
        if (device.empty() || device.find_first_of(" \t\n\r=") != std::string::npos)
            fail(r.path, "\"" + device + "\" is not an RDMA device name");
        const Field d{&val, r.join(device.c_str())};
        known_members(d, {"hcaHandles", "hcaObjects"});
        RdmaLimit l;
        if (auto f = d.get("hcaHandles")) l.hca_handles = f->u32();
        if (auto f = d.get("hcaObjects")) l.hca_objects = f->u32();
        out[device] = l;
    }
    return out;
}

Resources parse_resources(const Field& r) {
    r.object();
    Resources out;
    if (auto m = r.get("memory")) {
        m->object();
        MemoryResources mem;
        mem.limit = limit_field(*m, "limit");
        mem.reservation = limit_field(*m, "reservation");
        mem.swap = limit_field(*m, "swap");
        if (auto s = m->get("swappiness")) mem.swappiness = s->u64();
        out.memory = mem;
        MemoryExtras extras;
        extras.kernel = limit_field(*m, "kernel");
        if (auto f = m->get("kernelTCP")) {
            extras.kernel_tcp = f->i64();
            if (*extras.kernel_tcp < -1) fail(f->path, "must be -1 (unlimited) or a byte count");
        }
        extras.disable_oom_killer = bool_field(*m, "disableOOMKiller");
        extras.use_hierarchy = bool_field(*m, "useHierarchy");
        extras.check_before_update = bool_field(*m, "checkBeforeUpdate");
        out.memory_extras = extras;
    }
    if (auto c = r.get("cpu")) {
        c->object();
        CpuResources cpu;
        if (auto f = c->get("shares")) cpu.shares = f->u64();
        cpu.quota = limit_field(*c, "quota");
        if (auto f = c->get("period")) cpu.period = f->u64();
        out.cpu = cpu;
        CpuExtras extras;
        extras.realtime_runtime = limit_field(*c, "realtimeRuntime");
        if (auto f = c->get("realtimePeriod")) extras.realtime_period = f->u64();
        if (auto f = c->get("idle")) extras.idle = f->i64();
        if (auto f = c->get("burst")) extras.burst = f->u64();
        out.cpu_extras = extras;
        CpusetResources cpuset;
        if (auto f = c->get("cpus")) cpuset.cpus = f->str();
        if (auto f = c->get("mems")) cpuset.mems = f->str();
        if (cpuset.cpus || cpuset.mems) out.cpuset = cpuset;
    }
    if (auto p = r.get("pids")) {
        p->object();
        PidsResources pids;
        if (auto f = p->get("limit")) pids.limit = f->i64();
        out.pids = pids;
    }
    if (auto d = r.get("devices"))
        for (const Field& e : d->array()) out.devices.push_back(parse_device_rule(e));
    if (auto b = r.get("blockIO"))
        if (BlockIoResources block_io = parse_block_io(*b); !block_io.empty()) out.block_io = std::move(block_io);
    if (auto h = r.get("hugepageLimits"))
        for (const Field& e : h->array()) {
            e.object();
            out.hugepage_limits.push_back({e.need("pageSize").str(), e.need("limit").u64()});
        }
    if (auto n = r.get("network"); n && !n->object().empty()) out.network = parse_network(*n);
    if (auto f = r.get("rdma")) out.rdma = parse_rdma(*f);
    // For the plugins (ABI 1.2); a malformed entry is the manager's to name.
    if (auto u = r.v->find("unified"); u != r.v->end() && u->is_object())
        for (const auto& [key, value] : u->items())
            if (value.is_string()) out.unified[key] = value.get<std::string>();
    out.json = without_unset_block_io(*r.v).dump();
    return out;
}

// libseccomp keeps the low 16 bits of the action's data: 65536 would become
// errno 0, a syscall that "succeeds" without running.
std::optional<uint32_t> errno_field(const Field& parent, const char* key) {
    auto e = parent.get(key);
    if (!e) return std::nullopt;
    uint32_t v = e->u32();
    if (v > 0xFFFF) fail(e->path, std::to_string(v) + " is out of range (0 to 65535)");
    return v;
}

Seccomp parse_seccomp(const Field& f) {
    f.object();
    Seccomp out;
    auto def = f.need("defaultAction");
    std::optional<uint32_t> default_errno = errno_field(f, "defaultErrnoRet");
    auto act = seccomp_action(def.str(), default_errno);
    if (!act) fail(def.path, "unknown action \"" + def.str() + "\"");
    // berth's own syscalls before the listener has the fd would wait forever (runc refuses it too).
    if (*act == SCMP_ACT_NOTIFY) fail(def.path, "SCMP_ACT_NOTIFY cannot be the default action");
    out.default_action = *act;
    if (auto archs = f.get("architectures"))
        for (auto& a : archs->array()) {
            auto arch = seccomp_arch(a.str());
            if (!arch) fail(a.path, "unknown architecture \"" + a.str() + "\"");
            out.architectures.push_back(*arch);
        }
    if (auto flags = f.get("flags"))
        for (auto& fl : flags->array()) {
            if (auto problem = seccomp_flag_problem(fl.str())) fail(fl.path, *problem);
            out.flags.push_back(fl.str());
        }
    if (auto lp = f.get("listenerPath")) {
        out.listener_path = lp->str();
        // A host path: the container's root is not where it is looked up.
        if (!out.listener_path.empty() && out.listener_path[0] != '/')
            fail(lp->path, "must be an absolute path, not \"" + out.listener_path + "\"");
    }
    if (auto md = f.get("listenerMetadata")) out.listener_metadata = md->str();
    if (auto calls = f.get("syscalls"))
        for (auto& c : calls->array()) {
            SeccompRule rule;
            auto names = c.need("names");
            rule.names = names.strings();
            auto a = c.need("action");
            auto action = seccomp_action(a.str(), errno_field(c, "errnoRet"));
            if (!action) fail(a.path, "unknown action \"" + a.str() + "\"");
            rule.action = *action;
            for (auto& n : names.array()) {
                // As runc: a name newer than libseccomp is left out, not an error.
                if (!seccomp_syscall_known(n.str()))
                    log_warning(n.path + ": unknown syscall \"" + n.str() + "\" skipped (libseccomp does not know it)");
                // The listener fd goes to create by sendmsg right after the
                // load; a notified sendmsg could never be answered.
                if (rule.action == SCMP_ACT_NOTIFY && n.str() == "sendmsg")
                    fail(n.path, "SCMP_ACT_NOTIFY cannot be used for sendmsg: berth sends the listener fd with it");
            }
            if (auto args = c.get("args"))
                for (auto& arg : args->array()) {
                    SeccompArg sa;
                    sa.index = arg.need("index").u32();
                    if (sa.index > 5) fail(arg.join("index"), "must be 0 to 5");
                    sa.value = arg.need("value").u64();
                    if (auto v2 = arg.get("valueTwo")) sa.value_two = v2->u64();
                    auto op = arg.need("op");
                    auto o = seccomp_op(op.str());
                    if (!o) fail(op.path, "unknown operator \"" + op.str() + "\"");
                    sa.op = *o;
                    rule.args.push_back(sa);
                }
            out.rules.push_back(std::move(rule));
        }
    if (out.notifies() && out.listener_path.empty())
        fail(f.join("listenerPath"), "is required when a rule uses SCMP_ACT_NOTIFY");
    if (out.notifies() &&
        std::find(out.flags.begin(), out.flags.end(), "SECCOMP_FILTER_FLAG_TSYNC") != out.flags.end() &&
        seccomp_api_get() < 6)
        fail(f.join("flags"),
             "SECCOMP_FILTER_FLAG_TSYNC with SCMP_ACT_NOTIFY needs libseccomp 2.5 and Linux 5.7 or later");
    return out;
}

Linux parse_linux(const Field& l) {
    l.object();
    Linux out;
    if (auto ns = l.get("namespaces")) {
        std::set<std::string> seen;
        for (auto& n : ns->array()) {
            Namespace x;
            auto t = n.need("type");
            x.type = t.str();
            x.clone_flag = namespace_flag(x.type);
            if (x.clone_flag == 0) fail(t.path, "unknown namespace \"" + x.type + "\"");
            if (!seen.insert(x.type).second) fail(t.path, "duplicate namespace \"" + x.type + "\"");
            if (auto p = n.get("path")) x.path = absolute_path(*p);
            out.namespaces.push_back(std::move(x));
        }
    }
    auto mappings = [&](const char* key, std::vector<IdMapping>& dst) {
        auto f = l.get(key);
        if (!f) return;
        for (auto& m : f->array())
            dst.push_back({m.need("containerID").u32(), m.need("hostID").u32(), m.need("size").u32()});
    };
    mappings("uidMappings", out.uid_mappings);
    mappings("gidMappings", out.gid_mappings);
    if (auto t = l.get("timeOffsets")) {
        for (auto& [clock, val] : t->object().items()) {
            Field c{&val, t->path + "." + clock};
            c.object();
            if (clock != "monotonic" && clock != "boottime") fail(c.path, "unknown clock \"" + clock + "\"");
            int64_t secs = c.get("secs") ? c.need("secs").i64() : 0;
            int64_t nanos = c.get("nanosecs") ? c.need("nanosecs").i64() : 0;
            out.time_offsets[clock] = {secs, nanos};
        }
    }
    if (auto f = l.get("cgroupsPath")) out.cgroups_path = f->str();
    if (auto f = l.get("mountLabel")) out.mount_label = f->str();
    if (auto f = l.get("personality")) {
        static const std::map<std::string, unsigned long> domains = {{"LINUX", 0x0000}, {"LINUX32", 0x0008}};
        out.personality = named(f->need("domain"), domains);
        if (auto fl = f->get("flags"); fl && !fl->array().empty())
            fail(fl->path, "no personality flag is defined by the runtime-spec; berth applies none");
    }
    if (auto f = l.get("memoryPolicy")) {
        const auto& modes = memory_policy_modes();
        const auto& flags = memory_policy_flags();
        MemoryPolicy mp;
        const Field mode = f->need("mode");
        mp.mode = named(mode, modes);
        if (auto n = f->get("nodes")) {
            mp.nodes = n->str();
            node_mask_of(mp.nodes, n->path);
        }
        const bool no_nodes = mp.mode == 0 || mp.mode == 4, needs_nodes = mp.mode == 2 || mp.mode == 3 || mp.mode >= 5;
        if (no_nodes && !mp.nodes.empty()) fail(f->join("nodes"), mode.str() + " takes no nodes");
        if (needs_nodes && mp.nodes.empty()) fail(f->join("nodes"), "is required for " + mode.str());
        int mode_flags = 0;
        if (auto fl = f->get("flags"))
            for (auto& flag : fl->array()) mode_flags |= named(flag, flags);
        if ((mode_flags & (1 << 14)) && (mode_flags & (1 << 15)))
            fail(f->join("flags"), "MPOL_F_RELATIVE_NODES and MPOL_F_STATIC_NODES exclude each other");
        mp.mode |= mode_flags;
        out.memory_policy = mp;
    }
    if (auto f = l.get("netDevices")) {
        std::set<std::string> names;
        for (auto& [host, dev] : f->object().items()) {
            const Field d{&dev, f->join(host.c_str())};
            d.object();
            NetDevice nd{host, host};
            if (auto n = d.get("name"); n && !n->str().empty()) nd.name = n->str();
            // dev_valid_name(): what the kernel takes as an interface name.
            for (const auto& [what, name] : {std::pair{d.path, host}, std::pair{d.join("name"), nd.name}})
                if (name.empty() || name.size() > 15 || name == "." || name == ".." ||
                    name.find_first_of("/: \t\n") != std::string::npos)
                    fail(what,
                         "\"" + name + "\" is not a network interface name (1 to 15 characters, no '/', ':' or space)");
            if (!names.insert(nd.name).second) fail(d.join("name"), "\"" + nd.name + "\" is given to two devices");
            out.net_devices.push_back(nd);
        }
    }
    if (auto f = l.get("intelRdt")) {
        // The spec: a runtime that cannot apply intelRdt MUST error.
        f->object();
        if (::access("/sys/fs/resctrl/schemata", F_OK) != 0)
            fail(f->path, "the host has no resctrl filesystem mounted at /sys/fs/resctrl (Intel RDT)");
        fail(f->path, "berth does not apply Intel RDT (resctrl) settings");
    }
    if (auto f = l.get("resources")) out.resources = parse_resources(*f);
    if (auto f = l.get("rootfsPropagation")) {
        out.rootfs_propagation = f->str();
        static const std::set<std::string> ok = {"private", "rprivate", "slave",      "rslave",
                                                 "shared",  "rshared",  "unbindable", "runbindable"};
        if (!ok.count(out.rootfs_propagation)) fail(f->path, "unknown propagation \"" + out.rootfs_propagation + "\"");
    }
    if (auto f = l.get("maskedPaths"))
        for (auto& p : f->array()) out.masked_paths.push_back(absolute_path(p));
    if (auto f = l.get("readonlyPaths"))
        for (auto& p : f->array()) out.readonly_paths.push_back(absolute_path(p));
    if (auto f = l.get("devices")) {
        for (auto& d : f->array()) {
            Device dev;
            // Cleaned here, so that the node is made at the name runc makes
            // it at ("/dev/fuse/" is /dev/fuse); a path that cleans to / would
            // put the node over the rootfs.
            auto path_field = d.need("path");
            dev.path = clean_absolute_path(absolute_path(path_field));
            if (dev.path == "/")
                fail(path_field.path, "\"" + path_field.str() + "\" names the rootfs itself, not a device node");
            auto t = d.need("type");
            std::string ts = t.str();
            if (ts != "c" && ts != "b" && ts != "u" && ts != "p") fail(t.path, "unknown device type \"" + ts + "\"");
            dev.type = ts[0];
            if (dev.type != 'p') {
                dev.major = d.need("major").i64();
                dev.minor = d.need("minor").i64();
            }
            if (auto m = d.get("fileMode")) dev.file_mode = m->u32() & 07777;
            if (auto u = d.get("uid")) dev.uid = u->u32();
            if (auto g = d.get("gid")) dev.gid = g->u32();
            out.devices.push_back(dev);
        }
    }
    if (auto f = l.get("sysctl")) out.sysctl = f->string_map();
    if (auto sc = l.get("seccomp")) out.seccomp = parse_seccomp(*sc);
    return out;
}

// "idmap"/"ridmap" without mappings of the mount's own take the
// container's user namespace mappings (runc 1.2, crun).
void fill_mount_idmaps(Spec& s) {
    for (size_t i = 0; i < s.mounts.size(); ++i) {
        Mount& m = s.mounts[i];
        const bool idmap = parse_mount_options(m.options).extensions & (kIdmap | kRecursiveIdmap);
        if (!idmap || !m.uid_mappings.empty()) continue;
        if (s.linux.uid_mappings.empty() || s.linux.gid_mappings.empty())
            fail("mounts[" + std::to_string(i) + "].uidMappings",
                 "is required for an idmap mount (" + m.destination +
                     ") when the container has no user namespace mappings to take");
        m.uid_mappings = s.linux.uid_mappings;
        m.gid_mappings = s.linux.gid_mappings;
    }
}

void check_consistency(const Spec& s) {
    bool userns = s.has_namespace(CLONE_NEWUSER);
    if (!userns && !s.linux.uid_mappings.empty())
        fail("linux.uidMappings", "needs a user namespace in linux.namespaces");
    if (!userns && !s.linux.gid_mappings.empty())
        fail("linux.gidMappings", "needs a user namespace in linux.namespaces");
    if (userns) {
        const Namespace* ns = s.find_namespace(CLONE_NEWUSER);
        if (!ns->path.empty()) fail("linux.namespaces", "joining a user namespace by path is not supported yet");
        if (s.linux.uid_mappings.empty() || s.linux.gid_mappings.empty())
            fail("linux.uidMappings", "a new user namespace needs uidMappings and gidMappings");
    }
    // A uts namespace joined by path is the container's too (a pod's): the
    // name is set there, as runc and crun do. Without one it would be the host's.
    if (!s.hostname.empty() && !s.has_namespace(CLONE_NEWUTS))
        fail("hostname", "setting a hostname needs a uts namespace in linux.namespaces");
    if (!s.domainname.empty() && !s.has_namespace(CLONE_NEWUTS))
        fail("domainname", "setting a domainname needs a uts namespace in linux.namespaces");
    if (!s.linux.time_offsets.empty() && !s.has_namespace(CLONE_NEWTIME))
        fail("linux.timeOffsets", "needs a time namespace in linux.namespaces");
    if (const Namespace* t = s.find_namespace(CLONE_NEWTIME); t && !t->path.empty() && !s.linux.time_offsets.empty())
        fail("linux.timeOffsets", "cannot be set when joining a time namespace by path");
    for (auto& [key, val] : s.linux.sysctl) {
        bool net = key.rfind("net.", 0) == 0;
        bool ipc = key.rfind("kernel.msg", 0) == 0 || key.rfind("kernel.sem", 0) == 0 ||
                   key.rfind("kernel.shm", 0) == 0 || key.rfind("fs.mqueue.", 0) == 0;
        if (net && !s.has_namespace(CLONE_NEWNET)) fail("linux.sysctl." + key, "needs a network namespace");
        if (ipc && !s.has_namespace(CLONE_NEWIPC)) fail("linux.sysctl." + key, "needs an ipc namespace");
        bool uts = key == "kernel.domainname" || key == "kernel.hostname";
        if (uts && (!s.has_namespace(CLONE_NEWUTS) || !s.find_namespace(CLONE_NEWUTS)->path.empty()))
            fail("linux.sysctl." + key, "needs a new uts namespace");
        // Two sources for one name: the field wins in runc; refuse instead
        // of letting the write order decide.
        if (key == "kernel.hostname")
            fail("linux.sysctl." + key, "is not allowed: it conflicts with the hostname field (set that instead)");
        if (key == "kernel.domainname" && !s.domainname.empty() && val != s.domainname)
            fail("linux.sysctl." + key, "\"" + val + "\" conflicts with domainname \"" + s.domainname + "\"");
        if (!net && !ipc && !uts) fail("linux.sysctl." + key, "is not namespaced: it would change the host");
        if (key.find("..") != std::string::npos || key.find('/') != std::string::npos)
            fail("linux.sysctl." + key, "is not a sysctl name");
    }
}

}  // namespace

json without_unset_block_io(const json& resources) {
    json out = resources;
    if (!out.is_object()) return out;
    auto b = out.find("blockIO");
    if (b == out.end()) return out;
    // docker always sends {"weight": 0}; runc treats a zero weight and empty
    // device lists as unset, so no io plugin is needed for them.
    if (b->is_null() || parse_block_io(Field{&*b, "linux.resources.blockIO"}).empty()) out.erase(b);
    return out;
}

Resources parse_resources_json(const json& resources, const std::string& path) {
    return parse_resources(Field{&resources, path});
}

bool Spec::has_namespace(int flag) const { return find_namespace(flag) != nullptr; }

const Namespace* Spec::find_namespace(int flag) const {
    for (auto& n : linux.namespaces)
        if (n.clone_flag == flag) return &n;
    return nullptr;
}

const std::map<std::string, int>& namespace_table() {
    static const std::map<std::string, int> t = {
        {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},      {"ipc", CLONE_NEWIPC},
        {"uts", CLONE_NEWUTS}, {"user", CLONE_NEWUSER},   {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
    };
    return t;
}

std::string clean_absolute_path(const std::string& path) {
    std::vector<std::string> parts;
    for (size_t start = 0; start <= path.size();) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        std::string part = path.substr(start, end - start);
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(std::move(part));
        }
        start = end + 1;
    }
    std::string out;
    for (const std::string& part : parts) out += "/" + part;
    return out.empty() ? "/" : out;
}

int namespace_flag(const std::string& type) {
    const auto& t = namespace_table();
    auto it = t.find(type);
    return it == t.end() ? 0 : it->second;
}

int capability_number(const std::string& name) {
    if (name.rfind("CAP_", 0) != 0) return -1;
    cap_value_t v;
    // libcap names are lower case without the prefix: "sys_admin".
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (cap_from_name(lower.c_str(), &v) != 0) return -1;
    return v;
}

// Untrusted JSON text to a document: too deep a nesting is refused before
// parsing (it would overflow the stack), and every parser error names `what`.
json parse_json_text(const std::string& text, const std::string& what) {
    if (json_too_deep(text)) fail(what, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    try {
        return json::parse(text);
    } catch (const json::exception& e) {  // parse_error, and out_of_range for 1e999
        throw Error(what + ": invalid JSON: " + e.what());
    }
}

Spec parse_spec(const std::string& text) {
    json doc = parse_json_text(text, "config.json");
    Field root{&doc, ""};
    if (!doc.is_object()) fail("config.json", "must be a JSON object");
    Spec s;
    auto ver = root.need("ociVersion");
    s.oci_version = ver.str();
    if (s.oci_version.rfind("1.", 0) != 0)
        fail(ver.path, "unsupported version \"" + s.oci_version + "\" (berth implements 1.x)");
    auto r = root.need("root");
    r.object();
    auto rp = r.need("path");
    s.root_path = rp.str();
    if (s.root_path.empty()) fail(rp.path, "must not be empty");
    if (auto ro = r.get("readonly")) s.root_readonly = ro->boolean();
    if (auto p = root.get("process")) s.process = parse_process(*p);
    if (auto f = root.get("hostname")) s.hostname = f->str();
    if (auto f = root.get("domainname")) s.domainname = f->str();
    if (auto f = root.get("mounts")) s.mounts = parse_mounts(*f);
    if (auto h = root.get("hooks")) {
        h->object();
        s.hooks.prestart = parse_hooks(h->get("prestart"));
        s.hooks.create_runtime = parse_hooks(h->get("createRuntime"));
        s.hooks.create_container = parse_hooks(h->get("createContainer"));
        s.hooks.start_container = parse_hooks(h->get("startContainer"));
        s.hooks.poststart = parse_hooks(h->get("poststart"));
        s.hooks.poststop = parse_hooks(h->get("poststop"));
    }
    if (auto a = root.get("annotations")) s.annotations = a->string_map();
    if (auto l = root.get("linux")) s.linux = parse_linux(*l);
    check_consistency(s);
    fill_mount_idmaps(s);
    s.exec_config = {{"process", doc.value("process", json())}, {"seccomp", json()}};
    if (auto it = doc.find("linux"); it != doc.end() && it->is_object()) {
        if (it->contains("seccomp")) s.exec_config["seccomp"] = (*it)["seccomp"];
        // What exec's processes share with init (parse_linux_json).
        json linux_part = json::object();
        for (const char* key : {"personality", "memoryPolicy"})
            if (it->contains(key)) linux_part[key] = (*it)[key];
        if (!linux_part.empty()) s.exec_config["linux"] = linux_part;
    }
    return s;
}

Linux parse_linux_json(const std::string& text) {
    json doc = parse_json_text(text, "linux");
    return parse_linux(Field{&doc, "linux"});
}

Process parse_process_json(const std::string& text) {
    json doc = parse_json_text(text, "process");
    return parse_process(Field{&doc, "process"});
}

Seccomp parse_seccomp(const std::string& text) {
    json doc = parse_json_text(text, "linux.seccomp");
    return parse_seccomp(Field{&doc, "linux.seccomp"});
}

Spec load_spec(const std::string& bundle) {
    std::string text;
    try {
        text = read_file(bundle + "/config.json");
    } catch (const Error& e) {
        throw Error("cannot read bundle config: " + std::string(e.what()), e.err());
    }
    return parse_spec(text);
}

}  // namespace berth::spec
