// linux.seccomp: flags, errnoRet, notify and its listener, unknown syscall
// names; the fd hand-over on the init channel and to the listener socket.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "error_of.hpp"
#include "errors/error.hpp"
#include "init/init_channel.hpp"
#include "util/fd_passing.hpp"
#include "seccomp/seccomp_filter.hpp"
#include "seccomp/seccomp_listener.hpp"
#include "spec/spec.hpp"
#include "util/unique_fd.hpp"

namespace {

using json = nlohmann::json;
using berth::test::error_of;

std::string parse_error(const json& seccomp) {
    return error_of([&] { berth::spec::parse_seccomp(seccomp.dump()); });
}

json notify_profile() {
    return {{"defaultAction", "SCMP_ACT_ALLOW"},
            {"listenerPath", "/run/agent.sock"},
            {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
}

struct BadRow {
    const char* name;
    json seccomp;
    std::string expected;  // the whole message
};

TEST(SeccompParse, BadProfilesNameTheField) {
    const std::string libseccomp = [] {
        const scmp_version* v = seccomp_version();
        return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
    }();
    auto with = [](json j, const char* key, json value) {
        j[key] = std::move(value);
        return j;
    };
    json no_listener = notify_profile();
    no_listener.erase("listenerPath");
    json empty_listener = with(notify_profile(), "listenerPath", "");
    json notify_sendmsg = notify_profile();
    notify_sendmsg["syscalls"][0]["names"] = {"mkdir", "sendmsg"};
    const BadRow rows[] = {
        {"unknown flag", with(notify_profile(), "flags", {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_NOPE"}),
         "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_NOPE\""},
        {"flag not a string", with(notify_profile(), "flags", {7}),
         "linux.seccomp.flags[0]: must be a string, not a number"},
        {"flags not an array", with(notify_profile(), "flags", "SECCOMP_FILTER_FLAG_LOG"),
         "linux.seccomp.flags: must be an array, not a string"},
#if SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR < 6
        {"wait killable recv needs libseccomp 2.6",
         with(notify_profile(), "flags", {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}),
         "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported by libseccomp " + libseccomp +
             " (2.6 or later needed)"},
#endif
        {"notify without listenerPath", no_listener,
         "linux.seccomp.listenerPath: is required when a rule uses SCMP_ACT_NOTIFY"},
        {"notify with an empty listenerPath", empty_listener,
         "linux.seccomp.listenerPath: is required when a rule uses SCMP_ACT_NOTIFY"},
        {"relative listenerPath", with(notify_profile(), "listenerPath", "run/agent.sock"),
         "linux.seccomp.listenerPath: must be an absolute path, not \"run/agent.sock\""},
        {"listenerPath not a string", with(notify_profile(), "listenerPath", 1),
         "linux.seccomp.listenerPath: must be a string, not a number"},
        {"listenerMetadata not a string", with(notify_profile(), "listenerMetadata", json::object()),
         "linux.seccomp.listenerMetadata: must be a string, not an object"},
        {"notify as the default",
         {{"defaultAction", "SCMP_ACT_NOTIFY"}, {"listenerPath", "/run/agent.sock"}},
         "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"},
        {"notify on sendmsg", notify_sendmsg,
         "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for sendmsg: berth sends the listener fd "
         "with it"},
    };
    for (const auto& r : rows) EXPECT_EQ(parse_error(r.seccomp), r.expected) << r.name;
}

TEST(SeccompParse, ListenerFlagsAndNotify) {
    json j = notify_profile();
    j["listenerMetadata"] = "MKNOD=/dev/null";
    j["flags"] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"};
    const auto s = berth::spec::parse_seccomp(j.dump());
    EXPECT_EQ(s.listener_path, "/run/agent.sock");
    EXPECT_EQ(s.listener_metadata, "MKNOD=/dev/null");
    EXPECT_EQ(s.flags, (std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                                 "SECCOMP_FILTER_FLAG_TSYNC"}));
    ASSERT_EQ(s.rules.size(), 1u);
    EXPECT_EQ(s.rules[0].action, SCMP_ACT_NOTIFY);
    EXPECT_TRUE(s.notifies());
    // runc ignores a listenerPath with nothing to notify: no fd, no connection.
    j["syscalls"][0]["action"] = "SCMP_ACT_ERRNO";
    const auto quiet = berth::spec::parse_seccomp(j.dump());
    EXPECT_FALSE(quiet.notifies());
    EXPECT_EQ(quiet.listener_path, "/run/agent.sock");
    // No flags given: none applied (runc 1.2 would add SPEC_ALLOW; see docs).
    EXPECT_TRUE(berth::spec::parse_seccomp(R"({"defaultAction":"SCMP_ACT_ALLOW"})").flags.empty());
}

// errnoRet folds into the action's data; absent, ERRNO and TRACE mean EPERM.
TEST(SeccompParse, ErrnoRetOfTheDefaultAndOfEachRule) {
    const struct {
        const char* profile;
        uint32_t default_action;
        uint32_t rule_action;
    } rows[] = {
        {R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
         SCMP_ACT_ERRNO(EPERM), SCMP_ACT_ALLOW},
        {R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,)"
         R"("syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})",
         SCMP_ACT_ERRNO(ENOSYS), SCMP_ACT_ALLOW},
        {R"({"defaultAction":"SCMP_ACT_ALLOW",)"
         R"("syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]})",
         SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(EACCES)},
        {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]})",
         SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(EPERM)},
        {R"({"defaultAction":"SCMP_ACT_ALLOW",)"
         R"("syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":0}]})",
         SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(0)},
        {R"({"defaultAction":"SCMP_ACT_ALLOW",)"
         R"("syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_TRACE","errnoRet":5}]})",
         SCMP_ACT_ALLOW, SCMP_ACT_TRACE(5)},
        // Not an errno action: errnoRet has nothing to go into.
        {R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_KILL","errnoRet":5}]})",
         SCMP_ACT_ALLOW, SCMP_ACT_KILL_THREAD},
    };
    for (const auto& r : rows) {
        const auto s = berth::spec::parse_seccomp(r.profile);
        EXPECT_EQ(s.default_action, r.default_action) << r.profile;
        ASSERT_EQ(s.rules.size(), 1u) << r.profile;
        EXPECT_EQ(s.rules[0].action, r.rule_action) << r.profile;
        uint32_t built = 0;
        auto f = berth::build_seccomp_filter(s);
        ASSERT_EQ(seccomp_attr_get(f.get(), SCMP_FLTATR_ACT_DEFAULT, &built), 0);
        EXPECT_EQ(built, r.default_action) << r.profile;
    }
}

// As runc: a name libseccomp does not know is skipped, with a warning that
// names it, and the rest of the profile still applies.
TEST(SeccompParse, UnknownSyscallIsAWarningAndSkipped) {
    ::testing::internal::CaptureStderr();
    const auto s = berth::spec::parse_seccomp(
        R"({"defaultAction":"SCMP_ACT_ALLOW",)"
        R"("syscalls":[{"names":["mkdir","no_such_syscall_x"],"action":"SCMP_ACT_ERRNO"}]})");
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(err,
              "berth: warning: linux.seccomp.syscalls[0].names[1]: unknown syscall \"no_such_syscall_x\" skipped "
              "(libseccomp does not know it)\n");
    EXPECT_EQ(s.rules[0].names, (std::vector<std::string>{"mkdir", "no_such_syscall_x"}));
    EXPECT_NE(berth::build_seccomp_filter(s), nullptr);
    EXPECT_TRUE(berth::spec::seccomp_syscall_known("mkdir"));
    EXPECT_TRUE(berth::spec::seccomp_syscall_known("socketcall"));  // another architecture's
    EXPECT_FALSE(berth::spec::seccomp_syscall_known("no_such_syscall_x"));
    // Known names: no warning at all.
    ::testing::internal::CaptureStderr();
    berth::spec::parse_seccomp(
        R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]})");
    EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(SeccompFilter, FlagsBecomeLibseccompAttributes) {
    const struct {
        const char* flag;
        scmp_filter_attr attr;
    } rows[] = {
        {"SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC},
        {"SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG},
        {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB},
    };
    for (const auto& r : rows) {
        ASSERT_EQ(berth::spec::seccomp_flag_problem(r.flag), std::nullopt) << r.flag << ": needs API level 4 here";
        berth::spec::Seccomp s;
        s.default_action = SCMP_ACT_ALLOW;
        uint32_t value = 7;
        auto plain = berth::build_seccomp_filter(s);
        ASSERT_EQ(seccomp_attr_get(plain.get(), r.attr, &value), 0);
        EXPECT_EQ(value, 0u) << r.flag << " off without the flag";
        s.flags = {r.flag};
        auto flagged = berth::build_seccomp_filter(s);
        ASSERT_EQ(seccomp_attr_get(flagged.get(), r.attr, &value), 0);
        EXPECT_EQ(value, 1u) << r.flag;
    }
    EXPECT_EQ(berth::spec::seccomp_flag_names(),
              (std::vector<std::string>{"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                        "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}));
}

TEST(SeccompFilter, NotifiesOnlyWhenANotifyRuleIsBuilt) {
    bool notifies = false;
    auto s = berth::spec::parse_seccomp(notify_profile().dump());
    EXPECT_NE(berth::build_seccomp_filter(s, &notifies), nullptr);
    EXPECT_TRUE(notifies);
    // Every name of the notify rule unknown: nothing notifies, no fd is sent.
    json j = notify_profile();
    j["syscalls"][0]["names"] = {"no_such_syscall_y"};
    ::testing::internal::CaptureStderr();
    s = berth::spec::parse_seccomp(j.dump());
    ::testing::internal::GetCapturedStderr();
    EXPECT_NE(berth::build_seccomp_filter(s, &notifies), nullptr);
    EXPECT_FALSE(notifies);
}

TEST(SeccompListener, ContainerProcessStateAsTheSpecSaysIt) {
    const json state = {{"ociVersion", "1.0.2"},
                        {"id", "c1"},
                        {"status", "creating"},
                        {"pid", 42},
                        {"bundle", "/b"},
                        {"rootfs", "/b/rootfs"},
                        {"created", "x"},
                        {"owner", ""},
                        {"annotations", {{"k", "v"}}}};
    const struct {
        pid_t pid;
        std::string metadata;
        json state;
        json want;
    } rows[] = {
        {42,
         "MKNOD=/dev/null",
         state,
         {{"ociVersion", "1.0.2"},
          {"fds", {"seccompFd"}},
          {"pid", 42},
          {"metadata", "MKNOD=/dev/null"},
          {"state",
           {{"ociVersion", "1.0.2"},
            {"id", "c1"},
            {"status", "creating"},
            {"pid", 42},
            {"bundle", "/b"},
            {"annotations", {{"k", "v"}}}}}}},
        // exec: the process's own pid; no metadata, no annotations.
        {77,
         "",
         {{"ociVersion", "1.0.2"}, {"id", "c1"}, {"status", "running"}, {"pid", 42}, {"bundle", "/b"}},
         {{"ociVersion", "1.0.2"},
          {"fds", {"seccompFd"}},
          {"pid", 77},
          {"state", {{"ociVersion", "1.0.2"}, {"id", "c1"}, {"status", "running"}, {"pid", 42}, {"bundle", "/b"}}}}},
    };
    for (const auto& r : rows) EXPECT_EQ(berth::container_process_state(r.pid, r.metadata, r.state), r.want) << r.want;
}

// Init's side: the frame built before the load goes with the fd in one
// sendmsg; create's receive keeps the fd.
TEST(InitChannel, AFdGoesWithItsMessage) {
    int sp[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
    berth::UniqueFd a(sp[0]), b(sp[1]);
    int pipefd[2];
    ASSERT_EQ(::pipe2(pipefd, O_CLOEXEC), 0);
    berth::UniqueFd r(pipefd[0]), w(pipefd[1]);
    const std::string frame = berth::frame_message({{"type", berth::kSeccompFdMessage}});
    berth::send_frame_with_fd(a.get(), frame, w.get());
    berth::send_message(a.get(), {{"type", "ready"}});
    berth::UniqueFd passed;
    auto m = berth::receive_message(b.get(), &passed);
    ASSERT_TRUE(m);
    EXPECT_EQ((*m)["type"], "seccompFd");
    ASSERT_TRUE(passed);
    EXPECT_EQ(::fcntl(passed.get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    ASSERT_EQ(::write(passed.get(), "x", 1), 1);  // the pipe's write end, really
    char c = 0;
    ASSERT_EQ(::read(r.get(), &c, 1), 1);
    EXPECT_EQ(c, 'x');
    passed.reset();
    m = berth::receive_message(b.get(), &passed);
    ASSERT_TRUE(m);
    EXPECT_EQ((*m)["type"], "ready");
    EXPECT_FALSE(passed);
    a.reset();
    EXPECT_FALSE(berth::receive_message(b.get(), &passed));
}

std::string temp_dir() {
    char tmpl[] = "/tmp/berth-seccomp-unit-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    return d ? d : "";
}

TEST(SeccompListener, SendsTheStateWithTheFd) {
    const std::string dir = temp_dir();
    ASSERT_FALSE(dir.empty());
    const std::string path = dir + "/agent.sock";
    berth::UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener.get(), 1), 0);
    int pipefd[2];
    ASSERT_EQ(::pipe2(pipefd, O_CLOEXEC), 0);
    berth::UniqueFd r(pipefd[0]), w(pipefd[1]);
    // A state large enough to need more than one send.
    const json big = {{"id", "c1"}, {"annotations", {{"k", std::string(300000, 'a')}}}};
    std::string got;
    int got_fd = -1;
    std::thread agent([&] {
        berth::UniqueFd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        char buf[65536];
        for (;;) {
            int fd = -1;
            const ssize_t n = berth::receive_with_fd(conn.get(), buf, sizeof buf, &fd);
            if (fd >= 0) got_fd = fd;  // sent once, with the first part
            if (n <= 0) break;
            got.append(buf, static_cast<size_t>(n));
        }
    });
    berth::send_to_seccomp_listener(path, berth::container_process_state(9, "meta", big), w.get());
    agent.join();
    ASSERT_GE(got_fd, 0);
    berth::UniqueFd received(got_fd);
    const json j = json::parse(got);
    EXPECT_EQ(j["pid"], 9);
    EXPECT_EQ(j["metadata"], "meta");
    EXPECT_EQ(j["fds"], json({"seccompFd"}));
    EXPECT_EQ(j["state"]["annotations"]["k"].get<std::string>().size(), 300000u);
    ASSERT_EQ(::write(received.get(), "y", 1), 1);
    char c = 0;
    ASSERT_EQ(::read(r.get(), &c, 1), 1);
    EXPECT_EQ(c, 'y');
    listener.reset();
    ::unlink(path.c_str());
    // Nothing listening: the error names the field and the path.
    EXPECT_EQ(error_of([&] { berth::send_to_seccomp_listener(path, json::object(), w.get()); }),
              "linux.seccomp.listenerPath: connect " + path + ": no such file or directory");
    ::rmdir(dir.c_str());
}

}  // namespace
