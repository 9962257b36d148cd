// The rules that compare berth-probe's report with a config
// (tests/probe/probe_check.hpp): a report that matches gives no mismatch,
// and each kind of difference is named by its config field.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../probe/probe_check.hpp"

using berth::test::probe_mismatches;
using berth::test::ProbeHost;
using nlohmann::json;

namespace {

const json kConfig = json::parse(R"({
  "process": {"user": {"uid": 0, "gid": 0, "additionalGids": [10]}, "env": ["PATH=/bin"], "cwd": "/",
              "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]},
              "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024}],
              "noNewPrivileges": true, "oomScoreAdj": 100},
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "h",
  "linux": {"namespaces": [{"type": "uts"}, {"type": "pid"}, {"type": "network", "path": "/proc/9/ns/net"}],
            "cgroupsPath": "/a/b", "maskedPaths": ["/proc/kcore", "/gone"], "readonlyPaths": ["/proc/sys"],
            "seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}
})");

const json kProbe = json::parse(R"json({
  "uid": 0, "gid": 0, "euid": 0, "egid": 0, "groups": [10], "umask": 18,
  "CapInh": "0000000000000000", "CapPrm": "0000000000000020", "CapEff": "0000000000000020",
  "CapBnd": "0000000000000020", "CapAmb": "0000000000000000", "NoNewPrivs": 1, "Seccomp": 2, "Seccomp_filters": 1,
  "rlimits": {"RLIMIT_NOFILE": {"soft": 1024, "hard": 1024}}, "oom_score_adj": 100,
  "env": ["PATH=/bin", "HOME=/root"], "cwd": "/", "hostname": "h", "domainname": "(none)",
  "isatty": [false, false, false],
  "mounts": [{"path": "/", "options": "ro,relatime"}, {"path": "/proc/kcore", "options": "rw"}],
  "cgroup": ["4:memory:/a/b", "1:cpu:/a/b"],
  "namespaces": {"uts": "uts:[2]", "pid": "pid:[3]", "net": "net:[9]", "ipc": "ipc:[1]"},
  "paths": {"/proc/kcore": {"exists": true, "dir": false, "size": 0, "writable": true}, "/gone": {"exists": false},
            "/proc/sys": {"exists": true, "dir": true, "size": 12, "writable": false}}
})json");

ProbeHost host() {
    ProbeHost h;
    h.namespaces = {{"uts", "uts:[1]"}, {"pid", "pid:[1]"}, {"net", "net:[1]"}, {"ipc", "ipc:[1]"}};
    h.joined = {{"/proc/9/ns/net", "net:[9]"}};
    h.known_caps = (uint64_t{1} << 41) - 1;
    h.cgroups_path = "/a/b";
    return h;
}

TEST(ProbeCheck, AMatchingReportHasNoMismatch) {
    EXPECT_EQ(probe_mismatches(kConfig, kProbe, host()), std::vector<std::string>{});
}

TEST(ProbeCheck, EachDifferenceNamesItsField) {
    struct Case {
        std::string pointer;  // a JSON pointer into the probe's report
        json value;
        std::string field;  // what the one mismatch must start with
    };
    const std::vector<Case> cases = {
        {"/uid", 1000, "process.user.uid"},
        {"/groups", json::array(), "process.user.additionalGids"},
        {"/umask", 0, "process.user.umask"},
        {"/CapBnd", "0000000000000021", "process.capabilities.bounding"},
        {"/CapAmb", "0000000000000020", "process.capabilities.ambient"},
        {"/CapEff", "0000000000000000", "process.capabilities.effective"},
        {"/NoNewPrivs", 0, "process.noNewPrivileges"},
        {"/Seccomp", 0, "linux.seccomp (Seccomp mode)"},
        {"/rlimits/RLIMIT_NOFILE/soft", 512, "process.rlimits RLIMIT_NOFILE"},
        {"/oom_score_adj", 0, "process.oomScoreAdj"},
        {"/env", json::array({"HOME=/root"}), "process.env"},
        {"/env", json::array({"PATH=/bin"}), "process.env (no HOME"},
        {"/cwd", "/tmp", "process.cwd"},
        {"/hostname", "other", "hostname"},
        {"/isatty/1", true, "process.terminal"},
        {"/mounts/0/options", "rw,relatime", "root.readonly"},
        {"/paths/~1proc~1kcore/size", 256, "linux.maskedPaths /proc/kcore"},
        {"/paths/~1proc~1sys/writable", true, "linux.readonlyPaths /proc/sys"},
        {"/cgroup", json::array({"4:memory:/elsewhere"}), "linux.cgroupsPath"},
        {"/namespaces/net", "net:[1]", "linux.namespaces net path"},
        {"/namespaces/uts", "uts:[1]", "linux.namespaces uts (a new one)"},
        {"/namespaces/ipc", "ipc:[5]", "linux.namespaces (no ipc"},
    };
    for (const auto& c : cases) {
        json probe = kProbe;
        probe[json::json_pointer(c.pointer)] = c.value;
        const auto got = probe_mismatches(kConfig, probe, host());
        ASSERT_EQ(got.size(), 1u) << c.pointer << ": " << json(got).dump();
        EXPECT_EQ(got[0].rfind(c.field, 0), 0u) << c.pointer << ": " << got[0];
    }
}

TEST(ProbeCheck, CapabilitiesTheKernelDoesNotKnowAreNotExpected) {
    json config = kConfig;
    config["process"]["capabilities"]["bounding"].push_back("CAP_CHECKPOINT_RESTORE");  // 40
    ProbeHost h = host();
    h.known_caps = (uint64_t{1} << 40) - 1;
    EXPECT_EQ(probe_mismatches(config, kProbe, h), std::vector<std::string>{});
}

TEST(ProbeCheck, CapabilitiesAreTheOnesExecLeaves) {
    // A non-root user keeps only its ambient capabilities, and ambient ones
    // only where also permitted and inheritable.
    json config = kConfig;
    config["process"]["user"]["uid"] = 1000;
    json probe = kProbe;
    probe["uid"] = probe["euid"] = 1000;
    probe["CapPrm"] = probe["CapEff"] = "0000000000000000";
    EXPECT_EQ(probe_mismatches(config, probe, host()), std::vector<std::string>{});
    config["process"]["capabilities"]["ambient"] = {"CAP_KILL"};
    EXPECT_EQ(probe_mismatches(config, probe, host()), std::vector<std::string>{}) << "not inheritable: no ambient";
    config["process"]["capabilities"]["inheritable"] = {"CAP_KILL"};
    probe["CapInh"] = probe["CapAmb"] = probe["CapPrm"] = probe["CapEff"] = "0000000000000020";
    EXPECT_EQ(probe_mismatches(config, probe, host()), std::vector<std::string>{});
}

TEST(ProbeCheck, ANewCgroupNamespaceShowsEveryHierarchyAtItsRoot) {
    json config = kConfig;
    config["linux"]["namespaces"].push_back({{"type", "cgroup"}});
    json probe = kProbe;
    probe["cgroup"] = {"4:memory:/", "0::/"};
    EXPECT_EQ(probe_mismatches(config, probe, host()), std::vector<std::string>{});
    probe["cgroup"] = {"4:memory:/a/b"};
    EXPECT_EQ(probe_mismatches(config, probe, host()).size(), 1u);
}

TEST(ProbeCheck, NoSeccompMeansMode0) {
    json config = kConfig;
    config["linux"].erase("seccomp");
    EXPECT_EQ(probe_mismatches(config, kProbe, host()).size(), 1u);
    json probe = kProbe;
    probe["Seccomp"] = 0;
    EXPECT_EQ(probe_mismatches(config, probe, host()), std::vector<std::string>{});
}

}  // namespace
