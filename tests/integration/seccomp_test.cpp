// linux.seccomp against real containers, as root: the notify listener
// (listenerPath, listenerMetadata) for create and exec, answered by an agent
// thread of the test; a listener that cannot be reached; flags; unknown
// syscall names.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "harness.hpp"
#include "util/fd_passing.hpp"

namespace berth::test {
namespace {

using json = nlohmann::json;

// A seccomp agent: listens on `path`, takes each connection's
// ContainerProcessState and fd, and answers every notification: mkdir and
// mkdirat fail with EROFS (which a writable rootfs never gives), anything
// else continues as if not filtered.
class SeccompAgent {
public:
    explicit SeccompAgent(const std::string& path) : path_(path) {
        listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un addr = {};
        addr.sun_family = AF_UNIX;
        std::strcpy(addr.sun_path, path.c_str());
        if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
            ::listen(listener_, 8) < 0 || ::pipe2(stop_, O_CLOEXEC) < 0)
            throw std::runtime_error("seccomp agent at " + path + ": " + std::strerror(errno));
        thread_ = std::thread([this] { serve(); });
    }
    ~SeccompAgent() {
        (void)!::write(stop_[1], "x", 1);
        thread_.join();
        for (int fd : {listener_, stop_[0], stop_[1]}) ::close(fd);
        ::unlink(path_.c_str());
    }
    const std::string& path() const { return path_; }

    // The messages received so far (JSON as sent; "fd": whether one came).
    std::vector<json> messages() {
        std::lock_guard<std::mutex> l(mu_);
        return messages_;
    }
    // Syscall numbers notified, by the pid (host) that made them.
    std::map<pid_t, std::set<int>> notified() {
        std::lock_guard<std::mutex> l(mu_);
        return notified_;
    }
    // Waits up to 10 s for `n` messages.
    bool wait_messages(size_t n) {
        for (int i = 0; i < 500; ++i) {
            if (messages().size() >= n) return true;
            usleep(20000);
        }
        return false;
    }

private:
    void take_connection() {
        int conn = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (conn < 0) return;
        std::string text;
        int fd = -1;
        char buf[65536];
        for (;;) {
            int got = -1;
            const ssize_t n = berth::receive_with_fd(conn, buf, sizeof buf, &got);
            if (got >= 0) {
                if (fd >= 0) ::close(fd);
                fd = got;
            }
            if (n <= 0) break;
            text.append(buf, static_cast<size_t>(n));
        }
        ::close(conn);
        json j = json::parse(text, nullptr, false);
        j["fd"] = fd >= 0;
        std::lock_guard<std::mutex> l(mu_);
        messages_.push_back(j);
        if (fd >= 0) notify_fds_.push_back(fd);
    }

    void answer(int fd) {
        struct seccomp_notif req;
        std::memset(&req, 0, sizeof req);
        if (::ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) return;  // the caller died meanwhile
        struct seccomp_notif_resp resp;
        std::memset(&resp, 0, sizeof resp);
        resp.id = req.id;
        if (req.data.nr == SYS_mkdir || req.data.nr == SYS_mkdirat) {
            resp.error = -EROFS;
        } else {
            resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        }
        {
            std::lock_guard<std::mutex> l(mu_);
            notified_[static_cast<pid_t>(req.pid)].insert(req.data.nr);
        }
        (void)::ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    }

    void serve() {
        for (;;) {
            std::vector<struct pollfd> p = {{stop_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
            {
                std::lock_guard<std::mutex> l(mu_);
                for (int fd : notify_fds_) p.push_back({fd, POLLIN, 0});
            }
            if (::poll(p.data(), p.size(), 1000) < 0 && errno != EINTR) return;
            if (p[0].revents) break;
            if (p[1].revents & POLLIN) take_connection();
            for (size_t i = 2; i < p.size(); ++i) {
                if (p[i].revents & POLLIN) {
                    answer(p[i].fd);
                } else if (p[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
                    // Every process under the filter is gone.
                    std::lock_guard<std::mutex> l(mu_);
                    notify_fds_.erase(std::find(notify_fds_.begin(), notify_fds_.end(), p[i].fd));
                    ::close(p[i].fd);
                }
            }
        }
        std::lock_guard<std::mutex> l(mu_);
        for (int fd : notify_fds_) ::close(fd);
        notify_fds_.clear();
    }

    std::string path_;
    int listener_ = -1;
    int stop_[2] = {-1, -1};
    std::thread thread_;
    std::mutex mu_;
    std::vector<json> messages_;
    std::vector<int> notify_fds_;
    std::map<pid_t, std::set<int>> notified_;
};

class Seccomp : public ContainerTest {
protected:
    std::unique_ptr<Bundle> bundle(const std::vector<std::string>& args) {
        static int n = 0;
        return std::make_unique<Bundle>(tmp_->path() + "/bundle" + std::to_string(n++), args);
    }
    json state(const std::string& cid) {
        Result r = berth({"state", cid});
        EXPECT_EQ(r.code, 0) << r.err;
        return json::parse(r.out, nullptr, false);
    }
    void wait_stopped(const std::string& cid) {
        for (int i = 0; i < 500 && state(cid)["status"] != "stopped"; ++i) usleep(20000);
        EXPECT_EQ(state(cid)["status"], "stopped");
    }
    static json notify_profile(const std::string& listener, std::vector<std::string> names) {
        return {{"defaultAction", "SCMP_ACT_ALLOW"},
                {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"}},
                {"listenerPath", listener},
                {"listenerMetadata", "agent-metadata"},
                {"syscalls", {{{"names", names}, {"action", "SCMP_ACT_NOTIFY"}}}}};
    }
};

// create hands the notify fd to the listener with the ContainerProcessState;
// the agent's answer is what mkdir sees. Notify rules also name syscalls
// berth itself makes after the filter is loaded (write of "ready",
// execveat, prctl, close): those must reach the agent and be answered, not
// hang create. With and without no_new_privs (the filter is then loaded
// before the user switch, and more of init's syscalls follow it).
TEST_F(Seccomp, NotifyListenerGetsTheFdAndAnswers) {
    for (bool nnp : {true, false}) {
        SCOPED_TRACE(nnp ? "noNewPrivileges" : "no noNewPrivileges");
        SeccompAgent agent(tmp_->path() + "/agent" + std::to_string(nnp) + ".sock");
        auto b = bundle({"sh", "-c", "mkdir /x 2>/out; echo mkdir=$? >>/out"});
        b->config["process"]["noNewPrivileges"] = nnp;
        b->config["annotations"] = {{"org.test.seccomp", "yes"}};
        b->config["linux"]["seccomp"] = notify_profile(
            agent.path(), {"mkdir", "mkdirat", "write", "execveat", "execve", "prctl", "close", "capset"});
        b->save();
        const std::string c = id("notify");
        Result r = berth({"create", "--bundle", b->dir(), c});
        ASSERT_EQ(r.code, 0) << r.err;
        ASSERT_TRUE(agent.wait_messages(1));
        const json st = state(c);
        const json m = agent.messages()[0];
        EXPECT_EQ(m["fd"], true) << m;
        EXPECT_EQ(m["ociVersion"], "1.2.1") << m;
        EXPECT_EQ(m["fds"], json({"seccompFd"})) << m;
        EXPECT_EQ(m["pid"], st["pid"]) << m;
        EXPECT_EQ(m["metadata"], "agent-metadata") << m;
        EXPECT_EQ(m["state"]["id"], c) << m;
        EXPECT_EQ(m["state"]["status"], "creating") << m;
        EXPECT_EQ(m["state"]["pid"], st["pid"]) << m;
        EXPECT_EQ(m["state"]["bundle"], b->dir()) << m;
        EXPECT_EQ(m["state"]["annotations"], json({{"org.test.seccomp", "yes"}})) << m;
        // Init's own syscalls after the load were notified and answered.
        const pid_t init = st["pid"].get<pid_t>();
        const std::set<int> from_init = agent.notified()[init];
        EXPECT_TRUE(from_init.count(SYS_write)) << "init's \"ready\" went through the agent";
        EXPECT_TRUE(from_init.count(SYS_execveat)) << "init's exec of the stub went through the agent";

        r = berth({"start", c});
        ASSERT_EQ(r.code, 0) << r.err;
        wait_stopped(c);
        EXPECT_EQ(read_text(b->rootfs() + "/out"),
                  "mkdir: can't create directory '/x': Read-only file system\nmkdir=1\n");
        EXPECT_FALSE(exists(b->rootfs() + "/x"));
        r = berth({"delete", c});
        EXPECT_EQ(r.code, 0) << r.err;
    }
}

// exec of a process in a container with a listener: the exec'd process's
// filter gets its own fd, sent by exec with the process's pid.
TEST_F(Seccomp, ExecSendsItsOwnFd) {
    SeccompAgent agent(tmp_->path() + "/agent.sock");
    auto b = bundle({"sleep", "300"});
    b->config["process"]["noNewPrivileges"] = false;
    b->config["linux"]["seccomp"] = notify_profile(agent.path(), {"mkdir", "mkdirat", "write"});
    b->save();
    const std::string c = id("notify-exec");
    Result r = berth({"create", "--bundle", b->dir(), c});
    ASSERT_EQ(r.code, 0) << r.err;
    r = berth({"start", c});
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_TRUE(agent.wait_messages(1));
    const pid_t init = state(c)["pid"].get<pid_t>();
    size_t expected = 1;
    for (bool nnp : {true, false}) {
        SCOPED_TRACE(nnp ? "--no-new-privs" : "without no_new_privs");
        const std::string pid_file = tmp_->path() + "/exec" + std::to_string(nnp) + ".pid";
        std::vector<std::string> args = {"exec", "--pid-file", pid_file};
        if (nnp) args.push_back("--no-new-privs");
        for (const char* a : {c.c_str(), "sh", "-c", "mkdir /y 2>&1; echo mkdir=$?"}) args.push_back(a);
        r = berth(args);
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_EQ(r.out, "mkdir: can't create directory '/y': Read-only file system\nmkdir=1\n");
        ++expected;
        ASSERT_TRUE(agent.wait_messages(expected));
        const json m = agent.messages()[expected - 1];
        EXPECT_EQ(m["fd"], true) << m;
        EXPECT_EQ(m["pid"], std::stoi(read_text(pid_file))) << m;
        EXPECT_EQ(m["metadata"], "agent-metadata") << m;
        EXPECT_EQ(m["state"]["id"], c) << m;
        EXPECT_EQ(m["state"]["status"], "running") << m;
        EXPECT_EQ(m["state"]["pid"], init) << m;
    }
    EXPECT_FALSE(exists(b->rootfs() + "/y"));
    r = berth({"kill", c, "KILL"});
    EXPECT_EQ(r.code, 0) << r.err;
}

// The listener gone by the time of an exec: exec fails naming the field
// (exit 255, as any failed exec),
// its process never runs (without no_new_privs the filter is loaded before
// "ready", and "exec" is never sent) and the container goes on.
TEST_F(Seccomp, ExecFailsCleanlyWhenTheListenerIsGone) {
    const std::string path = tmp_->path() + "/agent.sock";
    auto agent = std::make_unique<SeccompAgent>(path);
    auto b = bundle({"sleep", "300"});
    b->config["process"]["noNewPrivileges"] = false;
    b->config["linux"]["seccomp"] = notify_profile(path, {"mkdir", "mkdirat"});
    b->save();
    const std::string c = id("listener-gone");
    Result r = berth({"create", "--bundle", b->dir(), c});
    ASSERT_EQ(r.code, 0) << r.err;
    r = berth({"start", c});
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_TRUE(agent->wait_messages(1));
    agent.reset();
    r = berth({"exec", c, "sh", "-c", "echo ran >/ran"});
    EXPECT_EQ(r.code, 255) << "runc's exit status of a failed exec";
    EXPECT_NE(r.err.find("linux.seccomp.listenerPath: connect " + path + ": no such file or directory"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(exists(b->rootfs() + "/ran"));
    std::vector<pid_t> pids;
    for (int i = 0; i < 50; ++i) {
        r = berth({"ps", "--format", "json", c});
        pids = json::parse(r.out, nullptr, false).get<std::vector<pid_t>>();
        if (pids.size() == 1) break;
        usleep(20000);
    }
    EXPECT_EQ(pids, std::vector<pid_t>{state(c)["pid"].get<pid_t>()}) << "only init is left";
    EXPECT_EQ(state(c)["status"], "running");
}

// A listener that cannot be reached fails create with the field named and
// leaves nothing behind; bad listener settings are refused before anything
// is made.
TEST_F(Seccomp, BadListenerFailsCreateCleanly) {
    auto b = bundle({"true"});
    const std::string missing = tmp_->path() + "/no-agent.sock";
    struct Row {
        const char* name;
        json seccomp;
        std::string error;
    };
    json no_path = notify_profile(missing, {"mkdir"});
    no_path.erase("listenerPath");
    const Row rows[] = {
        {"nothing listens", notify_profile(missing, {"mkdir"}),
         "linux.seccomp.listenerPath: connect " + missing + ": no such file or directory"},
        {"relative path", notify_profile("agent.sock", {"mkdir"}),
         "linux.seccomp.listenerPath: must be an absolute path, not \"agent.sock\""},
        {"no path", no_path, "linux.seccomp.listenerPath: is required when a rule uses SCMP_ACT_NOTIFY"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.name);
        b->config["linux"]["seccomp"] = row.seccomp;
        b->save();
        const std::string c = id("bad-listener");
        Result r = berth({"create", "--bundle", b->dir(), c});
        EXPECT_EQ(r.code, 1);
        EXPECT_NE(r.err.find(row.error), std::string::npos) << r.err;
        EXPECT_EQ(leftovers(root_, c, b->rootfs()), std::vector<std::string>{});
    }
    // As runc: a listenerPath with no notify rule is not used at all.
    json quiet = notify_profile(missing, {"mkdir"});
    quiet["syscalls"][0]["action"] = "SCMP_ACT_ERRNO";
    b->config["linux"]["seccomp"] = quiet;
    b->save();
    Result r = berth({"run", "--bundle", b->dir(), id("quiet-listener")});
    EXPECT_EQ(r.code, 0) << r.err;
}

// The audit lines the kernel logged (dmesg) that name `comm`.
std::vector<std::string> audit_lines(const std::string& comm) {
    std::vector<std::string> out;
    FILE* f = ::popen("dmesg 2>/dev/null", "r");
    if (!f) return out;
    char line[4096];
    while (std::fgets(line, sizeof line, f))
        if (std::strstr(line, "type=1326") && std::strstr(line, ("comm=\"" + comm + "\"").c_str())) out.push_back(line);
    ::pclose(f);
    return out;
}

// SECCOMP_FILTER_FLAG_LOG: an action other than allow is logged to the
// audit log (here the kernel log, as no auditd runs), and only with the flag.
// TSYNC and SPEC_ALLOW are accepted and the one filter loads; their effects
// cannot be seen here (init is single-threaded; this CPU reports
// Speculation_Store_Bypass "vulnerable" with or without a filter).
TEST_F(Seccomp, FlagsAreApplied) {
    for (bool log : {false, true}) {
        SCOPED_TRACE(log ? "with SECCOMP_FILTER_FLAG_LOG" : "without flags");
        // A unique comm (15 characters at most) to find the kernel's line by.
        const std::string comm = "busybox-" + std::to_string(1000000 + (::getpid() * 10 + log) % 9000000);
        auto b = bundle(
            {"sh", "-c",
             "/bin/" + comm + " mkdir /x 2>&1; echo mkdir=$?; grep -E '^Seccomp(_filters)?:' /proc/self/status"});
        std::filesystem::copy_file(b->rootfs() + "/bin/busybox", b->rootfs() + "/bin/" + comm);
        b->config["linux"]["seccomp"] = {
            {"defaultAction", "SCMP_ACT_ALLOW"},
            {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"}},
            {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
        if (log)
            b->config["linux"]["seccomp"]["flags"] = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_TSYNC",
                                                      "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
        b->save();
        Result r = berth({"run", "--bundle", b->dir(), id("flags")});
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_EQ(
            r.out,
            "mkdir: can't create directory '/x': Operation not permitted\nmkdir=1\nSeccomp:\t2\nSeccomp_filters:\t1\n");
        std::vector<std::string> lines;
        for (int i = 0; i < 50 && (lines = audit_lines(comm)).empty() && log; ++i) usleep(20000);
        if (log) {
            ASSERT_EQ(lines.size(), 1u) << "one refused mkdir, logged";
            // The action without its data: SECCOMP_RET_ERRNO.
            EXPECT_NE(lines[0].find("code=0x50000"), std::string::npos) << lines[0];
        } else {
            EXPECT_EQ(lines, std::vector<std::string>{}) << "logged without the flag";
        }
    }
    // WAIT_KILLABLE_RECV needs libseccomp 2.6; an unknown flag names the field.
    auto b = bundle({"true"});
    b->config["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_ALLOW"}, {"flags", {"SECCOMP_FILTER_FLAG_BOGUS"}}};
    b->save();
    const std::string c = id("bad-flag");
    Result r = berth({"create", "--bundle", b->dir(), c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\""), std::string::npos)
        << r.err;
}

// As runc: a syscall name libseccomp does not know is skipped, with a
// warning naming it, and the rest of the profile applies.
TEST_F(Seccomp, UnknownSyscallIsAWarningAndTheContainerRuns) {
    auto b = bundle({"sh", "-c", "mkdir /x 2>&1; echo mkdir=$?"});
    b->config["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"syscalls",
         {{{"names", {"no_such_syscall_q", "mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
    b->save();
    Result r = berth({"run", "--bundle", b->dir(), id("unknown-syscall")});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "mkdir: can't create directory '/x': Operation not permitted\nmkdir=1\n");
    EXPECT_NE(r.err.find("warning: linux.seccomp.syscalls[0].names[0]: unknown syscall \"no_such_syscall_q\" skipped"),
              std::string::npos)
        << r.err;
}

}  // namespace
}  // namespace berth::test
