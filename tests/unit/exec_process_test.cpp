// The process `exec` builds from the container's config and the flags.
#include <gtest/gtest.h>
#include <linux/capability.h>

#include "error_of.hpp"
#include "process/exec_process.hpp"
#include "process/process_defaults.hpp"

namespace berth {
namespace {

using test::error_of;

spec::Process config_process() {
    spec::Process p;
    p.args = {"sleep", "60"};
    p.env = {"PATH=/bin", "TERM=xterm"};
    p.cwd = "/";
    p.user.uid = 5;
    p.user.gid = 6;
    p.user.additional_gids = {7};
    p.terminal = true;
    p.no_new_privileges = true;
    p.capabilities = spec::Capabilities{{CAP_KILL}, {CAP_KILL}, {CAP_KILL}, {CAP_KILL}, {}};
    return p;
}

TEST(HomeFromPasswd, Table) {
    const std::string passwd =
        "root:x:0:0:root:/root:/bin/sh\n"
        "# not a comment in passwd(5), just a line that names no uid\n"
        "short:x:7\n"
        "nohome:x:8:8:::/bin/sh\n"
        "user:x:1000:1000:A User,,,:/home/user:/bin/bash\n"
        "dup:x:1000:1000::/second:/bin/sh\n"
        "last:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin";  // no final newline
    const struct {
        uint32_t uid;
        std::optional<std::string> home;
    } cases[] = {
        {0, "/root"},      {1000, "/home/user"}, {65534, "/nonexistent"},
        {7, std::nullopt}, {8, std::nullopt},    {42, std::nullopt},
    };
    for (const auto& c : cases) EXPECT_EQ(home_from_passwd(passwd, c.uid), c.home) << c.uid;
    EXPECT_EQ(home_from_passwd("", 0), std::nullopt);
    EXPECT_EQ(home_from_passwd("x:x:10:0::/h:\n", 1), std::nullopt) << "10 is not 1";
}

TEST(ExecUser, Table) {
    struct Case {
        std::string in;
        uint32_t uid;
        std::optional<uint32_t> gid;
    } cases[] = {{"0", 0, std::nullopt},
                 {"1000", 1000, std::nullopt},
                 {"1000:100", 1000, 100},
                 {"4294967295:0", 4294967295u, 0}};
    for (const auto& c : cases) {
        auto [uid, gid] = parse_exec_user(c.in);
        EXPECT_EQ(uid, c.uid) << c.in;
        EXPECT_EQ(gid, c.gid) << c.in;
    }
    for (std::string bad : {"", "root", "1000:", ":5", "-1", "1:2:3", "4294967296", "1 "})
        EXPECT_NE(error_of([&] { parse_exec_user(bad); }).find("--user: \"" + bad + "\""), std::string::npos) << bad;
}

TEST(MergeEnv, LaterEntriesReplaceEarlierInPlace) {
    EXPECT_EQ(merge_env({"A=1", "B=2", "A=3", "C=", "B=4=5"}, "x"), (std::vector<std::string>{"A=3", "B=4=5", "C="}));
    EXPECT_EQ(merge_env({"AB=1", "A=2"}, "x"), (std::vector<std::string>{"AB=1", "A=2"}))
        << "prefix is not the same key";
    EXPECT_EQ(error_of([] { merge_env({"NOEQUALS"}, "--env"); }), "--env: \"NOEQUALS\" is not of the form KEY=VALUE");
    EXPECT_EQ(error_of([] { merge_env({"=x"}, "--env"); }), "--env: \"=x\" is not of the form KEY=VALUE");
}

TEST(ProcessForExec, InheritsTheConfigAndAppliesTheFlags) {
    ExecFlags f;
    f.args = {"sh", "-c", "true"};
    spec::Process p = process_for_exec(config_process(), f);
    EXPECT_EQ(p.args, f.args);
    EXPECT_EQ(p.env, (std::vector<std::string>{"PATH=/bin", "TERM=xterm"}));
    EXPECT_EQ(p.cwd, "/");
    EXPECT_EQ(p.user.uid, 5u);
    EXPECT_EQ(p.user.gid, 6u);
    EXPECT_FALSE(p.terminal) << "--tty is off unless given, as runc";
    EXPECT_TRUE(p.no_new_privileges);

    f.tty = true;
    f.cwd = "/tmp";
    f.env = {"TERM=dumb", "X=1"};
    f.user = "10:20";
    f.additional_gids = {"30", "40"};
    f.caps = {"CAP_SYS_ADMIN", "CAP_KILL"};
    f.no_new_privs = false;
    p = process_for_exec(config_process(), f);
    EXPECT_TRUE(p.terminal);
    EXPECT_EQ(p.cwd, "/tmp");
    EXPECT_EQ(p.env, (std::vector<std::string>{"PATH=/bin", "TERM=dumb", "X=1"}));
    EXPECT_EQ(p.user.uid, 10u);
    EXPECT_EQ(p.user.gid, 20u);
    EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{7, 30, 40}));
    EXPECT_FALSE(p.no_new_privileges);
    const auto& c = *p.capabilities;
    EXPECT_EQ(c.bounding, (std::vector<int>{CAP_KILL, CAP_SYS_ADMIN}));
    EXPECT_EQ(c.effective, (std::vector<int>{CAP_KILL, CAP_SYS_ADMIN}));
    EXPECT_EQ(c.permitted, (std::vector<int>{CAP_KILL, CAP_SYS_ADMIN}));
    EXPECT_EQ(c.ambient, (std::vector<int>{CAP_SYS_ADMIN, CAP_KILL}));
    EXPECT_EQ(c.inheritable, (std::vector<int>{CAP_KILL})) << "not inheritable (CVE-2022-29162)";

    f.user = "7";
    p = process_for_exec(config_process(), f);
    EXPECT_EQ(p.user.uid, 7u);
    EXPECT_EQ(p.user.gid, 6u) << "no :GID keeps the config's gid";
}

TEST(ProcessForExec, ErrorsNameTheFlag) {
    ExecFlags f;
    EXPECT_EQ(error_of([&] { process_for_exec(config_process(), f); }), "exec: process args cannot be empty");
    f.args = {"true"};
    auto err = [&](auto change) {
        ExecFlags g = f;
        change(g);
        return error_of([&] { process_for_exec(config_process(), g); });
    };
    EXPECT_EQ(err([](ExecFlags& g) { g.cwd = "tmp"; }), "--cwd: \"tmp\" must be an absolute path");
    EXPECT_EQ(err([](ExecFlags& g) { g.additional_gids = {"-1"}; }),
              "--additional-gids: \"-1\" must be a non-negative number");
    EXPECT_EQ(err([](ExecFlags& g) { g.env = {"X"}; }), "--env: \"X\" is not of the form KEY=VALUE");
    EXPECT_NE(err([](ExecFlags& g) { g.user = "nobody"; }).find("--user: \"nobody\""), std::string::npos);
}

// runc and crun warn about an unknown --cap and go on without it; the
// known ones given with it still apply.
TEST(ProcessForExec, UnknownCapabilitiesAreIgnoredWithAWarning) {
    auto warning = [](const std::string& name) {
        return "--cap: unknown capability \"" + name + "\" ignored (as runc and crun do)";
    };
    struct Case {
        std::vector<std::string> caps;
        std::vector<int> ambient, bounding;
        std::vector<std::string> warnings;
    } cases[] = {
        {{"CAP_UNKNOWN"}, {}, {CAP_KILL}, {warning("CAP_UNKNOWN")}},
        {{"SYS_ADMIN"}, {}, {CAP_KILL}, {warning("SYS_ADMIN")}},
        {{"CAP_NOPE", "CAP_KILL", ""}, {CAP_KILL}, {CAP_KILL}, {warning("CAP_NOPE"), warning("")}},
        {{"CAP_SYS_ADMIN"}, {CAP_SYS_ADMIN}, {CAP_KILL, CAP_SYS_ADMIN}, {}},
    };
    for (const Case& c : cases) {
        ExecFlags f;
        f.args = {"true"};
        f.caps = c.caps;
        std::vector<std::string> warnings;
        const spec::Process p = process_for_exec(config_process(), f, &warnings);
        EXPECT_EQ(warnings, c.warnings) << c.caps.front();
        EXPECT_EQ(p.capabilities->ambient, c.ambient) << c.caps.front();
        EXPECT_EQ(p.capabilities->bounding, c.bounding) << c.caps.front();
    }
}

}  // namespace
}  // namespace berth
