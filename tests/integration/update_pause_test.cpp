// pause, resume and update on real containers, through whichever cgroup
// hierarchy the host has: v1 here, v2 in the qemu guest (tests/run.sh).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>

#include <fstream>
#include <sstream>

#include "harness.hpp"

namespace berth::test {
namespace {

using json = nlohmann::json;

// run_berth with `input` on stdin (update --resources -).
Result run_berth_stdin(const std::string& root, const std::vector<std::string>& args, const std::string& input,
                       const std::string& tmp) {
    const std::string in = tmp + "/stdin", out = tmp + "/stdout", err = tmp + "/stderr";
    std::ofstream(in) << input;
    pid_t pid = fork();
    if (pid == 0) {
        int i = open(in.c_str(), O_RDONLY), o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600),
            e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(i, 0);
        dup2(o, 1);
        dup2(e, 2);
        std::vector<std::string> a = {BERTH_BIN, "--root", root, "--plugin-config", BERTH_TEST_PLUGIN_CONFIG};
        a.insert(a.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& s : a) argv.push_back(s.data());
        argv.push_back(nullptr);
        char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
        char* envp[] = {path, nullptr};
        execve(argv[0], argv.data(), envp);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    Result r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_text(out);
    r.err = read_text(err);
    return r;
}

// The container's shell counts in /counter and runs /jobN (written by the
// test) when /goN appears, leaving its exit status in /resN: a way to run
// things inside the container, under its cgroup, without exec.
const char* kWorker =
    "i=0; n=0; while :; do i=$((i+1)); echo $i > /counter; "
    "if [ -e /go$n ]; then sh /job$n > /out$n 2>&1; echo $? > /res$n.tmp; mv /res$n.tmp /res$n; n=$((n+1)); fi; "
    "usleep 20000; done";

class UpdatePause : public ContainerTest {
protected:
    void SetUp() override {
        ContainerTest::SetUp();
        std::printf("cgroup mode under test: %s\n", unified_host() ? "v2 (unified)" : "v1 (legacy/hybrid)");
    }

    // Creates and starts a worker container with `resources`; returns its id.
    std::string start_worker(const json& resources = json::object()) {
        bundle_ = std::make_unique<Bundle>(tmp_->path() + "/b" + std::to_string(ids_.size()),
                                           std::vector<std::string>{"sh", "-c", kWorker});
        bundle_->config["linux"]["resources"] = resources;
        bundle_->save();
        const std::string c = id("up");
        const std::string pidfile = tmp_->path() + "/pid";
        Result r = berth({"create", "--bundle", bundle_->dir(), "--pid-file", pidfile, c});
        EXPECT_EQ(r.code, 0) << r.err;
        pid_ = std::stoi(read_text(pidfile));
        r = berth({"start", c});
        EXPECT_EQ(r.code, 0) << r.err;
        EXPECT_TRUE(wait_for([&] { return counter() > 2; })) << "the worker never counted";
        return c;
    }

    long counter() {
        std::string t = read_text(bundle_->rootfs() + "/counter");
        return t.empty() ? 0 : std::atol(t.c_str());
    }

    // Runs `script` in the container; its exit status, or -1 on timeout.
    int run_job(const std::string& script) {
        const std::string n = std::to_string(jobs_++);
        std::ofstream(bundle_->rootfs() + "/job" + n) << script << "\n";
        std::ofstream(bundle_->rootfs() + "/go" + n);
        const std::string res = bundle_->rootfs() + "/res" + n;
        if (!wait_for([&] { return exists(res); }, 30000)) return -1;
        return std::atoi(read_text(res).c_str());
    }

    template <typename Fn>
    bool wait_for(Fn&& done, int ms = 5000) {
        for (int i = 0; i < ms / 20; ++i) {
            if (done()) return true;
            usleep(20000);
        }
        return done();
    }

    std::string status(const std::string& c) {
        Result r = berth({"state", c});
        if (r.code != 0) return "error: " + r.err;
        return json::parse(r.out).value("status", "");
    }

    json state_file(const std::string& c) { return json::parse(read_text(root_ + "/" + c + "/state.json")); }

    Result update_stdin(const std::string& c, const std::string& input) {
        return run_berth_stdin(root_, {"update", "--resources", "-", c}, input, tmp_->path());
    }

    // The file under the container's cgroup for a v1 controller, or under its v2 dir.
    std::string file(const char* v1_controller, const char* v1_name, const char* v2_name) {
        return unified_host() ? cgroup_dir(pid_, "") + "/" + v2_name : cgroup_dir(pid_, v1_controller) + "/" + v1_name;
    }

    std::unique_ptr<Bundle> bundle_;
    pid_t pid_ = 0;
    int jobs_ = 0;
};

// ---- pause / resume ----

TEST_F(UpdatePause, PauseFreezesAndResumeThaws) {
    const std::string c = start_worker();
    const std::string freezer = unified_host() ? cgroup_dir(pid_, "") : cgroup_dir(pid_, "freezer");
    ASSERT_FALSE(freezer.empty()) << "the container must be in a freezer cgroup";
    if (!unified_host()) {
        ASSERT_NE(freezer, "/sys/fs/cgroup/freezer/") << "not left in the root freezer cgroup";
        EXPECT_EQ(state_file(c)["cgroup"]["v1"].value("freezer", ""), freezer)
            << "the freezer dir is recorded in the state";
    }

    Result r = berth({"pause", c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(status(c), "paused");
    if (unified_host()) {
        EXPECT_NE(read_text(freezer + "/cgroup.events").find("frozen 1"), std::string::npos);
    } else {
        EXPECT_EQ(read_text(freezer + "/freezer.state"), "FROZEN\n");
    }
    usleep(100000);
    const long frozen_at = counter();
    usleep(500000);
    EXPECT_EQ(counter(), frozen_at) << "the counter advanced while paused";
    Result list = berth({"list", "--format", "json"});
    EXPECT_NE(list.out.find("\"paused\""), std::string::npos) << list.out;

    r = berth({"pause", c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("container not running"), std::string::npos) << r.err;

    r = berth({"resume", c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(status(c), "running");
    if (unified_host()) {
        EXPECT_NE(read_text(freezer + "/cgroup.events").find("frozen 0"), std::string::npos);
    } else {
        EXPECT_EQ(read_text(freezer + "/freezer.state"), "THAWED\n");
    }
    EXPECT_TRUE(wait_for([&] { return counter() > frozen_at + 2; })) << "the counter did not resume";

    r = berth({"resume", c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("container not paused"), std::string::npos) << r.err;
}

TEST_F(UpdatePause, KillOfAPausedContainer) {
    const std::string c = start_worker();
    ASSERT_EQ(berth({"pause", c}).code, 0);
    Result r = berth({"kill", c, "KILL"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(wait_for([&] { return status(c) == "stopped"; })) << status(c);
    ASSERT_EQ(berth({"delete", c}).code, 0);
}

TEST_F(UpdatePause, DeleteForceOfAPausedContainerLeavesNothing) {
    const std::string c = start_worker();
    ASSERT_EQ(berth({"pause", c}).code, 0);
    Result r = berth({"delete", "--force", c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
    EXPECT_NE(proc_state(pid_), 'S') << "init still alive";
}

TEST_F(UpdatePause, PauseOfCreatedAndStoppedContainers) {
    Bundle b(tmp_->path() + "/b", {"true"});
    const std::string c = id("up");
    ASSERT_EQ(berth({"create", "--bundle", b.dir(), c}).code, 0);
    // runc pauses a created container; start must then refuse.
    ASSERT_EQ(berth({"pause", c}).code, 0);
    EXPECT_EQ(status(c), "paused");
    Result r = berth({"start", c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("paused"), std::string::npos) << r.err;
    ASSERT_EQ(berth({"resume", c}).code, 0);
    EXPECT_EQ(status(c), "created");
    ASSERT_EQ(berth({"start", c}).code, 0);
    ASSERT_TRUE(wait_for([&] { return status(c) == "stopped"; }));
    r = berth({"pause", c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("container not running"), std::string::npos) << r.err;
    r = berth({"resume", c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("container not paused"), std::string::npos) << r.err;
    r = berth({"update", "--memory", "64m", c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("container not running"), std::string::npos) << r.err;
}

// ---- update ----

const char* kAllocate64M = "dd if=/dev/zero of=/dev/null bs=64M count=1";

TEST_F(UpdatePause, MemoryLimitIsChangedAndEnforced) {
    const std::string c = start_worker();
    ASSERT_EQ(run_job(kAllocate64M), 0) << "64 MiB fit before the update: " << read_text(bundle_->rootfs() + "/out0");
    Result r = berth({"update", "--memory", "32m", "--memory-swap", "32m", c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(read_text(file("memory", "memory.limit_in_bytes", "memory.max")), "33554432\n");
    EXPECT_EQ(run_job(kAllocate64M), 137) << "killed by the new limit";
    EXPECT_EQ(status(c), "running") << "only the allocation died";
    EXPECT_EQ(state_file(c)["resources"]["memory"], json::parse(R"({"limit":33554432,"swap":33554432})"));
}

TEST_F(UpdatePause, PidsLimitIsChangedAndEnforced) {
    const std::string c = start_worker();
    Result r = berth({"update", "--pids-limit", "5", c});
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string dir = unified_host() ? cgroup_dir(pid_, "") : cgroup_dir(pid_, "pids");
    EXPECT_EQ(read_text(dir + "/pids.max"), "5\n");
    // Twelve background sleeps in a cgroup that allows five tasks: sh fails
    // to fork ("can't fork", status 2).
    const int rc = run_job("for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 30 & done; exit 0");
    EXPECT_NE(rc, -1) << "the job never finished";
    EXPECT_NE(rc, 0) << "every fork succeeded: " << read_text(bundle_->rootfs() + "/out0");
    EXPECT_LE(std::stoi(read_text(dir + "/pids.current")), 5);
    EXPECT_NE(read_text(dir + "/pids.events"), "max 0\n") << "no fork was refused";
}

TEST_F(UpdatePause, CpuQuotaAndPeriodWrittenAndMerged) {
    const std::string c = start_worker();
    Result r = berth({"update", "--cpu-quota", "50000", "--cpu-period", "100000", c});
    ASSERT_EQ(r.code, 0) << r.err;
    if (unified_host()) {
        EXPECT_EQ(read_text(cgroup_dir(pid_, "") + "/cpu.max"), "50000 100000\n");
    } else {
        EXPECT_EQ(read_text(cgroup_dir(pid_, "cpu") + "/cpu.cfs_quota_us"), "50000\n");
        EXPECT_EQ(read_text(cgroup_dir(pid_, "cpu") + "/cpu.cfs_period_us"), "100000\n");
    }
    // A quota alone keeps the period set before.
    ASSERT_EQ(berth({"update", "--cpu-quota", "25000", c}).code, 0);
    if (unified_host()) {
        EXPECT_EQ(read_text(cgroup_dir(pid_, "") + "/cpu.max"), "25000 100000\n");
    } else {
        EXPECT_EQ(read_text(cgroup_dir(pid_, "cpu") + "/cpu.cfs_quota_us"), "25000\n");
        EXPECT_EQ(read_text(cgroup_dir(pid_, "cpu") + "/cpu.cfs_period_us"), "100000\n");
    }
}

// A container created without any cpu resources can still get a cpuset by
// update: create makes the container's cpuset cgroup whenever cgroup-cpuset is
// active, as runc makes every v1 cgroup directory (docs/cgroups.md). Not
// making it for containers that ask nothing would break this.
TEST_F(UpdatePause, CpusetUpdateAfterCreateWithoutCpuResources) {
    const std::string c = start_worker();
    Result r = berth({"update", "--cpuset-cpus", "0", c});
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string dir = unified_host() ? cgroup_dir(pid_, "") : cgroup_dir(pid_, "cpuset");
    ASSERT_FALSE(dir.empty()) << "the container must be in a cpuset cgroup";
    EXPECT_EQ(read_text(dir + "/cpuset.cpus"), "0\n");
    const std::string status = read_text("/proc/" + std::to_string(pid_) + "/status");
    EXPECT_NE(status.find("Cpus_allowed_list:\t0\n"), std::string::npos) << "init is not limited to cpu 0: " << status;
}

TEST_F(UpdatePause, ResourcesFromStdin) {
    const std::string c = start_worker();
    Result r = update_stdin(c, R"({"pids":{"limit":7},"cpu":{"shares":512}})");
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string pids = unified_host() ? cgroup_dir(pid_, "") : cgroup_dir(pid_, "pids");
    EXPECT_EQ(read_text(pids + "/pids.max"), "7\n");
    if (unified_host())
        EXPECT_NE(read_text(cgroup_dir(pid_, "") + "/cpu.weight"), "100\n") << "shares 512 is not the default weight";
    else EXPECT_EQ(read_text(cgroup_dir(pid_, "cpu") + "/cpu.shares"), "512\n");
    // From a file too.
    std::ofstream(tmp_->path() + "/res.json") << R"({"pids":{"limit":9}})";
    ASSERT_EQ(berth({"update", "-r", tmp_->path() + "/res.json", c}).code, 0);
    EXPECT_EQ(read_text(pids + "/pids.max"), "9\n");
}

// docker creates with blockIO {"weight":0} and zeros, and updates with every
// field present, zero meaning "leave as is".
TEST_F(UpdatePause, DockerZeroFieldsLeaveLimitsAlone) {
    const std::string c = start_worker(json::parse(
        R"({"blockIO":{"weight":0},"pids":{"limit":20},"memory":{"limit":67108864,"reservation":0,"swap":0},)"
        R"("cpu":{"shares":0,"quota":50000,"period":100000}})"));
    const std::string mem = file("memory", "memory.limit_in_bytes", "memory.max");
    const std::string pids = (unified_host() ? cgroup_dir(pid_, "") : cgroup_dir(pid_, "pids")) + "/pids.max";
    ASSERT_EQ(read_text(mem), "67108864\n");
    Result r = update_stdin(c, R"({"memory":{"limit":0,"reservation":0,"kernel":0},"cpu":{"shares":0,)"
                               R"("quota":25000,"period":100000},"blockIO":{"weight":0}})");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(read_text(mem), "67108864\n") << "memory limit 0 left the limit alone";
    EXPECT_EQ(read_text(pids), "20\n");
    if (unified_host()) EXPECT_EQ(read_text(cgroup_dir(pid_, "") + "/cpu.max"), "25000 100000\n");
    else EXPECT_EQ(read_text(cgroup_dir(pid_, "cpu") + "/cpu.cfs_quota_us"), "25000\n");
    // docker update --memory 128m
    r = update_stdin(c, R"({"memory":{"limit":134217728,"reservation":0,"kernel":0},)"
                        R"("cpu":{"shares":0,"quota":0,"period":0},"blockIO":{"weight":0}})");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(read_text(mem), "134217728\n");
    EXPECT_EQ(read_text(pids), "20\n");
}

// The CRI sends a deny-all device rule with every update; runc 1.1 leaves
// devices alone, so the container keeps its devices.
TEST_F(UpdatePause, CriDeviceRuleLeavesDevicesAlone) {
    const std::string c = start_worker();
    Result r = update_stdin(c, R"({"devices":[{"allow":false,"access":"rwm"}],"memory":{"limit":134217728,)"
                               R"("swap":134217728},"cpu":{"shares":512,"quota":25000,"period":100000}})");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(read_text(file("memory", "memory.limit_in_bytes", "memory.max")), "134217728\n");
    EXPECT_EQ(run_job("echo x > /dev/null && head -c 4 /dev/zero > /dev/null && head -c 4 /dev/urandom > /dev/null"), 0)
        << read_text(bundle_->rootfs() + "/out0");
    EXPECT_EQ(state_file(c)["resources"].count("devices"), 0u) << "the rule is not recorded as applied";
}

TEST_F(UpdatePause, BadValuesChangeNothing) {
    const std::string c =
        start_worker(json::parse(R"({"memory":{"limit":67108864},"cpu":{"shares":1024},"pids":{"limit":20}})"));
    const std::string mem = file("memory", "memory.limit_in_bytes", "memory.max");
    const std::string pids = (unified_host() ? cgroup_dir(pid_, "") : cgroup_dir(pid_, "pids")) + "/pids.max";
    const json before = state_file(c)["resources"];
    const struct {
        std::vector<std::string> args;
        const char* input;  // for --resources -
        const char* error;
    } cases[] = {
        {{"--memory", "lots"}, nullptr, "invalid value for memory: invalid size: 'lots'"},
        {{"--pids-limit", "many"}, nullptr, "invalid value for pids-limit"},
        {{"--pids-limit", "3", "--cpu-share", "1"}, nullptr, "linux.resources.cpu.shares: 1 is out of range"},
        {{"--pids-limit", "3", "--cpuset-cpus", "0-"},
         nullptr,
         "linux.resources.cpu.cpus: \"0-\" is not a list of CPUs"},
        {{"--pids-limit", "3", "--blkio-weight", "5"},
         nullptr,
         "linux.resources.blockIO.weight: 5 is outside [10, 1000]"},
        {{"--pids-limit", "3", "--memory-swap", "32m"}, nullptr, "linux.resources.memory.swap"},
        {{"--resources", "-"},
         R"({"pids":{"limit":3},"memory":{"limit":"1g"}})",
         "linux.resources.memory.limit: must be an integer"},
        {{"--resources", "-"}, "{not json", "invalid JSON"},
        {{"--bogus", "1"}, nullptr, "unknown flag --bogus"},
    };
    for (const auto& t : cases) {
        std::vector<std::string> args = {"update"};
        args.insert(args.end(), t.args.begin(), t.args.end());
        args.push_back(c);
        Result r = t.input ? run_berth_stdin(root_, args, t.input, tmp_->path()) : berth(args);
        EXPECT_EQ(r.code, 1) << t.error;
        EXPECT_NE(r.err.find(t.error), std::string::npos) << "want \"" << t.error << "\" in: " << r.err;
        EXPECT_EQ(read_text(pids), "20\n") << t.error;
        EXPECT_EQ(read_text(mem), "67108864\n") << t.error;
        EXPECT_EQ(state_file(c)["resources"], before) << t.error;
    }
}

// A value only the kernel can refuse: v1 will not set a memory limit below
// what the cgroup already uses (v2 would OOM-kill instead, so this is v1 only).
// What was written before the refusal is put back, as runc does.
TEST_F(UpdatePause, KernelRefusalRestoresThePreviousLimits) {
    if (unified_host()) GTEST_SKIP() << "v1 only: on v2 a memory.max below usage OOM-kills instead of failing";
    const std::string c = start_worker(json::parse(R"({"memory":{"limit":67108864},"cpu":{"shares":1024}})"));
    const std::string shares = cgroup_dir(pid_, "cpu") + "/cpu.shares";
    Result r = berth({"update", "--cpu-share", "512", "--memory", "4k", "--memory-swap", "4k", c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("memory"), std::string::npos) << r.err;
    EXPECT_EQ(read_text(shares), "1024\n") << "cpu.shares (written before memory failed) restored";
    EXPECT_EQ(read_text(cgroup_dir(pid_, "memory") + "/memory.limit_in_bytes"), "67108864\n");
    EXPECT_EQ(state_file(c)["resources"], json::parse(R"({"memory":{"limit":67108864},"cpu":{"shares":1024}})"));
    EXPECT_EQ(status(c), "running");
}

}  // namespace
}  // namespace berth::test
