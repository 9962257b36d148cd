// berth checkpoint / restore with the checkpoint-criu plugin, on real
// containers. The tests that run CRIU need a kernel and a criu that work
// together: the cgroup v2 guest has them (Debian's criu 3.17 on its 6.1
// kernel, with the modules tests/v2vm/criu-probe.sh --modules lists), and
// tests/run.sh runs this binary there with BERTH_TEST_REQUIRE_CRIU=1, which
// makes a missing or broken CRIU a failure. Elsewhere (this host's 6.18
// kernel, where criu 3.17 cannot start) they are reported as skipped, with
// `criu check`'s words; BERTH_TEST_CRIU=/path/to/criu runs them with another
// criu (tests/v2vm/criu-trixie.sh prints one). The bad-input and reporting
// tests need no CRIU and run everywhere.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace berth::test {
namespace {

using json = nlohmann::json;

// The counter: one line per 0.2 s, 1, 2, 3, ..., appended to FILE by a fresh
// open each time (no fd to the file for CRIU to carry along).
std::vector<std::string> counter(const std::string& file) {
    return {"sh", "-c", "i=0; while :; do i=$((i+1)); echo $i >> " + file + "; sleep 0.2; done"};
}

std::vector<long> numbers(const std::string& path) {
    std::vector<long> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) out.push_back(std::atol(line.c_str()));
    return out;
}

// Waits until the file has at least n lines (20 s at most: a TCG guest is slow).
size_t wait_lines(const std::string& path, size_t n) {
    for (int i = 0; i < 200; ++i) {
        const size_t got = numbers(path).size();
        if (got >= n) return got;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return numbers(path).size();
}

// "" when the log reads 1..N with no gap, or what is wrong.
std::string unbroken(const std::vector<long>& v) {
    for (size_t i = 0; i < v.size(); ++i)
        if (v[i] != static_cast<long>(i + 1))
            return "line " + std::to_string(i + 1) + " is " + std::to_string(v[i]) + ", not " + std::to_string(i + 1);
    return "";
}

// Why CRIU cannot be used here ("" when it can): `criu check` with the criu
// the plugin will run.
std::string criu_problem(const std::string& criu) {
    const std::string cmd = "'" + criu + "' check 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return "cannot run " + criu;
    std::string out;
    char buf[512];
    while (fgets(buf, sizeof buf, p)) out += buf;
    const int status = pclose(p);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    return "`" + criu + " check` fails here: " + out;
}

class CheckpointTest : public ContainerTest {
protected:
    void SetUp() override {
        ContainerTest::SetUp();
        const char* env = std::getenv("BERTH_TEST_CRIU");
        criu_ = env && *env ? env : "criu";
        // The build's plugin config, with the criu to use when one is given.
        config_ = tmp_->path() + "/plugins.yaml";
        std::string text = read_text(BERTH_TEST_PLUGIN_CONFIG);
        if (env && *env) {
            const std::string entry = "- {name: checkpoint-criu, file: berth-checkpoint-criu.so}";
            const size_t at = text.find(entry);
            ASSERT_NE(at, std::string::npos) << "no checkpoint-criu entry in " << BERTH_TEST_PLUGIN_CONFIG;
            text.replace(at, entry.size(),
                         "- {name: checkpoint-criu, file: berth-checkpoint-criu.so, settings: {criu: " + criu_ + "}}");
        }
        std::ofstream(config_) << text;
    }

    // For the tests that run CRIU: fails where CRIU is required, skips
    // (saying why) elsewhere.
    bool criu_usable() {
        const std::string problem = criu_problem(criu_);
        if (problem.empty()) return true;
        if (std::getenv("BERTH_TEST_REQUIRE_CRIU")) {
            ADD_FAILURE() << "this run requires CRIU: " << problem;
            return false;
        }
        skip_reason_ = problem;
        return false;
    }

    Result run(const std::vector<std::string>& args, const std::vector<int>& fds = {}) {
        std::vector<std::string> all = {"--plugin-config", config_};
        all.insert(all.end(), args.begin(), args.end());
        return run_berth(root_, all, {}, fds, 180);
    }

    json state(const std::string& id) {
        const Result r = run({"state", id});
        return r.code == 0 ? json::parse(r.out) : json();
    }

    std::string criu_;
    std::string config_;
    std::string skip_reason_;
};

#define REQUIRE_CRIU()                                               \
    do {                                                             \
        if (!criu_usable()) {                                        \
            if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_; \
            return;                                                  \
        }                                                            \
    } while (0)

// The counting container is checkpointed (and so stopped and deleted, as
// with runc), and restored under its id from the bundle: it goes on counting
// from where it stopped, as the init of a running container with the new pid.
TEST_F(CheckpointTest, CountingContainerContinuesWhereItStopped) {
    REQUIRE_CRIU();
    const std::string c = id("ckpt");
    Bundle b(tmp_->path() + "/b", counter("/log"));
    const std::string log = b.rootfs() + "/log";
    ASSERT_EQ(run({"run", "-d", "--bundle", b.dir(), c}).code, 0);
    ASSERT_GE(wait_lines(log, 5), 5u);
    const std::string img = tmp_->path() + "/img", work = tmp_->path() + "/work";
    Result r = run({"checkpoint", "--image-path", img, "--work-path", work, c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(exists(img + "/inventory.img"));
    EXPECT_TRUE(exists(work + "/dump.log"));
    // Gone, as after runc checkpoint: no state, no process, no cgroup.
    EXPECT_NE(run({"state", c}).code, 0);
    EXPECT_EQ(leftovers(root_, c, b.rootfs()), std::vector<std::string>{});
    const size_t stopped_at = numbers(log).size();
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    EXPECT_EQ(numbers(log).size(), stopped_at) << "still counting after the checkpoint";

    const std::string pid_file = tmp_->path() + "/pid";
    r = run({"restore", "-d", "--image-path", img, "--work-path", tmp_->path() + "/work2", "--bundle", b.dir(),
             "--pid-file", pid_file, c});
    ASSERT_EQ(r.code, 0) << r.err;
    const json st = state(c);
    EXPECT_EQ(st.value("status", ""), "running") << st.dump();
    EXPECT_EQ(std::to_string(st.value("pid", 0)), read_text(pid_file));
    ASSERT_GE(wait_lines(log, stopped_at + 5), stopped_at + 5) << "not counting after the restore";
    const auto v = numbers(log);
    EXPECT_EQ(unbroken(v), "") << "the restored counter did not go on from " << stopped_at;
    // It is a container like any other: exec, kill, delete.
    r = run({"exec", c, "cat", "/proc/1/cmdline"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("while"), std::string::npos) << r.out;
    EXPECT_EQ(run({"kill", c, "KILL"}).code, 0);
    for (int i = 0; i < 50 && state(c).value("status", "") != "stopped"; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(run({"delete", c}).code, 0);
}

// --leave-running: the container keeps running; the image restores as a
// second container, from the count at the checkpoint.
TEST_F(CheckpointTest, LeaveRunningAndRestoreUnderANewId) {
    REQUIRE_CRIU();
    const std::string c = id("ckpt"), copy = id("copy");
    Bundle b(tmp_->path() + "/b", counter("/log"));
    const std::string log = b.rootfs() + "/log";
    ASSERT_EQ(run({"run", "-d", "--bundle", b.dir(), c}).code, 0);
    ASSERT_GE(wait_lines(log, 5), 5u);
    const std::string img = tmp_->path() + "/img";
    const json before = state(c);
    Result r = run({"checkpoint", "--leave-running", "--image-path", img, c});
    ASSERT_EQ(r.code, 0) << r.err;
    const size_t at_checkpoint = numbers(log).size();
    const json after = state(c);
    EXPECT_EQ(after.value("status", ""), "running");
    EXPECT_EQ(after.value("pid", 0), before.value("pid", 0));
    ASSERT_GE(wait_lines(log, at_checkpoint + 3), at_checkpoint + 3) << "stopped counting with --leave-running";
    ASSERT_EQ(run({"delete", "-f", c}).code, 0);
    const size_t at_delete = numbers(log).size();

    r = run({"restore", "-d", "--image-path", img, "--bundle", b.dir(), copy});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(state(copy).value("status", ""), "running");
    ASSERT_GE(wait_lines(log, at_delete + 4), at_delete + 4);
    const auto v = numbers(log);
    const std::vector<long> restored(v.begin() + static_cast<long>(at_delete), v.end());
    // From the count at the checkpoint (give or take the line being written
    // then), not from 1 and not from where the first container ended.
    EXPECT_GE(restored.front(), static_cast<long>(at_checkpoint) - 1);
    EXPECT_LE(restored.front(), static_cast<long>(at_checkpoint) + 2);
    for (size_t i = 1; i < restored.size(); ++i) EXPECT_EQ(restored[i], restored[i - 1] + 1) << i;
    EXPECT_EQ(run({"delete", "-f", copy}).code, 0);
}

// A bind-mounted volume, a bound file, a tmpfs and a terminal: the volume is
// an external mount found again at its source, the tmpfs comes back with its
// content, and the console's new master is sent to the restore's
// --console-socket. The binds' mount points are removed before the restore,
// as in a rootfs that never ran the container (podman's restore --import):
// restore makes them again.
TEST_F(CheckpointTest, VolumeTmpfsAndTerminal) {
    REQUIRE_CRIU();
    const std::string c = id("tty");
    const std::string volume = tmp_->path() + "/volume";
    mkdir(volume.c_str(), 0755);
    const std::string hosts = tmp_->path() + "/hosts";
    std::ofstream(hosts) << "127.0.0.1 box\n";
    Bundle b(tmp_->path() + "/b", {"sh", "-c",
                                   "echo kept > /scratch/f; i=0; while :; do i=$((i+1)); echo $i >> /data/log; "
                                   "echo tick $i; sleep 0.2; done"});
    b.config["process"]["terminal"] = true;
    b.config["mounts"].push_back(
        {{"destination", "/data"}, {"type", "bind"}, {"source", volume}, {"options", {"rbind", "rw"}}});
    b.config["mounts"].push_back(
        {{"destination", "/etc/hosts.box"}, {"type", "bind"}, {"source", hosts}, {"options", {"bind", "ro"}}});
    b.config["mounts"].push_back(
        {{"destination", "/scratch"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"size=1m"}}});
    b.save();
    const std::string log = volume + "/log";
    {
        ConsoleSocket sock(tmp_->path() + "/console.sock");
        ASSERT_EQ(run({"run", "-d", "--console-socket", sock.path(), "--bundle", b.dir(), c}).code, 0);
        const int master = sock.take_master();
        ASSERT_GE(master, 0);
        EXPECT_NE(read_pty_until(master, "tick 2").find("tick 2"), std::string::npos);
        ASSERT_GE(wait_lines(log, 5), 5u);
        const Result r = run({"checkpoint", "--shell-job", "--image-path", tmp_->path() + "/img", c});
        close(master);
        ASSERT_EQ(r.code, 0) << r.err;
    }
    const size_t stopped_at = numbers(log).size();
    ASSERT_EQ(rmdir((b.rootfs() + "/data").c_str()), 0) << strerror(errno);
    ASSERT_EQ(unlink((b.rootfs() + "/etc/hosts.box").c_str()), 0) << strerror(errno);
    ConsoleSocket sock(tmp_->path() + "/console2.sock");
    const Result r = run({"restore", "-d", "--shell-job", "--console-socket", sock.path(), "--image-path",
                          tmp_->path() + "/img", "--bundle", b.dir(), c});
    ASSERT_EQ(r.code, 0) << r.err;
    const int master = sock.take_master();
    ASSERT_GE(master, 0) << "no console master at the restore's console socket";
    const std::string next = "tick " + std::to_string(stopped_at + 2);
    EXPECT_NE(read_pty_until(master, next).find(next), std::string::npos) << "the restored console is silent";
    close(master);
    ASSERT_GE(wait_lines(log, stopped_at + 3), stopped_at + 3);
    EXPECT_EQ(unbroken(numbers(log)), "");
    const Result cat = run({"exec", c, "cat", "/scratch/f"});
    EXPECT_EQ(cat.out, "kept\n") << cat.err;
    const Result bound = run({"exec", c, "cat", "/etc/hosts.box"});
    EXPECT_EQ(bound.out, "127.0.0.1 box\n") << bound.err;
    EXPECT_EQ(run({"delete", "-f", c}).code, 0);
}

// --pre-dump leaves the container running; the final dump names it with
// --parent-path, and the restore reads both.
TEST_F(CheckpointTest, PreDumpThenDumpWithParentPath) {
    REQUIRE_CRIU();
    const std::string c = id("pre");
    Bundle b(tmp_->path() + "/b", counter("/log"));
    const std::string log = b.rootfs() + "/log";
    ASSERT_EQ(run({"run", "-d", "--bundle", b.dir(), c}).code, 0);
    ASSERT_GE(wait_lines(log, 5), 5u);
    const std::string img = tmp_->path() + "/img";
    Result r = run({"checkpoint", "--pre-dump", "--image-path", img + "/1", c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(state(c).value("status", ""), "running");
    const size_t after_pre = numbers(log).size();
    ASSERT_GE(wait_lines(log, after_pre + 3), after_pre + 3) << "stopped counting after --pre-dump";
    r = run({"checkpoint", "--parent-path", "../1", "--image-path", img + "/2", c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(exists(img + "/2/parent")) << "the dump did not link its parent";
    const size_t stopped_at = numbers(log).size();
    r = run({"restore", "-d", "--image-path", img + "/2", "--bundle", b.dir(), c});
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_GE(wait_lines(log, stopped_at + 3), stopped_at + 3);
    EXPECT_EQ(unbroken(numbers(log)), "");
    EXPECT_EQ(run({"delete", "-f", c}).code, 0);
}

// A foreground restore waits for the container like `run`, gives its exit
// status and deletes it.
TEST_F(CheckpointTest, ForegroundRestoreReturnsTheExitStatus) {
    REQUIRE_CRIU();
    const std::string c = id("fg");
    Bundle b(tmp_->path() + "/b", {"sh", "-c", "while [ ! -e /stop ]; do sleep 0.2; done; exit 7"});
    ASSERT_EQ(run({"run", "-d", "--bundle", b.dir(), c}).code, 0);
    const std::string img = tmp_->path() + "/img";
    Result r = run({"checkpoint", "--image-path", img, c});
    ASSERT_EQ(r.code, 0) << r.err;
    std::ofstream(b.rootfs() + "/stop") << "";
    r = run({"restore", "--image-path", img, "--bundle", b.dir(), c});
    EXPECT_EQ(r.code, 7) << r.err;
    EXPECT_NE(run({"state", c}).code, 0) << "a foreground restore leaves its container behind";
}

// Bad input: a clear error, a non-zero exit, and nothing left behind. None
// of these reaches CRIU: they run everywhere.
TEST_F(CheckpointTest, RestoreFromAMissingImageDirectory) {
    const std::string c = id("bad");
    Bundle b(tmp_->path() + "/b", {"sleep", "100"});
    const std::string img = tmp_->path() + "/no-such-dir";
    const Result r = run({"restore", "-d", "--image-path", img, "--bundle", b.dir(), c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--image-path"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(img), std::string::npos) << r.err;
    EXPECT_FALSE(exists(root_ + "/" + c));
    EXPECT_EQ(leftovers(root_, c, b.rootfs()), std::vector<std::string>{});
    // An existing directory without a checkpoint in it.
    const Result empty = run({"restore", "-d", "--image-path", tmp_->path(), "--bundle", b.dir(), c});
    EXPECT_EQ(empty.code, 1);
    EXPECT_NE(empty.err.find("holds no checkpoint"), std::string::npos) << empty.err;
    EXPECT_FALSE(exists(root_ + "/" + c));
}

TEST_F(CheckpointTest, RestoreOntoAnExistingIdLeavesItAlone) {
    const std::string c = id("busy");
    Bundle b(tmp_->path() + "/b", {"sleep", "100"});
    ASSERT_EQ(run({"run", "-d", "--bundle", b.dir(), c}).code, 0);
    const json before = state(c);
    // A directory that looks like a checkpoint: the id is refused first.
    const std::string img = tmp_->path() + "/img";
    mkdir(img.c_str(), 0700);
    std::ofstream(img + "/inventory.img") << "";
    const Result r = run({"restore", "-d", "--image-path", img, "--bundle", b.dir(), c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("exists"), std::string::npos) << r.err;
    const json after = state(c);
    EXPECT_EQ(after.value("status", ""), "running");
    EXPECT_EQ(after.value("pid", 0), before.value("pid", 0));
    EXPECT_FALSE(exists(root_ + "/" + c + "/criu-root"));
}

TEST_F(CheckpointTest, CheckpointOfAStoppedContainer) {
    const std::string c = id("done");
    Bundle b(tmp_->path() + "/b", {"true"});
    ASSERT_EQ(run({"run", "-d", "--bundle", b.dir(), c}).code, 0);
    for (int i = 0; i < 50 && state(c).value("status", "") != "stopped"; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::string img = tmp_->path() + "/img";
    const Result r = run({"checkpoint", "--image-path", img, c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("container cannot be checkpointed in stopped state"), std::string::npos) << r.err;
    EXPECT_FALSE(exists(img)) << "the image directory was made for a container that cannot be checkpointed";
    EXPECT_EQ(state(c).value("status", ""), "stopped");
    // And of one that does not exist.
    const Result missing = run({"checkpoint", "--image-path", img, "no-such-container"});
    EXPECT_EQ(missing.code, 1);
    EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
}

TEST_F(CheckpointTest, UnsupportedFlagsAreRefusedByName) {
    struct Case {
        std::vector<std::string> args;
        const char* message;
    };
    const Case cases[] = {
        {{"checkpoint", "--lazy-pages", "x"}, "checkpoint: --lazy-pages is not supported"},
        {{"checkpoint", "--status-fd", "3", "x"}, "checkpoint: --status-fd is not supported"},
        {{"restore", "--lazy-pages", "x"}, "restore: --lazy-pages is not supported"},
        {{"restore", "--lsm-profile", "apparmor:p", "x"}, "restore: --lsm-profile is not supported"},
        {{"checkpoint", "--manage-cgroups-mode", "props", "x"}, "--manage-cgroups-mode: \"props\" is not one of"},
        {{"checkpoint", "--empty-ns", "ipc", "x"}, "--empty-ns: namespace \"ipc\" is not supported"},
        {{"checkpoint", "--page-server", "localhost", "x"}, "--page-server: \"localhost\": no port"},
        {{"checkpoint", "--parent-path", "/abs", "x"}, "--parent-path: must be relative to --image-path"},
        {{"checkpoint", "--no-such-flag", "x"}, "no-such-flag"},
    };
    for (const auto& t : cases) {
        const Result r = run(t.args);
        EXPECT_EQ(r.code, 1) << t.args[1];
        EXPECT_NE(r.err.find(t.message), std::string::npos) << t.args[1] << ": " << r.err;
    }
}

// `plugins list` and `features` report the checkpoint plugin; the CRIU
// version needs only `criu swrk` to answer, which works on any kernel.
TEST_F(CheckpointTest, PluginsAndFeaturesReportTheCheckpointPlugin) {
    Result r = run({"plugins", "list", "--format", "json"});
    ASSERT_EQ(r.code, 0) << r.err;
    bool listed = false;
    for (const auto& p : json::parse(r.out))
        if (p.value("name", "") == "checkpoint-criu") {
            listed = true;
            EXPECT_EQ(p["kinds"], json::array({"checkpoint"})) << p.dump();
            EXPECT_EQ(p.value("abi", ""), BERTH_ABI_TEXT);
        }
    EXPECT_TRUE(listed) << r.out;
    r = run({"plugins", "inspect", "checkpoint-criu"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("checkpoint:  criu "), std::string::npos) << r.out;
    r = run({"features"});
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string engine = json::parse(r.out)["annotations"].value("org.berth.plugins.checkpoint", "");
    EXPECT_EQ(engine.rfind("checkpoint-criu: criu ", 0), 0u) << engine;
    // podman asks whether the runtime can checkpoint this way.
    EXPECT_EQ(run({"checkpoint", "--help"}).code, 0);
}

}  // namespace
}  // namespace berth::test
