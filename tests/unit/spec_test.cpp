// parse_spec: every bad config.json is refused with an error naming the field.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <linux/capability.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "error_of.hpp"
#include "errors/error.hpp"
#include <seccomp.h>

#include "seccomp/seccomp_filter.hpp"
#include "spec/spec.hpp"

namespace {

using json = nlohmann::json;
using berth::spec::parse_spec;

// A small config that parses; each row of the table breaks one thing in it.
json base_config() {
    return json::parse(R"({
        "ociVersion": "1.0.2",
        "root": {"path": "rootfs"},
        "process": {"args": ["sh"], "cwd": "/", "env": ["PATH=/bin"]},
        "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}
    })");
}

std::string error_of(const std::string& text) {
    try {
        parse_spec(text);
    } catch (const berth::Error& e) {
        return e.what();
    }
    return "<no error>";
}

TEST(SpecBase, BaseConfigParses) {
    auto s = parse_spec(base_config().dump());
    EXPECT_EQ(s.oci_version, "1.0.2");
    EXPECT_EQ(s.root_path, "rootfs");
    ASSERT_TRUE(s.process.has_value());
    EXPECT_EQ(s.process->args, std::vector<std::string>{"sh"});
    EXPECT_EQ(s.linux.namespaces.size(), 2u);
}

struct BadRow {
    const char* name;
    std::function<void(json&)> mutate;
    std::string expected;  // the whole message
};

std::ostream& operator<<(std::ostream& os, const BadRow& r) { return os << r.name; }

class SpecBad : public ::testing::TestWithParam<BadRow> {};

TEST_P(SpecBad, ErrorNamesTheField) {
    json j = base_config();
    GetParam().mutate(j);
    EXPECT_EQ(error_of(j.dump()), GetParam().expected);
}

json& ns(json& j) { return j["linux"]["namespaces"]; }

const BadRow kBadRows[] = {
    {"MissingOciVersion", [](json& j) { j.erase("ociVersion"); }, "ociVersion: is required"},
    {"NullOciVersion", [](json& j) { j["ociVersion"] = nullptr; }, "ociVersion: is required"},
    {"BadVersion", [](json& j) { j["ociVersion"] = "2.0.0"; },
     "ociVersion: unsupported version \"2.0.0\" (berth implements 1.x)"},
    {"VersionNotString", [](json& j) { j["ociVersion"] = 1.0; }, "ociVersion: must be a string, not a number"},
    {"MissingRoot", [](json& j) { j.erase("root"); }, "root: is required"},
    {"RootNotObject", [](json& j) { j["root"] = json::array(); }, "root: must be an object, not an array"},
    {"MissingRootPath", [](json& j) { j["root"].erase("path"); }, "root.path: is required"},
    {"EmptyRootPath", [](json& j) { j["root"]["path"] = ""; }, "root.path: must not be empty"},
    {"RootReadonlyNotBool", [](json& j) { j["root"]["readonly"] = "true"; },
     "root.readonly: must be a boolean, not a string"},
    {"ArgsEmpty", [](json& j) { j["process"]["args"] = json::array(); }, "process.args: must name a program to run"},
    {"ArgsFirstEmpty", [](json& j) { j["process"]["args"] = {""}; }, "process.args: must name a program to run"},
    {"ArgsMissing", [](json& j) { j["process"].erase("args"); }, "process.args: is required"},
    {"ArgsNotArray", [](json& j) { j["process"]["args"] = "sh"; }, "process.args: must be an array, not a string"},
    {"ArgsItemNotString",
     [](json& j) {
         j["process"]["args"] = {"sh", 1};
     },
     "process.args[1]: must be a string, not a number"},
    {"EnvWithoutEquals", [](json& j) { j["process"]["env"].push_back("FOO"); },
     "process.env[1]: \"FOO\" is not of the form KEY=VALUE"},
    {"EnvEmptyKey", [](json& j) { j["process"]["env"] = {"=x"}; },
     "process.env[0]: \"=x\" is not of the form KEY=VALUE"},
    {"RelativeCwd", [](json& j) { j["process"]["cwd"] = "tmp"; }, "process.cwd: must be an absolute path, not \"tmp\""},
    {"MissingCwd", [](json& j) { j["process"].erase("cwd"); }, "process.cwd: is required"},
    {"TerminalYes", [](json& j) { j["process"]["terminal"] = "yes"; },
     "process.terminal: must be a boolean, not a string"},
    {"ConsoleSizeNoWidth",
     [](json& j) {
         j["process"]["consoleSize"] = {{"height", 24}};
     },
     "process.consoleSize.width: is required"},
    {"NegativeUid",
     [](json& j) {
         j["process"]["user"] = {{"uid", -1}};
     },
     "process.user.uid: must not be negative"},
    {"HugeGid",
     [](json& j) {
         j["process"]["user"] = {{"gid", 4294967296ull}};
     },
     "process.user.gid: is out of range"},
    {"FloatUid",
     [](json& j) {
         j["process"]["user"] = {{"uid", 1.5}};
     },
     "process.user.uid: must be an integer, not a number"},
    {"AdditionalGidBad",
     [](json& j) {
         j["process"]["user"] = {{"additionalGids", {1, "2"}}};
     },
     "process.user.additionalGids[1]: must be an integer, not a string"},
    {"Username",
     [](json& j) {
         j["process"]["user"] = {{"username", "root"}};
     },
     "process.user.username: is for Windows containers"},
    {"UnknownCapability",
     [](json& j) {
         j["process"]["capabilities"] = {{"bounding", {"CAP_KILL", "CAP_BOGUS"}}};
     },
     "process.capabilities.bounding[1]: unknown capability \"CAP_BOGUS\""},
    {"CapabilityWithoutPrefix",
     [](json& j) {
         j["process"]["capabilities"] = {{"ambient", {"KILL"}}};
     },
     "process.capabilities.ambient[0]: unknown capability \"KILL\""},
    {"UnknownRlimit",
     [](json& j) {
         j["process"]["rlimits"] = {{{"type", "RLIMIT_BOGUS"}, {"soft", 1}, {"hard", 1}}};
     },
     "process.rlimits[0].type: unknown rlimit \"RLIMIT_BOGUS\""},
    {"RlimitSoftAboveHard",
     [](json& j) {
         j["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 10}, {"hard", 5}}};
     },
     "process.rlimits[0]: soft limit 10 is above hard limit 5"},
    {"DuplicateRlimit",
     [](json& j) {
         j["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 1}, {"hard", 1}},
                                    {{"type", "RLIMIT_NOFILE"}, {"soft", 2}, {"hard", 2}}};
     },
     "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\""},
    {"RlimitMissingHard",
     [](json& j) {
         j["process"]["rlimits"] = {{{"type", "RLIMIT_CORE"}, {"soft", 1}}};
     },
     "process.rlimits[0].hard: is required"},
    {"OomScoreAdjTooHigh", [](json& j) { j["process"]["oomScoreAdj"] = 1001; },
     "process.oomScoreAdj: 1001 is outside [-1000, 1000]"},
    {"OomScoreAdjTooLow", [](json& j) { j["process"]["oomScoreAdj"] = -1001; },
     "process.oomScoreAdj: -1001 is outside [-1000, 1000]"},
    {"UnknownNamespace",
     [](json& j) {
         ns(j).push_back({{"type", "pdi"}});
     },
     "linux.namespaces[2].type: unknown namespace \"pdi\""},
    {"DuplicateNamespace",
     [](json& j) {
         ns(j).push_back({{"type", "pid"}});
     },
     "linux.namespaces[2].type: duplicate namespace \"pid\""},
    {"RelativeNamespacePath",
     [](json& j) {
         ns(j).push_back({{"type", "network"}, {"path", "proc/1/ns/net"}});
     },
     "linux.namespaces[2].path: must be an absolute path, not \"proc/1/ns/net\""},
    {"UidMappingsWithoutUserNs",
     [](json& j) {
         j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
     },
     "linux.uidMappings: needs a user namespace in linux.namespaces"},
    {"UserNsWithoutMappings",
     [](json& j) {
         ns(j).push_back({{"type", "user"}});
     },
     "linux.uidMappings: a new user namespace needs uidMappings and gidMappings"},
    {"UserNsByPath",
     [](json& j) {
         ns(j).push_back({{"type", "user"}, {"path", "/proc/1/ns/user"}});
     },
     "linux.namespaces: joining a user namespace by path is not supported yet"},
    {"MappingMissingSize",
     [](json& j) {
         j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 1000}}};
     },
     "linux.gidMappings[0].size: is required"},
    {"HostnameWithoutUts", [](json& j) { j["hostname"] = "box"; },
     "hostname: setting a hostname needs a uts namespace in linux.namespaces"},
    {"DomainnameWithoutUts", [](json& j) { j["domainname"] = "example.org"; },
     "domainname: setting a domainname needs a uts namespace in linux.namespaces"},
    {"HostnameSysctlFightsTheField",
     [](json& j) {
         ns(j).push_back({{"type", "uts"}});
         j["linux"]["sysctl"] = {{"kernel.hostname", "box"}};
     },
     "linux.sysctl.kernel.hostname: is not allowed: it conflicts with the hostname field (set that instead)"},
    {"DomainnameSysctlConflicts",
     [](json& j) {
         ns(j).push_back({{"type", "uts"}});
         j["domainname"] = "a.org";
         j["linux"]["sysctl"] = {{"kernel.domainname", "b.org"}};
     },
     "linux.sysctl.kernel.domainname: \"b.org\" conflicts with domainname \"a.org\""},
    {"MountMissingType",
     [](json& j) {
         j["mounts"] = {{{"destination", "/data"}, {"source", "x"}}};
     },
     "mounts[0].type: is required for mount /data"},
    {"MountMissingDestination",
     [](json& j) {
         j["mounts"] = {{{"type", "tmpfs"}}};
     },
     "mounts[0].destination: is required"},
    {"MountEmptyDestination",
     [](json& j) {
         j["mounts"] = {{{"destination", ""}, {"type", "tmpfs"}}};
     },
     "mounts[0].destination: must not be empty"},
    {"BindWithoutSource",
     [](json& j) {
         j["mounts"] = {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
                        {{"destination", "/x"}, {"type", "none"}, {"options", {"rbind", "ro"}}}};
     },
     "mounts[1].source: is required for a bind mount"},
    {"BindTypeWithoutSource",
     [](json& j) {
         j["mounts"] = {{{"destination", "/x"}, {"type", "bind"}}};
     },
     "mounts[0].source: is required for a bind mount"},
    {"DestinationWithDotDot",
     [](json& j) {
         j["mounts"] = {{{"destination", "/a/../etc"}, {"type", "tmpfs"}, {"source", "t"}}};
     },
     "mounts[0].destination: \"/a/../etc\" must not contain \"..\""},
    {"RelativeDestinationWithDotDot",
     [](json& j) {
         j["mounts"] = {{{"destination", "../etc"}, {"type", "tmpfs"}, {"source", "t"}}};
     },
     "mounts[0].destination: \"/../etc\" must not contain \"..\""},
    {"TrailingDotDot",
     [](json& j) {
         j["mounts"] = {{{"destination", "/etc/.."}, {"type", "tmpfs"}, {"source", "t"}}};
     },
     "mounts[0].destination: \"/etc/..\" must not contain \"..\""},
    {"MountOptionsNotStrings",
     [](json& j) {
         j["mounts"] = {{{"destination", "/t"}, {"type", "tmpfs"}, {"options", {"ro", 1}}}};
     },
     "mounts[0].options[1]: must be a string, not a number"},
    {"HookRelativePath",
     [](json& j) {
         j["hooks"] = {{"prestart", {{{"path", "hook.sh"}}}}};
     },
     "hooks.prestart[0].path: must be an absolute path, not \"hook.sh\""},
    {"HookTimeoutZero",
     [](json& j) {
         j["hooks"] = {{"poststop", {{{"path", "/bin/true"}}, {{"path", "/bin/true"}, {"timeout", 0}}}}};
     },
     "hooks.poststop[1].timeout: must be a positive number of seconds"},
    {"HookTimeoutNegative",
     [](json& j) {
         j["hooks"] = {{"createRuntime", {{{"path", "/bin/true"}, {"timeout", -5}}}}};
     },
     "hooks.createRuntime[0].timeout: must be a positive number of seconds"},
    {"HookMissingPath",
     [](json& j) {
         j["hooks"] = {{"startContainer", {{{"args", {"x"}}}}}};
     },
     "hooks.startContainer[0].path: is required"},
    {"HooksNotObject", [](json& j) { j["hooks"] = json::array(); }, "hooks: must be an object, not an array"},
    {"BadDeviceType",
     [](json& j) {
         j["linux"]["devices"] = {{{"path", "/dev/x"}, {"type", "x"}, {"major", 1}, {"minor", 3}}};
     },
     "linux.devices[0].type: unknown device type \"x\""},
    {"DeviceRelativePath",
     [](json& j) {
         j["linux"]["devices"] = {{{"path", "dev/x"}, {"type", "c"}, {"major", 1}, {"minor", 3}}};
     },
     "linux.devices[0].path: must be an absolute path, not \"dev/x\""},
    {"DevicePathIsTheRoot",
     [](json& j) {
         j["linux"]["devices"] = {{{"path", "/dev/.."}, {"type", "c"}, {"major", 1}, {"minor", 3}}};
     },
     "linux.devices[0].path: \"/dev/..\" names the rootfs itself, not a device node"},
    {"DevicePathSlash",
     [](json& j) {
         j["linux"]["devices"] = {{{"path", "//"}, {"type", "c"}, {"major", 1}, {"minor", 3}}};
     },
     "linux.devices[0].path: \"//\" names the rootfs itself, not a device node"},
    {"CharDeviceWithoutMajor",
     [](json& j) {
         j["linux"]["devices"] = {{{"path", "/dev/x"}, {"type", "c"}}};
     },
     "linux.devices[0].major: is required"},
    {"SysctlNotNamespaced",
     [](json& j) {
         j["linux"]["sysctl"] = {{"kernel.core_pattern", "|/tmp/x"}};
     },
     "linux.sysctl.kernel.core_pattern: is not namespaced: it would change the host"},
    {"NetSysctlWithoutNetNs",
     [](json& j) {
         j["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
     },
     "linux.sysctl.net.ipv4.ip_forward: needs a network namespace"},
    {"IpcSysctlWithoutIpcNs",
     [](json& j) {
         j["linux"]["sysctl"] = {{"kernel.shmmax", "1"}};
     },
     "linux.sysctl.kernel.shmmax: needs an ipc namespace"},
    {"SysctlPathTraversal",
     [](json& j) {
         ns(j).push_back({{"type", "network"}});
         j["linux"]["sysctl"] = {{"net.ipv4/../../kernel/core_pattern", "x"}};
     },
     "linux.sysctl.net.ipv4/../../kernel/core_pattern: is not a sysctl name"},
    {"SysctlValueNotString",
     [](json& j) {
         ns(j).push_back({{"type", "network"}});
         j["linux"]["sysctl"] = {{"net.ipv4.ip_forward", 1}};
     },
     "linux.sysctl.net.ipv4.ip_forward: must be a string, not a number"},
    {"TimeOffsetsWithoutTimeNs",
     [](json& j) {
         j["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 1}}}};
     },
     "linux.timeOffsets: needs a time namespace in linux.namespaces"},
    {"TimeOffsetsUnknownClock",
     [](json& j) {
         ns(j).push_back({{"type", "time"}});
         j["linux"]["timeOffsets"] = {{"realtime", {{"secs", 1}}}};
     },
     "linux.timeOffsets.realtime: unknown clock \"realtime\""},
    {"TimeOffsetsWithJoinedTimeNs",
     [](json& j) {
         ns(j).push_back({{"type", "time"}, {"path", "/proc/1/ns/time"}});
         j["linux"]["timeOffsets"] = {{"boottime", {{"secs", 1}}}};
     },
     "linux.timeOffsets: cannot be set when joining a time namespace by path"},
    {"TimeOffsetSecsNotInteger",
     [](json& j) {
         ns(j).push_back({{"type", "time"}});
         j["linux"]["timeOffsets"] = {{"monotonic", {{"secs", "1"}}}};
     },
     "linux.timeOffsets.monotonic.secs: must be an integer, not a string"},
    {"BadPropagation", [](json& j) { j["linux"]["rootfsPropagation"] = "bogus"; },
     "linux.rootfsPropagation: unknown propagation \"bogus\""},
    {"RelativeMaskedPath",
     [](json& j) {
         j["linux"]["maskedPaths"] = {"/proc/kcore", "proc/keys"};
     },
     "linux.maskedPaths[1]: must be an absolute path, not \"proc/keys\""},
    {"RelativeReadonlyPath", [](json& j) { j["linux"]["readonlyPaths"] = {"proc/sys"}; },
     "linux.readonlyPaths[0]: must be an absolute path, not \"proc/sys\""},
    {"MemoryLimitBelowMinusOne",
     [](json& j) {
         j["linux"]["resources"] = {{"memory", {{"limit", -2}}}};
     },
     "linux.resources.memory.limit: must be -1 (unlimited) or a positive number, not -2"},
    {"CpuSharesNegative",
     [](json& j) {
         j["linux"]["resources"] = {{"cpu", {{"shares", -1}}}};
     },
     "linux.resources.cpu.shares: must not be negative"},
    {"PidsLimitNotInteger",
     [](json& j) {
         j["linux"]["resources"] = {{"pids", {{"limit", "100"}}}};
     },
     "linux.resources.pids.limit: must be an integer, not a string"},
    {"ResourcesNotObject", [](json& j) { j["linux"]["resources"] = "none"; },
     "linux.resources: must be an object, not a string"},
    {"CgroupsPathNotString", [](json& j) { j["linux"]["cgroupsPath"] = true; },
     "linux.cgroupsPath: must be a string, not a boolean"},
    {"AnnotationNotString",
     [](json& j) {
         j["annotations"] = {{"a", 1}};
     },
     "annotations.a: must be a string, not a number"},
    {"LinuxNotObject", [](json& j) { j["linux"] = json::array(); }, "linux: must be an object, not an array"},
    {"ProcessNotObject", [](json& j) { j["process"] = "sh"; }, "process: must be an object, not a string"},
    {"TopLevelArray", [](json& j) { j = json::array({1}); }, "config.json: must be a JSON object"},
    // runtime-spec v1.2's process and linux fields
    {"SchedulerPolicyMissing", [](json& j) { j["process"]["scheduler"] = json::object(); },
     "process.scheduler.policy: is required"},
    {"SchedulerPolicyUnknown",
     [](json& j) {
         j["process"]["scheduler"] = {{"policy", "SCHED_FAST"}};
     },
     "process.scheduler.policy: unknown value \"SCHED_FAST\" (one of SCHED_BATCH, SCHED_DEADLINE, SCHED_FIFO, "
     "SCHED_IDLE, SCHED_ISO, SCHED_OTHER, SCHED_RR)"},
    {"SchedulerIso",
     [](json& j) {
         j["process"]["scheduler"] = {{"policy", "SCHED_ISO"}};
     },
     "process.scheduler.policy: SCHED_ISO is not implemented by Linux"},
    {"SchedulerNice",
     [](json& j) {
         j["process"]["scheduler"] = {{"policy", "SCHED_OTHER"}, {"nice", 20}};
     },
     "process.scheduler.nice: 20 is outside [-20, 19]"},
    {"SchedulerFifoNeedsPriority",
     [](json& j) {
         j["process"]["scheduler"] = {{"policy", "SCHED_FIFO"}};
     },
     "process.scheduler.priority: is required for SCHED_FIFO"},
    {"SchedulerPriorityOnOther",
     [](json& j) {
         j["process"]["scheduler"] = {{"policy", "SCHED_BATCH"}, {"priority", 3}};
     },
     "process.scheduler.priority: 3: only SCHED_FIFO and SCHED_RR take a priority"},
    {"SchedulerFlagUnknown",
     [](json& j) {
         j["process"]["scheduler"] = {{"policy", "SCHED_OTHER"}, {"flags", {"SCHED_FLAG_X"}}};
     },
     "process.scheduler.flags[0]: unknown value \"SCHED_FLAG_X\" (one of SCHED_FLAG_DL_OVERRUN, "
     "SCHED_FLAG_KEEP_PARAMS, "
     "SCHED_FLAG_KEEP_POLICY, SCHED_FLAG_RECLAIM, SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_UTIL_CLAMP_MAX, "
     "SCHED_FLAG_UTIL_CLAMP_MIN)"},
    {"SchedulerRuntimeNotDeadline",
     [](json& j) {
         j["process"]["scheduler"] = {{"policy", "SCHED_OTHER"}, {"runtime", 1}};
     },
     "process.scheduler.runtime: is for SCHED_DEADLINE only"},
    {"SchedulerDeadlineOrder",
     [](json& j) {
         j["process"]["scheduler"] = {{"policy", "SCHED_DEADLINE"}, {"runtime", 20}, {"deadline", 10}};
     },
     "process.scheduler.runtime: must not exceed the deadline"},
    {"IoPriorityClass",
     [](json& j) {
         j["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_NONE"}};
     },
     "process.ioPriority.class: unknown value \"IOPRIO_CLASS_NONE\" (one of IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE, "
     "IOPRIO_CLASS_RT)"},
    {"IoPriorityLevel",
     [](json& j) {
         j["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_BE"}, {"priority", 8}};
     },
     "process.ioPriority.priority: 8 is outside [0, 7]"},
    {"ExecCpuAffinityNotAList",
     [](json& j) {
         j["process"]["execCPUAffinity"] = {{"final", "0-"}};
     },
     "process.execCPUAffinity.final: \"0-\" is not a list such as \"0-3,7\": \"0-\""},
    {"ExecCpuAffinityBackwards",
     [](json& j) {
         j["process"]["execCPUAffinity"] = {{"initial", "3-1"}};
     },
     "process.execCPUAffinity.initial: \"3-1\" is not a list such as \"0-3,7\": \"3-1\" runs backwards"},
    {"PersonalityDomain",
     [](json& j) {
         j["linux"]["personality"] = {{"domain", "WINDOWS"}};
     },
     "linux.personality.domain: unknown value \"WINDOWS\" (one of LINUX, LINUX32)"},
    {"PersonalityFlags",
     [](json& j) {
         j["linux"]["personality"] = {{"domain", "LINUX"}, {"flags", {"X"}}};
     },
     "linux.personality.flags: no personality flag is defined by the runtime-spec; berth applies none"},
    {"MemoryPolicyNeedsNodes",
     [](json& j) {
         j["linux"]["memoryPolicy"] = {{"mode", "MPOL_BIND"}};
     },
     "linux.memoryPolicy.nodes: is required for MPOL_BIND"},
    {"MemoryPolicyNoNodes",
     [](json& j) {
         j["linux"]["memoryPolicy"] = {{"mode", "MPOL_LOCAL"}, {"nodes", "0"}};
     },
     "linux.memoryPolicy.nodes: MPOL_LOCAL takes no nodes"},
    {"MemoryPolicyFlags",
     [](json& j) {
         j["linux"]["memoryPolicy"] = {
             {"mode", "MPOL_BIND"}, {"nodes", "0"}, {"flags", {"MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"}}};
     },
     "linux.memoryPolicy.flags: MPOL_F_RELATIVE_NODES and MPOL_F_STATIC_NODES exclude each other"},
};

INSTANTIATE_TEST_SUITE_P(Table, SpecBad, ::testing::ValuesIn(kBadRows),
                         [](const ::testing::TestParamInfo<BadRow>& i) { return std::string(i.param.name); });

TEST(SpecV12, ProcessAndLinuxFieldsParse) {
    json j = base_config();
    j["process"]["scheduler"] = {{"policy", "SCHED_FIFO"}, {"priority", 10}, {"flags", {"SCHED_FLAG_RESET_ON_FORK"}}};
    j["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_RT"}, {"priority", 2}};
    j["process"]["execCPUAffinity"] = {{"initial", "0-1"}, {"final", "1"}};
    j["linux"]["personality"] = {{"domain", "LINUX32"}};
    j["linux"]["memoryPolicy"] = {{"mode", "MPOL_INTERLEAVE"}, {"nodes", "0,2-3"}, {"flags", {"MPOL_F_STATIC_NODES"}}};
    const auto s = parse_spec(j.dump());
    ASSERT_TRUE(s.process->scheduler && s.process->io_priority);
    EXPECT_EQ(s.process->scheduler->policy, 1u);
    EXPECT_EQ(s.process->scheduler->priority, 10u);
    EXPECT_EQ(s.process->scheduler->flags, 1u);
    EXPECT_EQ(s.process->io_priority->klass, 1);
    EXPECT_EQ(s.process->io_priority->priority, 2);
    EXPECT_EQ(s.process->exec_cpu_affinity.final, "1");
    EXPECT_EQ(s.linux.personality, 8u);
    ASSERT_TRUE(s.linux.memory_policy);
    EXPECT_EQ(s.linux.memory_policy->mode, 3 | (1 << 15));
    // exec.json keeps what exec's processes share with init.
    EXPECT_EQ(s.exec_config["linux"]["personality"]["domain"], "LINUX32");
    EXPECT_EQ(berth::spec::parse_linux_json(s.exec_config["linux"].dump()).personality, 8u);
}

TEST(SpecBadText, InvalidJson) {
    std::string msg = error_of("{\"ociVersion\": \"1.0.2\",");
    EXPECT_EQ(msg.rfind("config.json: invalid JSON: ", 0), 0u) << msg;
    EXPECT_NE(msg.find("parse error"), std::string::npos) << msg;
}

TEST(SpecBadText, EmptyText) { EXPECT_EQ(error_of("").rfind("config.json: invalid JSON: ", 0), 0u); }

TEST(SpecBadText, JsonNullIsNotAnObject) { EXPECT_EQ(error_of("null"), "config.json: must be a JSON object"); }

// Only gidMappings given without a user namespace: the error should name the
// field that is set.
TEST(SpecConsistency, GidMappingsWithoutUserNsNamesGidMappings) {
    json j = base_config();
    j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    std::string msg = error_of(j.dump());
    EXPECT_NE(msg, "<no error>");
    EXPECT_EQ(msg.rfind("linux.gidMappings:", 0), 0u) << msg;
}

// kernel.hostname / kernel.domainname are namespaced by the uts namespace:
// without one, writing them changes the host's name.
TEST(SpecConsistency, HostnameSysctlNeedsUtsNamespace) {
    json j = base_config();
    j["linux"]["sysctl"] = {{"kernel.hostname", "pwned"}};
    std::string msg = error_of(j.dump());
    EXPECT_EQ(msg.rfind("linux.sysctl.kernel.hostname: ", 0), 0u) << msg;
}

TEST(SpecConsistency, DomainnameSysctlNeedsUtsNamespace) {
    json j = base_config();
    j["linux"]["sysctl"] = {{"kernel.domainname", "pwned"}};
    std::string msg = error_of(j.dump());
    EXPECT_EQ(msg.rfind("linux.sysctl.kernel.domainname: ", 0), 0u) << msg;
}

// A clock's offset that is not an object is silently read as 0s.
TEST(SpecConsistency, TimeOffsetNotAnObject) {
    json j = base_config();
    ns(j).push_back({{"type", "time"}});
    j["linux"]["timeOffsets"] = {{"monotonic", 5}};
    std::string msg = error_of(j.dump());
    EXPECT_EQ(msg, "linux.timeOffsets.monotonic: must be an object, not a number");
}

// ---- good configs ----

// runc and crun set the name in a uts namespace joined by path (a pod's).
TEST(SpecGood, HostnameWithJoinedUtsNamespace) {
    json j = base_config();
    ns(j).push_back({{"type", "uts"}, {"path", "/proc/1/ns/uts"}});
    j["hostname"] = "box";
    EXPECT_EQ(parse_spec(j.dump()).hostname, "box");
}

TEST(SpecGood, DomainnameSysctlEqualToTheField) {
    json j = base_config();
    ns(j).push_back({{"type", "uts"}});
    j["domainname"] = "a.org";
    j["linux"]["sysctl"] = {{"kernel.domainname", "a.org"}};
    EXPECT_EQ(parse_spec(j.dump()).domainname, "a.org");
}

TEST(SpecGood, DefaultSpecParses) {
    auto s = parse_spec(berth::spec::default_spec_json());
    EXPECT_EQ(s.oci_version, "1.2.1");
    EXPECT_EQ(s.root_path, "rootfs");
    EXPECT_TRUE(s.root_readonly);
    EXPECT_EQ(s.hostname, "berth");
    ASSERT_TRUE(s.process.has_value());
    EXPECT_TRUE(s.process->terminal);
    EXPECT_TRUE(s.process->no_new_privileges);
    EXPECT_EQ(s.process->args, std::vector<std::string>{"sh"});
    EXPECT_EQ(s.process->cwd, "/");
    EXPECT_EQ(s.process->env.size(), 2u);
    ASSERT_TRUE(s.process->capabilities.has_value());
    std::vector<int> caps = {CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE};
    EXPECT_EQ(s.process->capabilities->bounding, caps);
    EXPECT_EQ(s.process->capabilities->ambient, caps);
    EXPECT_TRUE(s.process->capabilities->inheritable.empty());
    ASSERT_EQ(s.process->rlimits.size(), 1u);
    EXPECT_EQ(s.process->rlimits[0].type, "RLIMIT_NOFILE");
    EXPECT_EQ(s.process->rlimits[0].resource, RLIMIT_NOFILE);
    EXPECT_EQ(s.process->rlimits[0].soft, 1024u);
    EXPECT_EQ(s.process->rlimits[0].hard, 1024u);
    EXPECT_EQ(s.mounts.size(), 7u);
    EXPECT_EQ(s.mounts[0].destination, "/proc");
    EXPECT_EQ(s.mounts[0].type, "proc");
    EXPECT_EQ(s.linux.namespaces.size(), 6u);
    for (int f : {CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNS, CLONE_NEWCGROUP})
        EXPECT_TRUE(s.has_namespace(f)) << f;
    EXPECT_FALSE(s.has_namespace(CLONE_NEWUSER));
    EXPECT_EQ(s.linux.masked_paths.size(), 10u);
    EXPECT_EQ(s.linux.readonly_paths.size(), 5u);
    EXPECT_NE(s.linux.resources.json.find("devices"), std::string::npos);
    EXPECT_FALSE(s.linux.resources.memory.has_value());
}

// runc and crun make the mounts in the namespace they inherit; so does
// berth (under a bind of the rootfs that delete detaches).
TEST(SpecGood, MountsWithoutAMountNamespace) {
    json j = base_config();
    j["linux"]["namespaces"] = {{{"type", "pid"}}};
    j["mounts"] = {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}}};
    auto s = parse_spec(j.dump());
    EXPECT_FALSE(s.has_namespace(CLONE_NEWNS));
    EXPECT_EQ(s.mounts.size(), 1u);
}

TEST(SpecGood, RelativeMountDestinationBecomesAbsolute) {
    json j = base_config();
    j["mounts"] = {{{"destination", "data/cache"}, {"type", "tmpfs"}, {"source", "tmpfs"}}};
    auto s = parse_spec(j.dump());
    ASSERT_EQ(s.mounts.size(), 1u);
    EXPECT_EQ(s.mounts[0].destination, "/data/cache");
}

TEST(SpecGood, DotDotInsideANameIsNotDotDot) {
    json j = base_config();
    j["mounts"] = {{{"destination", "/a..b/..c"}, {"type", "tmpfs"}, {"source", "tmpfs"}}};
    EXPECT_EQ(parse_spec(j.dump()).mounts[0].destination, "/a..b/..c");
}

TEST(SpecGood, RbindTypeBecomesBindWithRbindOption) {
    json j = base_config();
    j["mounts"] = {{{"destination", "/x"}, {"type", "rbind"}, {"source", "/srv"}, {"options", {"ro"}}}};
    auto s = parse_spec(j.dump());
    ASSERT_EQ(s.mounts.size(), 1u);
    EXPECT_EQ(s.mounts[0].type, "bind");
    EXPECT_EQ(s.mounts[0].source, "/srv");
    EXPECT_EQ(s.mounts[0].options, (std::vector<std::string>{"ro", "rbind"}));
}

TEST(SpecGood, BindOptionMakesBindType) {
    json j = base_config();
    j["mounts"] = {{{"destination", "/x"}, {"type", "none"}, {"source", "/srv"}, {"options", {"bind", "ro"}}},
                   {{"destination", "/y"}, {"source", "/srv"}, {"options", {"rbind"}}}};
    auto s = parse_spec(j.dump());
    EXPECT_EQ(s.mounts[0].type, "bind");
    EXPECT_EQ(s.mounts[0].options, (std::vector<std::string>{"bind", "ro"}));
    EXPECT_EQ(s.mounts[1].type, "bind");
}

TEST(SpecGood, ResourcesParsedIntoTypedFields) {
    json j = base_config();
    j["linux"]["resources"] = {
        {"memory", {{"limit", 1048576}, {"swap", -1}, {"swappiness", 60}}},
        {"cpu", {{"shares", 512}, {"quota", 20000}, {"period", 100000}}},
        {"pids", {{"limit", 100}}},
        {"hugepageLimits", json::array()},
    };
    auto s = parse_spec(j.dump());
    const auto& r = s.linux.resources;
    ASSERT_TRUE(r.memory.has_value());
    EXPECT_EQ(r.memory->limit, 1048576);
    EXPECT_FALSE(r.memory->reservation.has_value());
    EXPECT_EQ(r.memory->swap, -1);
    EXPECT_EQ(r.memory->swappiness, 60u);
    ASSERT_TRUE(r.cpu.has_value());
    EXPECT_EQ(r.cpu->shares, 512u);
    EXPECT_EQ(r.cpu->quota, 20000);
    EXPECT_EQ(r.cpu->period, 100000u);
    ASSERT_TRUE(r.pids.has_value());
    EXPECT_EQ(r.pids->limit, 100);
    EXPECT_EQ(json::parse(r.json), j["linux"]["resources"]);
}

// docker always sends blockIO {"weight": 0}; runc reads zero and empty lists as
// unset, so it must not ask for an io plugin.
TEST(SpecGood, UnsetBlockIOIsDropped) {
    const struct {
        const char* block_io;
        bool kept;
    } cases[] = {
        {R"({"weight":0})", false},
        {R"({})", false},
        {R"({"weight":0,"leafWeight":0,"weightDevice":[],"throttleReadBpsDevice":[]})", false},
        {R"(null)", false},
        {R"({"weight":500})", true},
        {R"({"leafWeight":10})", true},
        {R"({"weightDevice":[{"major":8,"minor":0,"weight":0,"leafWeight":0}]})", false},
        {R"({"weight":0,"throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1}]})", true},
        {R"({"weightDevice":[{"major":8,"minor":0,"leafWeight":10}]})", true},
    };
    for (const auto& c : cases) {
        json j = base_config();
        j["linux"]["resources"] = {{"blockIO", json::parse(c.block_io)}, {"pids", {{"limit", 5}}}};
        auto s = parse_spec(j.dump());
        json r = json::parse(s.linux.resources.json);
        EXPECT_EQ(r.contains("blockIO"), c.kept) << c.block_io;
        EXPECT_EQ(s.linux.resources.block_io.has_value(), c.kept) << c.block_io;
        EXPECT_EQ(r["pids"]["limit"], 5) << "the rest stays";
        // update merges JSON and drops an unset blockIO with the same answer.
        EXPECT_EQ(berth::spec::without_unset_block_io(j["linux"]["resources"]).contains("blockIO"), c.kept);
    }
}

// ABI 1.4: every field of linux.resources reaches the plugins parsed.
TEST(SpecGood, EveryResourceFieldParsed) {
    const auto r = berth::spec::parse_resources_json(json::parse(R"({
        "memory": {"limit": 1048576, "kernel": -1, "kernelTCP": 4096, "disableOOMKiller": true,
                   "useHierarchy": false, "checkBeforeUpdate": true},
        "cpu": {"shares": 512, "realtimeRuntime": -1, "realtimePeriod": 1000000, "idle": 1, "burst": 5000,
                "cpus": "0-1", "mems": ""},
        "devices": [{"allow": false, "access": "rwm"},
                    {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
        "blockIO": {"weight": 500, "leafWeight": 0,
                    "weightDevice": [{"major": 8, "minor": 0, "weight": 100}, {"major": 8, "minor": 1, "weight": 0}],
                    "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1}],
                    "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 2}],
                    "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 3}],
                    "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 4}]},
        "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
        "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
        "rdma": {"mlx5_1": {"hcaHandles": 3}, "mlx4_0": {}}
    })"));
    ASSERT_TRUE(r.memory_extras);
    EXPECT_EQ(r.memory_extras->kernel, -1);
    EXPECT_EQ(r.memory_extras->kernel_tcp, 4096);
    EXPECT_EQ(r.memory_extras->disable_oom_killer, true);
    EXPECT_EQ(r.memory_extras->use_hierarchy, false);
    EXPECT_EQ(r.memory_extras->check_before_update, true);
    ASSERT_TRUE(r.cpu_extras);
    EXPECT_EQ(r.cpu_extras->realtime_runtime, -1);
    EXPECT_EQ(r.cpu_extras->realtime_period, 1000000u);
    EXPECT_EQ(r.cpu_extras->idle, 1);
    EXPECT_EQ(r.cpu_extras->burst, 5000u);
    ASSERT_TRUE(r.cpuset);
    EXPECT_EQ(r.cpuset->cpus, "0-1");
    EXPECT_EQ(r.cpuset->mems, "") << "as given";
    ASSERT_EQ(r.devices.size(), 2u);
    EXPECT_FALSE(r.devices[0].allow);
    EXPECT_EQ(r.devices[0].type, 'a');
    EXPECT_EQ(r.devices[0].major, -1);
    EXPECT_EQ(r.devices[0].minor, -1);
    EXPECT_EQ(r.devices[0].access, "rwm");
    EXPECT_EQ(r.devices[1].type, 'c');
    EXPECT_EQ(r.devices[1].major, 1);
    EXPECT_EQ(r.devices[1].minor, 3);
    ASSERT_TRUE(r.block_io);
    EXPECT_EQ(r.block_io->weight, 500);
    EXPECT_FALSE(r.block_io->leaf_weight) << "0 is unset";
    ASSERT_EQ(r.block_io->weight_device.size(), 1u) << "an entry with no weight asks for nothing";
    EXPECT_EQ(r.block_io->weight_device[0].weight, 100);
    ASSERT_EQ(r.block_io->throttle_read_bps_device.size(), 1u);
    EXPECT_EQ(r.block_io->throttle_read_bps_device[0].rate, 1u);
    ASSERT_EQ(r.block_io->throttle_write_bps_device.size(), 1u);
    EXPECT_EQ(r.block_io->throttle_write_bps_device[0].rate, 2u);
    ASSERT_EQ(r.block_io->throttle_read_iops_device.size(), 1u);
    EXPECT_EQ(r.block_io->throttle_read_iops_device[0].rate, 3u);
    ASSERT_EQ(r.block_io->throttle_write_iops_device.size(), 1u);
    EXPECT_EQ(r.block_io->throttle_write_iops_device[0].rate, 4u);
    ASSERT_EQ(r.hugepage_limits.size(), 1u);
    EXPECT_EQ(r.hugepage_limits[0].page_size, "2MB");
    EXPECT_EQ(r.hugepage_limits[0].limit, 4194304u);
    ASSERT_TRUE(r.network);
    EXPECT_EQ(r.network->class_id, 1048577u);
    ASSERT_EQ(r.network->priorities.size(), 1u);
    EXPECT_EQ(r.network->priorities[0].name, "eth0");
    EXPECT_EQ(r.network->priorities[0].priority, 5u);
    ASSERT_EQ(r.rdma.size(), 2u);
    EXPECT_EQ(r.rdma.at("mlx5_1").hca_handles, 3u);
    EXPECT_FALSE(r.rdma.at("mlx4_0").hca_handles);
    // Without the objects, nothing is set.
    const auto none = berth::spec::parse_resources_json(json::parse(R"({"network": {}})"));
    EXPECT_FALSE(none.memory_extras || none.cpu_extras || none.cpuset || none.block_io || none.network);
    EXPECT_TRUE(none.devices.empty() && none.hugepage_limits.empty() && none.rdma.empty());
}

// The rows each break one field; plugins' own checks (a page size the host
// has, a cpuset list's syntax) are in their tests.
TEST(SpecBad, ResourceFieldsNamed) {
    const struct {
        const char* resources;
        const char* message;
    } cases[] = {
        {R"({"cpu": {"realtimeRuntime": -2}})",
         "linux.resources.cpu.realtimeRuntime: must be -1 (unlimited) or a positive number, not -2"},
        {R"({"cpu": {"realtimePeriod": -5}})", "linux.resources.cpu.realtimePeriod: must not be negative"},
        {R"({"cpu": {"idle": true}})", "linux.resources.cpu.idle: must be an integer, not a boolean"},
        {R"({"cpu": {"burst": 1.5}})", "linux.resources.cpu.burst: must be an integer, not a number"},
        {R"({"cpu": {"mems": 0}})", "linux.resources.cpu.mems: must be a string, not a number"},
        {R"({"memory": {"kernelTCP": -2}})",
         "linux.resources.memory.kernelTCP: must be -1 (unlimited) or a byte count"},
        {R"({"memory": {"kernel": "x"}})", "linux.resources.memory.kernel: must be an integer, not a string"},
        {R"({"memory": {"disableOOMKiller": 1}})",
         "linux.resources.memory.disableOOMKiller: must be a boolean, not a number"},
        {R"({"memory": {"useHierarchy": "yes"}})",
         "linux.resources.memory.useHierarchy: must be a boolean, not a string"},
        {R"({"memory": {"checkBeforeUpdate": 0}})",
         "linux.resources.memory.checkBeforeUpdate: must be a boolean, not a number"},
        {R"({"devices": [{"allow": true, "access": "r"}, {"allow": true, "type": "x", "access": "r"}]})",
         "linux.resources.devices[1].type: \"x\" must be \"a\", \"b\" or \"c\""},
        {R"({"devices": [{"allow": true, "access": "rr"}]})",
         "linux.resources.devices[0].access: \"rr\": 'r' is repeated"},
        {R"({"blockIO": "bad"})", "linux.resources.blockIO: must be an object, not a string"},
        {R"({"blockIO": {"weight": 0, "unknownKey": 1}})",
         "linux.resources.blockIO.unknownKey: unknown field (known: weight, leafWeight, weightDevice, "
         "throttleReadBpsDevice, throttleWriteBpsDevice, throttleReadIOPSDevice, throttleWriteIOPSDevice)"},
        {R"({"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 100}, {"major": 8, "weight": 100}]}})",
         "linux.resources.blockIO.weightDevice[1].minor: is required"},
        {R"({"blockIO": {"throttleWriteIOPSDevice": [{"major": 8, "minor": 4294967296, "rate": 1}]}})",
         "linux.resources.blockIO.throttleWriteIOPSDevice[0].minor: 4294967296 is outside [0, 4294967295]"},
        {R"({"hugepageLimits": [{"pageSize": 2, "limit": 1}]})",
         "linux.resources.hugepageLimits[0].pageSize: must be a string, not a number"},
        {R"({"network": {"priorities": [{"name": "a/b", "priority": 1}]}})",
         "linux.resources.network.priorities[0].name: \"a/b\" is not a network interface name (1 to 15 bytes, no "
         "whitespace, '/' or ':')"},
        {R"({"rdma": {"mlx5_1": {"hcaObjects": "1"}}})",
         "linux.resources.rdma.mlx5_1.hcaObjects: must be an integer, not a string"},
    };
    for (const auto& c : cases)
        EXPECT_EQ(berth::test::error_of([&] { berth::spec::parse_resources_json(json::parse(c.resources)); }),
                  c.message)
            << c.resources;
}

TEST(SpecGood, AbsentResourcesAreNullopt) {
    auto s = parse_spec(base_config().dump());
    EXPECT_FALSE(s.linux.resources.memory);
    EXPECT_FALSE(s.linux.resources.cpu);
    EXPECT_FALSE(s.linux.resources.pids);
    EXPECT_EQ(s.linux.resources.json, "{}");
}

TEST(SpecGood, CapabilityNamesBecomeNumbers) {
    EXPECT_EQ(berth::spec::capability_number("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
    EXPECT_EQ(berth::spec::capability_number("CAP_CHOWN"), CAP_CHOWN);
    EXPECT_EQ(berth::spec::capability_number("CAP_NET_RAW"), CAP_NET_RAW);
    EXPECT_EQ(berth::spec::capability_number("CAP_BOGUS"), -1);
    EXPECT_EQ(berth::spec::capability_number("SYS_ADMIN"), -1);
    EXPECT_EQ(berth::spec::capability_number("cap_sys_admin"), -1);
    EXPECT_EQ(berth::spec::capability_number(""), -1);

    json j = base_config();
    j["process"]["capabilities"] = {{"effective", {"CAP_SYS_ADMIN", "CAP_SETUID"}}, {"permitted", {"CAP_SYS_ADMIN"}}};
    auto s = parse_spec(j.dump());
    ASSERT_TRUE(s.process->capabilities);
    EXPECT_EQ(s.process->capabilities->effective, (std::vector<int>{CAP_SYS_ADMIN, CAP_SETUID}));
    EXPECT_EQ(s.process->capabilities->permitted, (std::vector<int>{CAP_SYS_ADMIN}));
    EXPECT_TRUE(s.process->capabilities->bounding.empty());
}

TEST(SpecGood, NamespaceFlags) {
    using berth::spec::namespace_flag;
    EXPECT_EQ(namespace_flag("pid"), CLONE_NEWPID);
    EXPECT_EQ(namespace_flag("network"), CLONE_NEWNET);
    EXPECT_EQ(namespace_flag("mount"), CLONE_NEWNS);
    EXPECT_EQ(namespace_flag("user"), CLONE_NEWUSER);
    EXPECT_EQ(namespace_flag("time"), CLONE_NEWTIME);
    EXPECT_EQ(namespace_flag("net"), 0);
    EXPECT_EQ(namespace_flag("pdi"), 0);
}

TEST(SpecGood, UserNamespaceWithMappingsAndJoinedNamespace) {
    json j = base_config();
    ns(j).push_back({{"type", "user"}});
    ns(j).push_back({{"type", "network"}, {"path", "/proc/1/ns/net"}});
    j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    j["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
    auto s = parse_spec(j.dump());
    ASSERT_EQ(s.linux.uid_mappings.size(), 1u);
    EXPECT_EQ(s.linux.uid_mappings[0].host_id, 100000u);
    EXPECT_EQ(s.linux.uid_mappings[0].size, 65536u);
    ASSERT_NE(s.find_namespace(CLONE_NEWNET), nullptr);
    EXPECT_EQ(s.find_namespace(CLONE_NEWNET)->path, "/proc/1/ns/net");
    EXPECT_EQ(s.linux.sysctl.at("net.ipv4.ip_forward"), "1");
}

TEST(SpecGood, DevicesHooksAndTimeOffsets) {
    json j = base_config();
    ns(j).push_back({{"type", "time"}});
    j["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 10}, {"nanosecs", 5}}}};
    j["linux"]["devices"] = {
        {{"path", "/dev/fuse"}, {"type", "c"}, {"major", 10}, {"minor", 229}, {"fileMode", 0100666}},
        {{"path", "/dev/p"}, {"type", "p"}}};
    j["hooks"] = {{"prestart", {{{"path", "/bin/hook"}, {"args", {"hook", "a"}}, {"timeout", 3}}}}};
    auto s = parse_spec(j.dump());
    EXPECT_EQ(s.linux.time_offsets.at("monotonic"), (std::pair<int64_t, int64_t>{10, 5}));
    ASSERT_EQ(s.linux.devices.size(), 2u);
    EXPECT_EQ(s.linux.devices[0].type, 'c');
    EXPECT_EQ(s.linux.devices[0].major, 10);
    EXPECT_EQ(s.linux.devices[0].minor, 229);
    EXPECT_EQ(s.linux.devices[0].file_mode, 0666u);
    EXPECT_EQ(s.linux.devices[1].type, 'p');
    ASSERT_EQ(s.hooks.prestart.size(), 1u);
    EXPECT_EQ(s.hooks.prestart[0].timeout, 3);
    EXPECT_EQ(s.hooks.prestart[0].args, (std::vector<std::string>{"hook", "a"}));
}

TEST(SpecGood, DevicePathsAreCleaned) {
    json j = base_config();
    j["linux"]["devices"] = {{{"path", "/dev/fuse/"}, {"type", "c"}, {"major", 10}, {"minor", 229}},
                             {{"path", "/dev//net/./tun"}, {"type", "c"}, {"major", 10}, {"minor", 200}},
                             {{"path", "/../dev/x/../kvm//"}, {"type", "c"}, {"major", 10}, {"minor", 232}}};
    auto s = parse_spec(j.dump());
    ASSERT_EQ(s.linux.devices.size(), 3u);
    EXPECT_EQ(s.linux.devices[0].path, "/dev/fuse");
    EXPECT_EQ(s.linux.devices[1].path, "/dev/net/tun");
    EXPECT_EQ(s.linux.devices[2].path, "/dev/kvm");
}

TEST(SpecPure, CleanAbsolutePath) {
    const std::pair<const char*, const char*> cases[] = {
        {"/", "/"},
        {"//", "/"},
        {"/..", "/"},
        {"/./", "/"},
        {"/dev/fuse", "/dev/fuse"},
        {"/dev/fuse/", "/dev/fuse"},
        {"/dev/fuse///", "/dev/fuse"},
        {"//dev//fuse", "/dev/fuse"},
        {"/dev/./fuse", "/dev/fuse"},
        {"/dev/../../fuse", "/fuse"},
        {"/dev/a/..", "/dev"},
        {"/dev/...", "/dev/..."},
        {"/dev/.x", "/dev/.x"},
    };
    for (auto& [in, out] : cases) EXPECT_EQ(berth::spec::clean_absolute_path(in), out) << in;
}

TEST(SpecGood, LoadSpecNamesMissingBundle) {
    try {
        berth::spec::load_spec("/nonexistent-berth-bundle");
        FAIL() << "no error";
    } catch (const berth::Error& e) {
        EXPECT_STREQ(
            e.what(),
            "cannot read bundle config: open /nonexistent-berth-bundle/config.json: no such file or directory");
        EXPECT_EQ(e.err(), ENOENT);
    }
}

// ---- found by fuzzing (tests/fuzz/regressions/spec, .../seccomp) ----

TEST(SpecFuzzRegression, NumberOverflowIsInvalidJson) {
    // nlohmann throws out_of_range, not parse_error, for 1e999: it escaped parse_spec.
    EXPECT_EQ(error_of(R"({"ociVersion": "1.0.2", "root": {"path": "r"}, "x": 1e999})"),
              "config.json: invalid JSON: [json.exception.out_of_range.406] number overflow parsing '1e999'");
    EXPECT_EQ(berth::test::error_of(
                  [] { berth::spec::parse_seccomp(R"({"defaultAction": "SCMP_ACT_ALLOW", "x": 777e7777})"); }),
              "linux.seccomp: invalid JSON: [json.exception.out_of_range.406] number overflow parsing '777e7777'");
}

std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(SpecFuzzRegression, DeepNestingIsRefusedBeforeParsing) {
    // 80000 nested arrays in linux.resources overflowed the stack in json::dump().
    std::string head = R"({"ociVersion": "1.0.2", "root": {"path": "r"}, "linux": {"resources": {"x": )";
    EXPECT_EQ(error_of(head + nested(80000) + "}}}"), "config.json: nested deeper than 64 levels");
    EXPECT_EQ(error_of(head + nested(61) + "}}}"), "<no error>");  // 64 levels in all
    EXPECT_EQ(error_of(head + nested(62) + "}}}"), "config.json: nested deeper than 64 levels");
    // Brackets inside strings do not count.
    EXPECT_EQ(error_of(R"({"ociVersion": "1.0.2", "root": {"path": "r"}, "hostname": ")" + std::string(100, '[') +
                       R"(\"{"})"),
              "hostname: setting a hostname needs a uts namespace in linux.namespaces");
    EXPECT_EQ(berth::test::error_of([] { berth::spec::parse_seccomp(nested(65)); }),
              "linux.seccomp: nested deeper than 64 levels");
}

TEST(SpecFuzzRegression, NulInsideAStringIsRefused) {
    json j = base_config();
    j["process"]["args"] = {std::string("s\0h", 3)};
    EXPECT_EQ(error_of(j.dump()), "process.args[0]: must not contain a NUL character");
    j = base_config();
    j["mounts"] = {{{"destination", std::string("/a\0b", 4)}, {"type", "tmpfs"}}};
    EXPECT_EQ(error_of(j.dump()), "mounts[0].destination: must not contain a NUL character");
}

TEST(SpecFuzzRegression, MemberOfANonObjectNamesTheElement) {
    json j = base_config();
    j["process"]["rlimits"] = {"RLIMIT_NOFILE"};
    EXPECT_EQ(error_of(j.dump()), "process.rlimits[0]: must be an object, not a string");
    j = base_config();
    j["linux"]["namespaces"] = {42};
    EXPECT_EQ(error_of(j.dump()), "linux.namespaces[0]: must be an object, not a number");
}

TEST(SpecFuzzRegression, SeccompErrnoRetAbove16BitsIsRefused) {
    // libseccomp keeps 16 bits: 65536 would be errno 0, a syscall that "succeeds".
    json j = base_config();
    j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                             {"syscalls", {{{"names", {"mkdir"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 65536}}}}};
    EXPECT_EQ(error_of(j.dump()), "linux.seccomp.syscalls[0].errnoRet: 65536 is out of range (0 to 65535)");
    j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ERRNO"}, {"defaultErrnoRet", 70000}};
    EXPECT_EQ(error_of(j.dump()), "linux.seccomp.defaultErrnoRet: 70000 is out of range (0 to 65535)");
}

TEST(SeccompText, ParsesAndBuildsInMemory) {
    auto s = berth::spec::parse_seccomp(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": ["read", "no_such_syscall"], "action": "SCMP_ACT_ALLOW",
                      "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_LE"}]}]})");
    ASSERT_EQ(s.rules.size(), 1u);
    EXPECT_NE(berth::build_seccomp_filter(s), nullptr);
    EXPECT_EQ(berth::test::error_of([] { berth::spec::parse_seccomp("{\"defaultAction\": 1}"); }),
              "linux.seccomp.defaultAction: must be a string, not a number");
    std::string msg = berth::test::error_of([] { berth::spec::parse_seccomp("{"); });
    EXPECT_EQ(msg.rfind("linux.seccomp: invalid JSON: ", 0), 0u) << msg;
}

}  // namespace

// One syscall rule → libseccomp rules: all comparisons in one rule unless an
// argument is compared twice, then one rule per comparison (runc, crun).
TEST(SeccompRuleConditions, SplitsOnlyWhenAnArgumentRepeats) {
    using berth::spec::SeccompArg;
    auto arg = [](unsigned index, uint64_t value) {
        SeccompArg a;
        a.index = index;
        a.value = value;
        a.op = SCMP_CMP_EQ;
        return a;
    };
    auto shape = [](const std::vector<std::vector<SeccompArg>>& groups) {
        std::vector<std::vector<std::pair<unsigned, uint64_t>>> out;
        for (const auto& g : groups) {
            out.emplace_back();
            for (const auto& a : g) out.back().emplace_back(a.index, a.value);
        }
        return out;
    };
    using Shape = std::vector<std::vector<std::pair<unsigned, uint64_t>>>;
    const struct {
        std::vector<SeccompArg> args;
        Shape want;
    } cases[] = {
        {{}, {{}}},
        {{arg(0, 1)}, {{{0, 1}}}},
        {{arg(0, 1), arg(1, 2)}, {{{0, 1}, {1, 2}}}},
        {{arg(0, 0), arg(0, 8), arg(0, 0x20000)}, {{{0, 0}}, {{0, 8}}, {{0, 0x20000}}}},
        {{arg(0, 1), arg(1, 2), arg(0, 3)}, {{{0, 1}}, {{1, 2}}, {{0, 3}}}},
    };
    for (const auto& c : cases) EXPECT_EQ(shape(berth::spec::seccomp_rule_conditions(c.args)), c.want);
}

// The profile of issue 8: personality allowed for three values of arg 0.
TEST(SeccompText, SeveralConditionsOnOneArgumentBuild) {
    auto s = berth::spec::parse_seccomp(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [
            {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
            {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
            {"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]}]})");
    EXPECT_NE(berth::build_seccomp_filter(s), nullptr);
}

// Idmapped mounts (issue 8): uidMappings/gidMappings on a bind, or the
// idmap/ridmap options with the container's own mappings.
namespace idmapped {

json idmapped_bind(json extra) {
    json m = {{"destination", "/data"}, {"type", "bind"}, {"source", "/srv"}, {"options", {"rbind"}}};
    if (extra.is_object()) m.update(extra);
    return m;
}
const json kMap = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};

TEST(SpecIdmap, MappingsOnABind) {
    json j = base_config();
    j["mounts"] = {idmapped_bind({{"uidMappings", kMap}, {"gidMappings", kMap}})};
    auto s = parse_spec(j.dump());
    ASSERT_EQ(s.mounts[0].uid_mappings.size(), 1u);
    EXPECT_EQ(s.mounts[0].uid_mappings[0].host_id, 100000u);
    EXPECT_EQ(s.mounts[0].gid_mappings[0].size, 65536u);
    EXPECT_FALSE(s.mounts[0].recursive_idmap);
}

TEST(SpecIdmap, IdmapOptionTakesTheContainersMappings) {
    json j = base_config();
    ns(j).push_back({{"type", "user"}});
    j["linux"]["uidMappings"] = kMap;
    j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 200000}, {"size", 1000}}};
    j["mounts"] = {idmapped_bind({{"options", {"rbind", "ridmap"}}})};
    auto s = parse_spec(j.dump());
    ASSERT_EQ(s.mounts[0].uid_mappings.size(), 1u);
    EXPECT_EQ(s.mounts[0].uid_mappings[0].host_id, 100000u);
    EXPECT_EQ(s.mounts[0].gid_mappings[0].host_id, 200000u);
    EXPECT_TRUE(s.mounts[0].recursive_idmap);
}

TEST(SpecIdmap, PlainBindIsNotIdmapped) {
    json j = base_config();
    j["mounts"] = {idmapped_bind({})};
    EXPECT_TRUE(parse_spec(j.dump()).mounts[0].uid_mappings.empty());
}

// crun's form never fails create: warned about and ignored, as runc ignores
// it; it stays in the options so that later indexes name the config's.
TEST(SpecIdmap, CrunIdmapFormIsWarnedAboutAndIgnored) {
    json j = base_config();
    j["mounts"] = {idmapped_bind({{"options", {"bind", "ridmap=uids=0-1-10;gids=0-1-10", "ro"}}})};
    ::testing::internal::CaptureStderr();
    auto s = parse_spec(j.dump());
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(err,
              "berth: warning: mounts[0].options[1]: \"ridmap=uids=0-1-10;gids=0-1-10\": crun's "
              "idmap=uids=...;gids=... form is not supported and is ignored; use uidMappings and gidMappings "
              "on the mount (/data)\n");
    EXPECT_EQ(s.mounts[0].options, (std::vector<std::string>{"bind", "ridmap=uids=0-1-10;gids=0-1-10", "ro"}));
    EXPECT_TRUE(s.mounts[0].uid_mappings.empty());
    EXPECT_FALSE(s.mounts[0].recursive_idmap);
}

TEST(SpecIdmap, ErrorsNameTheField) {
    struct Row {
        json mount;
        bool userns;
        const char* expected;
    } rows[] = {
        {{{"destination", "/t"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"uidMappings", kMap}, {"gidMappings", kMap}},
         false,
         "mounts[0].uidMappings: idmapped mounts are bind mounts only, not type \"tmpfs\" (mount /t)"},
        {{{"destination", "/t"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"idmap"}}},
         true,
         "mounts[0].options: idmapped mounts are bind mounts only, not type \"tmpfs\" (mount /t)"},
        {idmapped_bind({{"uidMappings", kMap}}), false,
         "mounts[0].gidMappings: is required with uidMappings (mount /data)"},
        {idmapped_bind({{"gidMappings", kMap}}), false,
         "mounts[0].uidMappings: is required with gidMappings (mount /data)"},
        {idmapped_bind({{"uidMappings", json::array()}, {"gidMappings", kMap}}), false,
         "mounts[0].uidMappings: must not be empty"},
        {idmapped_bind({{"uidMappings", {{{"containerID", 0}, {"hostID", 1}, {"size", 0}}}}, {"gidMappings", kMap}}),
         false, "mounts[0].uidMappings[0].size: must not be 0"},
        {idmapped_bind({{"options", {"bind", "idmap"}}}), false,
         "mounts[0].uidMappings: is required for an idmap mount (/data) when the container has no user namespace "
         "mappings to take"},
    };
    for (const Row& r : rows) {
        json j = base_config();
        if (r.userns) {
            ns(j).push_back({{"type", "user"}});
            j["linux"]["uidMappings"] = kMap;
            j["linux"]["gidMappings"] = kMap;
        }
        j["mounts"] = {r.mount};
        EXPECT_EQ(error_of(j.dump()), r.expected) << r.mount.dump();
    }
}

}  // namespace idmapped
