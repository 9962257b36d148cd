// Crash recovery at every step. A normal run with BERTH_FAULT_TRACE learns
// the crash points of each verb (so a new fault_point() is covered without
// touching this file); then, for every step, the scenario is run again with
// BERTH_FAULT_AT=<step>, berth must die of SIGKILL right there (or, for a
// step of the container's init, create must fail with an error), and
// `state` (for a container that exists) must tell the truth and `delete
// --force` must leave nothing: no state dir, no cgroup dir in any hierarchy
// (intermediate ones of a nested cgroupsPath included), no mount, no
// process, no fifo.
// Needs a test build: meson setup -Dfault_injection=true. Without it there
// are no crash points, and the test fails saying so.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <thread>

#include "harness.hpp"

using namespace berth::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Attempt {
    std::string id;
    std::string bundle;
    std::string rootfs;
    std::string pid_file;
};

// One verb invocation of the scenario, and what to wait for after it.
struct Row {
    std::string verb;  // the crash points "<verb>.*" belong to this row
    std::function<std::vector<std::string>(const Attempt&)> args;
    std::function<void(const std::string& root, const Attempt&)> settle = nullptr;
};

std::string status_of(const std::string& root, const std::string& id) {
    Result r = run_berth(root, {"state", id});
    if (r.code != 0) return "";
    return json::parse(r.out).value("status", "");
}

void wait_stopped(const std::string& root, const Attempt& run) {
    for (int i = 0; i < 300 && status_of(root, run.id) != "stopped"; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

// The scenario, one row per verb invocation, run in order: a new verb is
// one more row, and its crash points are then walked too (a verb with no
// crash point fails the test).
const std::vector<Row>& scenario() {
    using Args = std::vector<std::string>;
    static const std::vector<Row> rows = {
        {"create",
         [](const Attempt& r) { return Args{"create", "--bundle", r.bundle, "--pid-file", r.pid_file, r.id}; }},
        {"start",
         [](const Attempt& r) {
             return Args{"start", r.id};
         }},
        {"exec",
         [](const Attempt& r) {
             return Args{"exec", r.id, "true"};
         }},
        {"update",
         [](const Attempt& r) {
             return Args{"update", "--pids-limit", "50", r.id};
         }},
        {"pause",
         [](const Attempt& r) {
             return Args{"pause", r.id};
         }},
        {"resume",
         [](const Attempt& r) {
             return Args{"resume", r.id};
         }},
        // KILL: pid 1 of the container has no handler for TERM.
        {"kill",
         [](const Attempt& r) {
             return Args{"kill", r.id, "KILL"};
         },
         wait_stopped},
        {"delete",
         [](const Attempt& r) {
             return Args{"delete", r.id};
         }},
    };
    return rows;
}

// Whether the freezer of pid's cgroup holds it: v1 freezer.state, or v2
// cgroup.events "frozen 1".
bool frozen(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
    for (std::string line; std::getline(in, line);) {
        const size_t a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        if (controllers == "freezer") {
            std::ifstream f("/sys/fs/cgroup/freezer" + path + "/freezer.state");
            std::string v;
            f >> v;
            if (v == "FROZEN") return true;
        } else if (controllers.empty() && exists("/sys/fs/cgroup/cgroup.controllers")) {
            std::ifstream f("/sys/fs/cgroup" + path + "/cgroup.events");
            for (std::string l; std::getline(f, l);)
                if (l == "frozen 1") return true;
        }
    }
    return false;
}

std::string verb_of(const std::string& step) { return step.substr(0, step.find('.')); }

bool is_init_step(const std::string& step) { return step.rfind("create.init.", 0) == 0; }

std::vector<std::string> read_lines(const std::string& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

bool runs_stub(pid_t pid) {
    char target[256];
    ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), target, sizeof target - 1);
    return n > 0 && std::string(target, static_cast<size_t>(n)).rfind("/memfd:berth-init", 0) == 0;
}

class FaultInjection : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "integration tests run containers and need root";
        tmp_ = std::make_unique<TempDir>("berth-fault");
        root_ = tmp_->path() + "/state";
        bundle_ = std::make_unique<Bundle>(tmp_->path() + "/bundle", std::vector<std::string>{"sleep", "1000"});
    }

    // A fresh id; with `nested`, cgroupsPath /berthtest-<id>/a/b.
    Attempt fresh(bool nested) {
        Attempt r;
        r.id = unique_id("fault");
        r.bundle = bundle_->dir();
        r.rootfs = bundle_->rootfs();
        r.pid_file = tmp_->path() + "/" + r.id + ".pid";
        if (nested) bundle_->config["linux"]["cgroupsPath"] = "/berthtest-" + r.id + "/a/b";
        else bundle_->config["linux"].erase("cgroupsPath");
        bundle_->save();
        return r;
    }

    // The crash points reached by a normal run, in order, each once.
    std::vector<std::string> learn_steps(bool nested) {
        Attempt run = fresh(nested);
        const std::string trace = tmp_->path() + "/trace-" + run.id;
        for (const Row& row : scenario()) {
            Result r = run_berth(root_, row.args(run), {"BERTH_FAULT_TRACE=" + trace});
            EXPECT_EQ(r.code, 0) << row.verb << ": " << r.err;
            if (row.settle) row.settle(root_, run);
        }
        EXPECT_EQ(leftovers(root_, run.id, run.rootfs), std::vector<std::string>{});
        std::vector<std::string> steps;
        for (auto& s : read_lines(trace))
            if (std::find(steps.begin(), steps.end(), s) == steps.end()) steps.push_back(s);
        return steps;
    }

    // The truth about a container, from /proc: what `state` must say.
    static std::string real_status(pid_t pid) {
        if (pid <= 0) return "stopped";
        char st = proc_state(pid);
        if (st == 0 || st == 'Z' || st == 'X') return "stopped";
        if (frozen(pid)) return "paused";
        return runs_stub(pid) ? "created" : "running";
    }

    // Runs the scenario with a crash at `step`, then recovers and checks.
    void crash_at(const std::string& step, bool nested) {
        SCOPED_TRACE("crash at " + step + (nested ? " (nested cgroupsPath)" : ""));
        Attempt run = fresh(nested);
        const auto& rows = scenario();
        size_t at = 0;
        while (at < rows.size() && rows[at].verb != verb_of(step)) ++at;
        ASSERT_LT(at, rows.size()) << "no scenario row for the verb of " << step;
        for (size_t i = 0; i < at; ++i) {
            Result r = run_berth(root_, rows[i].args(run));
            ASSERT_EQ(r.code, 0) << rows[i].verb << ": " << r.err;
            if (rows[i].settle) rows[i].settle(root_, run);
        }
        Result r = run_berth(root_, rows[at].args(run), {"BERTH_FAULT_AT=" + step});
        if (is_init_step(step)) {
            // init died: create must say so and undo everything by itself.
            EXPECT_EQ(r.code, 1) << r.err;
            EXPECT_NE(r.err.find("init"), std::string::npos) << r.err;
            EXPECT_EQ(leftovers(root_, run.id, run.rootfs), std::vector<std::string>{}) << "after the failed create";
        } else {
            EXPECT_EQ(r.code, 128 + SIGKILL) << "berth did not die at " << step << ": " << r.err;
        }
        if (at > 0) {
            // The container existed before this verb: state must answer
            // truthfully (or say it is gone, after a crashed delete).
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            Result s = run_berth(root_, {"state", run.id});
            if (exists(root_ + "/" + run.id)) {
                EXPECT_EQ(s.code, 0) << s.err;
                if (s.code == 0) {
                    json j = json::parse(s.out);
                    pid_t pid = std::stoi(read_text(run.pid_file));
                    std::string truth = real_status(pid);
                    EXPECT_EQ(j.value("status", ""), truth) << s.out;
                    if (truth != "stopped") {
                        EXPECT_EQ(stray_init_fds(pid), std::vector<std::string>{});
                    }
                }
            } else {
                EXPECT_NE(s.code, 0);
                EXPECT_NE(s.err.find("does not exist"), std::string::npos) << s.err;
            }
        }
        Result d = run_berth(root_, {"delete", "--force", run.id});
        EXPECT_EQ(d.code, 0) << d.err;
        EXPECT_EQ(leftovers(root_, run.id, run.rootfs), std::vector<std::string>{});
    }

    void walk(bool nested) {
        std::vector<std::string> steps = learn_steps(nested);
        ASSERT_FALSE(steps.empty())
            << "no crash points were reached: berth was built without -Dfault_injection=true "
               "(meson setup build -Dfault_injection=true); this test cannot run on a release build";
        for (const Row& row : scenario()) {
            bool any = std::any_of(steps.begin(), steps.end(), [&](auto& s) { return verb_of(s) == row.verb; });
            EXPECT_TRUE(any) << "verb " << row.verb << " has no crash points (fault_point(\"" << row.verb
                             << ".<step>\"))";
        }
        for (const auto& step : steps) {
            ASSERT_EQ(step.find_first_of(" \t"), std::string::npos) << step;
            crash_at(step, nested);
        }
        std::string list;
        for (auto& s : steps) list += " " + s;
        RecordProperty("steps", list);
        std::cout << "walked " << steps.size() << " crash points:" << list << "\n";
    }

    std::unique_ptr<TempDir> tmp_;
    std::string root_;
    std::unique_ptr<Bundle> bundle_;
};

TEST_F(FaultInjection, EveryStepDefaultConfig) { walk(false); }

TEST_F(FaultInjection, EveryStepNestedCgroupsPath) { walk(true); }

// The nested cgroupsPath's intermediate directories are in the plan saved
// before the first mkdir, and delete --force removes exactly those berth
// made: a parent that was there before stays, after a crash at any cgroup step.
TEST_F(FaultInjection, PreexistingCgroupParentIsNeverRemoved) {
    std::vector<std::string> steps = learn_steps(true);
    ASSERT_FALSE(steps.empty()) << "no crash points: build with -Dfault_injection=true";
    std::vector<std::string> cgroup_steps;
    for (auto& s : steps)
        if (s.rfind("create.cgroup-", 0) == 0 || s == "create.state-saved") cgroup_steps.push_back(s);
    ASSERT_FALSE(cgroup_steps.empty());
    cgroup_steps.push_back("");  // and a create that finishes
    for (const auto& step : cgroup_steps) {
        SCOPED_TRACE("crash at " + (step.empty() ? std::string("(none)") : step));
        Attempt run = fresh(true);
        // Where the container's cgroup goes, from a plan saved by a create
        // that crashes at once.
        std::vector<std::string> parents;
        {
            Result r = run_berth(root_, scenario()[0].args(run), {"BERTH_FAULT_AT=create.state-saved"});
            ASSERT_EQ(r.code, 128 + SIGKILL) << r.err;
            json st = json::parse(read_text(root_ + "/" + run.id + "/state.json"));
            const json& cg = st.at("cgroup");
            ASSERT_FALSE(cg.at("planned").empty()) << cg.dump();
            for (const std::string dir : cg.at("planned"))
                if (dir.size() > 2 && dir.compare(dir.size() - 2, 2, "/a") == 0)
                    parents.push_back(dir.substr(0, dir.size() - 2));
            ASSERT_FALSE(parents.empty()) << cg.dump();
            ASSERT_EQ(run_berth(root_, {"delete", "--force", run.id}).code, 0);
            for (auto& p : parents) ASSERT_FALSE(exists(p)) << "planned and made by berth, must be removed: " << p;
        }
        for (auto& p : parents) ASSERT_EQ(mkdir(p.c_str(), 0755), 0) << p;
        Result r =
            run_berth(root_, scenario()[0].args(run),
                      step.empty() ? std::vector<std::string>{} : std::vector<std::string>{"BERTH_FAULT_AT=" + step});
        EXPECT_EQ(r.code, step.empty() ? 0 : 128 + SIGKILL) << r.err;
        if (exists(root_ + "/" + run.id + "/state.json")) {
            json cg = json::parse(read_text(root_ + "/" + run.id + "/state.json")).at("cgroup");
            for (auto& p : parents)
                EXPECT_NE(std::find(cg.at("existing").begin(), cg.at("existing").end(), p), cg.at("existing").end())
                    << cg.dump();
        }
        EXPECT_EQ(run_berth(root_, {"delete", "--force", run.id}).code, 0);
        for (auto& p : parents) {
            EXPECT_TRUE(exists(p)) << "existed before create, removed by delete --force: " << p;
            EXPECT_FALSE(exists(p + "/a")) << "made by berth, left by delete --force: " << p << "/a";
            rmdir(p.c_str());
        }
        EXPECT_EQ(leftovers(root_, run.id, run.rootfs), std::vector<std::string>{});
    }
}

// delete --force hammering an id while it is being created: create must
// never fail (its directory is locked from the moment it has its name) and
// what is left is either a whole container or nothing.
// Random timing rarely hits the few-syscall window: the next test hits it
// for certain. 20 rounds keep the v2 guest (TCG) run within its timeout.
TEST_F(FaultInjection, DeleteForceRacingCreate) {
    for (int i = 0; i < 20; ++i) {
        Attempt run = fresh(false);
        const std::string stop = tmp_->path() + "/stop-" + run.id;
        const std::string loop = "while [ ! -e '" + stop + "' ]; do '" BERTH_BIN "' --root '" + root_ +
                                 "' --plugin-config '" BERTH_TEST_PLUGIN_CONFIG "' delete --force '" + run.id +
                                 "' >/dev/null 2>&1; done";
        pid_t deleter = fork();
        if (deleter == 0) {
            execl("/bin/sh", "sh", "-c", loop.c_str(), nullptr);
            _exit(127);
        }
        ASSERT_GT(deleter, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(i % 5));
        Result r = run_berth(root_, scenario()[0].args(run));
        std::ofstream(stop) << "";
        int status = 0;
        waitpid(deleter, &status, 0);
        EXPECT_EQ(r.code, 0) << "create raced by delete --force failed: " << r.err;
        std::string st = status_of(root_, run.id);
        EXPECT_TRUE(st == "" || st == "created") << st;
        EXPECT_EQ(run_berth(root_, {"delete", "--force", run.id}).code, 0);
        EXPECT_EQ(leftovers(root_, run.id, run.rootfs), std::vector<std::string>{});
    }
}

// The same race, made certain: create is stopped in the window between
// making its state directory and locking it (BERTH_FAULT_STOP), a delete
// --force runs there, and create must then finish as if nothing happened.
TEST_F(FaultInjection, DeleteForceInCreatesMkdirToLockWindow) {
    Attempt run = fresh(false);
    const std::string err_file = tmp_->path() + "/create-err-" + run.id;
    std::vector<std::string> argv_s = {BERTH_BIN, "--root", root_, "--plugin-config", BERTH_TEST_PLUGIN_CONFIG};
    for (auto& a : scenario()[0].args(run)) argv_s.push_back(a);
    pid_t create = fork();
    if (create == 0) {
        int devnull = open("/dev/null", O_RDWR);
        int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(err, 2);
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        char env0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin", env1[] = "BERTH_FAULT_STOP=create.state-dir-made";
        char* envp[] = {env0, env1, nullptr};
        execve(argv[0], argv.data(), envp);
        _exit(127);
    }
    ASSERT_GT(create, 0);
    int status = 0;
    ASSERT_EQ(waitpid(create, &status, WUNTRACED), create);
    if (!WIFSTOPPED(status)) {
        FAIL() << "create did not stop at create.state-dir-made (status " << status
               << "): built without -Dfault_injection=true? " << read_text(err_file);
    }
    Result d = run_berth(root_, {"delete", "--force", run.id});
    EXPECT_EQ(d.code, 0) << d.err;
    kill(create, SIGCONT);
    ASSERT_EQ(waitpid(create, &status, 0), create);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status << ": " << read_text(err_file);
    EXPECT_EQ(status_of(root_, run.id), "created");
    EXPECT_EQ(run_berth(root_, {"delete", "--force", run.id}).code, 0);
    EXPECT_EQ(leftovers(root_, run.id, run.rootfs), std::vector<std::string>{});
}

// The container's init holds nothing of berth's: only 0-2, the preserved
// fds and exec.fifo while it waits for start, and only 0-2 (+ preserved)
// once the process runs.
TEST_F(FaultInjection, InitHasNoStrayFds) {
    for (int preserve : {0, 2}) {
        SCOPED_TRACE("--preserve-fds " + std::to_string(preserve));
        Attempt run = fresh(false);
        std::vector<int> keep;
        std::vector<std::string> args = {"create", "--bundle", run.bundle, "--pid-file", run.pid_file};
        if (preserve) {
            int p[2];
            ASSERT_EQ(pipe(p), 0);
            ASSERT_EQ(dup2(p[0], 3), 3);
            ASSERT_EQ(dup2(p[1], 4), 4);
            close(p[0]);
            close(p[1]);
            keep = {3, 4};
            args.push_back("--preserve-fds");
            args.push_back("2");
        }
        args.push_back(run.id);
        Result r = run_berth(root_, args, {"BERTH_FAULT_TRACE=" + tmp_->path() + "/fds-trace"}, keep);
        for (int fd : keep) close(fd);
        ASSERT_EQ(r.code, 0) << r.err;
        pid_t pid = std::stoi(read_text(run.pid_file));
        EXPECT_EQ(stray_init_fds(pid, preserve), std::vector<std::string>{}) << "created";
        ASSERT_EQ(run_berth(root_, {"start", run.id}).code, 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        EXPECT_EQ(stray_init_fds(pid, preserve), std::vector<std::string>{}) << "running";
        EXPECT_EQ(run_berth(root_, {"delete", "--force", run.id}).code, 0);
        EXPECT_EQ(leftovers(root_, run.id, run.rootfs), std::vector<std::string>{});
    }
}

}  // namespace
