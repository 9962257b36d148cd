// `berth --systemd-cgroup` against a real systemd: run it in the v2 guest
// booted with systemd as PID 1 (docs/systemd-driver.md):
//   tests/v2vm/run.sh --systemd --share "$PWD/build" -- "$PWD/build/tests/integration/systemd_driver_test"
// On a host whose PID 1 is not systemd every test is reported SKIPPED.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "systemd_test_util.hpp"

namespace berth::test {
namespace {

using berth::test::systemd_util::sh;
using berth::test::systemd_util::under_systemd;

class SystemdDriver : public ContainerTest {
protected:
    void SetUp() override {
        if (!under_systemd()) GTEST_SKIP() << "PID 1 is not systemd: run in tests/v2vm/run.sh --systemd";
        ContainerTest::SetUp();
    }
};

TEST_F(SystemdDriver, CreateMakesTheScopeWithLimitsAndDeleteStopsIt) {
    const std::string c = id("sd");
    const std::string unit = "berth-" + c + ".scope";
    const std::string dir = "/sys/fs/cgroup/system.slice/" + unit;
    Bundle b(tmp_->path() + "/b", {"sleep", "600"});
    b.config["linux"]["cgroupsPath"] = "system.slice:berth:" + c;
    b.config["linux"]["resources"] = {{"pids", {{"limit", 42}}},
                                      {"memory", {{"limit", 33554432}}},
                                      {"cpu", {{"shares", 1024}, {"quota", 50000}, {"period", 100000}}}};
    b.save();
    const std::string pidfile = tmp_->path() + "/pid";
    Result r = berth({"--systemd-cgroup", "create", "--bundle", b.dir(), "--pid-file", pidfile, c});
    ASSERT_EQ(r.code, 0) << r.err;
    const pid_t pid = std::stoi(read_text(pidfile));
    EXPECT_EQ(cgroup_dir(pid, ""), dir) << "init is in the scope systemd made";
    EXPECT_EQ(read_text(dir + "/cgroup.procs"), std::to_string(pid) + "\n");
    EXPECT_EQ(read_text(dir + "/memory.max"), "33554432\n");
    EXPECT_EQ(read_text(dir + "/pids.max"), "42\n");
    EXPECT_EQ(read_text(dir + "/cpu.max"), "50000 100000\n");
    EXPECT_EQ(read_text(dir + "/cpu.weight"), "100\n");
    EXPECT_EQ(sh("systemctl is-active " + unit), "active");
    EXPECT_EQ(sh("systemctl show -P Delegate " + unit), "yes");
    EXPECT_EQ(sh("systemctl show -P MemoryMax " + unit), "33554432");
    EXPECT_EQ(sh("systemctl show -P TasksMax " + unit), "42");
    EXPECT_NE(sh("systemctl status --no-pager " + unit).find("berth container " + c), std::string::npos);

    // A second container given the same cgroupsPath: refused, leaves nothing.
    Bundle b2(tmp_->path() + "/b2", {"sleep", "600"});
    b2.config["linux"]["cgroupsPath"] = "system.slice:berth:" + c;
    b2.save();
    const std::string c2 = id("sd");
    r = berth({"--systemd-cgroup", "create", "--bundle", b2.dir(), c2});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find(unit), std::string::npos) << r.err;
    EXPECT_EQ(read_text(dir + "/cgroup.procs"), std::to_string(pid) + "\n")
        << "the first container's scope is untouched";
    EXPECT_TRUE(leftovers(root_, c2).empty());

    ASSERT_EQ(berth({"start", c}).code, 0);
    ASSERT_EQ(berth({"kill", c, "KILL"}).code, 0);
    for (int i = 0; i < 200 && proc_state(pid) != 0 && proc_state(pid) != 'Z'; ++i) ::usleep(20000);
    r = berth({"--systemd-cgroup", "delete", c});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(exists(dir)) << dir;
    EXPECT_EQ(sh("systemctl list-units --all --no-legend " + unit), "");
    EXPECT_TRUE(leftovers(root_, c).empty());
}

TEST_F(SystemdDriver, DeleteForceOfARunningContainerStopsTheUnit) {
    const std::string c = id("sd");
    const std::string unit = "berth-" + c + ".scope";
    Bundle b(tmp_->path() + "/b", {"sleep", "600"});
    b.config["linux"]["cgroupsPath"] = "system.slice:berth:" + c;
    b.save();
    ASSERT_EQ(berth({"--systemd-cgroup", "run", "-d", "--bundle", b.dir(), c}).code, 0);
    EXPECT_EQ(sh("systemctl is-active " + unit), "active");
    Result r = berth({"delete", "--force", c});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(exists("/sys/fs/cgroup/system.slice/" + unit));
    EXPECT_EQ(sh("systemctl list-units --all --no-legend " + unit), "");
}

// The process sees its limits through its cgroup namespace; `run` deletes
// the container when the process exits, and with it the unit.
TEST_F(SystemdDriver, RunSeesItsLimitsAndLeavesNoUnit) {
    const std::string c = id("sd");
    Bundle b(tmp_->path() + "/b", {"sh", "-c", "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max"});
    b.config["linux"]["cgroupsPath"] = "system.slice:berth:" + c;
    b.config["linux"]["resources"] = {{"pids", {{"limit", 17}}}, {"memory", {{"limit", 16777216}}}};
    b.save();
    Result r = berth({"--systemd-cgroup", "run", "--bundle", b.dir(), c});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "16777216\n17\n");
    EXPECT_EQ(sh("systemctl list-units --all --no-legend berth-" + c + ".scope"), "");
}

// update tells systemd first (SetUnitProperties), so a daemon-reload does not
// put the unit's old values back over the files update wrote.
TEST_F(SystemdDriver, UpdateSetsTheUnitPropertiesAndSurvivesDaemonReload) {
    const std::string c = id("sd");
    const std::string unit = "berth-" + c + ".scope";
    const std::string dir = "/sys/fs/cgroup/system.slice/" + unit;
    Bundle b(tmp_->path() + "/b", {"sleep", "600"});
    b.config["linux"]["cgroupsPath"] = "system.slice:berth:" + c;
    b.config["linux"]["resources"] = {{"pids", {{"limit", 42}}}, {"memory", {{"limit", 33554432}}}};
    b.save();
    ASSERT_EQ(berth({"--systemd-cgroup", "run", "-d", "--bundle", b.dir(), c}).code, 0);
    Result r = berth({"--systemd-cgroup", "update", "--memory", "64M", "--pids-limit", "55", c});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(read_text(dir + "/memory.max"), "67108864\n");
    EXPECT_EQ(read_text(dir + "/pids.max"), "55\n");
    EXPECT_EQ(sh("systemctl show -P MemoryMax " + unit), "67108864");
    EXPECT_EQ(sh("systemctl show -P TasksMax " + unit), "55");
    sh("systemctl daemon-reload");
    EXPECT_EQ(read_text(dir + "/memory.max"), "67108864\n") << "systemd put its old value back";
    EXPECT_EQ(read_text(dir + "/pids.max"), "55\n");
    EXPECT_EQ(berth({"delete", "--force", c}).code, 0);
    EXPECT_EQ(sh("systemctl list-units --all --no-legend " + unit), "");
    EXPECT_TRUE(leftovers(root_, c).empty());
}

// A create killed at any step (BERTH_FAULT_AT, a -Dfault_injection build)
// is undone by `delete --force`: no unit, no cgroup, no state.
TEST_F(SystemdDriver, CrashAtEveryCreateStepIsRecoveredByDeleteForce) {
    Bundle b(tmp_->path() + "/b", {"sleep", "600"});
    b.config["linux"]["resources"] = {{"pids", {{"limit", 42}}}};
    const std::string trace = tmp_->path() + "/trace";
    {
        const std::string c = id("sd");
        b.config["linux"]["cgroupsPath"] = "system.slice:berth:" + c;
        b.save();
        Result r = berth({"--systemd-cgroup", "create", "--bundle", b.dir(), c}, {"BERTH_FAULT_TRACE=" + trace});
        ASSERT_EQ(r.code, 0) << r.err;
        ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
    }
    std::vector<std::string> steps;
    {
        std::istringstream in(read_text(trace));
        for (std::string line; std::getline(in, line);)
            if (line.rfind("create.", 0) == 0 && std::find(steps.begin(), steps.end(), line) == steps.end())
                steps.push_back(line);
    }
    if (steps.empty()) GTEST_SKIP() << "no crash points: build with -Dfault_injection=true";
    ASSERT_NE(std::find(steps.begin(), steps.end(), "create.systemd-scope"), steps.end());
    for (const std::string& step : steps) {
        const std::string c = id("sd");
        const std::string unit = "berth-" + c + ".scope";
        b.config["linux"]["cgroupsPath"] = "system.slice:berth:" + c;
        b.save();
        Result r = berth({"--systemd-cgroup", "create", "--bundle", b.dir(), c}, {"BERTH_FAULT_AT=" + step});
        EXPECT_NE(r.code, 0) << step << ": berth was not killed there";
        r = berth({"--systemd-cgroup", "delete", "--force", c});
        EXPECT_TRUE(r.code == 0 || r.err.find("does not exist") != std::string::npos) << step << ": " << r.err;
        for (int i = 0; i < 100 && !sh("systemctl list-units --all --no-legend " + unit).empty(); ++i) ::usleep(20000);
        EXPECT_EQ(sh("systemctl list-units --all --no-legend " + unit), "") << step;
        EXPECT_FALSE(exists("/sys/fs/cgroup/system.slice/" + unit)) << step;
        EXPECT_TRUE(leftovers(root_, c).empty()) << step;
    }
}

// What systemd has no property for is written by the plugins into the
// delegated scope: the device allowlist (an eBPF program) and hugetlb.
TEST_F(SystemdDriver, PluginsApplyWhatSystemdHasNoPropertyFor) {
    const std::string c = id("sd");
    Bundle b(
        tmp_->path() + "/b",
        {"sh", "-c",
         "mknod /dev/lc c 10 237 && echo mknod-ok; if true </dev/lc; then echo open-ok; else echo open-failed; fi; "
         "cat /sys/fs/cgroup/hugetlb.2MB.max"});
    for (const char* set : {"bounding", "effective", "permitted"}) {
        nlohmann::json& caps = b.config["process"]["capabilities"][set];
        if (!caps.is_array()) caps = nlohmann::json::array();
        caps.push_back("CAP_MKNOD");
    }
    b.config["linux"]["cgroupsPath"] = "system.slice:berth:" + c;
    b.config["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", "2MB"}, {"limit", 4194304}}};
    ASSERT_EQ(b.config["linux"]["resources"]["devices"], nlohmann::json::parse(R"([{"allow":false,"access":"rwm"}])"));
    b.save();
    Result r = berth({"--systemd-cgroup", "run", "--bundle", b.dir(), c});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "mknod-ok\nopen-failed\n4194304\n") << r.err;
    EXPECT_EQ(sh("systemctl list-units --all --no-legend berth-" + c + ".scope"), "");
}

// A scope goes with its last process, and its name is free again: deleting a
// container whose scope is gone must leave a newer container's scope of the
// same name alone (not kill it, not stop it).
TEST_F(SystemdDriver, DeleteLeavesANewerScopeOfTheSameNameAlone) {
    const std::string a = id("sd"), b = id("sd");
    const std::string path = "system.slice:berth:shared-" + a;
    const std::string unit = "berth-shared-" + a + ".scope";
    const std::string dir = "/sys/fs/cgroup/system.slice/" + unit;
    Bundle ba(tmp_->path() + "/a", {"sh", "-c", "exit 0"});
    ba.config["linux"]["cgroupsPath"] = path;
    ba.save();
    ASSERT_EQ(berth({"--systemd-cgroup", "create", "--bundle", ba.dir(), a}).code, 0);
    ASSERT_EQ(berth({"start", a}).code, 0);
    for (int i = 0; i < 500 && exists(dir); ++i) ::usleep(20000);
    ASSERT_FALSE(exists(dir)) << "systemd did not remove the empty scope";

    Bundle bb(tmp_->path() + "/b", {"sleep", "600"});
    bb.config["linux"]["cgroupsPath"] = path;
    bb.save();
    const std::string pidfile = tmp_->path() + "/b.pid";
    Result r = berth({"--systemd-cgroup", "create", "--bundle", bb.dir(), "--pid-file", pidfile, b});
    ASSERT_EQ(r.code, 0) << r.err;
    const pid_t pid = std::stoi(read_text(pidfile));

    r = berth({"--systemd-cgroup", "delete", a});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(sh("systemctl is-active " + unit), "active") << "deleting the old container stopped the new one's scope";
    EXPECT_NE(proc_state(pid), 0);
    EXPECT_NE(proc_state(pid), 'Z');
    EXPECT_TRUE(leftovers(root_, a).empty());
    EXPECT_EQ(berth({"delete", "--force", b}).code, 0);
    EXPECT_EQ(sh("systemctl list-units --all --no-legend " + unit), "");
}

// A create that dies before StartTransientUnit has made the scope its own
// (here: stopped right after clone, while another container takes the same
// cgroupsPath, then killed) must not name that scope in its state: delete
// --force of it leaves the other container alone.
TEST_F(SystemdDriver, CrashBeforeTheScopeIsOursLeavesAnothersScopeAlone) {
    const std::string a = id("sd"), b = id("sd");
    const std::string path = "system.slice:berth:race-" + a;
    const std::string unit = "berth-race-" + a + ".scope";
    Bundle bb(tmp_->path() + "/b", {"sleep", "600"});
    bb.config["linux"]["cgroupsPath"] = path;
    bb.save();
    std::vector<std::string> argv_s = {
        BERTH_BIN,          "--root", root_,      "--plugin-config", BERTH_TEST_PLUGIN_CONFIG,
        "--systemd-cgroup", "create", "--bundle", bb.dir(),          b};
    const pid_t creator = ::fork();
    if (creator == 0) {
        std::vector<char*> argv;
        for (auto& s : argv_s) argv.push_back(s.data());
        argv.push_back(nullptr);
        char env0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin", env1[] = "BERTH_FAULT_STOP=create.cloned";
        char* envp[] = {env0, env1, nullptr};
        ::execve(argv[0], argv.data(), envp);
        _exit(127);
    }
    ASSERT_GT(creator, 0);
    int status = 0;
    ASSERT_EQ(::waitpid(creator, &status, WUNTRACED), creator);
    ASSERT_TRUE(WIFSTOPPED(status)) << "create did not stop at create.cloned (a -Dfault_injection build?)";

    Bundle ba(tmp_->path() + "/a", {"sleep", "600"});
    ba.config["linux"]["cgroupsPath"] = path;
    ba.save();
    const std::string pidfile = tmp_->path() + "/a.pid";
    Result r = berth({"--systemd-cgroup", "create", "--bundle", ba.dir(), "--pid-file", pidfile, a});
    ASSERT_EQ(r.code, 0) << r.err;
    const pid_t pid = std::stoi(read_text(pidfile));

    ::kill(creator, SIGKILL);
    ASSERT_EQ(::waitpid(creator, &status, 0), creator);
    r = berth({"--systemd-cgroup", "delete", "--force", b});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(sh("systemctl is-active " + unit), "active")
        << "delete --force of the crashed create stopped another's scope";
    EXPECT_NE(proc_state(pid), 0);
    EXPECT_NE(proc_state(pid), 'Z');
    EXPECT_TRUE(leftovers(root_, b).empty());
    EXPECT_EQ(berth({"delete", "--force", a}).code, 0);
    EXPECT_EQ(sh("systemctl list-units --all --no-legend " + unit), "");
}

TEST_F(SystemdDriver, BadCgroupsPathIsRefusedNamingTheField) {
    const std::string c = id("sd");
    Bundle b(tmp_->path() + "/b", {"true"});
    for (const char* bad : {"/berth/x", "system.slice:berth", "system:berth:x", "a-.slice:p:n"}) {
        b.config["linux"]["cgroupsPath"] = bad;
        b.save();
        Result r = berth({"--systemd-cgroup", "create", "--bundle", b.dir(), c});
        EXPECT_EQ(r.code, 1) << bad;
        EXPECT_NE(r.err.find("linux.cgroupsPath"), std::string::npos) << bad << ": " << r.err;
        EXPECT_TRUE(leftovers(root_, c).empty()) << bad;
    }
}

}  // namespace
}  // namespace berth::test
