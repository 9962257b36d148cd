// The OCI runtime-spec config.json as typed structs. Parsing validates
// everything before anything touches the system; every error names the JSON
// field, e.g. `linux.namespaces[2].type: unknown namespace "pdi"`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "berth/resources.hpp"
#include "seccomp/seccomp_filter.hpp"

namespace berth::spec {

struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::optional<uint32_t> umask;
    std::vector<uint32_t> additional_gids;
};

struct Rlimit {
    std::string type;
    int resource = 0;
    uint64_t soft = 0;
    uint64_t hard = 0;
};

// Capability sets as numbers, resolved from their CAP_* names.
struct Capabilities {
    std::vector<int> bounding, effective, inheritable, permitted, ambient;
};

// process.scheduler: sched_setattr(2) values, names resolved.
struct Scheduler {
    uint32_t policy = 0;  // SCHED_*
    int32_t nice = 0;
    uint32_t priority = 0;
    uint64_t flags = 0;                              // SCHED_FLAG_*
    uint64_t runtime = 0, deadline = 0, period = 0;  // SCHED_DEADLINE, in ns
};

// process.ioPriority: ioprio_set(2)'s class and level.
struct IoPriority {
    int klass = 0;  // IOPRIO_CLASS_*
    int priority = 0;
};

// process.execCPUAffinity: CPU lists as given ("0-3,7"); empty: not set.
struct ExecCpuAffinity {
    std::string initial, final;
};

struct Process {
    bool terminal = false;
    std::optional<std::pair<uint32_t, uint32_t>> console_size;  // height, width
    User user;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    std::optional<Capabilities> capabilities;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;
    std::optional<int> oom_score_adj;
    std::string apparmor_profile;  // applied at the program's exec (core/lsm)
    std::string selinux_label;
    std::optional<Scheduler> scheduler;
    std::optional<IoPriority> io_priority;
    ExecCpuAffinity exec_cpu_affinity;  // for exec's processes only (config.md)
};

// linux.memoryPolicy: set_mempolicy(2)'s mode (MPOL_* with MPOL_F_* flags
// or-ed in) and nodes as given ("0-3,7").
struct MemoryPolicy {
    int mode = 0;
    std::string nodes;
};

struct IdMapping {
    uint32_t container_id = 0;
    uint32_t host_id = 0;
    uint32_t size = 0;
};

struct Mount {
    std::string destination;
    std::string type;  // "bind" when the options ask for a bind mount
    std::string source;
    std::vector<std::string> options;
    // An idmapped bind (uidMappings/gidMappings on the mount, or the idmap/
    // ridmap options with the container's own mappings): the ids of the
    // source as the mount shows them. Empty: not idmapped.
    std::vector<IdMapping> uid_mappings, gid_mappings;
    bool recursive_idmap = false;  // "ridmap": every mount of an rbind
};

struct Namespace {
    std::string type;
    int clone_flag = 0;
    std::string path;  // join this namespace instead of creating one
};

struct Device {
    std::string path;
    char type = 'c';
    int64_t major = 0;
    int64_t minor = 0;
    uint32_t file_mode = 0666;
    uint32_t uid = 0;
    uint32_t gid = 0;
};

struct Hook {
    std::string path;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<int> timeout;
};

struct Hooks {
    std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart, poststop;
};

// linux.netDevices: a host network interface and its name in the container.
struct NetDevice {
    std::string host_name;
    std::string name;
};

struct Linux {
    std::vector<Namespace> namespaces;
    std::vector<IdMapping> uid_mappings, gid_mappings;
    std::map<std::string, std::pair<int64_t, int64_t>> time_offsets;  // clock → (secs, nanosecs)
    std::string cgroups_path;
    Resources resources;
    std::string rootfs_propagation;
    std::vector<std::string> masked_paths, readonly_paths;
    std::vector<Device> devices;
    std::map<std::string, std::string> sysctl;
    std::optional<Seccomp> seccomp;
    std::string mount_label;                   // SELinux context= of the container's filesystems
    std::optional<unsigned long> personality;  // PER_LINUX or PER_LINUX32
    std::optional<MemoryPolicy> memory_policy;
    std::vector<NetDevice> net_devices;
};

struct Spec {
    std::string oci_version;
    std::optional<Process> process;
    std::string root_path;
    bool root_readonly = false;
    std::string hostname;
    std::string domainname;
    std::vector<Mount> mounts;
    Hooks hooks;
    std::map<std::string, std::string> annotations;
    Linux linux;
    // process and linux.seccomp as given: saved at create for exec, which
    // starts from the config the container was created with (as runc does),
    // not from whatever the bundle holds by then.
    nlohmann::json exec_config;

    bool has_namespace(int clone_flag) const;
    const Namespace* find_namespace(int clone_flag) const;
};

// Parses and validates config.json text. Throws berth::Error naming the field.
Spec parse_spec(const std::string& json_text);

// A process object on its own (`exec --process FILE`); errors name
// "process.<field>".
Process parse_process_json(const std::string& json_text);
// Parts of a linux object on their own (exec.json keeps linux.personality and
// linux.memoryPolicy for exec's processes); errors name "linux.<field>".
Linux parse_linux_json(const std::string& json_text);
// Parses a linux.resources object (e.g. `update --resources`), naming fields
// under `path`. Throws berth::Error.
Resources parse_resources_json(const nlohmann::json& resources, const std::string& path = "linux.resources");

// linux.resources without a blockIO that asks for nothing
// (BlockIoResources::empty()): runc treats a zero weight and empty device
// lists as unset, and docker always sends {"weight": 0}. Throws berth::Error
// naming the field when blockIO is malformed.
nlohmann::json without_unset_block_io(const nlohmann::json& resources);
// Parses a linux.seccomp object alone, as parse_spec does within config.json.
Seccomp parse_seccomp(const std::string& json_text);

// Reads <bundle>/config.json and parses it.
Spec load_spec(const std::string& bundle);

// The CLONE_NEW* flag for a spec namespace type, or 0 when unknown.
int namespace_flag(const std::string& type);
// The namespace types linux.namespaces accepts, with their CLONE_NEW* flag
// (namespace_flag reads this table; `features` lists it).
const std::map<std::string, int>& namespace_table();

// linux.memoryPolicy's mode and flag names with their set_mempolicy(2)
// values (`features` lists them).
const std::map<std::string, int>& memory_policy_modes();
const std::map<std::string, int>& memory_policy_flags();

// The capability number for "CAP_SYS_ADMIN", or -1 when unknown.
int capability_number(const std::string& name);

// An absolute path cleaned lexically, as Go's filepath.Clean (what runc's
// securejoin does to a device path): "//", "." and trailing slashes go, ".."
// drops the component before it and stops at "/". "/dev/fuse/" -> "/dev/fuse".
std::string clean_absolute_path(const std::string& path);

// A runc-like default config (the `spec` verb).
std::string default_spec_json();
// `spec --rootless`: the default config turned rootless as runc's does: a
// user namespace mapping root to `uid`/`gid` (the caller's euid and egid), no
// network namespace, /sys bound from the host, no uid=/gid= mount options and
// no cgroup resources.
std::string rootless_spec_json(unsigned uid, unsigned gid);

}  // namespace berth::spec
