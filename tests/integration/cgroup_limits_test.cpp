// Cgroup limits enforced for real, through whichever hierarchy the host has:
// v1 on this machine, v2 in ../shared/v2vm (the same binary runs in both).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "harness.hpp"

namespace berth::test {
namespace {

using json = nlohmann::json;

class CgroupLimits : public ContainerTest {
protected:
    void SetUp() override {
        ContainerTest::SetUp();
        std::printf("cgroup mode under test: %s\n", unified_host() ? "v2 (unified)" : "v1 (legacy/hybrid)");
    }
    std::string id() { return ContainerTest::id("cg"); }
};

TEST_F(CgroupLimits, ValuesLandInTheContainersCgroup) {
    Bundle b(tmp_->path() + "/b", {"sleep", "60"});
    b.config["linux"]["resources"] = {{"pids", {{"limit", 20}}},
                                      {"memory", {{"limit", 33554432}}},
                                      {"cpu", {{"shares", 1024}, {"quota", 50000}, {"period", 100000}}}};
    b.save();
    const std::string c = id();
    const std::string pidfile = tmp_->path() + "/pid";
    Result r = run_berth(root_, {"create", "--bundle", b.dir(), "--pid-file", pidfile, c});
    ASSERT_EQ(r.code, 0) << r.err;
    const pid_t pid = std::stoi(read_text(pidfile));
    if (unified_host()) {
        const std::string d = cgroup_dir(pid, "");
        ASSERT_NE(d, "/sys/fs/cgroup/") << "init must not stay in the root cgroup";
        EXPECT_EQ(read_text(d + "/pids.max"), "20\n");
        EXPECT_EQ(read_text(d + "/memory.max"), "33554432\n");
        EXPECT_EQ(read_text(d + "/cpu.weight"), "100\n") << "shares 1024 → weight 100";
        EXPECT_EQ(read_text(d + "/cpu.max"), "50000 100000\n");
    } else {
        EXPECT_EQ(read_text(cgroup_dir(pid, "pids") + "/pids.max"), "20\n");
        EXPECT_EQ(read_text(cgroup_dir(pid, "memory") + "/memory.limit_in_bytes"), "33554432\n");
        EXPECT_EQ(read_text(cgroup_dir(pid, "cpu") + "/cpu.shares"), "1024\n");
        EXPECT_EQ(read_text(cgroup_dir(pid, "cpu") + "/cpu.cfs_quota_us"), "50000\n");
        EXPECT_EQ(read_text(cgroup_dir(pid, "cpu") + "/cpu.cfs_period_us"), "100000\n");
    }
    const std::string dir = cgroup_dir(pid, "pids");
    ASSERT_EQ(run_berth(root_, {"delete", "--force", c}).code, 0);
    EXPECT_FALSE(exists(dir)) << "cgroup removed on delete";
}

TEST_F(CgroupLimits, PidsLimitIsEnforced) {
    // xargs starts 30 sleeps in a cgroup allowing 10 tasks; the kernel refuses
    // the forks beyond the limit (counted in pids.events) and xargs gives up.
    // sh then execs, so the container lives on with the sleeps that fit.
    Bundle b(tmp_->path() + "/b", {"sh", "-c", "seq 1 30 | xargs -P 30 -n 1 sleep 60 2>/dev/null; exec sleep 60"});
    b.config["linux"]["resources"] = {{"pids", {{"limit", 10}}}};
    b.save();
    const std::string c = id();
    const std::string pidfile = tmp_->path() + "/pid";
    ASSERT_EQ(run_berth(root_, {"create", "--bundle", b.dir(), "--pid-file", pidfile, c}).code, 0);
    const pid_t pid = std::stoi(read_text(pidfile));
    const std::string dir = cgroup_dir(pid, "pids");
    ASSERT_EQ(run_berth(root_, {"start", c}).code, 0);
    std::string events;
    for (int i = 0; i < 250; ++i) {
        events = read_text(dir + "/pids.events");
        if (!events.empty() && events != "max 0\n") break;
        usleep(20000);
    }
    EXPECT_NE(events, "max 0\n") << "no fork was refused";
    EXPECT_FALSE(events.empty());
    // Let xargs exit and sh exec; what remains is init plus the sleeps.
    int current = 0;
    for (int i = 0; i < 50; ++i) {
        usleep(20000);
        current = std::stoi(read_text(dir + "/pids.current"));
        if (proc_state(pid) != 0 && read_text("/proc/" + std::to_string(pid) + "/cmdline").rfind("sleep", 0) == 0)
            break;
    }
    EXPECT_LE(current, 10);
    EXPECT_GE(current, 7) << "the sleeps filled the cgroup up to its limit";
    Result st = run_berth(root_, {"state", c});
    EXPECT_NE(st.out.find("\"running\""), std::string::npos) << "the container survived its refused forks: " << st.out;
}

TEST_F(CgroupLimits, MemoryLimitIsEnforced) {
    // dd allocates its 64 MiB block in a 32 MiB cgroup and is OOM-killed.
    Bundle b(tmp_->path() + "/b", {"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"});
    b.config["linux"]["resources"] = {{"memory", {{"limit", 33554432}, {"swap", 33554432}}}};
    b.save();
    Result r = run_berth(root_, {"run", "--bundle", b.dir(), id()});
    EXPECT_EQ(r.code, 137) << "killed by SIGKILL (OOM): " << r.out << r.err;
    // The same allocation under a roomy limit succeeds, so it was the limit.
    b.config["linux"]["resources"] = {{"memory", {{"limit", 268435456}}}};
    b.save();
    r = run_berth(root_, {"run", "--bundle", b.dir(), id()});
    EXPECT_EQ(r.code, 0) << r.out << r.err;
}

TEST_F(CgroupLimits, ResourceWithoutPluginIsRefused) {
    Bundle b(tmp_->path() + "/b", {"true"});
    b.config["linux"]["resources"] = {{"blockIO", {{"weight", 100}}}};
    b.save();
    const std::string c = id();
    // The test config has cgroup-io: choose plugins without it.
    Result r = run_berth(
        root_, {"create", "--plugins", "cgroup-cpu,cgroup-memory,cgroup-pids,mounts", "--bundle", b.dir(), c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("linux.resources.blockIO: no loaded plugin handles it"), std::string::npos) << r.err;
}

// Two containers given one cgroupsPath: delete, kill --all and pause act on
// the whole cgroup, so a second container is refused while the first has
// processes there (as runc 1.2), and deleting a stopped container never kills
// what a later container put in the cgroup it left (runc 1.1 killed it).
TEST_F(CgroupLimits, ACgroupIsNeverSharedWithAnotherContainersProcesses) {
    const std::string a = id(), second = id(), third = id();
    const std::string parent = "berthtest-" + a;
    Bundle b(tmp_->path() + "/b", {"sleep", "60"});
    b.config["linux"]["cgroupsPath"] = "/" + parent + "/shared";
    b.save();
    const std::string pidfile = tmp_->path() + "/pid";
    ASSERT_EQ(run_berth(root_, {"create", "--bundle", b.dir(), "--pid-file", pidfile, a}).code, 0);
    const pid_t a_pid = std::stoi(read_text(pidfile));
    const std::string leaf = cgroup_dir(a_pid, "pids");
    ASSERT_NE(leaf.find(parent + "/shared"), std::string::npos) << leaf;

    Result r = run_berth(root_, {"create", "--bundle", b.dir(), second});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("linux.cgroupsPath: cgroup "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(" is not empty (1 process(es), pid " + std::to_string(a_pid) + ")"), std::string::npos)
        << r.err;
    EXPECT_EQ(leftovers(root_, second), std::vector<std::string>{});
    EXPECT_EQ(kill(a_pid, 0), 0) << "the refused create left the first container alone";
    EXPECT_EQ(read_text(leaf + "/cgroup.procs"), std::to_string(a_pid) + "\n");

    // The first stops; its empty cgroup is taken by a third container.
    ASSERT_EQ(run_berth(root_, {"kill", a, "KILL"}).code, 0);
    for (int i = 0; i < 250 && read_text(leaf + "/cgroup.procs") != ""; ++i) usleep(20000);
    ASSERT_EQ(read_text(leaf + "/cgroup.procs"), "");
    const std::string pidfile3 = tmp_->path() + "/pid3";
    r = run_berth(root_, {"create", "--bundle", b.dir(), "--pid-file", pidfile3, third});
    ASSERT_EQ(r.code, 0) << r.err;
    const pid_t third_pid = std::stoi(read_text(pidfile3));
    r = run_berth(root_, {"delete", a});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("that are not this container's (pid " + std::to_string(third_pid) + "): left in place"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(kill(third_pid, 0), 0) << "deleting the first container killed the third";
    EXPECT_NE(proc_state(third_pid), 'Z');
    EXPECT_EQ(read_text(leaf + "/cgroup.procs"), std::to_string(third_pid) + "\n");
    r = run_berth(root_, {"delete", "--force", third});
    EXPECT_EQ(r.code, 0) << r.err;
    // Neither removes a directory the other made or found: the test does,
    // once the third's init (killed, its leaf not delete's to wait on) is gone.
    std::vector<std::string> bases;
    for (const auto& entry : std::filesystem::directory_iterator("/sys/fs/cgroup"))
        bases.push_back(entry.path().string() + "/" + parent);
    if (unified_host()) bases.push_back("/sys/fs/cgroup/" + parent);
    for (const auto& base : bases) {
        if (!exists(base)) continue;
        for (int i = 0; i < 250 && rmdir((base + "/shared").c_str()) != 0 && errno == EBUSY; ++i) usleep(20000);
        EXPECT_EQ(rmdir(base.c_str()), 0) << base << ": " << strerror(errno);
    }
}

}  // namespace
}  // namespace berth::test
