// Real containers, as root: the lifecycle verbs, process setup, the rootfs
// and cleanup after bad input.
#include <fcntl.h>
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace berth::test {
namespace {

using json = nlohmann::json;

class Lifecycle : public ContainerTest {
protected:
    std::unique_ptr<Bundle> bundle(const std::vector<std::string>& args) {
        static int n = 0;
        return std::make_unique<Bundle>(tmp_->path() + "/bundle" + std::to_string(n++), args);
    }
    // run in the foreground, returning the container's status and output.
    Result run(Bundle& b, const std::vector<std::string>& env = {}) {
        return berth({"run", "--bundle", b.dir(), id("run")}, env);
    }
    json state(const std::string& cid) {
        Result r = berth({"state", cid});
        EXPECT_EQ(r.code, 0) << r.err;
        return json::parse(r.out);
    }
};

TEST_F(Lifecycle, CreateStartStateKillDelete) {
    auto b = bundle({"sh", "-c", "echo started; exec sleep 60"});
    const std::string c = id();
    const std::string pidfile = tmp_->path() + "/pid";
    Result r = berth({"create", "--bundle", b->dir(), "--pid-file", pidfile, c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "") << "create prints nothing; output belongs to the container";
    const std::string pid_text = read_text(pidfile);
    ASSERT_EQ(pid_text.find('\n'), std::string::npos) << "bare pid";
    const pid_t pid = std::stoi(pid_text);
    json st = state(c);
    EXPECT_EQ(st["status"], "created");
    EXPECT_EQ(st["pid"], pid);
    EXPECT_EQ(st["id"], c);
    EXPECT_EQ(st["bundle"], b->dir());
    EXPECT_EQ(st["rootfs"], b->rootfs());
    EXPECT_TRUE(st.contains("created"));
    EXPECT_EQ(st["ociVersion"], "1.2.1");
    // The waiting init runs the sealed exec stub, not the host binary.
    char exe[256] = {};
    readlink(("/proc/" + pid_text + "/exe").c_str(), exe, sizeof exe - 1);
    EXPECT_NE(std::string(exe).find("memfd:berth-init"), std::string::npos) << exe;

    r = berth({"delete", c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("not stopped: created"), std::string::npos) << r.err;

    r = berth({"start", c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(state(c)["status"], "running");
    r = berth({"start", c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("cannot start an already running container"), std::string::npos) << r.err;

    r = berth({"list", "--format", "json"});
    ASSERT_EQ(r.code, 0);
    bool listed = false;
    for (auto& e : json::parse(r.out)) listed |= e["id"] == c && e["status"] == "running";
    EXPECT_TRUE(listed) << r.out;
    r = berth({"list", "-q"});
    EXPECT_NE(r.out.find(c + "\n"), std::string::npos);

    r = berth({"kill", c, "KILL"});
    ASSERT_EQ(r.code, 0) << r.err;
    for (int i = 0; i < 100 && state(c)["status"] != "stopped"; ++i) usleep(20000);
    EXPECT_EQ(state(c)["status"], "stopped");
    r = berth({"kill", c});
    EXPECT_EQ(r.code, 1) << "kill of a stopped container";
    r = berth({"start", c});
    EXPECT_NE(r.err.find("cannot start a container that has stopped"), std::string::npos) << r.err;
    r = berth({"delete", c});
    ASSERT_EQ(r.code, 0) << r.err;
    r = berth({"state", c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("container does not exist"), std::string::npos);
    r = berth({"delete", c});
    EXPECT_EQ(r.code, 1);
    r = berth({"delete", "--force", c});
    EXPECT_EQ(r.code, 0) << "delete --force of a missing container succeeds, as runc";
}

TEST_F(Lifecycle, RunReturnsExitStatus) {
    auto b = bundle({"sh", "-c", "exit 3"});
    EXPECT_EQ(run(*b).code, 3);
    // pid 1 ignores signals it has no handler for from inside its pid
    // namespace, so the kill comes from the host, as podman's would.
    b->config["process"]["args"] = {"sleep", "30"};
    b->save();
    const std::string c = id("killed");
    Result r;
    std::thread runner([&] { r = berth({"run", "--bundle", b->dir(), c}); });
    for (int i = 0; i < 200; ++i) {
        Result st = berth({"state", c});
        if (st.code == 0 && json::parse(st.out)["status"] == "running") break;
        usleep(20000);
    }
    EXPECT_EQ(berth({"kill", c, "KILL"}).code, 0);
    runner.join();
    EXPECT_EQ(r.code, 137) << r.err;
    b->config["process"]["args"] = {"true"};
    b->save();
    EXPECT_EQ(run(*b).code, 0);
}

TEST_F(Lifecycle, HostEnvironmentDoesNotLeak) {
    auto b = bundle({"env"});
    b->config["process"]["env"] = {"PATH=/bin", "ONLY_THIS=1"};
    b->save();
    Result r = run(*b, {"HOST_SECRET=leaked", "HOME=/host-home"});
    ASSERT_EQ(r.code, 0) << r.err;
    // Only the spec's, plus HOME from the image's /etc/passwd as runc adds it.
    EXPECT_EQ(r.out, "PATH=/bin\nONLY_THIS=1\nHOME=/root\n");
}

TEST_F(Lifecycle, ProcessSetup) {
    auto b = bundle({"sh", "-c",
                     "echo pid=$$; hostname; pwd; id -u; id -g; id -G; umask; ulimit -n; "
                     "grep -E '^(CapEff|CapBnd|CapAmb|NoNewPrivs)' /proc/self/status; cat /proc/self/oom_score_adj"});
    b->config["hostname"] = "berth-test-host";
    b->config["process"]["cwd"] = "/tmp";
    b->config["process"]["user"] = {{"uid", 65534}, {"gid", 65534}, {"additionalGids", {5, 6}}, {"umask", 077}};
    b->config["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 321}, {"hard", 321}}};
    b->config["process"]["oomScoreAdj"] = 123;
    // Ambient capabilities need to be inheritable too (runc spec's default
    // has none, so there a non-root user ends with none).
    b->config["process"]["capabilities"]["inheritable"] = b->config["process"]["capabilities"]["ambient"];
    b->save();
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("pid=1\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("berth-test-host\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("/tmp\n65534\n65534\n65534 5 6\n0077\n321\n"), std::string::npos) << r.out;
    // runc spec's capabilities: AUDIT_WRITE(29), KILL(5), NET_BIND_SERVICE(10); a
    // non-root user keeps only the ambient ones in its effective set.
    EXPECT_NE(r.out.find("CapEff:\t0000000020000420"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("CapBnd:\t0000000020000420"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("NoNewPrivs:\t1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("123\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("CapAmb:\t0000000020000420"), std::string::npos) << r.out;
    // Ambient capabilities that are not inheritable are not raised (runc
    // ignores them): none are left, for root and for another user alike.
    b->config["process"]["capabilities"]["inheritable"] = json::array();
    for (int uid : {0, 65534}) {
        b->config["process"]["user"] = {{"uid", uid}, {"gid", uid}};
        b->save();
        r = run(*b);
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_NE(r.out.find("CapAmb:\t0000000000000000"), std::string::npos) << "uid " << uid << ": " << r.out;
    }
}

// What runc fills in: HOME from the image's /etc/passwd (or /) when the env
// has none, and a cwd that does not exist yet is made.
TEST_F(Lifecycle, HomeAndMissingCwdDefaults) {
    auto b = bundle({"sh", "-c", "echo HOME=$HOME; pwd; stat -c %a /new/work"});
    b->config["process"]["env"] = {"PATH=/bin"};
    b->config["process"]["cwd"] = "/new/work/dir";
    b->save();
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "HOME=/root\n/new/work/dir\n755\n");
    // A uid that /etc/passwd does not name: "/".
    b->config["process"]["user"] = {{"uid", 4242}, {"gid", 4242}};
    b->config["process"]["args"] = {"sh", "-c", "echo HOME=$HOME; id -u"};
    b->save();
    r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "HOME=/\n4242\n");
    // The config's own HOME wins; exec gets the same default.
    b->config["process"]["user"] = {{"uid", 0}, {"gid", 0}};
    b->config["process"]["env"] = {"PATH=/bin", "HOME=/elsewhere"};
    b->config["process"]["args"] = {"sh", "-c", "echo HOME=$HOME"};
    b->save();
    r = run(*b);
    EXPECT_EQ(r.out, "HOME=/elsewhere\n") << r.err;
    b->config["process"]["env"] = {"PATH=/bin"};
    b->config["process"]["args"] = {"sleep", "60"};
    b->save();
    const std::string c = id("home");
    ASSERT_EQ(berth({"run", "-d", "--bundle", b->dir(), c}).code, 0);
    r = berth({"exec", c, "sh", "-c", "echo HOME=$HOME"});
    EXPECT_EQ(r.out, "HOME=/root\n") << r.err;
}

// docker's --privileged asks for every capability; a host whose bounding set
// lacks one (CAP_SYS_RESOURCE here) cannot give it with any runtime. The
// error must name the capability, not only "capset: Operation not permitted".
// Simulated for any host: berth runs with CAP_SYS_NICE dropped from its
// bounding set (in a child of the test, so the test keeps it).
TEST_F(Lifecycle, CapabilityBerthLacksIsNamed) {
    auto b = bundle({"true"});
    for (const char* set : {"bounding", "effective", "permitted"})
        b->config["process"]["capabilities"][set].push_back("CAP_SYS_NICE");
    b->save();
    const std::string c = id("caps");
    int pipe_fds[2];
    ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        close(pipe_fds[0]);
        if (prctl(PR_CAPBSET_DROP, CAP_SYS_NICE, 0, 0, 0) < 0) _exit(2);
        Result r = run_berth(root_, {"run", "--bundle", b->dir(), c});
        std::string msg = std::to_string(r.code) + "\n" + r.err;
        (void)!write(pipe_fds[1], msg.data(), msg.size());
        _exit(0);
    }
    close(pipe_fds[1]);
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    close(pipe_fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    EXPECT_EQ(got.substr(0, got.find('\n')), "1") << got;
    EXPECT_NE(got.find("process.capabilities: CAP_SYS_NICE is not available to berth"), std::string::npos) << got;
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
}

TEST_F(Lifecycle, RootfsIsPivotedAndMounted) {
    TempDir marker_dir("berth-host-marker");
    const std::string marker = marker_dir.path() + "/visible-on-host";
    close(open(marker.c_str(), O_CREAT | O_WRONLY, 0644));
    auto b = bundle({"sh", "-c",
                     "ls -a /; test -e " + marker +
                         " && echo HOST-ROOT-VISIBLE; "
                         "awk '{print \"mnt\", $5}' /proc/self/mountinfo; test -c /dev/null && echo devnull-ok; "
                         "wc -c < /proc/keys; echo x > /proc/sysrq-trigger || echo sysrq-ro"});
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.find("HOST-ROOT-VISIBLE"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("mnt /\n"), std::string::npos) << "the rootfs is the root mount: " << r.out;
    EXPECT_NE(r.out.find("mnt /proc\n"), std::string::npos) << "/proc mounted: " << r.out;
    EXPECT_NE(r.out.find("mnt /dev/pts\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("mnt /sys/fs/cgroup\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("devnull-ok"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\n0\n"), std::string::npos) << "maskedPaths: /proc/keys reads empty: " << r.out;
    EXPECT_NE(r.out.find("sysrq-ro"), std::string::npos) << "readonlyPaths: " << r.out;
    // Nothing of the host's mount tree but what the spec asked for: every
    // mount point is one of the spec's (or under /sys/fs/cgroup, /proc masks).
    std::istringstream lines(r.out);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("mnt ", 0) != 0) continue;
        const std::string m = line.substr(4);
        bool expected = m == "/" || m == "/proc" || m == "/dev" || m == "/dev/pts" || m == "/dev/shm" ||
                        m == "/dev/mqueue" || m == "/sys" || m.rfind("/sys/fs/cgroup", 0) == 0 ||
                        m.rfind("/proc/", 0) == 0 || m.rfind("/sys/firmware", 0) == 0 || m.rfind("/dev/", 0) == 0;
        EXPECT_TRUE(expected) << "unexpected mount point " << m;
    }
}

// Masked directories share one read-only tmpfs (rootfs.cpp): each shows
// nothing of what it covers, none can be written, and a file masked by the
// host's /dev/null reads empty.
TEST_F(Lifecycle, MaskedPathsHideAndRefuseWrites) {
    auto b = bundle({"sh", "-c",
                     "ls -A /root | wc -l; ls -A /tmp | wc -l; touch /root/new && echo ROOT-WRITABLE; "
                     "touch /tmp/new && echo TMP-WRITABLE; wc -c < /etc/group; echo x > /etc/group; "
                     "echo done"});
    for (const char* f : {"/root/secret", "/tmp/secret"})
        close(open((b->rootfs() + f).c_str(), O_CREAT | O_WRONLY, 0644));
    b->config["linux"]["maskedPaths"] = {"/root", "/tmp", "/etc/group", "/no/such/path"};
    b->save();
    const std::string group = read_text(b->rootfs() + "/etc/group");
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "0\n0\n0\ndone\n") << r.err;
    EXPECT_EQ(read_text(b->rootfs() + "/etc/group"), group);
    EXPECT_FALSE(exists(b->rootfs() + "/root/new"));
    EXPECT_FALSE(exists(b->rootfs() + "/tmp/new"));
}

// ctr --privileged lists every host device, /dev/ptmx included: the
// container's /dev/ptmx must still be the link to its own devpts (as runc), and
// /dev/core exists only where the kernel has a /proc/kcore.
TEST_F(Lifecycle, PtmxStaysALinkWhenTheSpecListsIt) {
    auto b = bundle({"sh", "-c", "echo ptmx=$(readlink /dev/ptmx); test -L /dev/core && echo HAS-CORE; echo done"});
    b->config["linux"]["devices"] = json::array(
        {{{"path", "/dev/ptmx"}, {"type", "c"}, {"major", 5}, {"minor", 2}, {"fileMode", 8630}, {"uid", 0}, {"gid", 0}},
         {{"path", "/dev/loop-control"},
          {"type", "c"},
          {"major", 10},
          {"minor", 237},
          {"fileMode", 8576},
          {"uid", 0},
          {"gid", 0}}});
    b->save();
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("ptmx=pts/ptmx\n"), std::string::npos) << r.out;
    const bool host_has_kcore = access("/proc/kcore", F_OK) == 0;
    EXPECT_EQ(r.out.find("HAS-CORE") != std::string::npos, host_has_kcore) << r.out;
}

TEST_F(Lifecycle, ReadonlyRootAndNoPivot) {
    auto b =
        bundle({"sh", "-c",
                "touch /newfile && echo WRITABLE; awk '$5 == \"/\" {print \"rootmount\", $6}' /proc/self/mountinfo"});
    b->config["root"]["readonly"] = true;
    b->save();
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.find("WRITABLE"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("rootmount ro,"), std::string::npos) << r.out;
    r = berth({"run", "--no-pivot", "--bundle", b->dir(), id("nopivot")});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.find("WRITABLE"), std::string::npos) << r.out;
}

// runc and crun make a missing process.cwd before the root turns read-only;
// berth made it after, and failed with "mkdir /doesnotexist: read-only file
// system".
TEST_F(Lifecycle, MissingCwdIsMadeBeforeTheRootIsReadOnly) {
    auto b = bundle({"sh", "-c", "pwd; touch /x 2>/dev/null || echo read-only"});
    b->config["root"]["readonly"] = true;
    b->config["process"]["cwd"] = "/doesnotexist/deeper";
    b->save();
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "/doesnotexist/deeper\nread-only\n");
    EXPECT_TRUE(exists(b->rootfs() + "/doesnotexist/deeper")) << "made in the image, as runc does";
}

TEST_F(Lifecycle, MountDestinationSymlinkStaysInRootfs) {
    auto b = bundle({"sh", "-c", "ls /escape/"});
    // A hostile rootfs points the destination at the host's /etc.
    TempDir host("berth-escape-target");
    ASSERT_EQ(symlink(host.path().c_str(), (b->rootfs() + "/escape").c_str()), 0);
    b->config["mounts"].push_back({{"destination", "/escape/evil"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
    b->save();
    Result r = run(*b);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(exists(host.path() + "/evil")) << "the mount destination escaped the rootfs";
    EXPECT_TRUE(exists(b->rootfs() + host.path() + "/evil")) << "resolved inside the rootfs instead";
}

TEST_F(Lifecycle, BadConfigNamesFieldAndLeavesNothing) {
    struct Case {
        const char* name;
        std::function<void(json&)> edit;
        std::string message;
    } cases[] = {
        {"namespace", [](json& c) { c["linux"]["namespaces"][2]["type"] = "pdi"; },
         "linux.namespaces[2].type: unknown namespace \"pdi\""},
        {"cwd", [](json& c) { c["process"]["cwd"] = "relative"; }, "process.cwd: must be an absolute path"},
        {"rlimit", [](json& c) { c["process"]["rlimits"][0]["type"] = "RLIMIT_FOO"; },
         "process.rlimits[0].type: unknown rlimit"},
        {"mount type", [](json& c) { c["mounts"][0]["type"] = "nosuchfs"; },
         "mounts[0].type: no loaded mount handler for type \"nosuchfs\""},
        {"rootfs", [](json& c) { c["root"]["path"] = "missing-rootfs"; }, "root.path:"},
        {"exec", [](json& c) { c["process"]["args"] = {"/bin/nope"}; }, "exec: /bin/nope: no such file or directory"},
        {"path lookup", [](json& c) { c["process"]["args"] = {"nope"}; },
         "exec: \"nope\": executable file not found in $PATH"},
        // A missing cwd is made (as runc); one below a file cannot be.
        {"cwd not a dir", [](json& c) { c["process"]["cwd"] = "/bin/busybox/sub"; },
         "process.cwd: chdir /bin/busybox/sub"},
        {"memory",
         [](json& c) {
             c["linux"]["resources"]["memory"] = {{"limit", 33554432}, {"swap", 1048576}};
         },
         "linux.resources.memory.swap"},
        {"bind source",
         [](json& c) {
             c["mounts"].push_back(
                 {{"destination", "/data"}, {"type", "bind"}, {"source", "/nope"}, {"options", {"rbind"}}});
         },
         "/nope"},
    };
    for (auto& tc : cases) {
        auto b = bundle({"true"});
        tc.edit(b->config);
        b->config["linux"]["cgroupsPath"] = "";
        b->save();
        const std::string c = id("bad");
        Result r = berth({"create", "--bundle", b->dir(), c});
        EXPECT_EQ(r.code, 1) << tc.name;
        EXPECT_NE(r.err.find(tc.message), std::string::npos) << tc.name << ": " << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
        EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{}) << tc.name;
    }
}

TEST_F(Lifecycle, DuplicateIdAndBadIds) {
    auto b = bundle({"sleep", "60"});
    const std::string c = id();
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), c}).code, 0);
    Result r = berth({"create", "--bundle", b->dir(), c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("container with id exists: " + c), std::string::npos) << r.err;
    EXPECT_EQ(state(c)["status"], "created") << "the first container is untouched";
    for (const char* bad : {"a/b", "..", ""}) {
        r = berth({"create", "--bundle", b->dir(), bad});
        EXPECT_EQ(r.code, 1) << bad;
        EXPECT_NE(r.err.find("container id"), std::string::npos) << r.err;
    }
}

TEST_F(Lifecycle, DeleteForceRecoversCrashedCreate) {
    auto b = bundle({"true"});
    // A prestart hook that never returns lets us kill create half-way, with
    // state, cgroup and an init process already made.
    b->config["hooks"] = {{"prestart", {{{"path", "/bin/sleep"}, {"args", {"sleep", "60"}}}}}};
    b->config["linux"]["resources"] = {{"pids", {{"limit", 50}}}};
    b->save();
    const std::string c = id("crash");
    std::thread creator([&] { berth({"create", "--bundle", b->dir(), c}); });
    // Wait until the hook runs, then kill create like an OOM kill would.
    pid_t create_pid = 0;
    for (int i = 0; i < 200 && !create_pid; ++i) {
        usleep(20000);
        FILE* p = popen(("pgrep -f 'berth.*create.*" + c + "'").c_str(), "r");
        if (p && fscanf(p, "%d", &create_pid) != 1) create_pid = 0;
        if (p) pclose(p);
        if (create_pid && !exists(root_ + "/" + c + "/state.json")) create_pid = 0;
    }
    ASSERT_NE(create_pid, 0);
    usleep(200000);
    kill(create_pid, SIGKILL);
    creator.join();
    system("pkill -f 'sleep 60' -P 1 2>/dev/null; true");
    EXPECT_TRUE(exists(root_ + "/" + c)) << "the crash left state behind";
    Result r = berth({"delete", "--force", c});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
}

TEST_F(Lifecycle, KillSignalForms) {
    auto b = bundle({"sh", "-c", "trap 'echo got-usr1' USR1; trap 'exit 7' TERM; while true; do sleep 0.05; done"});
    const std::string c = id();
    const std::string pidfile = tmp_->path() + "/kpid";
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), "--pid-file", pidfile, c}).code, 0);
    ASSERT_EQ(berth({"start", c}).code, 0);
    usleep(200000);
    EXPECT_EQ(berth({"kill", c, "SIGUSR1"}).code, 0);
    EXPECT_EQ(berth({"kill", c, "10"}).code, 0);
    Result r = berth({"kill", c, "NOTASIGNAL"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("invalid signal \"NOTASIGNAL\""), std::string::npos) << r.err;
    EXPECT_EQ(berth({"kill", c}).code, 0) << "default TERM";
    for (int i = 0; i < 100 && state(c)["status"] != "stopped"; ++i) usleep(20000);
    EXPECT_EQ(state(c)["status"], "stopped");
}

TEST_F(Lifecycle, KillAllReachesEveryProcess) {
    auto b = bundle({"sh", "-c", "sleep 60 & sleep 60 & wait"});
    const std::string c = id();
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), c}).code, 0);
    ASSERT_EQ(berth({"start", c}).code, 0);
    usleep(300000);
    Result r = berth({"ps", "--format", "json", c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out).size(), 3u) << "sh and two sleeps: " << r.out;
    r = berth({"kill", "--all", c, "KILL"});
    EXPECT_EQ(r.code, 0) << r.err;
    for (int i = 0; i < 100 && state(c)["status"] != "stopped"; ++i) usleep(20000);
    EXPECT_EQ(state(c)["status"], "stopped");
    EXPECT_EQ(berth({"delete", c}).code, 0);
}

TEST_F(Lifecycle, PreserveFds) {
    auto b = bundle({"sh", "-c", "echo through-fd3 >&3"});
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    // Keep both ends clear of fd 3, then put the write end there.
    int rd = fcntl(p[0], F_DUPFD_CLOEXEC, 10), wr = fcntl(p[1], F_DUPFD_CLOEXEC, 10);
    close(p[0]);
    close(p[1]);
    p[0] = rd;
    ASSERT_EQ(dup2(wr, 3), 3);
    close(wr);
    Result r = berth({"run", "--preserve-fds", "1", "--bundle", b->dir(), id("fds")}, {}, {3});
    close(3);
    EXPECT_EQ(r.code, 0) << r.err;
    char buf[64] = {};
    EXPECT_GT(read(p[0], buf, sizeof buf - 1), 0);
    close(p[0]);
    EXPECT_STREQ(buf, "through-fd3\n");
}

// A config whose mounts have no /proc (crun runs these): init waited for
// start through /proc/self/fd/N of exec.fifo and refused ("/proc is not
// procfs in the container: init needs /proc/self/fd to wait for start"). Now
// the stub reads the fd create opened, and start writes the byte. With a
// terminal too: the pty is bound over /dev/console from fd to fd.
TEST_F(Lifecycle, ContainerWithoutProcWaitsForStart) {
    for (bool terminal : {false, true}) {
        SCOPED_TRACE(terminal ? "terminal" : "no terminal");
        auto b = bundle({"sh", "-c", "ls /proc | wc -l; echo started"});
        json mounts = json::array();
        for (const auto& m : b->config["mounts"])
            if (m["destination"] != "/proc") mounts.push_back(m);
        b->config["mounts"] = mounts;
        b->config["process"]["terminal"] = terminal;
        b->config["root"]["readonly"] = true;
        b->save();
        const std::string c = id("noproc");
        std::unique_ptr<ConsoleSocket> console;
        std::vector<std::string> create = {"create", "--bundle", b->dir(), c};
        if (terminal) {
            console = std::make_unique<ConsoleSocket>(tmp_->path() + "/noproc.sock");
            create.insert(create.begin() + 1, {"--console-socket", console->path()});
        }
        Result r = berth(create);
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_EQ(state(c)["status"], "created");
        int master = terminal ? console->take_master() : -1;
        if (terminal) {
            ASSERT_GE(master, 0);
        }
        ASSERT_EQ(berth({"start", c}).code, 0) << "start";
        if (terminal) {
            const std::string out = read_pty_until(master, "started");
            close(master);
            EXPECT_NE(out.find("0\r\nstarted"), std::string::npos) << out;
        }
        for (int i = 0; i < 200 && state(c)["status"] != "stopped"; ++i) usleep(10000);
        EXPECT_EQ(state(c)["status"], "stopped");
        r = berth({"start", c});
        EXPECT_EQ(r.code, 1);
        EXPECT_NE(r.err.find("cannot start a container that has stopped"), std::string::npos) << r.err;
        ASSERT_EQ(berth({"delete", c}).code, 0);
    }
    // Foreground run: output through the harness.
    auto b = bundle({"sh", "-c", "ls /proc | wc -l; echo started"});
    json mounts = json::array();
    for (const auto& m : b->config["mounts"])
        if (m["destination"] != "/proc") mounts.push_back(m);
    b->config["mounts"] = mounts;
    b->save();
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "0\nstarted\n");
}

// The optional fields of "/" in our mountinfo (its propagation).
std::string root_propagation() {
    std::istringstream in(read_text("/proc/self/mountinfo"));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string id, parent, dev, root, point, options, field, out;
        ls >> id >> parent >> dev >> root >> point >> options;
        if (point != "/") continue;
        while (ls >> field && field != "-") out += field + " ";
        return out;
    }
    return "";
}

// linux.namespaces without "mount" but with mounts: runc and crun make the
// mounts in the namespace they inherit (the host's) and chroot; berth refused
// ("mounts need a new mount namespace"). Now it does the same, under a bind
// of the rootfs onto itself that delete (or a failed create) detaches with
// everything below it: runc leaves them all on the host. The host's own
// propagation is left alone (runc makes its whole tree rslave), and exec
// runs in the container's root (runc's exec would run in the host's).
TEST_F(Lifecycle, NoMountNamespaceMountsInTheHostsAndCleansUp) {
    auto b =
        bundle({"sh", "-c",
                "cat /marker; grep -c ' /proc ' /proc/self/mountinfo; ls /proc/self/fd >/dev/null && echo proc-ok"});
    json namespaces = json::array();
    for (const auto& n : b->config["linux"]["namespaces"])
        if (n["type"] != "mount") namespaces.push_back(n);
    b->config["linux"]["namespaces"] = namespaces;
    b->save();
    std::ofstream(b->rootfs() + "/marker") << "in the rootfs\n";
    const std::string before = root_propagation();
    auto host_mounts_of_rootfs = [&] {
        return read_text("/proc/self/mountinfo").find(" " + b->rootfs()) != std::string::npos;
    };

    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "in the rootfs\n1\nproc-ok\n");
    EXPECT_FALSE(host_mounts_of_rootfs()) << "run deletes: nothing is left mounted";
    EXPECT_EQ(root_propagation(), before) << "the host's / was changed";

    // Created and running: the mounts are on the host, under the rootfs.
    b->config["process"]["args"] = {"sleep", "60"};
    b->save();
    const std::string c = id("nomntns");
    ASSERT_EQ(berth({"run", "-d", "--bundle", b->dir(), c}).code, 0);
    EXPECT_TRUE(host_mounts_of_rootfs());
    r = berth({"exec", c, "sh", "-c", "cat /marker; pwd"});
    EXPECT_EQ(r.out, "in the rootfs\n/\n") << r.err;
    ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
    EXPECT_FALSE(host_mounts_of_rootfs());
    EXPECT_EQ(leftovers(root_, c, b->rootfs()), std::vector<std::string>{});

    // create killed once init has made every mount (a test build's crash
    // point): delete --force finds the bind in state.json and detaches it.
    const std::string crashed = id("nomntns-crash");
    r = berth({"create", "--bundle", b->dir(), crashed}, {"BERTH_FAULT_AT=create.init-answered"});
    if (r.code == 128 + SIGKILL) {
        EXPECT_TRUE(host_mounts_of_rootfs());
        ASSERT_EQ(berth({"delete", "--force", crashed}).code, 0);
        EXPECT_FALSE(host_mounts_of_rootfs());
        EXPECT_EQ(leftovers(root_, crashed, b->rootfs()), std::vector<std::string>{});
    } else {
        ASSERT_EQ(r.code, 0) << "a build without crash points creates it: " << r.err;
        ASSERT_EQ(berth({"delete", "--force", crashed}).code, 0);
    }

    // A create that fails in init, after some mounts were made: rolled back.
    b->config["mounts"].push_back(
        {{"destination", "/bad"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"size=bogus"}}});
    b->save();
    const std::string bad = id("nomntns-bad");
    r = berth({"create", "--bundle", b->dir(), bad});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("/bad"), std::string::npos) << r.err;
    EXPECT_FALSE(host_mounts_of_rootfs());
    EXPECT_EQ(leftovers(root_, bad, b->rootfs()), std::vector<std::string>{});
    EXPECT_EQ(root_propagation(), before);
}

TEST_F(Lifecycle, TerminalThroughConsoleSocket) {
    auto b = bundle({"sh", "-c", "tty; echo on-the-pty"});
    b->config["process"]["terminal"] = true;
    b->save();
    ConsoleSocket console(tmp_->path() + "/console.sock");
    const std::string c = id("tty");
    Result r = berth({"create", "--bundle", b->dir(), c});
    EXPECT_EQ(r.code, 1) << "terminal without --console-socket";
    EXPECT_NE(r.err.find("cannot allocate tty"), std::string::npos) << r.err;
    r = berth({"create", "--console-socket", console.path(), "--bundle", b->dir(), c});
    ASSERT_EQ(r.code, 0) << r.err;
    const int master = console.take_master();
    ASSERT_GE(master, 0);
    ASSERT_EQ(berth({"start", c}).code, 0);
    const std::string out = read_pty_until(master, "on-the-pty");
    close(master);
    EXPECT_NE(out.find("/dev/pts/0"), std::string::npos) << out;
    EXPECT_NE(out.find("on-the-pty"), std::string::npos) << out;
}

TEST_F(Lifecycle, JsonLogForShims) {
    auto b = bundle({"/bin/nope"});
    const std::string log = tmp_->path() + "/log.json";
    Result r = run_berth(root_, {"--log", log, "--log-format", "json", "create", "--bundle", b->dir(), id("log")});
    // Global flags after --plugin-config are still global: berth takes them before the verb.
    EXPECT_EQ(r.code, 1);
    std::string text = read_text(log);
    ASSERT_FALSE(text.empty());
    json line = json::parse(text.substr(0, text.find('\n')));
    EXPECT_EQ(line["level"], "error");
    EXPECT_EQ(line["msg"], "exec: /bin/nope: no such file or directory");
    EXPECT_TRUE(line.contains("time"));
    // The text format escapes the quotes of a message.
    const std::string text_log = tmp_->path() + "/log.txt";
    b->config["process"]["args"] = {"nope"};
    b->save();
    r = run_berth(root_, {"--log", text_log, "create", "--bundle", b->dir(), id("log")});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(read_text(text_log).find("level=error msg=\"exec: \\\"nope\\\": executable file not found in $PATH\""),
              std::string::npos)
        << read_text(text_log);
}

TEST_F(Lifecycle, HooksSeeTheStateOnStdin) {
    auto b = bundle({"true"});
    const std::string out = tmp_->path() + "/hooks.log";
    auto hook = [&](const std::string& phase) {
        return json{{"path", "/bin/sh"}, {"args", {"sh", "-c", "read -r s; echo " + phase + " \"$s\" >> " + out}}};
    };
    b->config["hooks"] = {{"prestart", {hook("prestart")}},
                          {"createRuntime", {hook("createRuntime")}},
                          {"poststart", {hook("poststart")}},
                          {"poststop", {hook("poststop")}}};
    b->save();
    const std::string c = id("hooks");
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), c}).code, 0);
    ASSERT_EQ(berth({"start", c}).code, 0);
    for (int i = 0; i < 100 && state(c)["status"] != "stopped"; ++i) usleep(20000);
    ASSERT_EQ(berth({"delete", c}).code, 0);
    const std::string log = read_text(out);
    for (const char* phase : {"prestart", "createRuntime", "poststart", "poststop"})
        EXPECT_NE(log.find(std::string(phase) + " {"), std::string::npos) << phase << " did not run: " << log;
    EXPECT_NE(log.find("\"id\":\"" + c + "\""), std::string::npos) << log;
    EXPECT_LT(log.find("prestart"), log.find("poststart")) << log;
    // A failing prestart hook fails create and leaves nothing.
    b->config["hooks"] = {{"prestart", {{{"path", "/bin/false"}}}}};
    b->save();
    const std::string c2 = id("hookfail");
    Result r = berth({"create", "--bundle", b->dir(), c2});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("prestart hook /bin/false: exit status 1"), std::string::npos) << r.err;
}

TEST_F(Lifecycle, ContainerGetsOnlyItsOwnFds) {
    // ls opens the directory it lists as fd 3: anything above is a leak
    // (state-dir lock, log file, memfd, plugin files, init channel).
    auto b = bundle({"ls", "/proc/self/fd"});
    const std::string log = tmp_->path() + "/berth.log";
    Result r = run_berth(root_, {"--log", log, "run", "--bundle", b->dir(), id("fds")});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "0\n1\n2\n3\n") << r.out;
}

TEST_F(Lifecycle, TermStopsACreatedContainer) {
    auto b = bundle({"sleep", "60"});
    const std::string c = id();
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), c}).code, 0);
    EXPECT_EQ(berth({"kill", c, "TERM"}).code, 0);
    for (int i = 0; i < 100 && state(c)["status"] != "stopped"; ++i) usleep(20000);
    EXPECT_EQ(state(c)["status"], "stopped") << "podman stop sends TERM to created containers";
}

TEST_F(Lifecycle, RefusedBeforeAnythingIsMade) {
    auto b = bundle({"true"});
    std::string c = id("refused");
    Result r = berth({"create", "--preserve-fds", "5", "--bundle", b->dir(), c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--preserve-fds: fd 3 is not open"), std::string::npos) << r.err;
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
    for (const char* path : {"/", ".", "//"}) {
        b->config["linux"]["cgroupsPath"] = path;
        b->save();
        c = id("refused");
        r = berth({"create", "--bundle", b->dir(), c});
        EXPECT_EQ(r.code, 1) << path;
        EXPECT_NE(
            r.err.find("linux.cgroupsPath: \"" + std::string(path) + "\" must name a cgroup of the container's own"),
            std::string::npos)
            << r.err;
        EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
    }
}

TEST_F(Lifecycle, JoinsNamespacesByPath) {
    auto first = bundle({"sleep", "60"});
    const std::string a = id("ns-a");
    const std::string pidfile = tmp_->path() + "/a.pid";
    ASSERT_EQ(berth({"create", "--bundle", first->dir(), "--pid-file", pidfile, a}).code, 0);
    const std::string a_pid = read_text(pidfile);
    char want[128] = {};
    ASSERT_GT(readlink(("/proc/" + a_pid + "/ns/net").c_str(), want, sizeof want - 1), 0);
    auto second = bundle({"readlink", "/proc/self/ns/net"});
    for (auto& ns : second->config["linux"]["namespaces"])
        if (ns["type"] == "network") ns["path"] = "/proc/" + a_pid + "/ns/net";
    second->save();
    Result r = berth({"run", "--bundle", second->dir(), id("ns-b")});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, std::string(want) + "\n") << "joined the first container's network namespace";
    // A hostname is set in a uts namespace joined by path (a pod's), as runc
    // does, and the host keeps its own.
    char host_name[256] = {};
    ASSERT_EQ(gethostname(host_name, sizeof host_name - 1), 0);
    auto third = bundle({"hostname"});
    third->config["hostname"] = "joined-box";
    for (auto& ns : third->config["linux"]["namespaces"])
        if (ns["type"] == "uts") ns["path"] = "/proc/" + a_pid + "/ns/uts";
    third->save();
    r = berth({"run", "--bundle", third->dir(), id("ns-uts")});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "joined-box\n");
    r = berth({"exec", a, "hostname"});
    EXPECT_EQ(r.out, "joined-box\n") << "set in the first container's uts namespace: " << r.err;
    char host_after[256] = {};
    ASSERT_EQ(gethostname(host_after, sizeof host_after - 1), 0);
    EXPECT_STREQ(host_name, host_after);
    std::string net_field;
    for (size_t i = 0; i < second->config["linux"]["namespaces"].size(); ++i) {
        auto& ns = second->config["linux"]["namespaces"][i];
        if (ns["type"] != "network") continue;
        ns["path"] = "/nonexistent/net";
        net_field = "linux.namespaces[" + std::to_string(i) + "].path";
    }
    second->save();
    const std::string c = id("ns-bad");
    r = berth({"create", "--bundle", second->dir(), c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find(net_field + ": open network namespace /nonexistent/net: no such file or directory"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
}

// As runc and crun: lo is up in a new network namespace (IFF_UP|IFF_LOOPBACK
// = 0x9), also inside a user namespace; a joined one is left as it is.
TEST_F(Lifecycle, LoopbackIsUpInANewNetworkNamespace) {
    auto b = bundle({"cat", "/sys/class/net/lo/flags"});
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "0x9\n");
    b->config["linux"]["namespaces"].push_back({{"type", "user"}});
    b->config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    b->config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    b->save();
    r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "0x9\n");
}

TEST_F(Lifecycle, UserAndTimeNamespaces) {
    auto b =
        bundle({"sh", "-c", "id -u; cat /proc/self/uid_map /proc/self/gid_map; cut -d. -f1 /proc/uptime; hostname"});
    b->config["linux"]["namespaces"].push_back({{"type", "user"}});
    b->config["linux"]["namespaces"].push_back({{"type", "time"}});
    b->config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    b->config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    b->config["linux"]["timeOffsets"] = {{"boottime", {{"secs", 86400 * 365}}}};
    b->config["domainname"] = "example.test";
    b->save();
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream out(r.out);
    std::string uid, uid_map, gid_map, uptime;
    std::getline(out, uid);
    std::getline(out, uid_map);
    std::getline(out, gid_map);
    std::getline(out, uptime);
    EXPECT_EQ(uid, "0") << "root inside";
    EXPECT_NE(uid_map.find("100000"), std::string::npos) << uid_map;
    EXPECT_NE(gid_map.find("100000"), std::string::npos) << gid_map;
    EXPECT_GT(std::stol(uptime), 86400L * 365) << "boottime offset applied: " << uptime;
}

TEST_F(Lifecycle, SeccompFilterIsEnforced) {
    auto b = bundle({"sh", "-c",
                     "mkdir /tmp/blocked 2>&1; echo mkdir=$?; touch /tmp/allowed && echo touch-ok; "
                     "grep NoNewPrivs: /proc/self/status"});
    b->config["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"}},
        {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
    b->save();
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("Operation not permitted"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("mkdir=1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("touch-ok"), std::string::npos) << "only what the filter names is refused: " << r.out;
    EXPECT_FALSE(exists(b->rootfs() + "/tmp/blocked"));
    EXPECT_NE(r.out.find("NoNewPrivs:\t1"), std::string::npos) << r.out;
    // Without no_new_privs the filter is loaded while init still has
    // CAP_SYS_ADMIN, and loading it must not set no_new_privs (libseccomp's
    // default does; podman's containers showed NoNewPrivs: 1).
    b->config["process"]["noNewPrivileges"] = false;
    b->save();
    r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("mkdir=1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("NoNewPrivs:\t0"), std::string::npos) << r.out;
    // Bad profiles are refused before anything exists, naming the field.
    b->config["linux"]["seccomp"]["syscalls"][0]["action"] = "SCMP_ACT_NOPE";
    b->save();
    const std::string c = id("seccomp");
    r = berth({"create", "--bundle", b->dir(), c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_NOPE\""), std::string::npos)
        << r.err;
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
}

// Several comparisons of one argument mean "any of them" (issue 8): each
// value named is refused, another is not.
TEST_F(Lifecycle, SeccompSeveralConditionsOnOneArgument) {
    auto b = bundle({"sh", "-c", "linux32 true; echo linux32=$?; linux64 true; echo linux64=$?"});
    b->config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"},
                                     {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"}},
                                     {"syscalls",
                                      {{{"names", {"personality"}},
                                        {"action", "SCMP_ACT_ERRNO"},
                                        {"errnoRet", 1},
                                        {"args",
                                         {{{"index", 0}, {"value", 8}, {"op", "SCMP_CMP_EQ"}},        // PER_LINUX32
                                          {{"index", 0}, {"value", 0x20008}, {"op", "SCMP_CMP_EQ"}},  // PER_LINUX32_3GB
                                          {{"index", 0}, {"value", 0xffffffffu}, {"op", "SCMP_CMP_EQ"}}}}}}}};
    b->save();
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("linux32=1"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("linux64=0"), std::string::npos) << r.out;
}

TEST_F(Lifecycle, TmpfsCopyUpOnAReadOnlyRoot) {
    // podman --read-only: tmpfs on /run and /tmp with "tmpcopyup" over a
    // read-only root; the image's files under /run are in the tmpfs.
    auto b = bundle({"sh", "-c",
                     "cat /run/from-image /run/sub/nested; ls -l /run/link | grep -o -- '-> .*'; "
                     "echo new >/run/written && echo run-writable; touch /etc/x 2>/dev/null || echo root-ro; "
                     "grep ' /run ' /proc/mounts | cut -d' ' -f3"});
    std::filesystem::create_directories(b->rootfs() + "/run/sub");
    std::ofstream(b->rootfs() + "/run/from-image") << "image-file\n";
    std::ofstream(b->rootfs() + "/run/sub/nested") << "nested-file\n";
    std::filesystem::create_symlink("/etc/passwd", b->rootfs() + "/run/link");
    b->config["root"]["readonly"] = true;
    b->config["mounts"].push_back({{"destination", "/run"},
                                   {"type", "tmpfs"},
                                   {"source", "tmpfs"},
                                   {"options", {"rw", "rprivate", "nosuid", "nodev", "tmpcopyup"}}});
    b->save();
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "image-file\nnested-file\n-> /etc/passwd\nrun-writable\nroot-ro\ntmpfs\n");
    EXPECT_FALSE(exists(b->rootfs() + "/run/written")) << "written through to the image";
}

TEST_F(Lifecycle, SeccompAllowlistRunsTheContainer) {
    // Deny by default, as Docker's and podman's profiles do: init's last steps
    // and the exec stub must need nothing beyond an ordinary allowlist.
    auto b = bundle({"sh", "-c", "echo allowed; cat /proc/self/status | grep Seccomp:"});
    b->config["linux"]["seccomp"] = seccomp_allowlist();
    b->save();
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("allowed\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Seccomp:\t2"), std::string::npos) << "filter mode: " << r.out;
}

// Without no_new_privs the filter is loaded before the user switch; after
// it, nothing of berth's may need a syscall that an ordinary profile leaves
// out: close_range is not in this list (issue 8).
TEST_F(Lifecycle, SeccompWithoutNoNewPrivsNeedsNoCloseRange) {
    auto b = bundle({"sh", "-c", "echo allowed; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status"});
    b->config["process"]["noNewPrivileges"] = false;
    b->config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ERRNO"},
                                     {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"}},
                                     {"syscalls",
                                      {{{"names",
                                         {"access",
                                          "arch_prctl",
                                          "brk",
                                          "capget",
                                          "capset",
                                          "chdir",
                                          "clone",
                                          "clone3",
                                          "close",
                                          "dup",
                                          "dup2",
                                          "dup3",
                                          "execve",
                                          "execveat",
                                          "exit",
                                          "exit_group",
                                          "faccessat",
                                          "faccessat2",
                                          "fcntl",
                                          "fork",
                                          "fstat",
                                          "futex",
                                          "getcwd",
                                          "getdents64",
                                          "getegid",
                                          "geteuid",
                                          "getgid",
                                          "getpgrp",
                                          "getpid",
                                          "getppid",
                                          "getrandom",
                                          "getuid",
                                          "ioctl",
                                          "lseek",
                                          "lstat",
                                          "mmap",
                                          "mprotect",
                                          "munmap",
                                          "newfstatat",
                                          "open",
                                          "openat",
                                          "pipe",
                                          "pipe2",
                                          "poll",
                                          "prctl",
                                          "pread64",
                                          "prlimit64",
                                          "read",
                                          "readlink",
                                          "rseq",
                                          "rt_sigaction",
                                          "rt_sigprocmask",
                                          "rt_sigreturn",
                                          "set_robust_list",
                                          "set_tid_address",
                                          "setgroups",
                                          "setpgid",
                                          "setresgid",
                                          "setresuid",
                                          "setgid",
                                          "setuid",
                                          "sigaltstack",
                                          "stat",
                                          "statx",
                                          "uname",
                                          "vfork",
                                          "wait4",
                                          "write",
                                          "writev"}},
                                        {"action", "SCMP_ACT_ALLOW"}}}}};
    b->save();
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "allowed\nNoNewPrivs:\t0\nSeccomp:\t2\n");
}

TEST_F(Lifecycle, UsageErrors) {
    Result r = berth({"create"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("missing argument"), std::string::npos) << r.err;
    r = berth({"create", "--bogus", "x"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("unknown flag --bogus"), std::string::npos) << r.err;
    r = berth({"frobnicate"});
    EXPECT_EQ(r.code, 1);
    // Accepted for every verb (clients pass it to all); state has no cgroup to make.
    r = run_berth(root_, {"--systemd-cgroup", "state", "x"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err.find("systemd"), std::string::npos) << r.err;
    r = berth({"--version"});
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;
}

// containerd's shim passes --root /run/containerd/runc/<namespace> before
// that namespace's directory exists: the whole path is made, as runc does.
TEST_F(Lifecycle, RootIsMadeWithItsParents) {
    auto b = bundle({"true"});
    const std::string root = tmp_->path() + "/shim/runc/default";
    const std::string c = id();
    Result r = run_berth(root, {"run", "--bundle", b->dir(), c});
    EXPECT_EQ(r.code, 0) << r.err;
    struct stat st {};
    ASSERT_EQ(::stat((tmp_->path() + "/shim/runc").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_EQ(leftovers(root, c), std::vector<std::string>{});
}

}  // namespace
}  // namespace berth::test
