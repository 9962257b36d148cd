// parse_cgroup_layout on mountinfo fixtures, and CgroupManager::plan/validate
// with fake subsystems. Nothing here touches a real cgroupfs.
#include <gtest/gtest.h>

#include <algorithm>

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <set>
#include <string>

#include "error_of.hpp"
#include "cgroups/cgroup_manager.hpp"
#include "spec/spec.hpp"
#include "errors/error.hpp"

namespace {

using berth::CgroupLayout;
using berth::CgroupManager;
using berth::CgroupMode;
using berth::Resources;

// ---- fixtures ----

// A systemd host booted with the unified hierarchy only.
const char* kV2Mountinfo =
    "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
    "25 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "26 25 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n"
    "27 25 0:24 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:9 - pstore pstore rw\n";
const char* kV2SelfCgroup = "0::/user.slice/user-1000.slice/session-3.scope\n";

// Copied from this build machine's /proc/self/mountinfo and /proc/self/cgroup.
const char* kHybridMountinfo =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
const char* kHybridSelfCgroup =
    "9:name=systemd:/\n"
    "8:pids:/\n"
    "7:blkio:/\n"
    "6:freezer:/\n"
    "5:devices:/\n"
    "4:memory:/process_api/4dc529636305baf9d4675c3fdd62407f\n"
    "3:cpuset:/\n"
    "2:cpuacct:/\n"
    "1:cpu:/\n"
    "0::/\n";

// The same host without the cgroup2 mount: cgroup v1 only.
std::string legacy_mountinfo() {
    std::string s = kHybridMountinfo;
    return s.substr(0, s.find("40 30 0:37"));
}

// A systemd hybrid host (Ubuntu 20.04 style): co-mounted controllers and
// mount options that are not controllers (xattr, clone_children).
const char* kSystemdHybridMountinfo =
    "35 24 0:30 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "36 35 0:31 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
    "37 35 0:32 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup "
    "rw,xattr,name=systemd\n"
    "40 35 0:35 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct\n"
    "41 35 0:36 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup "
    "rw,net_cls,net_prio\n"
    "42 35 0:37 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,pids\n"
    "43 35 0:38 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,memory\n"
    "44 35 0:39 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:19 - cgroup cgroup "
    "rw,cpuset,clone_children\n";
const char* kSystemdHybridSelfCgroup =
    "12:pids:/user.slice/user-1000.slice/session-2.scope\n"
    "6:cpu,cpuacct:/user.slice\n"
    "5:net_cls,net_prio:/\n"
    "4:memory:/user.slice/user-1000.slice/session-2.scope\n"
    "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n"
    "0::/user.slice/user-1000.slice/session-2.scope\n";

std::set<std::string> keys(const std::map<std::string, std::string>& m) {
    std::set<std::string> out;
    for (auto& [k, v] : m) out.insert(k);
    return out;
}

// ---- layout ----

TEST(CgroupLayout, PureV2) {
    auto l = berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup);
    EXPECT_EQ(l.mode, CgroupMode::Unified);
    EXPECT_EQ(l.unified_mount, "/sys/fs/cgroup");
    EXPECT_TRUE(l.v1_mounts.empty());
    EXPECT_EQ(l.own_unified, "/user.slice/user-1000.slice/session-3.scope");
    EXPECT_TRUE(l.own_v1.empty());
    EXPECT_EQ(berth::to_string(l.mode), "unified");
}

TEST(CgroupLayout, V2AtSysFsCgroupWinsOverOtherV2Mounts) {
    std::string mi = std::string("20 1 0:50 / /run/other rw - cgroup2 cgroup2 rw\n") + kV2Mountinfo +
                     "30 25 0:51 / /sys/fs/cgroup/named rw - cgroup cgroup rw,name=foo\n";
    auto l = berth::parse_cgroup_layout(mi, kV2SelfCgroup);
    EXPECT_EQ(l.mode, CgroupMode::Unified);
    EXPECT_EQ(l.unified_mount, "/sys/fs/cgroup");
    EXPECT_TRUE(l.v1_mounts.empty());
}

TEST(CgroupLayout, HybridFromThisMachine) {
    auto l = berth::parse_cgroup_layout(kHybridMountinfo, kHybridSelfCgroup);
    EXPECT_EQ(l.mode, CgroupMode::Hybrid);
    EXPECT_EQ(berth::to_string(l.mode), "hybrid");
    EXPECT_EQ(l.unified_mount, "/sys/fs/cgroup/unified");
    EXPECT_EQ(keys(l.v1_mounts), (std::set<std::string>{"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer",
                                                        "memory", "name=systemd", "pids"}));
    EXPECT_EQ(l.v1_mounts.at("memory"), "/sys/fs/cgroup/memory");
    EXPECT_EQ(l.v1_mounts.at("name=systemd"), "/sys/fs/cgroup/systemd");
    EXPECT_EQ(l.own_v1.at("name=systemd"), "/");
    EXPECT_EQ(l.v1_mounts.at("pids"), "/sys/fs/cgroup/pids");
    EXPECT_EQ(l.own_unified, "/");
    EXPECT_EQ(l.own_v1.at("memory"), "/process_api/4dc529636305baf9d4675c3fdd62407f");
    EXPECT_EQ(l.own_v1.at("pids"), "/");
}

TEST(CgroupLayout, Legacy) {
    auto l = berth::parse_cgroup_layout(legacy_mountinfo(), kHybridSelfCgroup);
    EXPECT_EQ(l.mode, CgroupMode::Legacy);
    EXPECT_EQ(berth::to_string(l.mode), "legacy");
    EXPECT_EQ(l.unified_mount, "");
    EXPECT_EQ(l.v1_mounts.size(), 9u);
    EXPECT_EQ(l.v1_mounts.at("cpuset"), "/sys/fs/cgroup/cpuset");
}

TEST(CgroupLayout, NoCgroupMountsAtAllReadsAsUnified) {
    auto l = berth::parse_cgroup_layout("22 1 259:2 / / rw - ext4 /dev/sda1 rw\n", "");
    EXPECT_EQ(l.mode, CgroupMode::Unified);
    EXPECT_EQ(l.unified_mount, "");
}

TEST(CgroupLayout, CoMountedControllers) {
    auto l = berth::parse_cgroup_layout(kSystemdHybridMountinfo, kSystemdHybridSelfCgroup);
    EXPECT_EQ(l.mode, CgroupMode::Hybrid);
    EXPECT_EQ(l.unified_mount, "/sys/fs/cgroup/unified");
    EXPECT_EQ(l.v1_mounts.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
    EXPECT_EQ(l.v1_mounts.at("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
    EXPECT_EQ(l.v1_mounts.at("net_cls"), "/sys/fs/cgroup/net_cls,net_prio");
    EXPECT_EQ(l.v1_mounts.at("net_prio"), "/sys/fs/cgroup/net_cls,net_prio");
    EXPECT_EQ(l.v1_mounts.at("cpuset"), "/sys/fs/cgroup/cpuset");
    EXPECT_EQ(l.v1_mounts.at("name=systemd"), "/sys/fs/cgroup/systemd");
    EXPECT_EQ(l.own_v1.at("name=systemd"), "/user.slice/user-1000.slice/session-2.scope");
    EXPECT_EQ(l.own_v1.at("cpu"), "/user.slice");
    EXPECT_EQ(l.own_v1.at("cpuacct"), "/user.slice");
    EXPECT_EQ(l.own_v1.at("pids"), "/user.slice/user-1000.slice/session-2.scope");
    EXPECT_EQ(l.own_unified, "/user.slice/user-1000.slice/session-2.scope");
}

// Mount options that are not controller names must not read as controllers.
TEST(CgroupLayout, MountOptionsAreNotControllers) {
    auto l = berth::parse_cgroup_layout(kSystemdHybridMountinfo, kSystemdHybridSelfCgroup);
    std::set<std::string> want = {"cpu", "cpuacct", "cpuset", "memory", "name=systemd", "net_cls", "net_prio", "pids"};
    EXPECT_EQ(keys(l.v1_mounts), want);
}

// A named hierarchy is a hierarchy like any other, keyed by its name option
// as /proc/self/cgroup lists it; release_agent= is an option, not a name.
TEST(CgroupLayout, NamedHierarchies) {
    std::string mi = legacy_mountinfo() +
                     "41 30 0:38 / /sys/fs/cgroup/foo rw - cgroup cgroup rw,net_cls,name=foo\n"
                     "42 30 0:39 / /sys/fs/cgroup/agent rw - cgroup cgroup rw,release_agent=/sbin/x,name=agent\n";
    const std::string self = std::string(kHybridSelfCgroup) + "11:net_cls,name=foo:/f\n12:name=agent:/\n";
    auto l = berth::parse_cgroup_layout(mi, self);
    EXPECT_EQ(l.mode, CgroupMode::Legacy);
    EXPECT_EQ(l.v1_mounts.at("name=systemd"), "/sys/fs/cgroup/systemd");
    EXPECT_EQ(l.v1_mounts.at("name=foo"), "/sys/fs/cgroup/foo");
    EXPECT_EQ(l.v1_mounts.at("net_cls"), "/sys/fs/cgroup/foo") << "co-mounted with a name";
    EXPECT_EQ(l.v1_mounts.at("name=agent"), "/sys/fs/cgroup/agent");
    for (auto& [key, mount] : l.v1_mounts) EXPECT_EQ(key.find("release_agent"), std::string::npos) << key;
    EXPECT_EQ(l.own_v1.at("name=foo"), "/f");
    EXPECT_EQ(l.own_v1.at("name=agent"), "/");
}

// Named hierarchies alone do not make a host v1: with no v1 controller the
// host is unified and no v1 hierarchy is planned (docs/cgroups.md).
TEST(CgroupLayout, NamedHierarchyAloneIsNotV1) {
    const char* mi =
        "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
        "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
    auto l = berth::parse_cgroup_layout(mi, "1:name=systemd:/\n0::/\n");
    EXPECT_EQ(l.mode, CgroupMode::Unified);
    EXPECT_EQ(l.unified_mount, "/sys/fs/cgroup/unified");
    EXPECT_TRUE(l.v1_mounts.empty());
}

// ---- plan ----

class FakeSubsystem : public berth::CgroupSubsystem {
public:
    FakeSubsystem(std::string ctrl, std::string v1 = "", berth::Status verdict = berth::Status::Ok())
        : ctrl_(std::move(ctrl)), v1_(v1.empty() ? ctrl_ : std::move(v1)), verdict_(std::move(verdict)) {}
    const char* controller() const noexcept override { return ctrl_.c_str(); }
    const char* v1_controller() const noexcept override { return v1_.c_str(); }
    bool wants(const Resources& r) const noexcept override {
        if (ctrl_ == "pids") return r.pids && r.pids->limit;
        if (ctrl_ == "memory") return r.memory.has_value();
        return r.json.find("\"" + ctrl_ + "\"") != std::string::npos;
    }
    berth::Status validate(const Resources&) const noexcept override { return verdict_; }
    berth::Status apply_v2(const berth::CgroupDir&, const Resources&) noexcept override { return {}; }
    berth::Status apply_v1(const berth::CgroupDir&, const Resources&) noexcept override { return {}; }
    berth::Status stats(const berth::CgroupDir&, bool, berth::CgroupStats*) const noexcept override { return {}; }

private:
    std::string ctrl_, v1_;
    berth::Status verdict_;
};

using berth::test::error_of;

TEST(CgroupPlan, DefaultPathUnified) {
    CgroupManager m(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {});
    auto p = m.plan("", "c1");
    EXPECT_EQ(p.mode, CgroupMode::Unified);
    EXPECT_EQ(p.unified, "/sys/fs/cgroup/c1") << "one level, as runc and crun";
    EXPECT_TRUE(p.v1.empty());
    EXPECT_TRUE(p.prune.empty()) << "a hierarchy's root is never removed";
    EXPECT_TRUE(p.created.empty());
}

// A default parent (a rootless caller's, beside its own cgroup) is removed
// with its last container.
TEST(CgroupPlan, DefaultParentIsPruned) {
    CgroupManager m(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {});
    auto p = m.plan("", "c1", "/user.slice/berth");
    EXPECT_EQ(p.unified, "/sys/fs/cgroup/user.slice/berth/c1");
    EXPECT_EQ(p.prune, std::vector<std::string>{"/sys/fs/cgroup/user.slice/berth"});
    EXPECT_TRUE(m.plan("/machine/web", "c1", "/user.slice/berth").prune.empty())
        << "a given cgroupsPath's parents are not ours to remove";
}

TEST(CgroupPlan, AbsolutePath) {
    CgroupManager m(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {});
    auto p = m.plan("/machine/web", "c1");
    EXPECT_EQ(p.unified, "/sys/fs/cgroup/machine/web");
    EXPECT_TRUE(p.prune.empty()) << "a given cgroupsPath's parents are not ours to remove";
}

TEST(CgroupPlan, RelativePathIsUnderOwnCgroup) {
    CgroupManager m(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {});
    auto p = m.plan("machine/web", "c1");
    EXPECT_EQ(p.unified, "/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope/machine/web");
    EXPECT_TRUE(p.prune.empty());
}

TEST(CgroupPlan, DotDotRefused) {
    CgroupManager m(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {});
    EXPECT_EQ(error_of([&] { m.plan("/a/../b", "c1"); }), "linux.cgroupsPath: \"/a/../b\" must not contain \"..\"");
    EXPECT_EQ(error_of([&] { m.plan("../../escape", "c1"); }),
              "linux.cgroupsPath: \"../../escape\" must not contain \"..\"");
    EXPECT_EQ(error_of([&] { m.plan("/a/..", "c1"); }), "linux.cgroupsPath: \"/a/..\" must not contain \"..\"");
    EXPECT_EQ(error_of([&] { m.plan("/a..b/..c", "c1"); }), "<no error>");
}

TEST(CgroupPlan, SystemdPathRefused) {
    CgroupManager m(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {});
    EXPECT_EQ(error_of([&] { m.plan("system.slice:berth:c1", "c1"); }),
              "linux.cgroupsPath: \"system.slice:berth:c1\" looks like a systemd slice:prefix:name path; the systemd "
              "cgroup driver is not supported");
}

TEST(CgroupPlan, HybridDefaultPath) {
    FakeSubsystem pids("pids"), memory("memory"), io("io", "blkio"), absent("rdma");
    CgroupManager m(berth::parse_cgroup_layout(kHybridMountinfo, kHybridSelfCgroup), {&pids, &memory, &io, &absent});
    auto p = m.plan("", "c1");
    EXPECT_EQ(p.mode, CgroupMode::Hybrid);
    EXPECT_EQ(p.unified, "/sys/fs/cgroup/unified/c1");
    std::map<std::string, std::string> want;
    for (const char* h : {"blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids"})
        want[h] = std::string("/sys/fs/cgroup/") + h + "/c1";
    want["name=systemd"] = "/sys/fs/cgroup/systemd/c1";
    EXPECT_EQ(p.v1, want);
    EXPECT_TRUE(p.prune.empty());
    EXPECT_EQ(p.procs_dir(), "/sys/fs/cgroup/unified/c1");
    // With a default parent, each hierarchy's is pruned.
    p = m.plan("", "c1", "/berth");
    std::set<std::string> prune(p.prune.begin(), p.prune.end());
    std::set<std::string> want_prune = {"/sys/fs/cgroup/unified/berth"};
    for (auto& [h, dir] : want) want_prune.insert(dir.substr(0, dir.rfind('/')) + "/berth");
    EXPECT_EQ(prune, want_prune);
}

// Every mounted v1 hierarchy, whatever plugins are active: pause needs a
// freezer cgroup, the clients' stats read CPU and block I/O use from the
// container's cpuacct and blkio cgroups, and a root left to the container
// (name=systemd) has a release_agent it could mount with a user and a cgroup
// namespace.
TEST(CgroupPlan, EveryV1HierarchyPlannedNamedOnesIncluded) {
    CgroupManager m(berth::parse_cgroup_layout(kHybridMountinfo, kHybridSelfCgroup), {});
    auto p = m.plan("", "c1");
    EXPECT_EQ(keys(p.v1), keys(m.layout().v1_mounts));
    EXPECT_EQ(p.v1.at("freezer"), "/sys/fs/cgroup/freezer/c1");
    EXPECT_EQ(p.v1.at("name=systemd"), "/sys/fs/cgroup/systemd/c1");
    EXPECT_NE(std::find(p.planned.begin(), p.planned.end(), "/sys/fs/cgroup/systemd/c1"), p.planned.end())
        << "delete --force after a crash knows it";
    // A relative cgroupsPath is below our own cgroup in the named hierarchy too.
    CgroupManager s(berth::parse_cgroup_layout(kSystemdHybridMountinfo, kSystemdHybridSelfCgroup), {});
    EXPECT_EQ(s.plan("rel", "c1").v1.at("name=systemd"),
              "/sys/fs/cgroup/systemd/user.slice/user-1000.slice/session-2.scope/rel");
    CgroupManager v2(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {});
    EXPECT_TRUE(v2.plan("", "c1").v1.empty()) << "v2 freezes through cgroup.freeze";
}

TEST(CgroupPlan, HybridRelativePathUsesOwnV1Cgroup) {
    FakeSubsystem pids("pids"), memory("memory");
    CgroupManager m(berth::parse_cgroup_layout(kHybridMountinfo, kHybridSelfCgroup), {&pids, &memory});
    auto p = m.plan("web", "c1");
    EXPECT_EQ(p.unified, "/sys/fs/cgroup/unified/web");
    EXPECT_EQ(p.v1.at("memory"), "/sys/fs/cgroup/memory/process_api/4dc529636305baf9d4675c3fdd62407f/web");
    EXPECT_EQ(p.v1.at("pids"), "/sys/fs/cgroup/pids/web");
}

TEST(CgroupPlan, LegacyCoMounted) {
    FakeSubsystem cpu("cpu"), pids("pids");
    std::string mi = kSystemdHybridMountinfo;
    mi.erase(mi.find("36 35"), mi.find("37 35") - mi.find("36 35"));  // drop cgroup2
    CgroupManager m(berth::parse_cgroup_layout(mi, kSystemdHybridSelfCgroup), {&cpu, &pids});
    EXPECT_EQ(m.layout().mode, CgroupMode::Legacy);
    auto p = m.plan("rel", "c1");
    EXPECT_EQ(p.unified, "");
    EXPECT_EQ(p.v1.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct/user.slice/rel");
    EXPECT_EQ(p.v1.at("cpuacct"), p.v1.at("cpu")) << "co-mounted: one directory";
    EXPECT_EQ(std::count(p.planned.begin(), p.planned.end(), p.v1.at("cpu")), 1);
    EXPECT_EQ(p.v1.at("pids"), "/sys/fs/cgroup/pids/user.slice/user-1000.slice/session-2.scope/rel");
    EXPECT_EQ(p.procs_dir(), "/sys/fs/cgroup/pids/user.slice/user-1000.slice/session-2.scope/rel");
    auto d = m.plan("", "c1", "/berth");
    std::set<std::string> prune(d.prune.begin(), d.prune.end());
    EXPECT_EQ(prune, (std::set<std::string>{"/sys/fs/cgroup/cpu,cpuacct/berth", "/sys/fs/cgroup/cpuset/berth",
                                            "/sys/fs/cgroup/memory/berth", "/sys/fs/cgroup/net_cls,net_prio/berth",
                                            "/sys/fs/cgroup/pids/berth", "/sys/fs/cgroup/systemd/berth"}))
        << "every mounted hierarchy";
}

TEST(CgroupPaths, JsonRoundTrip) {
    berth::CgroupPaths p;
    p.mode = CgroupMode::Hybrid;
    p.unified = "/sys/fs/cgroup/unified/berth/c1";
    p.v1 = {{"pids", "/sys/fs/cgroup/pids/berth/c1"}, {"name=systemd", "/sys/fs/cgroup/systemd/berth/c1"}};
    p.created = {"/a", "/a/b"};
    p.prune = {"/sys/fs/cgroup/unified/berth"};
    auto q = berth::CgroupPaths::from_json(p.to_json());
    EXPECT_EQ(q.mode, CgroupMode::Hybrid);
    EXPECT_EQ(q.unified, p.unified);
    EXPECT_EQ(q.v1, p.v1);
    EXPECT_EQ(q.created, p.created);
    EXPECT_EQ(q.prune, p.prune);
    berth::CgroupPaths v1only;
    v1only.v1 = {{"memory", "/m"}, {"cpu", "/c"}};
    EXPECT_EQ(v1only.procs_dir(), "/c");
    v1only.v1["pids"] = "/p";
    EXPECT_EQ(v1only.procs_dir(), "/p");
}

// delete stops the unit state.json names: only the scope of the
// container's own directory, and only with the cgroup id it had.
TEST(CgroupPaths, SystemdUnitIsTheDirectorysScope) {
    berth::CgroupPaths p;
    p.unified = "/sys/fs/cgroup/system.slice/berth-c1.scope";
    p.systemd_unit = "berth-c1.scope";
    p.systemd_cgroup_id = 4242;
    auto q = berth::CgroupPaths::from_json(p.to_json());
    EXPECT_EQ(q.systemd_unit, "berth-c1.scope");
    EXPECT_EQ(q.systemd_cgroup_id, 4242u);
    auto refused = [&](nlohmann::json j, const std::string& what) {
        try {
            berth::CgroupPaths::from_json(j);
        } catch (const berth::Error& e) {
            EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
            return;
        }
        ADD_FAILURE() << "accepted " << j.dump();
    };
    nlohmann::json j = p.to_json();
    j["systemdUnit"] = "other.scope";
    refused(j, "is not the unit of /sys/fs/cgroup/system.slice/berth-c1.scope");
    j = p.to_json();
    j["systemdUnit"] = "system.slice";
    refused(j, "must be a scope unit name");
    j = p.to_json();
    j.erase("systemdCgroupId");
    refused(j, "systemdCgroupId");
}

// ---- validate ----

Resources pids_limit(int64_t n) {
    Resources r;
    r.pids = berth::PidsResources{n};
    return r;
}

TEST(CgroupValidate, ResourceWithoutSubsystemNamesFieldAndPlugin) {
    CgroupManager m(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {});
    EXPECT_EQ(error_of([&] { m.validate(pids_limit(100)); }),
              "linux.resources.pids: no active plugin handles the \"pids\" controller (the cgroup-pids plugin does: "
              "enable it in the plugin config or --plugins)");
    Resources mem;
    mem.memory = berth::MemoryResources{};
    mem.memory->swappiness = 10;
    EXPECT_EQ(
        error_of([&] { m.validate(mem); }),
        "linux.resources.memory: no active plugin handles the \"memory\" controller (the cgroup-memory plugin does: "
        "enable it in the plugin config or --plugins)");
    Resources cpu;
    cpu.cpu = berth::CpuResources{};
    cpu.cpu->period = 100000;
    EXPECT_EQ(error_of([&] { m.validate(cpu); }),
              "linux.resources.cpu: no active plugin handles the \"cpu\" controller (the cgroup-cpu plugin does: "
              "enable it in the plugin config or --plugins)");
}

TEST(CgroupValidate, EmptyResourceObjectsNeedNoPlugin) {
    CgroupManager m(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {});
    Resources r;
    r.pids = berth::PidsResources{};
    r.memory = berth::MemoryResources{};
    r.cpu = berth::CpuResources{};
    EXPECT_EQ(error_of([&] { m.validate(r); }), "<no error>");
}

// docker sends zeros for every value it leaves unset: zero asks for nothing.
TEST(CgroupValidate, ZeroValuesNeedNoPlugin) {
    CgroupManager m(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {});
    Resources r = berth::spec::parse_resources_json(nlohmann::json::parse(
        R"({"memory":{"limit":0,"reservation":0,"swap":0},"cpu":{"shares":0,"quota":0,"period":0,"cpus":"",)"
        R"("realtimeRuntime":0},"pids":{"limit":0},"blockIO":{"weight":0}})"));
    EXPECT_EQ(error_of([&] { m.validate(r); }), "<no error>");
}

// cpu and memory fields outside the SDK's model are refused rather than left
// unenforced when no plugin wants them.
TEST(CgroupValidate, CpuAndMemoryFieldsOutsideTheSdkNeedAPlugin) {
    FakeSubsystem cpu("cpu");
    CgroupManager m(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {&cpu});
    auto res = [](const char* text) { return berth::spec::parse_resources_json(nlohmann::json::parse(text)); };
    EXPECT_EQ(error_of([&] { m.validate(res(R"({"cpu":{"cpus":"0-1"}})")); }),
              "linux.resources.cpu.cpus: no loaded plugin handles it (it needs a plugin for the \"cpuset\" controller, "
              "e.g. cgroup-cpuset)");
    EXPECT_EQ(error_of([&] { m.validate(res(R"({"cpu":{"mems":"0"}})")); }).substr(0, 30),
              "linux.resources.cpu.mems: no l");
    // A cpu plugin serves the realtime values, idle and burst when it wants them.
    EXPECT_EQ(error_of([&] { m.validate(res(R"({"cpu":{"realtimeRuntime":950000}})")); }), "<no error>");
    CgroupManager none(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {});
    EXPECT_EQ(error_of([&] { none.validate(res(R"({"cpu":{"realtimeRuntime":950000}})")); }),
              "linux.resources.cpu.realtimeRuntime: no loaded plugin handles it (it needs a plugin for the \"cpu\" "
              "controller, "
              "e.g. cgroup-cpu)");
    for (const char* field : {"realtimePeriod", "idle", "burst"})
        EXPECT_EQ(error_of([&] {
                      none.validate(res((std::string(R"({"cpu":{")") + field + R"(":1}})").c_str()));
                  }).substr(0, 40),
                  ("linux.resources.cpu." + std::string(field) + ": no loaded plugin").substr(0, 40));
    EXPECT_EQ(
        error_of([&] { none.validate(res(R"({"memory":{"disableOOMKiller":true}})")); }),
        "linux.resources.memory.disableOOMKiller: no loaded plugin handles it (it needs a plugin for the \"memory\" "
        "controller, e.g. cgroup-memory)");
    EXPECT_EQ(error_of([&] { none.validate(res(R"({"memory":{"useHierarchy":false}})")); }).substr(0, 50),
              "linux.resources.memory.useHierarchy: no loaded plu");
    // Asking for nothing needs no plugin.
    EXPECT_EQ(error_of([&] {
                  none.validate(res(R"({"memory":{"disableOOMKiller":false,"useHierarchy":true},)"
                                    R"("cpu":{"idle":0,"burst":0,"realtimePeriod":0}})"));
              }),
              "<no error>");
    FakeSubsystem cpuset("cpuset");  // the fake wants resources whose JSON mentions "cpuset"
    CgroupManager with(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {&cpu, &cpuset});
    EXPECT_EQ(error_of([&] { with.validate(res(R"({"cpu":{"cpus":"0-1"},"x":"cpuset"})")); }), "<no error>");
}

TEST(CgroupValidate, OtherSubsystemDoesNotServe) {
    FakeSubsystem memory("memory");
    CgroupManager m(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {&memory});
    EXPECT_NE(error_of([&] { m.validate(pids_limit(5)); }).find("cgroup-pids"), std::string::npos);
}

TEST(CgroupValidate, SubsystemVerdictIsPassedOn) {
    FakeSubsystem pids("pids", "", berth::Status::Error(ERANGE, "linux.resources.pids.limit: -7 is not a limit"));
    CgroupManager m(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {&pids});
    try {
        m.validate(pids_limit(-7));
        FAIL() << "no error";
    } catch (const berth::Error& e) {
        EXPECT_STREQ(e.what(), "linux.resources.pids.limit: -7 is not a limit");
        EXPECT_EQ(e.err(), ERANGE);
    }
    FakeSubsystem ok("pids");
    CgroupManager m2(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {&ok});
    EXPECT_EQ(error_of([&] { m2.validate(pids_limit(5)); }), "<no error>");
}

TEST(CgroupValidate, V1HierarchyMissing) {
    FakeSubsystem pids("pids");
    std::string mi = legacy_mountinfo();
    mi.erase(mi.find("38 30"), mi.find("39 30") - mi.find("38 30"));  // no pids hierarchy
    CgroupManager m(berth::parse_cgroup_layout(mi, kHybridSelfCgroup), {&pids});
    EXPECT_EQ(error_of([&] { m.validate(pids_limit(5)); }),
              "linux.resources: the host has no cgroup v1 hierarchy for \"pids\"");
    // On a unified host there is no v1 hierarchy to ask for.
    CgroupManager u(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {&pids});
    EXPECT_EQ(error_of([&] { u.validate(pids_limit(5)); }), "<no error>");
}

// linux.resources.network: v2 has no net_cls nor net_prio, a v1 host may lack
// the hierarchy; both refusals name the field.
TEST(CgroupValidate, NetworkNeedsAV1NetClsHierarchy) {
    FakeSubsystem net_cls("net_cls");  // wants: the JSON mentions "net_cls"
    auto res = [](const std::string& text) { return berth::spec::parse_resources_json(nlohmann::json::parse(text)); };
    const std::string network = R"({"network":{"classID":1},"x":"net_cls"})";
    CgroupManager v2(berth::parse_cgroup_layout(kV2Mountinfo, kV2SelfCgroup), {&net_cls});
    EXPECT_EQ(error_of([&] { v2.validate(res(network)); }),
              "linux.resources.network: cgroup v2 has no net_cls nor net_prio controller (tag packets by cgroup path "
              "instead, "
              "e.g. nftables \"socket cgroupv2\")");
    CgroupManager none(berth::parse_cgroup_layout(legacy_mountinfo(), kHybridSelfCgroup), {&net_cls});
    EXPECT_EQ(error_of([&] { none.validate(res(network)); }),
              "linux.resources.network: the host has no cgroup v1 hierarchy for \"net_cls\"");
    CgroupManager co(berth::parse_cgroup_layout(kSystemdHybridMountinfo, kSystemdHybridSelfCgroup), {&net_cls});
    EXPECT_EQ(error_of([&] { co.validate(res(network)); }), "<no error>");
    CgroupManager without_plugin(berth::parse_cgroup_layout(kSystemdHybridMountinfo, kSystemdHybridSelfCgroup), {});
    EXPECT_NE(error_of([&] {
                  without_plugin.validate(res(network));
              }).find("linux.resources.network: no loaded plugin handles it"),
              std::string::npos);
}

// ---- the plan saved before the first mkdir, and what destroy removes ----
// A plain directory stands in for the cgroup2 mount: plan() and destroy()
// only stat, mkdir and rmdir.

class PlanDirs : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/berth-plan-test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        mount_ = pattern;
        layout_.mode = CgroupMode::Unified;
        layout_.unified_mount = mount_;
    }
    void TearDown() override { std::filesystem::remove_all(mount_); }
    bool there(const std::string& rel) const { return std::filesystem::exists(mount_ + rel); }
    std::string mount_;
    CgroupLayout layout_;
};

TEST_F(PlanDirs, PlanListsMissingAndExistingDirs) {
    ASSERT_EQ(::mkdir((mount_ + "/x").c_str(), 0755), 0);
    CgroupManager m(layout_, {});
    auto p = m.plan("/x/y/z", "c1");
    EXPECT_EQ(p.existing, std::vector<std::string>{mount_ + "/x"});
    EXPECT_EQ(p.planned, (std::vector<std::string>{mount_ + "/x/y", mount_ + "/x/y/z"}));
    auto back = berth::CgroupPaths::from_json(p.to_json());
    EXPECT_EQ(back.planned, p.planned);
    EXPECT_EQ(back.existing, p.existing);
}

TEST_F(PlanDirs, DestroyAfterCrashRemovesPlannedKeepsExisting) {
    ASSERT_EQ(::mkdir((mount_ + "/x").c_str(), 0755), 0);
    CgroupManager m(layout_, {});
    auto p = m.plan("/x/y/z", "c1");
    // A create that made the directories and died before saving `created`.
    ASSERT_EQ(::mkdir((mount_ + "/x/y").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((mount_ + "/x/y/z").c_str(), 0755), 0);
    CgroupManager::destroy(p);
    EXPECT_FALSE(there("/x/y"));
    EXPECT_TRUE(there("/x")) << "existed before create";
}

TEST_F(PlanDirs, DestroyAfterCrashBeforeAnyMkdir) {
    CgroupManager m(layout_, {});
    auto p = m.plan("/x/y", "c1");
    CgroupManager::destroy(p);  // nothing made: fine
    EXPECT_FALSE(there("/x"));
}

// A named hierarchy is made, and removed with the default parent, like a
// controller's.
TEST_F(PlanDirs, NamedHierarchyIsMadeAndRemoved) {
    for (const char* h : {"/pids", "/systemd"}) ASSERT_EQ(::mkdir((mount_ + h).c_str(), 0755), 0);
    layout_.mode = CgroupMode::Hybrid;
    layout_.v1_mounts = {{"pids", mount_ + "/pids"}, {"name=systemd", mount_ + "/systemd"}};
    CgroupManager m(layout_, {});
    auto p = m.plan("", "c1", "/berth");
    ASSERT_EQ(p.v1.at("name=systemd"), mount_ + "/systemd/berth/c1");
    m.create(p, Resources{});
    EXPECT_TRUE(there("/systemd/berth/c1"));
    CgroupManager::destroy(berth::CgroupPaths::from_json(p.to_json()));
    EXPECT_FALSE(there("/systemd/berth")) << "made for this container";
    EXPECT_FALSE(there("/pids/berth"));
    EXPECT_FALSE(there("/berth"));
}

TEST_F(PlanDirs, ExistingLeafIsKept) {
    ASSERT_EQ(::mkdir((mount_ + "/x").c_str(), 0755), 0);
    CgroupManager m(layout_, {});
    auto p = m.plan("/x", "c1");
    EXPECT_TRUE(p.planned.empty());
    CgroupManager::destroy(p);
    EXPECT_TRUE(there("/x"));
}

}  // namespace

// Only existing leaves are looked at, and only cgroup.procs: a fake tree is
// enough. The directories of a plan that are still missing are ours anyway.
TEST(CgroupPaths, RefuseSharedOnlyForAnExistingLeafWithProcesses) {
    char tmpl[] = "/tmp/berth-refuse-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    const std::string root = tmpl;
    const auto leaf = [&](const std::string& name, const std::string& procs) {
        const std::string d = root + "/" + name;
        std::filesystem::create_directories(d);
        FILE* f = std::fopen((d + "/cgroup.procs").c_str(), "w");
        std::fputs(procs.c_str(), f);
        std::fclose(f);
        return d;
    };
    berth::CgroupPaths p;
    p.mode = CgroupMode::Legacy;
    p.v1 = {{"pids", leaf("pids", "")}, {"memory", leaf("memory", "")}};
    p.existing = {p.v1["pids"], p.v1["memory"]};
    EXPECT_EQ(error_of([&] { berth::CgroupManager::refuse_shared(p); }), "<no error>") << "empty: reusable";
    leaf("memory", "4242\n4343\n");
    EXPECT_EQ(error_of([&] { berth::CgroupManager::refuse_shared(p); }),
              "linux.cgroupsPath: cgroup " + root +
                  "/memory is not empty (2 process(es), pid 4242): a container needs a "
                  "cgroup of its own; berth does not share one with processes it did not start");
    p.existing = {p.v1["pids"]};
    EXPECT_EQ(error_of([&] { berth::CgroupManager::refuse_shared(p); }), "<no error>") << "not there at plan time";
    p.v1["missing"] = root + "/missing";
    p.existing.push_back(root + "/missing");
    EXPECT_EQ(error_of([&] { berth::CgroupManager::refuse_shared(p); }), "<no error>") << "gone since the plan";
    std::filesystem::remove_all(root);
}

// exec --cgroup: each hierarchy's directory moved to the sub-cgroup asked for.
namespace {

berth::CgroupPaths hybrid_paths() {
    berth::CgroupPaths p;
    p.mode = berth::CgroupMode::Hybrid;
    p.unified = "/sys/fs/cgroup/unified/berth/c";
    p.v1 = {{"cpu", "/sys/fs/cgroup/cpu,cpuacct/berth/c"},
            {"cpuacct", "/sys/fs/cgroup/cpu,cpuacct/berth/c"},
            {"memory", "/sys/fs/cgroup/memory/berth/c"},
            {"name=systemd", "/sys/fs/cgroup/systemd/berth/c"}};
    return p;
}

TEST(SubCgroups, Table) {
    struct Case {
        berth::CgroupMode mode;
        std::vector<std::string> specs;
        std::string unified;
        std::map<std::string, std::string> v1;  // key → suffix added
    } cases[] = {
        {berth::CgroupMode::Hybrid, {}, "", {}},
        {berth::CgroupMode::Hybrid,
         {"sub"},
         "/sub",
         {{"cpu", "/sub"}, {"cpuacct", "/sub"}, {"memory", "/sub"}, {"name=systemd", "/sub"}}},
        {berth::CgroupMode::Hybrid,
         {"/a/b/"},
         "/a/b",
         {{"cpu", "/a/b"}, {"cpuacct", "/a/b"}, {"memory", "/a/b"}, {"name=systemd", "/a/b"}}},
        {berth::CgroupMode::Hybrid, {"memory:m"}, "", {{"memory", "/m"}}},
        // co-mounted: cpu takes cpuacct along
        {berth::CgroupMode::Hybrid,
         {"cpu:x", "memory,name=systemd:y"},
         "",
         {{"cpu", "/x"}, {"cpuacct", "/x"}, {"memory", "/y"}, {"name=systemd", "/y"}}},
        {berth::CgroupMode::Hybrid, {"cpu,cpuacct:x"}, "", {{"cpu", "/x"}, {"cpuacct", "/x"}}},
        {berth::CgroupMode::Unified, {"sub"}, "/sub", {}},
    };
    for (const Case& c : cases) {
        berth::CgroupPaths in = hybrid_paths();
        in.mode = c.mode;
        if (c.mode == berth::CgroupMode::Unified) {
            in.unified = "/sys/fs/cgroup/berth/c";
            in.v1.clear();
        }
        const berth::CgroupPaths out = berth::with_sub_cgroups(in, c.specs);
        EXPECT_EQ(out.unified, in.unified + c.unified) << c.specs.size();
        for (const auto& [key, dir] : in.v1) {
            auto it = c.v1.find(key);
            EXPECT_EQ(out.v1.at(key), dir + (it == c.v1.end() ? "" : it->second)) << key;
        }
        EXPECT_EQ(out.created, in.created);
    }
}

TEST(SubCgroups, ErrorsNameTheFlag) {
    auto err = [](std::vector<std::string> specs, berth::CgroupMode mode = berth::CgroupMode::Hybrid) {
        berth::CgroupPaths p = hybrid_paths();
        p.mode = mode;
        return berth::test::error_of([&] { berth::with_sub_cgroups(p, specs); });
    };
    EXPECT_EQ(err({"../up"}), "--cgroup \"../up\": the path may not contain \"..\"");
    EXPECT_EQ(err({"a/../../up"}), "--cgroup \"a/../../up\": the path may not contain \"..\"");
    EXPECT_EQ(err({"/"}), "--cgroup \"/\": no sub-cgroup path");
    EXPECT_EQ(err({"memory:"}), "--cgroup \"memory:\": no sub-cgroup path");
    EXPECT_EQ(err({":x"}), "--cgroup \":x\": no controller before the colon");
    EXPECT_EQ(err({"sub", "memory:m"}),
              "--cgroup \"sub\": a path without a controller must be the only --cgroup (as runc)");
    EXPECT_EQ(err({"rdma:x"}), "--cgroup \"rdma:x\": the container has no cgroup v1 hierarchy for \"rdma\"");
    EXPECT_EQ(err({"memory:a", "memory:b"}), "--cgroup \"memory:b\": a second path for \"memory\"");
    EXPECT_EQ(err({"cpu:a", "cpuacct:b"}),
              "--cgroup: \"cpuacct\" shares its hierarchy with another controller given another path");
    EXPECT_EQ(err({"memory:m"}, berth::CgroupMode::Unified),
              "--cgroup \"memory:m\": cgroup v2 has one hierarchy: give the path alone, without controllers");
}

}  // namespace
