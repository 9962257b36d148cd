// Real containers, as root: the hooks that run inside the container
// (createContainer, startContainer) and the ones whose failures are only
// logged (poststart, poststop).
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "harness.hpp"

namespace berth::test {
namespace {

using json = nlohmann::json;

class Hooks : public ContainerTest {
protected:
    std::unique_ptr<Bundle> bundle(const std::vector<std::string>& args) {
        static int n = 0;
        return std::make_unique<Bundle>(tmp_->path() + "/bundle" + std::to_string(n++), args);
    }
    json state(const std::string& cid) {
        Result r = berth({"state", cid});
        EXPECT_EQ(r.code, 0) << r.err;
        return r.code == 0 ? json::parse(r.out) : json::object();
    }
    static json sh(const std::string& script) { return {{"path", "/bin/sh"}, {"args", {"sh", "-c", script}}}; }
    static std::string link(const std::string& path) {
        char buf[PATH_MAX];
        ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
        return n < 0 ? "" : std::string(buf, n);
    }
    static std::string real(const std::string& path) {
        char buf[PATH_MAX];
        return realpath(path.c_str(), buf) ? buf : path;
    }
    static std::string trim(std::string s) {
        while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
        return s;
    }
    void wait_stopped(const std::string& cid) {
        for (int i = 0; i < 150 && state(cid)["status"] != "stopped"; ++i) usleep(20000);
    }
};

TEST_F(Hooks, CreateContainerRunsInTheContainerBeforePivotRoot) {
    auto b = bundle({"sleep", "60"});
    const std::string t = tmp_->path();
    const std::string rootfs = real(b->rootfs());
    // /bin/sh and the temp dir are the host's: the path resolves, and the
    // hook runs, before pivot_root. Its /proc is the host's procfs, where
    // self is the hook.
    b->config["hooks"]["createContainer"] = {sh("read -r s; echo \"$s\" > " + t +
                                                "/hook-state; readlink /proc/self/ns/mnt > " + t +
                                                "/mnt; "
                                                "readlink /proc/self/ns/pid > " +
                                                t + "/pid; cat /proc/self/mountinfo > " + t + "/mountinfo")};
    b->save();
    const std::string c = id("cc");
    Result r = berth({"create", "--bundle", b->dir(), c});
    ASSERT_EQ(r.code, 0) << r.err;
    const json st = state(c);
    const std::string pid = std::to_string(st["pid"].get<int>());
    const std::string mnt = link("/proc/" + pid + "/ns/mnt");
    ASSERT_FALSE(mnt.empty());
    EXPECT_EQ(trim(read_text(t + "/mnt")), mnt) << "the hook runs in the container's mount namespace";
    EXPECT_NE(mnt, link("/proc/self/ns/mnt"));
    EXPECT_EQ(trim(read_text(t + "/pid")), link("/proc/" + pid + "/ns/pid")) << "and in its pid namespace";
    // Not pivoted yet: the container's mounts are seen below the rootfs's
    // host path (the container's /proc is mounted by then).
    const std::string mountinfo = read_text(t + "/mountinfo");
    EXPECT_NE(mountinfo.find(" " + rootfs + "/proc "), std::string::npos) << mountinfo;
    const json hook_state = json::parse(read_text(t + "/hook-state"), nullptr, false);
    ASSERT_TRUE(hook_state.is_object()) << read_text(t + "/hook-state");
    EXPECT_EQ(hook_state["status"], "creating");
    EXPECT_EQ(hook_state["id"], c);
    EXPECT_EQ(hook_state["pid"], st["pid"]);
    EXPECT_EQ(hook_state["bundle"], real(b->dir()));
}

TEST_F(Hooks, FailingCreateContainerHookFailsCreateAndLeavesNothing) {
    auto b = bundle({"sleep", "60"});
    const std::string t = tmp_->path();
    b->config["hooks"]["createContainer"] = {sh("exit 3"), sh("touch " + t + "/second")};
    b->save();
    const std::string c = id("ccfail");
    Result r = berth({"create", "--bundle", b->dir(), c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("createContainer hook /bin/sh: exit status 3"), std::string::npos) << r.err;
    EXPECT_FALSE(exists(t + "/second")) << "the hooks after a failing one do not run";
    EXPECT_EQ(leftovers(root_, c, b->rootfs()), std::vector<std::string>{});
    EXPECT_NE(berth({"state", c}).code, 0);
}

TEST_F(Hooks, StartContainerRunsAtStartInsideTheContainer) {
    // The process sees the hook's marker: the hook ran before it.
    auto b = bundle({"sh", "-c", "test -e /started && echo ran-after > /seen; exec sleep 60"});
    // Only in the container's root: the path resolves there, not on the host.
    {
        std::ofstream f(b->rootfs() + "/start-hook.sh");
        f << "#!/bin/sh\nread -r s\necho \"$s\" > /started\nreadlink /proc/self/ns/mnt > /mnt\n";
    }
    ASSERT_EQ(chmod((b->rootfs() + "/start-hook.sh").c_str(), 0755), 0);
    b->config["hooks"]["startContainer"] = {{{"path", "/start-hook.sh"}}};
    b->save();
    const std::string c = id("sc");
    Result r = berth({"create", "--bundle", b->dir(), c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(exists(b->rootfs() + "/started")) << "startContainer hooks run at start, not at create";
    const json st = state(c);
    r = berth({"start", c});
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_TRUE(exists(b->rootfs() + "/started"));
    const json hook_state = json::parse(read_text(b->rootfs() + "/started"));
    EXPECT_EQ(hook_state["status"], "created");
    EXPECT_EQ(hook_state["id"], c);
    EXPECT_EQ(hook_state["pid"], st["pid"]);
    EXPECT_EQ(trim(read_text(b->rootfs() + "/mnt")), link("/proc/" + std::to_string(st["pid"].get<int>()) + "/ns/mnt"))
        << "the hook runs in the container's mount namespace";
    // The shell's redirection makes /seen before echo writes into it.
    for (int i = 0; i < 150 && read_text(b->rootfs() + "/seen") != "ran-after\n"; ++i) usleep(20000);
    EXPECT_EQ(read_text(b->rootfs() + "/seen"), "ran-after\n");
    EXPECT_EQ(state(c)["status"], "running");
}

TEST_F(Hooks, FailingStartContainerHookFailsStartAndStopsTheContainer) {
    auto b = bundle({"sh", "-c", "touch /ran; exec sleep 60"});
    const std::string t = tmp_->path();
    b->config["hooks"]["startContainer"] = {sh("exit 4")};
    b->config["hooks"]["poststart"] = {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "touch " + t + "/poststart"}}}};
    b->config["hooks"]["poststop"] = {{{"path", "/bin/sh"}, {"args", {"sh", "-c", "touch " + t + "/poststop"}}}};
    b->save();
    const std::string c = id("scfail");
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), c}).code, 0);
    Result r = berth({"start", c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("startContainer hook /bin/sh: exit status 4"), std::string::npos) << r.err;
    wait_stopped(c);
    EXPECT_EQ(state(c)["status"], "stopped");
    EXPECT_FALSE(exists(b->rootfs() + "/ran")) << "the process never ran";
    EXPECT_FALSE(exists(t + "/poststart"));
    r = berth({"delete", c});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(exists(t + "/poststop")) << "delete runs poststop after a failed start";
}

TEST_F(Hooks, PoststartAndPoststopGoOnAfterAFailureWithAWarning) {
    auto b = bundle({"sleep", "60"});
    const std::string t = tmp_->path();
    b->config["hooks"]["poststart"] = {sh("exit 5"), sh("echo poststart-2 >> " + t + "/log")};
    b->config["hooks"]["poststop"] = {{{"path", "/bin/false"}}, sh("echo poststop-2 >> " + t + "/log")};
    b->save();
    const std::string c = id("post");
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), c}).code, 0);
    Result r = berth({"start", c});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("poststart hook /bin/sh: exit status 5"), std::string::npos) << r.err;
    EXPECT_EQ(read_text(t + "/log"), "poststart-2\n");
    EXPECT_EQ(berth({"kill", c, "KILL"}).code, 0);
    wait_stopped(c);
    r = berth({"delete", c});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("poststop hook /bin/false: exit status 1"), std::string::npos) << r.err;
    EXPECT_EQ(read_text(t + "/log"), "poststart-2\npoststop-2\n");
}

}  // namespace
}  // namespace berth::test
