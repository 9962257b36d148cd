// The cpuset, hugetlb, io, rdma and misc controller plugins, linux.resources.unified, and the cpu and memory
// fields outside the SDK's model, on real containers, through
// whichever hierarchy the host has: v1 here (hugetlb on the hybrid host's
// cgroup2 mount), v2 in tests/v2vm (the same binary runs in both; run the
// guest with --smp 2 for the cpuset update test).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.hpp"

namespace berth::test {
namespace {

using json = nlohmann::json;

// A line of /proc/<pid>/status ("Cpus_allowed_list:\t0-1" → "0-1").
std::string status_field(const std::string& status, const std::string& key) {
    std::istringstream in(status);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + ":", 0) == 0) return line.substr(line.find_first_not_of(" \t", key.size() + 1));
    return "";
}

// The process's cgroup2 directory: /sys/fs/cgroup on a v2 host, the hybrid
// host's cgroup2 mount at /sys/fs/cgroup/unified otherwise.
std::string unified_dir(pid_t pid) {
    std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/cgroup"));
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("0::", 0) == 0)
            return (unified_host() ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified") + line.substr(3);
    return "";
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

class CgroupControllers : public ContainerTest {
protected:
    void SetUp() override {
        ContainerTest::SetUp();
        std::printf("cgroup mode under test: %s\n", unified_host() ? "v2 (unified)" : "v1 (hybrid)");
    }
    std::string id() { return ContainerTest::id("ctl"); }

    // create with `resources`; returns init's pid, or -1 (the error in err_).
    pid_t create(Bundle& b, const json& resources, const std::string& c) {
        b.config["linux"]["resources"] = resources;
        b.save();
        const std::string pidfile = b.dir() + "/pid";
        Result r = berth({"create", "--bundle", b.dir(), "--pid-file", pidfile, c});
        err_ = r.err;
        if (r.code != 0) return -1;
        return std::stoi(read_text(pidfile));
    }
    std::string cpuset_dir(pid_t pid) { return unified_host() ? cgroup_dir(pid, "") : cgroup_dir(pid, "cpuset"); }
    std::string err_;
    Result r_;
};

// ---- cpuset ----

TEST_F(CgroupControllers, CpusAndMemsPinTheContainer) {
    Bundle b(tmp_->path() + "/b", {"grep", "_allowed_list", "/proc/self/status"});
    b.config["linux"]["resources"] = {{"cpu", {{"cpus", "0"}, {"mems", "0"}}}};
    b.save();
    Result r = berth({"run", "--bundle", b.dir(), id()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(status_field(r.out, "Cpus_allowed_list"), "0") << r.out;
    EXPECT_EQ(status_field(r.out, "Mems_allowed_list"), "0") << r.out;
}

TEST_F(CgroupControllers, CpusetFilesAndNestedParents) {
    // A nested cgroupsPath: on v1 every new level must get its parent's
    // lists, or init could not join the leaf.
    Bundle b(tmp_->path() + "/b", {"sleep", "60"});
    const std::string c = id();
    b.config["linux"]["cgroupsPath"] = "/berthtest-" + c + "/a/b";
    const pid_t pid = create(b, {{"cpu", {{"cpus", "0"}}}}, c);
    ASSERT_GT(pid, 0) << err_;
    const std::string dir = cpuset_dir(pid);
    ASSERT_NE(dir.find("/berthtest-" + c + "/a/b"), std::string::npos) << dir;
    EXPECT_EQ(read_text(dir + "/cpuset.cpus"), "0\n");
    if (!unified_host()) {
        const std::string mems = read_text("/sys/fs/cgroup/cpuset/cpuset.mems");
        EXPECT_EQ(read_text(dir + "/cpuset.mems"), mems) << "mems unset: the leaf has its parent's";
        EXPECT_EQ(read_text(std::filesystem::path(dir).parent_path().string() + "/cpuset.cpus"),
                  read_text("/sys/fs/cgroup/cpuset/cpuset.cpus"))
            << "a new parent has the root's CPUs";
    }
    EXPECT_EQ(status_field(read_text("/proc/" + std::to_string(pid) + "/status"), "Cpus_allowed_list"), "0");
    ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
    EXPECT_FALSE(exists(dir));
}

TEST_F(CgroupControllers, ContainersWithoutCpusetStillStart) {
    // The plugin is loaded: on v1 every container joins a cpuset directory,
    // which must not be left with empty lists.
    Bundle b(tmp_->path() + "/b", {"true"});
    Result r = berth({"run", "--bundle", b.dir(), id()});
    EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(CgroupControllers, UpdateCpusetCpus) {
    const std::string allowed = status_field(read_text("/proc/self/status"), "Cpus_allowed_list");
    if (allowed == "0") GTEST_SKIP() << "one CPU only: nothing to move the container to (run the guest with --smp 2)";
    Bundle b(tmp_->path() + "/b", {"sleep", "60"});
    const std::string c = id();
    const pid_t pid = create(b, {{"cpu", {{"cpus", "0"}}}}, c);
    ASSERT_GT(pid, 0) << err_;
    Result r = berth({"update", "--cpuset-cpus", "1", c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(read_text(cpuset_dir(pid) + "/cpuset.cpus"), "1\n");
    EXPECT_EQ(status_field(read_text("/proc/" + std::to_string(pid) + "/status"), "Cpus_allowed_list"), "1");
    r = berth({"update", "--cpuset-cpus", "0-", c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("linux.resources.cpu.cpus: \"0-\" is not a list of CPUs"), std::string::npos) << r.err;
    EXPECT_EQ(read_text(cpuset_dir(pid) + "/cpuset.cpus"), "1\n") << "a refused update writes nothing";
}

TEST_F(CgroupControllers, BadCpuListIsRefusedNamingTheField) {
    Bundle b(tmp_->path() + "/b", {"true"});
    const std::string c = id();
    EXPECT_EQ(create(b, {{"cpu", {{"cpus", "0,,1"}}}}, c), -1);
    EXPECT_NE(err_.find("linux.resources.cpu.cpus: \"0,,1\" is not a list of CPUs such as \"0-2,4\": item 2 is empty"),
              std::string::npos)
        << err_;
    EXPECT_EQ(create(b, {{"cpu", {{"mems", "x"}}}}, c), -1);
    EXPECT_NE(err_.find("linux.resources.cpu.mems: \"x\""), std::string::npos) << err_;
    // The leftovers check of the fixture: nothing created.
}

// ---- hugetlb ----

TEST_F(CgroupControllers, HugetlbLimitLandsInTheFile) {
    Bundle b(tmp_->path() + "/b", {"sleep", "60"});
    const std::string c = id();
    const pid_t pid = create(b, {{"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 4194304}}}}}, c);
    ASSERT_GT(pid, 0) << err_;
    const std::string dir = unified_dir(pid);
    ASSERT_FALSE(dir.empty());
    EXPECT_EQ(read_text(dir + "/hugetlb.2MB.max"), "4194304\n");
    if (exists(dir + "/hugetlb.2MB.rsvd.max")) EXPECT_EQ(read_text(dir + "/hugetlb.2MB.rsvd.max"), "4194304\n");
    else std::printf("no hugetlb.2MB.rsvd.max: reservation limits not checked (kernel < 5.7)\n");
    // events --stats reads the counters back through the plugin without error.
    Result r = berth({"events", "--stats", c});
    EXPECT_EQ(r.code, 0) << r.err;
    ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
    EXPECT_FALSE(exists(dir));
}

TEST_F(CgroupControllers, HugetlbUnknownPageSizeIsRefused) {
    Bundle b(tmp_->path() + "/b", {"true"});
    EXPECT_EQ(
        create(b, {{"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 0}}, {{"pageSize", "3MB"}, {"limit", 0}}}}},
               id()),
        -1);
    EXPECT_NE(err_.find("linux.resources.hugepageLimits[1].pageSize: \"3MB\" is not a huge page size of this host"),
              std::string::npos)
        << err_;
}

TEST_F(CgroupControllers, HugetlbLimitIsEnforced) {
    const std::string pool = "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages";
    if (!exists(pool) || std::stoi(read_text(pool)) < 2)
        GTEST_SKIP() << "fewer than two free 2 MiB huge pages (vm.nr_hugepages): enforcement not tested here";
    Bundle b(tmp_->path() + "/b", {"true"});
    std::filesystem::copy_file(BERTH_HUGETLB_MMAP, b.rootfs() + "/hugetlb_mmap");
    // One page allowed: two fail (mmap refused, or SIGBUS on touch without
    // reservation limits), one works.
    const json limit = {{"hugepageLimits", {{{"pageSize", "2MB"}, {"limit", 2097152}}}}};
    b.config["linux"]["resources"] = limit;
    b.config["process"]["args"] = {"/hugetlb_mmap", "4194304"};
    b.save();
    Result r = berth({"run", "--bundle", b.dir(), id()});
    EXPECT_TRUE(r.code == 1 || r.code == 128 + SIGBUS) << r.code << " " << r.out << r.err;
    EXPECT_EQ(r.out.find("mmap-ok"), std::string::npos) << r.out;
    b.config["process"]["args"] = {"/hugetlb_mmap", "2097152"};
    b.save();
    r = berth({"run", "--bundle", b.dir(), id()});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("mmap-ok"), std::string::npos) << r.out;
}

// ---- io (blkio on v1) ----

// A loop device over a small file, detached again on destruction: a block
// device whose major:minor the throttles can name (the v2 guest's root is
// 9p, with no block device; run it with --modules loop).
class LoopDevice {
public:
    explicit LoopDevice(const std::string& dir) {
        const std::string file = dir + "/loop.img";
        if (std::system(("truncate -s 4M " + file).c_str()) != 0) return;
        FILE* p = ::popen(("losetup -f --show " + file + " 2>/dev/null").c_str(), "r");
        if (!p) return;
        char buf[256] = {};
        if (std::fgets(buf, sizeof buf, p)) path_ = trimmed(buf);
        ::pclose(p);
        struct stat st;
        if (path_.empty() || ::stat(path_.c_str(), &st) != 0 || !S_ISBLK(st.st_mode)) return;
        major_ = major(st.st_rdev);
        minor_ = minor(st.st_rdev);
    }
    ~LoopDevice() {
        if (!path_.empty()) std::system(("losetup -d " + path_).c_str());
    }
    bool ok() const { return major_ >= 0; }
    const std::string& path() const { return path_; }
    std::string id() const { return std::to_string(major_) + ":" + std::to_string(minor_); }
    int major_ = -1, minor_ = -1;

private:
    std::string path_;
};

std::string io_dir(pid_t pid) { return unified_host() ? cgroup_dir(pid, "") : cgroup_dir(pid, "blkio"); }

TEST_F(CgroupControllers, IoThrottlesLandInTheFiles) {
    LoopDevice loop(tmp_->path());
    ASSERT_TRUE(loop.ok()) << "losetup failed (in the v2 guest: --modules loop)";
    Bundle b(tmp_->path() + "/b", {"sleep", "60"});
    const std::string c = id();
    auto dev = [&](uint64_t rate) { return json{{"major", loop.major_}, {"minor", loop.minor_}, {"rate", rate}}; };
    const pid_t pid = create(b,
                             {{"blockIO",
                               {{"weight", 0},
                                {"throttleReadBpsDevice", {dev(1048576)}},
                                {"throttleWriteBpsDevice", {dev(2097152)}},
                                {"throttleReadIOPSDevice", {dev(100)}},
                                {"throttleWriteIOPSDevice", {dev(200)}}}}},
                             c);
    ASSERT_GT(pid, 0) << err_;
    const std::string dir = io_dir(pid);
    if (unified_host()) {
        EXPECT_EQ(read_text(dir + "/io.max"), loop.id() + " rbps=1048576 wbps=2097152 riops=100 wiops=200\n");
    } else {
        EXPECT_EQ(read_text(dir + "/blkio.throttle.read_bps_device"), loop.id() + " 1048576\n");
        EXPECT_EQ(read_text(dir + "/blkio.throttle.write_bps_device"), loop.id() + " 2097152\n");
        EXPECT_EQ(read_text(dir + "/blkio.throttle.read_iops_device"), loop.id() + " 100\n");
        EXPECT_EQ(read_text(dir + "/blkio.throttle.write_iops_device"), loop.id() + " 200\n");
    }
    Result r = berth({"events", "--stats", c});
    EXPECT_EQ(r.code, 0) << r.err;
    ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
}

TEST_F(CgroupControllers, IoWeight) {
    Bundle b(tmp_->path() + "/b", {"sleep", "60"});
    const std::string c = id();
    const pid_t pid = create(b, {{"blockIO", {{"weight", 500}}}}, c);
    if (!unified_host()) {
        // CFQ's file, or BFQ's (this host's: only in non-root cgroups); a
        // kernel with neither refuses, naming the field.
        if (pid == -1) {
            EXPECT_NE(
                err_.find("linux.resources.blockIO.weight: the kernel offers no blkio.weight or blkio.bfq.weight"),
                std::string::npos)
                << err_;
            std::printf("v1 host without a weight file: the refusal was checked, not a weight\n");
            return;
        }
        const std::string dir = io_dir(pid);
        const std::string file = exists(dir + "/blkio.weight") ? "/blkio.weight" : "/blkio.bfq.weight";
        std::printf("v1 weight file: %s\n", file.c_str());
        EXPECT_EQ(trimmed(read_text(dir + file)), "500") << file;
        r_ = berth({"update", "--blkio-weight", "1000", c});
        EXPECT_EQ(r_.code, 0) << r_.err;
        EXPECT_EQ(trimmed(read_text(dir + file)), "1000") << file;
        return;
    }
    ASSERT_GT(pid, 0) << err_;
    const std::string dir = io_dir(pid);
    if (exists(dir + "/io.bfq.weight")) {
        EXPECT_EQ(read_text(dir + "/io.bfq.weight"), "default 500\n");
    } else {
        EXPECT_EQ(read_text(dir + "/io.weight"), "default 4950\n") << "blkio 500 → io.weight 4950";
        r_ = berth({"update", "--blkio-weight", "1000", c});
        EXPECT_EQ(r_.code, 0) << r_.err;
        EXPECT_EQ(read_text(dir + "/io.weight"), "default 10000\n");
    }
}

TEST_F(CgroupControllers, DockersZeroWeightIsUnset) {
    Bundle b(tmp_->path() + "/b", {"true"});
    b.config["linux"]["resources"] = {{"blockIO", {{"weight", 0}}}};
    b.save();
    Result r = berth({"run", "--bundle", b.dir(), id()});
    EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(CgroupControllers, BadBlockIOIsRefusedNamingTheField) {
    Bundle b(tmp_->path() + "/b", {"true"});
    EXPECT_EQ(create(b, {{"blockIO", {{"throttleReadBpsDevice", {{{"major", 7}, {"minor", 0}}}}}}}, id()), -1);
    EXPECT_NE(err_.find("linux.resources.blockIO.throttleReadBpsDevice[0].rate: is required"), std::string::npos)
        << err_;
    EXPECT_EQ(create(b, {{"blockIO", {{"weight", 5}}}}, id()), -1);
    EXPECT_NE(err_.find("linux.resources.blockIO.weight: 5 is outside [10, 1000]"), std::string::npos) << err_;
}

// ---- rdma ----

// Neither machine has an RDMA device: what is tested is that a limit reaches
// the container's rdma.max (whose kernel refuses an unknown device, ENODEV),
// or, on this host without an rdma controller, the refusal naming it.
TEST_F(CgroupControllers, RdmaLimitReachesTheKernel) {
    Bundle b(tmp_->path() + "/b", {"true"});
    EXPECT_EQ(create(b, {{"rdma", {{"nosuchdev0", {{"hcaHandles", 3}, {"hcaObjects", 100}}}}}}, id()), -1);
    if (unified_host())
        EXPECT_NE(err_.find("write nosuchdev0 hca_handle=3 hca_object=100 to "), std::string::npos) << err_;
    else EXPECT_NE(err_.find("the host has no cgroup v1 hierarchy for \"rdma\""), std::string::npos) << err_;
    EXPECT_EQ(create(b, {{"rdma", {{"mlx5_1", {{"hcaHandles", -1}}}}}}, id()), -1);
    EXPECT_NE(err_.find("linux.resources.rdma.mlx5_1.hcaHandles: must not be negative"), std::string::npos) << err_;
}

// ---- linux.resources.unified and cgroup-misc ----

// The keys reach the container's v2 directory, after the plugins' own values
// (unified wins), and `update -r` takes the same path. On this hybrid host
// only a controller on the cgroup2 mount (hugetlb) may be named.
TEST_F(CgroupControllers, UnifiedKeysLandInTheContainersCgroup) {
    Bundle b(tmp_->path() + "/b", {"sleep", "60"});
    const std::string c = id();
    const json res = {{"pids", {{"limit", 5}}}, {"unified", {{"memory.high", "33554432"}, {"pids.max", "7"}}}};
    pid_t pid = create(b, res, c);
    if (!unified_host()) {
        EXPECT_EQ(pid, -1);
        EXPECT_NE(
            err_.find(
                "linux.resources.unified[\"memory.high\"]: invalid configuration: cannot use unified on cgroup v1 "
                "(the host's cgroups are hybrid and \"memory\" is not on its cgroup2 mount)"),
            std::string::npos)
            << err_;
        pid = create(b, {{"unified", {{"hugetlb.2MB.max", "4194304"}}}}, c);
        ASSERT_GT(pid, 0) << err_;
        EXPECT_EQ(read_text(unified_dir(pid) + "/hugetlb.2MB.max"), "4194304\n");
        ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
        return;
    }
    ASSERT_GT(pid, 0) << err_;
    const std::string dir = unified_dir(pid);
    EXPECT_EQ(read_text(dir + "/memory.high"), "33554432\n");
    EXPECT_EQ(read_text(dir + "/pids.max"), "7\n") << "the unified value wins over pids.limit";
    std::ofstream(tmp_->path() + "/res.json") << R"({"unified": {"pids.max": "9", "memory.high": "max"}})";
    Result r = berth({"update", "-r", tmp_->path() + "/res.json", c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(read_text(dir + "/pids.max"), "9\n");
    EXPECT_EQ(read_text(dir + "/memory.high"), "max\n");
    std::ofstream(tmp_->path() + "/bad.json") << R"({"unified": {"cgroup.procs": "1"}})";
    r = berth({"update", "-r", tmp_->path() + "/bad.json", c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("linux.resources.unified[\"cgroup.procs\"]: the runtime owns this core file"),
              std::string::npos)
        << r.err;
    ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
}

TEST_F(CgroupControllers, BadUnifiedKeysAreRefusedNamingThem) {
    Bundle b(tmp_->path() + "/b", {"true"});
    EXPECT_EQ(create(b, {{"unified", {{"foo.bar", "1"}}}}, id()), -1);
    EXPECT_NE(err_.find("linux.resources.unified[\"foo.bar\"]: no active plugin serves controller \"foo\""),
              std::string::npos)
        << err_;
    EXPECT_EQ(create(b, {{"unified", {{"../memory.max", "1"}}}}, id()), -1);
    EXPECT_NE(
        err_.find("linux.resources.unified[\"../memory.max\"]: must be a file name in the container's cgroup (no '/')"),
        std::string::npos)
        << err_;
    EXPECT_EQ(create(b, {{"unified", {{"pids.max", 7}}}}, id()), -1);
    EXPECT_NE(err_.find("linux.resources.unified[\"pids.max\"]: must be a string"), std::string::npos) << err_;
    // The leftovers check of the fixture: nothing created.
}

// misc.max through unified. v1 has no misc controller, and this host's
// cgroup2 mount does not offer it: refused naming the field.
TEST_F(CgroupControllers, MiscMaxThroughUnified) {
    Bundle b(tmp_->path() + "/b", {"sleep", "60"});
    const std::string c = id();
    if (!unified_host()) {
        EXPECT_EQ(create(b, {{"unified", {{"misc.max", "sev 1"}}}}, c), -1);
        EXPECT_NE(
            err_.find("linux.resources.unified[\"misc.max\"]: invalid configuration: cannot use unified on cgroup v1"),
            std::string::npos)
            << err_;
        return;
    }
    const std::string controllers = read_text("/sys/fs/cgroup/cgroup.controllers");
    if ((" " + trimmed(controllers) + " ").find(" misc ") == std::string::npos)
        GTEST_SKIP() << "the kernel has no misc controller (/sys/fs/cgroup/cgroup.controllers: " << trimmed(controllers)
                     << ")";
    // A resource the kernel knows (misc.capacity lists them, SEV ASIDs on
    // x86), else one it does not, whose refusal proves the write reached it.
    std::string resource;
    if (exists("/sys/fs/cgroup/misc.capacity"))
        std::istringstream(read_text("/sys/fs/cgroup/misc.capacity")) >> resource;
    if (resource.empty()) {
        std::printf("misc.capacity lists no resource: checking that misc.max reaches the kernel\n");
        EXPECT_EQ(create(b, {{"unified", {{"misc.max", "nosuchres 1"}}}}, c), -1);
        EXPECT_NE(err_.find("linux.resources.unified[\"misc.max\"]: write nosuchres 1 to "), std::string::npos) << err_;
        return;
    }
    const pid_t pid = create(b, {{"unified", {{"misc.max", resource + " 0"}}}}, c);
    ASSERT_GT(pid, 0) << err_;
    const std::string dir = unified_dir(pid);
    EXPECT_NE(read_text(dir + "/misc.max").find(resource + " 0\n"), std::string::npos) << read_text(dir + "/misc.max");
    Result r = berth({"events", "--stats", c});
    EXPECT_EQ(r.code, 0) << r.err;
    ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
}

// ---- network (net_cls, net_prio) ----

// This host mounts neither net_cls nor net_prio, and v2 has neither: both
// refuse linux.resources.network by name, before anything is made.
TEST_F(CgroupControllers, NetworkIsRefusedWhereTheHostHasNoNetCls) {
    Bundle b(tmp_->path() + "/b", {"true"});
    const std::string c = id();
    EXPECT_EQ(create(b, {{"network", {{"classID", 1048577}}}}, c), -1);
    if (unified_host())
        EXPECT_NE(err_.find("linux.resources.network: cgroup v2 has no net_cls nor net_prio controller"),
                  std::string::npos)
            << err_;
    else
        EXPECT_NE(err_.find("linux.resources.network: the host has no cgroup v1 hierarchy for \"net_cls\""),
                  std::string::npos)
            << err_;
    EXPECT_TRUE(leftovers(root_, c, b.rootfs()).empty());
    EXPECT_EQ(create(b, {{"network", {{"priorities", {{{"name", "lo"}, {"priority", -1}}}}}}}, id()), -1);
    EXPECT_NE(err_.find("linux.resources.network.priorities[0].priority: must not be negative"), std::string::npos)
        << err_;
}

// The values reach net_cls.classid and net_prio.ifpriomap: berth runs in a
// private mount namespace (unshare -m, propagation private) where a
// net_cls,net_prio hierarchy is mounted below the test's temp dir, so the
// host's mounts are never touched. create, the reads and delete all run in
// that namespace, the only one that sees the hierarchy.
TEST_F(CgroupControllers, NetworkValuesReachNetClsAndNetPrio) {
    if (unified_host()) GTEST_SKIP() << "v2 guest: berth refuses network there (the refusal test covers it)";
    Bundle b(tmp_->path() + "/b", {"sleep", "60"});
    const std::string c = id();
    b.config["linux"]["resources"] = {
        {"network", {{"classID", 1048577}, {"priorities", {{{"name", "lo"}, {"priority", 7}}}}}}};
    b.config["linux"]["cgroupsPath"] = "/berthtest-" + c;
    b.save();
    const std::string mnt = tmp_->path() + "/net_cls,net_prio";
    std::filesystem::create_directories(mnt);
    const std::string berth_cmd =
        std::string(BERTH_BIN) + " --root " + root_ + " --plugin-config " + BERTH_TEST_PLUGIN_CONFIG;
    const std::string dir = mnt + "/berthtest-" + c;
    // Single-quoted for the outer shell: $(...) must run inside the namespace.
    const std::string script =
        "mount -t cgroup -o net_cls,net_prio none \"" + mnt + "\" || exit 3; " + berth_cmd + " create --bundle " +
        b.dir() + " " + c + " || exit 4; echo classid=$(cat \"" + dir + "/net_cls.classid\"); grep \"^lo \" \"" + dir +
        "/net_prio.ifpriomap\"; " + berth_cmd + " delete --force " + c + "; [ -e \"" + dir +
        "\" ] && echo left-behind; " +
        // A removed cgroup may linger a moment (dying): unmounting before
        // it is released would leave the kernel a mount-less net_cls
        // hierarchy that every process then lists in /proc/PID/cgroup.
        "i=0; while [ $i -lt 100 ] && [ \"$(grep ^net_cls /proc/cgroups | cut -f3)\" != 1 ]; do sleep 0.1; "
        "i=$((i+1)); done; umount \"" +
        mnt + "\"; exit 0";
    FILE* p = ::popen(("unshare -m --propagation private sh -c '" + script + "' 2>&1").c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    const int status = ::pclose(p);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << ": " << out;
    EXPECT_NE(out.find("classid=1048577\n"), std::string::npos) << out;
    EXPECT_NE(out.find("lo 7\n"), std::string::npos) << out;
    EXPECT_EQ(out.find("left-behind"), std::string::npos) << out;
}

// ---- memory and cpu fields outside the SDK's model ----

std::string memory_dir(pid_t pid) { return unified_host() ? cgroup_dir(pid, "") : cgroup_dir(pid, "memory"); }
std::string cpu_dir(pid_t pid) { return unified_host() ? cgroup_dir(pid, "") : cgroup_dir(pid, "cpu"); }

TEST_F(CgroupControllers, DisableOomKillerAndUseHierarchy) {
    Bundle b(tmp_->path() + "/b", {"sleep", "60"});
    const std::string c = id();
    const json res = {{"memory", {{"limit", 64 << 20}, {"disableOOMKiller", true}, {"useHierarchy", true}}}};
    const pid_t pid = create(b, res, c);
    if (unified_host()) {
        EXPECT_EQ(pid, -1);
        EXPECT_NE(err_.find("linux.resources.memory.disableOOMKiller: cgroup v2 has no way to disable the OOM killer"),
                  std::string::npos)
            << err_;
        // useHierarchy true is v2's only mode: accepted, nothing to write.
        const pid_t p2 = create(b, {{"memory", {{"limit", 64 << 20}, {"useHierarchy", true}}}}, c);
        ASSERT_GT(p2, 0) << err_;
        EXPECT_EQ(read_text(memory_dir(p2) + "/memory.max"), std::to_string(64 << 20) + "\n");
        ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
        EXPECT_EQ(create(b, {{"memory", {{"useHierarchy", false}}}}, c), -1);
        EXPECT_NE(err_.find("linux.resources.memory.useHierarchy: false cannot be honoured"), std::string::npos)
            << err_;
        return;
    }
    ASSERT_GT(pid, 0) << err_;
    const std::string dir = memory_dir(pid);
    EXPECT_NE(read_text(dir + "/memory.oom_control").find("oom_kill_disable 1"), std::string::npos)
        << read_text(dir + "/memory.oom_control");
    EXPECT_EQ(read_text(dir + "/memory.use_hierarchy"), "1\n");
    ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
    // This host's kernel (>= 5.14) is always hierarchical and refuses 0.
    EXPECT_EQ(create(b, {{"memory", {{"useHierarchy", false}}}}, c), -1);
    EXPECT_NE(err_.find("linux.resources.memory.useHierarchy: this kernel is always hierarchical"), std::string::npos)
        << err_;
}

TEST_F(CgroupControllers, BadMemoryAndCpuFieldsAreRefusedNamingThem) {
    Bundle b(tmp_->path() + "/b", {"true"});
    EXPECT_EQ(create(b, {{"memory", {{"disableOOMKiller", "yes"}}}}, id()), -1);
    EXPECT_NE(err_.find("linux.resources.memory.disableOOMKiller: must be a boolean"), std::string::npos) << err_;
    EXPECT_EQ(create(b, {{"cpu", {{"idle", 2}}}}, id()), -1);
    EXPECT_NE(err_.find("linux.resources.cpu.idle: 2 is out of range [0, 1]"), std::string::npos) << err_;
    EXPECT_EQ(create(b, {{"cpu", {{"shares", 512}, {"idle", 1}}}}, id()), -1);
    EXPECT_NE(err_.find("linux.resources.cpu.idle: an idle group has no weight of its own"), std::string::npos) << err_;
    EXPECT_EQ(create(b, {{"cpu", {{"realtimeRuntime", -2}}}}, id()), -1);
    EXPECT_NE(err_.find("linux.resources.cpu.realtimeRuntime: must be -1 (unlimited) or a positive number, not -2"),
              std::string::npos)
        << err_;
}

TEST_F(CgroupControllers, CpuIdleAndBurst) {
    Bundle b(tmp_->path() + "/b", {"sleep", "60"});
    const std::string c = id();
    const pid_t pid = create(b, {{"cpu", {{"quota", 50000}, {"period", 100000}, {"burst", 20000}, {"idle", 1}}}}, c);
    ASSERT_GT(pid, 0) << err_;
    const std::string dir = cpu_dir(pid);
    EXPECT_EQ(read_text(dir + "/cpu.idle"), "1\n");
    if (unified_host()) {
        EXPECT_EQ(read_text(dir + "/cpu.max"), "50000 100000\n");
        EXPECT_EQ(read_text(dir + "/cpu.max.burst"), "20000\n");
    } else {
        EXPECT_EQ(read_text(dir + "/cpu.cfs_quota_us"), "50000\n");
        EXPECT_EQ(read_text(dir + "/cpu.cfs_burst_us"), "20000\n");
    }
}

// v1: the kernel refuses a runtime the parent's rt budget cannot hold, and a
// new cgroup has none. runc puts the container's cgroup right under the root
// (where the budget is) and crun copies the budget down the chain it makes;
// berth gives the levels it makes for a nested cgroupsPath their parent's
// budget, and leaves a parent that existed before alone: there the kernel's
// refusal is reported, naming the field.
TEST_F(CgroupControllers, CpuRealtime) {
    Bundle b(tmp_->path() + "/b", {"sleep", "60"});
    const std::string c = id();
    const json rt = {{"cpu", {{"realtimePeriod", 1000000}, {"realtimeRuntime", 5000}}}};
    if (unified_host()) {
        EXPECT_EQ(create(b, rt, c), -1);
        EXPECT_NE(err_.find("linux.resources.cpu.realtimeRuntime: cgroup v2 has no realtime bandwidth"),
                  std::string::npos)
            << err_;
        return;
    }
    const std::string root = "/sys/fs/cgroup/cpu";
    if (!exists(root + "/cpu.rt_runtime_us")) GTEST_SKIP() << "the kernel has no CONFIG_RT_GROUP_SCHED";
    const std::string budget = read_text(root + "/cpu.rt_runtime_us");
    {
        // The default cgroupsPath, /<id>: right under the root, which holds
        // the budget; the root is not berth's and keeps it (runc's default).
        const pid_t pid = create(b, rt, c);
        ASSERT_GT(pid, 0) << err_;
        const std::string dir = cpu_dir(pid);
        EXPECT_EQ(dir, root + "/" + c);
        EXPECT_EQ(read_text(dir + "/cpu.rt_runtime_us"), "5000\n");
        Bundle b2(tmp_->path() + "/b2", {"sleep", "60"});
        const std::string c2 = id();
        ASSERT_GT(create(b2, {{"cpu", {{"realtimePeriod", 50000}, {"realtimeRuntime", 25000}}}}, c2), 0) << err_;
        EXPECT_EQ(read_text(root + "/" + c2 + "/cpu.rt_runtime_us"), "25000\n");
        EXPECT_EQ(read_text(root + "/cpu.rt_runtime_us"), budget);
        ASSERT_EQ(berth({"delete", "--force", c2}).code, 0);
        ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
    }
    {
        // A nested path: each level berth made holds what is below it.
        const std::string made = "berthtest-rtmade-" + c;
        b.config["linux"]["cgroupsPath"] = "/" + made + "/a/b";
        const pid_t pid = create(b, rt, c);
        ASSERT_GT(pid, 0) << err_;
        EXPECT_EQ(cpu_dir(pid), root + "/" + made + "/a/b");
        EXPECT_EQ(read_text(root + "/" + made + "/cpu.rt_runtime_us"), "5000\n");
        EXPECT_EQ(read_text(root + "/" + made + "/a/cpu.rt_runtime_us"), "5000\n");
        EXPECT_EQ(read_text(root + "/" + made + "/a/b/cpu.rt_runtime_us"), "5000\n");
        ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
        EXPECT_FALSE(exists(root + "/" + made)) << "what berth made goes with the container";
    }

    // A parent that is not berth's and has no budget: left alone, refused
    // with the kernel's reason, nothing left behind.
    const std::string parent = root + "/berthtest-rt-" + c;
    ASSERT_EQ(::mkdir(parent.c_str(), 0755), 0) << parent;
    struct RemoveParent {
        std::string dir;
        ~RemoveParent() { ::rmdir(dir.c_str()); }
    } remove_parent{parent};
    b.config["linux"]["cgroupsPath"] = "/berthtest-rt-" + c + "/c";
    EXPECT_EQ(create(b, rt, c), -1);
    EXPECT_NE(err_.find("cpu.rt_runtime_us"), std::string::npos) << err_;
    EXPECT_NE(err_.find("linux.resources.cpu.realtimeRuntime): it must fit in the period and in what the parent"),
              std::string::npos)
        << err_;
    EXPECT_EQ(read_text(parent + "/cpu.rt_runtime_us"), "0\n") << "someone else's cgroup is not given a budget";
    EXPECT_TRUE(leftovers(root_, c).empty());

    // Given a budget by its owner (as docker's daemon does for its cgroup
    // parent), it holds the container.
    { std::ofstream(parent + "/cpu.rt_runtime_us") << "10000"; }
    ASSERT_EQ(read_text(parent + "/cpu.rt_runtime_us"), "10000\n");
    const pid_t pid = create(b, rt, c);
    ASSERT_GT(pid, 0) << err_;
    const std::string dir = cpu_dir(pid);
    EXPECT_EQ(dir, parent + "/c");
    EXPECT_EQ(read_text(dir + "/cpu.rt_period_us"), "1000000\n");
    EXPECT_EQ(read_text(dir + "/cpu.rt_runtime_us"), "5000\n");
    // update changes them too, as runc's --cpu-rt-runtime.
    Result r = berth({"update", "--cpu-rt-runtime", "8000", c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(read_text(dir + "/cpu.rt_runtime_us"), "8000\n");
    r = berth({"update", "--cpu-rt-runtime", "20000", c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("linux.resources.cpu.realtimeRuntime"), std::string::npos) << r.err;
    EXPECT_EQ(read_text(dir + "/cpu.rt_runtime_us"), "8000\n") << "a refused update leaves the previous value";
    ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
    EXPECT_FALSE(exists(dir));
}

}  // namespace
}  // namespace berth::test
