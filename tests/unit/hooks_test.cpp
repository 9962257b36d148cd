// run_hooks and run_all_hooks with host processes (/bin/sh): order, stdin,
// failures, and what the hook inherits from its caller.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "error_of.hpp"
#include "hooks/hooks.hpp"

namespace {

using berth::spec::Hook;
using berth::test::error_of;

class HooksTest : public ::testing::Test {
protected:
    void SetUp() override {
        char tmpl[] = "/tmp/berth-hooks-unit-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { (void)!system(("rm -rf " + dir_).c_str()); }
    static Hook sh(const std::string& script) {
        Hook h;
        h.path = "/bin/sh";
        h.args = {"sh", "-c", script};
        return h;
    }
    std::string read(const std::string& name) {
        std::ifstream in(dir_ + "/" + name);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    std::string dir_;
};

TEST_F(HooksTest, RunHooksGivesTheStateOnStdinInOrder) {
    berth::run_hooks(
        {sh("read -r s; echo \"1 $s\" >> " + dir_ + "/log"), sh("read -r s; echo \"2 $s\" >> " + dir_ + "/log")},
        "createContainer", "{\"id\":\"x\"}");
    EXPECT_EQ(read("log"), "1 {\"id\":\"x\"}\n2 {\"id\":\"x\"}\n");
}

TEST_F(HooksTest, RunHooksStopsAtTheFirstFailureNamingIt) {
    Hook missing;
    missing.path = dir_ + "/missing";
    EXPECT_EQ(error_of([&] {
                  berth::run_hooks({sh("exit 3"), sh("touch " + dir_ + "/after")}, "startContainer", "{}");
              }),
              "startContainer hook /bin/sh: exit status 3");
    EXPECT_EQ(read("after"), "") << "no hook runs after a failing one";
    EXPECT_EQ(error_of([&] { berth::run_hooks({missing}, "createContainer", "{}"); }),
              "createContainer hook " + dir_ + "/missing: exit status 127");
    EXPECT_EQ(error_of([&] { berth::run_hooks({sh("kill -9 $$")}, "startContainer", "{}"); }),
              "startContainer hook /bin/sh: killed by signal 9");
    Hook slow = sh("sleep 5");
    slow.timeout = 1;
    EXPECT_EQ(error_of([&] { berth::run_hooks({slow}, "createContainer", "{}"); }),
              "createContainer hook /bin/sh: timed out after 1s");
}

TEST_F(HooksTest, RunAllHooksGoesOnAfterFailures) {
    Hook f;
    f.path = "/bin/false";
    const auto failures = berth::run_all_hooks(
        {sh("exit 5"), sh("echo second >> " + dir_ + "/log"), f, sh("echo fourth >> " + dir_ + "/log")}, "poststop",
        "{}");
    EXPECT_EQ(failures, (std::vector<std::string>{"poststop hook /bin/sh: exit status 5",
                                                  "poststop hook /bin/false: exit status 1"}));
    EXPECT_EQ(read("log"), "second\nfourth\n");
    EXPECT_TRUE(berth::run_all_hooks({sh("true")}, "poststart", "{}").empty());
}

// init runs createContainer hooks and then execs the container's process:
// neither may inherit an ignored SIGPIPE from berth, or berth's fds.
TEST_F(HooksTest, HooksLeaveSigpipeAndGetOnlyStdio) {
    struct sigaction dfl = {}, now = {};
    dfl.sa_handler = SIG_DFL;
    ASSERT_EQ(sigaction(SIGPIPE, &dfl, nullptr), 0);
    int leaked = dup(0);  // not close-on-exec
    ASSERT_GE(leaked, 3);
    // Exits without reading a state larger than a pipe's buffer.
    berth::run_hooks({sh("ls /proc/self/fd > " + dir_ + "/fds; grep SigIgn /proc/self/status > " + dir_ + "/sig")},
                     "createContainer", std::string(1 << 20, 'x'));
    close(leaked);
    ASSERT_EQ(sigaction(SIGPIPE, nullptr, &now), 0);
    EXPECT_EQ(now.sa_handler, SIG_DFL);
    // ls opens the directory as fd 3.
    EXPECT_EQ(read("fds"), "0\n1\n2\n3\n");
    const std::string sig = read("sig");
    ASSERT_FALSE(sig.empty());
    const unsigned long long ignored = std::stoull(sig.substr(sig.find(':') + 1), nullptr, 16);
    EXPECT_EQ(ignored & (1ULL << (SIGPIPE - 1)), 0u) << sig;
}

TEST(HookKinds, AreTheSpecsInLifecycleOrder) {
    EXPECT_EQ(berth::supported_hook_kinds(), (std::vector<std::string>{"prestart", "createRuntime", "createContainer",
                                                                       "startContainer", "poststart", "poststop"}));
}

}  // namespace
