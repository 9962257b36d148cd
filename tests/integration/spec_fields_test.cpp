// The runtime-spec fields that v1.1 and v1.2 added, and the ones the last
// round asked to check again against v1.2's text, each run with berth-probe
// (tests/probe/) as the container's process: applied (the probe sees it, and
// probe_check finds nothing else amiss) or refused with an error naming the
// field. docs/spec-fields.md lists every field of config.md and
// config-linux.md with where it is applied or refused and the test that
// shows it.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../probe/probe_check.hpp"
#include "harness.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace berth::test;

namespace {

struct FieldRow {
    const char* name;
    std::function<void(json&)> set;
    // Applied: what the probe must show (besides probe_check's own rules).
    std::function<void(const json& probe)> applied;
    // Refused: a piece of the error, which must name the field.
    const char* refused = nullptr;
};

std::ostream& operator<<(std::ostream& os, const FieldRow& r) { return os << r.name; }

void add_namespace(json& c, const char* type) { c["linux"]["namespaces"].push_back({{"type", type}}); }

const FieldRow kRows[] = {
    {"ProcessSchedulerBatchNice",
     [](json& c) {
         c["process"]["scheduler"] = {{"policy", "SCHED_BATCH"}, {"nice", 7}};
     },
     [](const json& p) {
         EXPECT_EQ(p["sched"], json({{"policy", 3}, {"nice", 7}, {"priority", 0}}));
     }},
    {"ProcessSchedulerIdle",
     [](json& c) {
         c["process"]["scheduler"] = {{"policy", "SCHED_IDLE"}};
     },
     [](const json& p) { EXPECT_EQ(p["sched"]["policy"], 5); }},
    {"ProcessSchedulerBadPolicy",
     [](json& c) {
         c["process"]["scheduler"] = {{"policy", "SCHED_ISO"}};
     },
     nullptr, "process.scheduler.policy: SCHED_ISO is not implemented by Linux"},
    {"ProcessIoPriorityBestEffort",
     [](json& c) {
         c["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_BE"}, {"priority", 3}};
     },
     [](const json& p) {
         EXPECT_EQ(p["ioprio"], json({{"class", 2}, {"priority", 3}}));
     }},
    {"ProcessIoPriorityIdle",
     [](json& c) {
         c["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_IDLE"}};
     },
     [](const json& p) { EXPECT_EQ(p["ioprio"]["class"], 3); }},
    {"ProcessUserUmask", [](json& c) { c["process"]["user"]["umask"] = 0077; },
     [](const json& p) { EXPECT_EQ(p["umask"], 0077); }},
    {"LinuxPersonalityLinux32",
     [](json& c) {
         c["linux"]["personality"] = {{"domain", "LINUX32"}};
     },
     [](const json& p) { EXPECT_EQ(p["personality"], 8); }},
    {"LinuxPersonalityFlags",
     [](json& c) {
         c["linux"]["personality"] = {{"domain", "LINUX"}, {"flags", {"ADDR_NO_RANDOMIZE"}}};
     },
     nullptr, "linux.personality.flags: no personality flag is defined"},
    {"LinuxMemoryPolicyInterleave",
     [](json& c) {
         c["linux"]["memoryPolicy"] = {{"mode", "MPOL_INTERLEAVE"}, {"nodes", "0"}};
     },
     [](const json& p) {
         EXPECT_EQ(p["mempolicy"], json({{"mode", 3}, {"flags", 0}, {"nodes", {0}}}));
     }},
    {"LinuxMemoryPolicyBindStatic",
     [](json& c) {
         c["linux"]["memoryPolicy"] = {{"mode", "MPOL_BIND"}, {"nodes", "0"}, {"flags", {"MPOL_F_STATIC_NODES"}}};
     },
     [](const json& p) {
         EXPECT_EQ(p["mempolicy"], json({{"mode", 2}, {"flags", 1 << 15}, {"nodes", {0}}}));
     }},
    {"LinuxMemoryPolicyNodeMissing",
     [](json& c) {
         c["linux"]["memoryPolicy"] = {{"mode", "MPOL_BIND"}, {"nodes", "63"}};
     },
     nullptr, "linux.memoryPolicy: set_mempolicy: invalid argument"},
    {"LinuxIntelRdt",
     [](json& c) {
         c["linux"]["intelRdt"] = {{"closID", "guaranteed_group"}};
     },
     nullptr, "linux.intelRdt: "},
    {"LinuxNetDevicesMissing",
     [](json& c) {
         c["linux"]["netDevices"] = {{"berthnone9", {{"name", "ceth0"}}}};
     },
     nullptr, "linux.netDevices.berthnone9: no such network interface on the host"},
    {"LinuxNetDevicesBadName",
     [](json& c) {
         c["linux"]["netDevices"] = {{"lo", {{"name", "a/b"}}}};
     },
     nullptr, "linux.netDevices.lo.name: \"a/b\" is not a network interface name"},
    {"LinuxTimeOffsets",
     [](json& c) {
         add_namespace(c, "time");
         c["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 10000000}}}, {"boottime", {{"secs", 20000000}}}};
     },
     [](const json& p) {
         EXPECT_GE(p["clocks"]["monotonic"].get<long long>(), 10000000) << p["clocks"];
         EXPECT_GE(p["clocks"]["boottime"].get<long long>(), 20000000) << p["clocks"];
     }},
    {"LinuxTimeOffsetsNeedATimeNamespace",
     [](json& c) {
         c["linux"]["timeOffsets"] = {{"monotonic", {{"secs", 1}}}};
     },
     nullptr, "linux.timeOffsets"},
    {"Domainname",
     [](json& c) {
         c["hostname"] = "probe";
         c["domainname"] = "berth.test";
     },
     [](const json& p) { EXPECT_EQ(p["domainname"], "berth.test"); }},
    {"MemoryKernelTcpOnV1",
     [](json& c) {
         c["linux"]["resources"] = {{"memory", {{"kernelTCP", 16777216}}}};
     },
     [](const json&) {}},
    {"HookTimeout",
     [](json& c) {
         c["hooks"] = {{"prestart", {{{"path", "/bin/sleep"}, {"args", {"sleep", "5"}}, {"timeout", 1}}}}};
     },
     nullptr, "prestart hook /bin/sleep: timed out after 1s"},
};

class SpecFields : public ContainerTest, public ::testing::WithParamInterface<FieldRow> {};

TEST_P(SpecFields, AppliedOrRefused) {
    const FieldRow& row = GetParam();
    Bundle b(tmp_->path() + "/bundle", {"/berth-probe"});
    fs::copy_file(BERTH_PROBE, b.rootfs() + "/berth-probe");
    fs::permissions(b.rootfs() + "/berth-probe", fs::perms(0755));
    row.set(b.config);
    // kernelTCP exists only on cgroup v1: on a v2 host it is refused.
    const bool v2_refusal = std::string(row.name) == "MemoryKernelTcpOnV1" && unified_host();
    b.save();
    const std::string c = id("field");
    Result r = berth({"run", "--bundle", b.dir(), c});
    if (row.refused || v2_refusal) {
        const std::string want =
            v2_refusal ? "linux.resources.memory.kernelTCP: cgroup v2 has no separate TCP" : row.refused;
        EXPECT_EQ(r.code, 1) << r.out;
        EXPECT_NE(r.err.find(want), std::string::npos) << r.err;
        EXPECT_EQ(leftovers(root_, c, b.rootfs()), std::vector<std::string>{});
        return;
    }
    ASSERT_EQ(r.code, 0) << r.err;
    const json probe = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(probe.is_object()) << r.out;
    row.applied(probe);
    ProbeHost host;
    for (const char* kind : {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"}) {
        std::error_code ec;
        host.namespaces[kind] = fs::read_symlink(std::string("/proc/self/ns/") + kind, ec).string();
    }
    const int last = std::stoi(read_text("/proc/sys/kernel/cap_last_cap"));
    host.known_caps = last >= 63 ? ~uint64_t{0} : (uint64_t{1} << (last + 1)) - 1;
    for (const auto& m : berth::test::probe_mismatches(b.config, probe, host)) ADD_FAILURE() << m;
}

INSTANTIATE_TEST_SUITE_P(Table, SpecFields, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<FieldRow>& i) { return std::string(i.param.name); });

// execCPUAffinity is for exec's processes: `initial` while berth works
// (stopped at a crash point), `final` in the process once it is in the
// container's cgroup.
class ExecAffinity : public ContainerTest {};

TEST_F(ExecAffinity, InitialForBerthFinalForTheProcess) {
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    const std::string last = std::to_string(cpus - 1);
    Bundle b(tmp_->path() + "/bundle", {"sleep", "300"});
    const std::string c = id("aff");
    ASSERT_EQ(berth({"run", "-d", "--bundle", b.dir(), c}).code, 0);
    const std::string process = tmp_->path() + "/process.json";
    json p = b.config["process"];
    p["args"] = {"sh", "-c", "grep Cpus_allowed_list /proc/self/status"};
    p["execCPUAffinity"] = {{"initial", "0"}, {"final", last}};
    std::ofstream(process) << p.dump();
    Result r = berth({"exec", "--process", process, c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "Cpus_allowed_list:\t" + last + "\n");
    ASSERT_TRUE(has_fault_points(root_, c, tmp_->path())) << "needs a build with -Dfault_injection=true";
    HeldExec held(root_, "exec.cgroup-joined", {"--process", process, c});
    ASSERT_TRUE(held.held());
    const std::string status = read_text("/proc/" + std::to_string(held.berth) + "/status");
    EXPECT_NE(status.find("Cpus_allowed_list:\t0\n"), std::string::npos) << "berth runs on the initial CPUs";
    EXPECT_EQ(held.release(), 0);
}

}  // namespace

namespace {

// linux.netDevices: a veth end of the host's moves into the container under
// its new name, and back under its own at delete; without a network
// namespace of the container's own it is refused.
class NetDevices : public ContainerTest {
protected:
    void SetUp() override {
        ContainerTest::SetUp();
        host_ = "bt" + std::to_string(getpid() % 100000);
        peer_ = host_ + "p";
        ASSERT_EQ(std::system(("ip link add " + host_ + " type veth peer name " + peer_).c_str()), 0);
    }
    void TearDown() override {
        std::system(("ip link del " + host_ + " 2>/dev/null; ip link del " + peer_ + " 2>/dev/null").c_str());
        ContainerTest::TearDown();
    }
    bool on_host(const std::string& name) { return fs::exists("/sys/class/net/" + name); }
    std::string host_, peer_;
};

TEST_F(NetDevices, MovedInUnderItsNameAndBackAtDelete) {
    Bundle b(tmp_->path() + "/bundle", {"sleep", "300"});
    b.config["linux"]["netDevices"] = {{host_, {{"name", "ctr0"}}}};
    b.save();
    const std::string c = id("net");
    Result r = berth({"run", "-d", "--bundle", b.dir(), c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(on_host(host_));
    r = berth({"exec", c, "ls", "/sys/class/net"});
    EXPECT_NE(r.out.find("ctr0"), std::string::npos) << r.out << r.err;
    EXPECT_EQ(r.out.find(host_), std::string::npos) << r.out;
    ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
    EXPECT_TRUE(on_host(host_)) << "moved back under its host name";
    EXPECT_FALSE(on_host("ctr0"));

    // A create that fails after the move gives it back too.
    b.config["process"]["args"] = {"/no/such/program"};
    b.save();
    r = berth({"run", "--bundle", b.dir(), id("netfail")});
    EXPECT_EQ(r.code, 1);
    EXPECT_TRUE(on_host(host_)) << r.err;

    // No network namespace of its own: refused, nothing moved.
    json& ns = b.config["linux"]["namespaces"];
    for (size_t i = 0; i < ns.size(); ++i)
        if (ns[i]["type"] == "network") ns.erase(i);
    b.save();
    r = berth({"run", "--bundle", b.dir(), id("nonet")});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("linux.netDevices: the container has no network namespace of its own"), std::string::npos)
        << r.err;
    EXPECT_TRUE(on_host(host_));
}

}  // namespace
