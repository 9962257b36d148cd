// `berth exec` against real containers, as root: output and exit codes, the
// process's settings, --process, --detach, terminals, fds, namespaces,
// cgroups, seccomp, errors, and that the host binary stays out of reach.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace berth::test {
namespace {

using json = nlohmann::json;

class Exec : public ContainerTest {
protected:
    std::unique_ptr<Bundle> bundle(const std::vector<std::string>& args = {"sleep", "300"}) {
        static int n = 0;
        return std::make_unique<Bundle>(tmp_->path() + "/bundle" + std::to_string(n++), args);
    }
    // A created and started container running the bundle; returns its id.
    std::string running(Bundle& b) {
        const std::string c = id("exec");
        Result r = berth({"create", "--bundle", b.dir(), c});
        EXPECT_EQ(r.code, 0) << r.err;
        r = berth({"start", c});
        EXPECT_EQ(r.code, 0) << r.err;
        return c;
    }
    json state(const std::string& cid) {
        Result r = berth({"state", cid});
        EXPECT_EQ(r.code, 0) << r.err;
        return json::parse(r.out);
    }
    pid_t init_pid(const std::string& cid) { return state(cid)["pid"].get<pid_t>(); }
    std::vector<pid_t> pids(const std::string& cid) {
        Result r = berth({"ps", "--format", "json", cid});
        EXPECT_EQ(r.code, 0) << r.err;
        return json::parse(r.out).get<std::vector<pid_t>>();
    }
    // Only init is left in the container after a failed or finished exec.
    void expect_only_init(const std::string& cid) {
        std::vector<pid_t> p;
        for (int i = 0; i < 50; ++i) {
            p = pids(cid);
            if (p.size() == 1) break;
            usleep(20000);
        }
        EXPECT_EQ(p, std::vector<pid_t>{init_pid(cid)});
    }
};

std::string link_of(const std::string& path) {
    char buf[512] = {};
    ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
    return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

bool alive(pid_t pid) {
    char s = proc_state(pid);
    return s != 0 && s != 'Z';
}

TEST_F(Exec, OutputAndExitStatus) {
    auto b = bundle();
    const std::string c = running(*b);
    Result r = berth({"exec", c, "echo", "-n", "hello", "--not-a-berth-flag"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "hello --not-a-berth-flag") << "everything after the id is the command";
    r = berth({"exec", c, "sh", "-c", "exit 7"});
    EXPECT_EQ(r.code, 7) << r.err;
    r = berth({"exec", c, "sh", "-c", "kill -TERM $$"});
    EXPECT_EQ(r.code, 128 + SIGTERM) << r.err;
    r = berth({"exec", c, "sh", "-c", "kill -KILL $$"});
    EXPECT_EQ(r.code, 128 + SIGKILL) << r.err;
    // The process is in the container: its pid namespace, its hostname, its root.
    r = berth({"exec", c, "sh", "-c", "echo $$; cat /proc/1/cmdline; echo; ls /"});
    EXPECT_EQ(r.code, 0) << r.err;
    std::istringstream out(r.out);
    std::string self, one;
    std::getline(out, self);
    std::getline(out, one);
    EXPECT_GT(std::stoi(self), 1);
    EXPECT_EQ(one.substr(0, 5), std::string("sleep", 5)) << "pid 1 is the container's init";
    EXPECT_EQ(r.out.find("\nwork\n"), std::string::npos) << "not the host's root: " << r.out;
    EXPECT_NE(r.out.find("\nproc\n"), std::string::npos) << r.out;
    expect_only_init(c);
    EXPECT_EQ(state(c)["status"], "running");
}

TEST_F(Exec, EnvCwdUserAndGroups) {
    auto b = bundle();
    b->config["process"]["env"] = {"PATH=/usr/bin:/bin", "FROM_CONFIG=yes", "OVERRIDE=config"};
    b->save();
    const std::string c = running(*b);
    Result r = berth({"exec", "-e", "FOO=bar", "--env", "OVERRIDE=flag", "--cwd", "/tmp", "-u", "1000:1001", "-g", "5",
                      "--additional-gids", "6", c, "sh", "-c",
                      "echo $FOO $FROM_CONFIG $OVERRIDE; env | grep -c ^OVERRIDE=; pwd; id -u; id -g; id -G"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "bar yes flag\n1\n/tmp\n1000\n1001\n1001 5 6\n");
    // Without the flags: the config's process (root, cwd /).
    r = berth({"exec", c, "sh", "-c", "pwd; id -u; id -G"});
    EXPECT_EQ(r.out, "/\n0\n0\n") << r.err;
    r = berth({"exec", "-u", "1000", c, "id", "-u"});
    EXPECT_EQ(r.code, 0) << r.err;
}

// As runc: exec starts from the config the container was created with.
// Editing (or removing) the bundle's config.json afterwards changes nothing.
TEST_F(Exec, UsesTheConfigOfCreateNotTheBundlesCurrentOne) {
    auto b = bundle();
    b->config["process"]["env"] = {"PATH=/usr/bin:/bin", "WHEN=create"};
    b->save();
    const std::string c = running(*b);
    b->config["process"]["env"] = {"PATH=/usr/bin:/bin", "WHEN=edited"};
    b->config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
    b->save();
    Result r = berth({"exec", c, "sh", "-c", "echo $WHEN; id -u"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "create\n0\n");
    ASSERT_EQ(unlink((b->dir() + "/config.json").c_str()), 0);
    r = berth({"exec", c, "sh", "-c", "echo $WHEN"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "create\n");
}

// The session keyring: a new one named after the container, or, with
// create's --no-new-keyring, the caller's, as init got at create.
TEST_F(Exec, KeyringFollowsCreate) {
    auto b = bundle();
    // runc's default config masks /proc/keys: unmasked to see the rings.
    auto& masked = b->config["linux"]["maskedPaths"];
    masked.erase(std::remove(masked.begin(), masked.end(), "/proc/keys"), masked.end());
    b->save();
    const std::string with_ring = running(*b);
    // /proc/keys lists the keys the reader may view: the container's own
    // named session keyring is among them.
    Result r = berth({"exec", with_ring, "cat", "/proc/keys"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find(with_ring), std::string::npos) << r.out;

    const std::string none = id("nokeyring");
    r = berth({"create", "--no-new-keyring", "--bundle", b->dir(), none});
    ASSERT_EQ(r.code, 0) << r.err;
    ASSERT_EQ(berth({"start", none}).code, 0);
    r = berth({"exec", none, "cat", "/proc/keys"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.find(none), std::string::npos) << r.out;
}

// CapEff and NoNewPrivs of the exec'd process.
std::pair<unsigned long long, int> caps_and_nnp(const std::string& status) {
    unsigned long long eff = 0;
    int nnp = -1;
    std::istringstream in(status);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("CapEff:", 0) == 0) eff = std::stoull(line.substr(7), nullptr, 16);
        if (line.rfind("NoNewPrivs:", 0) == 0) nnp = std::stoi(line.substr(11));
    }
    return {eff, nnp};
}

TEST_F(Exec, CapabilitiesAndNoNewPrivs) {
    auto b = bundle();
    b->config["process"]["noNewPrivileges"] = false;
    b->save();
    const std::string c = running(*b);
    Result r = berth({"exec", c, "cat", "/proc/self/status"});
    ASSERT_EQ(r.code, 0) << r.err;
    auto [eff, nnp] = caps_and_nnp(r.out);
    const unsigned long long sys_admin = 1ULL << 21;
    EXPECT_EQ(eff & sys_admin, 0u) << "the config does not give CAP_SYS_ADMIN";
    EXPECT_EQ(nnp, 0);
    r = berth({"exec", "--cap", "CAP_SYS_ADMIN", "--no-new-privs", c, "cat", "/proc/self/status"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::tie(eff, nnp) = caps_and_nnp(r.out);
    EXPECT_NE(eff & sys_admin, 0u) << std::hex << eff;
    EXPECT_EQ(nnp, 1);
    // As runc and crun: an unknown --cap is ignored with a warning in the log
    // the client reads (conmon and the shims pass --log), naming the flag;
    // the known ones given with it still apply.
    const std::string log = tmp_->path() + "/cap.log";
    r = run_berth(root_, {"--log", log, "--log-format", "json", "exec", "--cap", "CAP_NOPE", "--cap", "CAP_SYS_ADMIN",
                          c, "cat", "/proc/self/status"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.err, "") << "a --log gets the warning, not stderr";
    std::tie(eff, nnp) = caps_and_nnp(r.out);
    EXPECT_NE(eff & sys_admin, 0u) << std::hex << eff;
    const std::string text = read_text(log);
    EXPECT_NE(text.find("\"level\":\"warning\""), std::string::npos) << text;
    EXPECT_NE(text.find("--cap: unknown capability \\\"CAP_NOPE\\\" ignored"), std::string::npos) << text;
}

// The host's directory of every hierarchy pid is in (/proc/PID/cgroup):
// cgroup2 at /sys/fs/cgroup (v2) or /sys/fs/cgroup/unified (hybrid), a v1
// one at /sys/fs/cgroup/<name> (name=systemd at .../systemd).
std::vector<std::string> all_cgroup_dirs(pid_t pid) {
    std::vector<std::string> out;
    std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/cgroup"));
    std::string line;
    while (std::getline(in, line)) {
        size_t a = line.find(':'), b = line.find(':', a + 1);
        std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        if (ctrls.empty()) out.push_back((unified_host() ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified") + path);
        else if (ctrls.rfind("name=", 0) == 0) out.push_back("/sys/fs/cgroup/" + ctrls.substr(5) + path);
        else out.push_back("/sys/fs/cgroup/" + ctrls.substr(0, ctrls.find(',')) + path);
    }
    return out;
}

// runc 1.1's exec --cgroup: PATH alone for every hierarchy, CONTROLLER:PATH
// for v1 ones; the sub-cgroup must exist. berth had no such flag.
TEST_F(Exec, IntoASubCgroup) {
    auto b = bundle();
    const std::string c = running(*b);
    const pid_t init = init_pid(c);
    const std::vector<std::string> dirs = all_cgroup_dirs(init);
    ASSERT_FALSE(dirs.empty());
    struct RemoveSubs {
        std::vector<std::string> made;
        ~RemoveSubs() {
            for (auto it = made.rbegin(); it != made.rend(); ++it) ::rmdir(it->c_str());
        }
    } subs;
    // Missing: refused naming the flag, nothing started.
    Result r = berth({"exec", "--cgroup", "sub", c, "true"});
    EXPECT_EQ(r.code, 255);
    EXPECT_NE(r.err.find("--cgroup: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("/sub does not exist"), std::string::npos) << r.err;
    expect_only_init(c);
    for (const auto& d : dirs) {
        ASSERT_EQ(::mkdir((d + "/sub").c_str(), 0755), 0) << d;
        subs.made.push_back(d + "/sub");
        // A new v1 cpuset takes no task until it has cpus and mems: its
        // maker's job (runc's exec --cgroup fails the same way).
        for (const char* f : {"/cpuset.cpus", "/cpuset.mems"})
            if (exists(d + f)) std::ofstream(d + "/sub" + f) << read_text(d + f);
    }
    r = berth({"exec", "--cgroup", "sub", c, "cat", "/proc/self/cgroup"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream lines(r.out);
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
        ++n;
        EXPECT_EQ(line.substr(line.size() - 4), "/sub") << r.out;
    }
    EXPECT_EQ(n, static_cast<int>(dirs.size())) << r.out;
    if (unified_host()) {
        r = berth({"exec", "--cgroup", "memory:sub", c, "true"});
        EXPECT_EQ(r.code, 255);
        EXPECT_NE(r.err.find("cgroup v2 has one hierarchy"), std::string::npos) << r.err;
    } else {
        // Only the memory hierarchy moves.
        const std::string mem = cgroup_dir(init, "memory");
        ASSERT_EQ(::mkdir((mem + "/m").c_str(), 0755), 0);
        subs.made.push_back(mem + "/m");
        r = berth({"exec", "--cgroup", "memory:m", c, "cat", "/proc/self/cgroup"});
        ASSERT_EQ(r.code, 0) << r.err;
        std::istringstream v1(r.out);
        while (std::getline(v1, line)) {
            const bool memory = line.find(":memory:") != std::string::npos;
            EXPECT_EQ(line.substr(line.size() - 2) == "/m", memory) << line;
        }
        r = berth({"exec", "--cgroup", "nosuch:x", c, "true"});
        EXPECT_EQ(r.code, 255);
        EXPECT_NE(r.err.find("the container has no cgroup v1 hierarchy for \"nosuch\""), std::string::npos) << r.err;
    }
    expect_only_init(c);
}

TEST_F(Exec, ProcessFile) {
    auto b = bundle();
    const std::string c = running(*b);
    const std::string file = tmp_->path() + "/process.json";
    json p = {{"args", {"sh", "-c", "echo from-file $X; pwd; id -u"}},
              {"env", {"PATH=/bin", "X=y"}},
              {"cwd", "/etc"},
              {"user", {{"uid", 2000}, {"gid", 2000}}},
              {"apparmorProfile", ""}};
    std::ofstream(file) << p.dump();
    // The file is the whole process: --cwd and the command are ignored, as runc.
    Result r = berth({"exec", "--process", file, "--cwd", "/tmp", c});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "from-file y\n/etc\n2000\n");
    p.erase("cwd");
    std::ofstream(file) << p.dump();
    r = berth({"exec", "--process", file, c});
    EXPECT_EQ(r.code, 255);
    EXPECT_NE(r.err.find("process.cwd: is required"), std::string::npos) << r.err;
    p["cwd"] = "/";
    p["args"] = "sh";
    std::ofstream(file) << p.dump();
    r = berth({"exec", "--process", file, c});
    EXPECT_NE(r.err.find("process.args: must be an array"), std::string::npos) << r.err;
    std::ofstream(file) << "{not json";
    r = berth({"exec", "--process", file, c});
    EXPECT_NE(r.err.find("process: invalid JSON"), std::string::npos) << r.err;
    r = berth({"exec", "--process", tmp_->path() + "/missing.json", c});
    EXPECT_NE(r.err.find("--process: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("no such file or directory"), std::string::npos) << r.err;
    expect_only_init(c);
}

TEST_F(Exec, DetachWithPidFile) {
    auto b = bundle();
    const std::string c = running(*b);
    const std::string pidfile = tmp_->path() + "/exec.pid";
    Result r = berth({"exec", "--detach", "--pid-file", pidfile, c, "sleep", "300"});
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string text = read_text(pidfile);
    ASSERT_EQ(text.find('\n'), std::string::npos) << "bare pid";
    const pid_t pid = std::stoi(text);
    ASSERT_TRUE(alive(pid));
    EXPECT_EQ(link_of("/proc/" + text + "/exe"), "/bin/busybox")
        << "the program runs, not berth or the stub: " << link_of("/proc/" + text + "/exe");
    // It joined the container's cgroup, in every hierarchy init is in.
    auto p = pids(c);
    EXPECT_NE(std::find(p.begin(), p.end(), pid), p.end());
    EXPECT_EQ(read_text("/proc/" + text + "/cgroup"), read_text("/proc/" + std::to_string(init_pid(c)) + "/cgroup"));
    for (const char* ns : {"mnt", "pid", "net", "ipc", "uts", "cgroup"})
        EXPECT_EQ(link_of("/proc/" + text + "/ns/" + ns), link_of("/proc/" + std::to_string(init_pid(c)) + "/ns/" + ns))
            << ns;
    EXPECT_EQ(kill(pid, SIGKILL), 0);
    for (int i = 0; i < 100 && alive(pid); ++i) usleep(20000);
    EXPECT_FALSE(alive(pid));
    expect_only_init(c);
    // -d -t without a console socket, -t without -d, and a socket without -t.
    r = berth({"exec", "-d", "-t", c, "true"});
    EXPECT_EQ(r.code, 255);
    EXPECT_NE(r.err.find("cannot allocate tty if berth will detach without setting console socket"), std::string::npos)
        << r.err;
    r = berth({"exec", "-d", "--console-socket", tmp_->path() + "/x.sock", c, "true"});
    EXPECT_NE(r.err.find("cannot use console socket if berth will not detach or allocate tty"), std::string::npos)
        << r.err;
    r = berth({"exec", "-t", "--console-socket", tmp_->path() + "/x.sock", c, "true"});
    EXPECT_NE(r.err.find("cannot use console socket if berth will not detach or allocate tty"), std::string::npos)
        << r.err;
}

TEST_F(Exec, TerminalThroughConsoleSocket) {
    auto b = bundle();
    const std::string c = running(*b);
    ConsoleSocket console(tmp_->path() + "/console.sock");
    Result r =
        berth({"exec", "-t", "-d", "--console-socket", console.path(), c, "sh", "-c", "tty; echo on-the-pty; sleep 1"});
    ASSERT_EQ(r.code, 0) << r.err;
    const int master = console.take_master();
    ASSERT_GE(master, 0);
    const std::string out = read_pty_until(master, "on-the-pty");
    close(master);
    EXPECT_NE(out.find("/dev/pts/"), std::string::npos) << out;
    EXPECT_NE(out.find("on-the-pty"), std::string::npos) << out;
}

// -t without --detach: berth relays the pty to its own stdio, as runc does.
TEST_F(Exec, TerminalRelayedWhenNotDetached) {
    auto b = bundle();
    const std::string c = running(*b);
    Result r = berth({"exec", "-t", c, "sh", "-c", "tty; test -t 0 && echo stdin-is-a-tty; exit 3"});
    EXPECT_EQ(r.code, 3) << r.err;
    EXPECT_NE(r.out.find("/dev/pts/"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("stdin-is-a-tty"), std::string::npos) << r.out;
    r = berth({"exec", "-t", c, "sh", "-c", "kill -TERM $$"});
    EXPECT_EQ(r.code, 128 + SIGTERM) << r.err;
    expect_only_init(c);
}

TEST_F(Exec, PreserveFds) {
    auto b = bundle();
    const std::string c = running(*b);
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    int rd = fcntl(p[0], F_DUPFD_CLOEXEC, 10), wr = fcntl(p[1], F_DUPFD_CLOEXEC, 10);
    close(p[0]);
    close(p[1]);
    ASSERT_EQ(dup2(wr, 3), 3);
    close(wr);
    // fd 4 is open in berth too, but not preserved: it must not reach the process.
    std::vector<int> keep = {3};
    if (fcntl(4, F_GETFD) < 0 && dup2(3, 4) == 4) keep.push_back(4);
    Result r =
        berth({"exec", "--preserve-fds", "1", c, "sh", "-c", "echo through-fd3 >&3; ls /proc/$$/fd; true"}, {}, keep);
    close(3);
    if (keep.size() > 1) close(4);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "0\n1\n2\n3\n") << "only stdio and the preserved fd";
    char buf[64] = {};
    EXPECT_GT(read(rd, buf, sizeof buf - 1), 0);
    close(rd);
    EXPECT_STREQ(buf, "through-fd3\n");
    r = berth({"exec", "--preserve-fds", "3", c, "true"});
    EXPECT_EQ(r.code, 255);
    EXPECT_NE(r.err.find("--preserve-fds: fd 3 is not open"), std::string::npos) << r.err;
}

TEST_F(Exec, UserAndTimeNamespaces) {
    auto b = bundle();
    b->config["linux"]["namespaces"].push_back({{"type", "user"}});
    b->config["linux"]["namespaces"].push_back({{"type", "time"}});
    b->config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    b->config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    b->config["linux"]["timeOffsets"] = {{"boottime", {{"secs", 86400 * 365}}}};
    b->save();
    const std::string c = running(*b);
    Result r = berth({"exec", "-u", "1000", c, "sh", "-c", "id -u; cat /proc/self/uid_map; cut -d. -f1 /proc/uptime"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream out(r.out);
    std::string uid, uid_map, uptime;
    std::getline(out, uid);
    std::getline(out, uid_map);
    std::getline(out, uptime);
    EXPECT_EQ(uid, "1000");
    EXPECT_NE(uid_map.find("100000"), std::string::npos) << uid_map;
    EXPECT_GT(std::stol(uptime), 86400L * 365) << "the container's boottime offset: " << uptime;
    const std::string pidfile = tmp_->path() + "/exec.pid";
    r = berth({"exec", "-d", "--pid-file", pidfile, c, "sleep", "300"});
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string pid = read_text(pidfile);
    const std::string init = std::to_string(init_pid(c));
    for (const char* ns : {"user", "mnt", "pid", "time", "net", "ipc", "uts", "cgroup"})
        EXPECT_EQ(link_of("/proc/" + pid + "/ns/" + ns), link_of("/proc/" + init + "/ns/" + ns)) << ns;
    // Container root is host uid 100000.
    std::string status = read_text("/proc/" + pid + "/status");
    EXPECT_NE(status.find("Uid:\t100000\t100000\t100000\t100000"), std::string::npos) << status;
    kill(std::stoi(pid), SIGKILL);
}

TEST_F(Exec, SeccompOfTheContainerApplies) {
    auto b = bundle();
    b->config["linux"]["seccomp"] = {
        {"defaultAction", "SCMP_ACT_ALLOW"},
        {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"}},
        {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
    b->config["process"]["noNewPrivileges"] = false;
    b->save();
    const std::string c = running(*b);
    for (bool nnp : {true, false}) {
        std::vector<std::string> args = {"exec"};
        if (nnp) args.push_back("--no-new-privs");
        for (const char* a :
             {c.c_str(), "sh", "-c",
              "mkdir /tmp/blocked 2>&1; echo mkdir=$?; grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status"})
            args.push_back(a);
        Result r = berth(args);
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_NE(r.out.find("Operation not permitted"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("mkdir=1"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("Seccomp:\t2"), std::string::npos) << r.out;
        // Only --no-new-privs (or the config) sets it, never the filter.
        EXPECT_NE(r.out.find(nnp ? "NoNewPrivs:\t1" : "NoNewPrivs:\t0"), std::string::npos) << r.out;
        EXPECT_FALSE(exists(b->rootfs() + "/tmp/blocked"));
    }
}

// Deny by default, as Docker's and podman's profiles do: the helper's last
// steps and the stub must need nothing beyond an ordinary allowlist.
TEST_F(Exec, SeccompAllowlist) {
    auto b = bundle();
    b->config["linux"]["seccomp"] = seccomp_allowlist({"nanosleep", "clock_nanosleep"});
    b->save();
    const std::string c = running(*b);
    Result r = berth({"exec", c, "sh", "-c", "echo allowed; grep Seccomp: /proc/self/status"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "allowed\nSeccomp:\t2\n");
}

TEST_F(Exec, Errors) {
    auto b = bundle();
    const std::string c = running(*b);
    Result r = berth({"exec", c, "nope"});
    EXPECT_EQ(r.code, 255);
    EXPECT_NE(r.err.find("exec failed: exec: \"nope\": executable file not found in $PATH"), std::string::npos)
        << r.err;
    r = berth({"exec", c, "/bin/nope"});
    EXPECT_NE(r.err.find("exec: /bin/nope: no such file or directory"), std::string::npos) << r.err;
    r = berth({"exec", "--cwd", "/nonexistent", c, "true"});
    EXPECT_EQ(r.code, 255);
    EXPECT_NE(r.err.find("process.cwd: chdir /nonexistent: no such file or directory"), std::string::npos) << r.err;
    r = berth({"exec", "-u", "root", c, "true"});
    EXPECT_EQ(r.code, 255);
    EXPECT_NE(r.err.find("--user: \"root\""), std::string::npos) << r.err;
    r = berth({"exec", "-e", "NOEQUALS", c, "true"});
    EXPECT_NE(r.err.find("--env: \"NOEQUALS\" is not of the form KEY=VALUE"), std::string::npos) << r.err;
    r = berth({"exec", c});
    EXPECT_EQ(r.code, 255);
    EXPECT_NE(r.err.find("process args cannot be empty"), std::string::npos) << r.err;
    r = berth({"exec", "--bogus", c, "true"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("unknown flag --bogus"), std::string::npos) << r.err;
    r = berth({"exec"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("missing argument"), std::string::npos) << r.err;
    r = berth({"exec", "no-such-container", "true"});
    EXPECT_EQ(r.code, 255);
    EXPECT_NE(r.err.find("container does not exist"), std::string::npos) << r.err;
    expect_only_init(c);

    ASSERT_EQ(berth({"kill", c, "KILL"}).code, 0);
    for (int i = 0; i < 100 && state(c)["status"] != "stopped"; ++i) usleep(20000);
    r = berth({"exec", c, "true"});
    EXPECT_EQ(r.code, 255);
    EXPECT_NE(r.err.find("cannot exec in a stopped container"), std::string::npos) << r.err;
}

TEST_F(Exec, IntoACreatedContainer) {
    auto b = bundle({"sh", "-c", "echo init-ran"});
    const std::string c = id("created");
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), c}).code, 0);
    Result r = berth({"exec", c, "cat", "/proc/1/comm"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "berth-init\n") << "init still waits in the stub";
    EXPECT_EQ(state(c)["status"], "created");
}

// berth killed at each step: the helper dies with it, the container goes on.
TEST_F(Exec, CrashAtEachStepLeavesNoHelper) {
    auto b = bundle();
    const std::string c = running(*b);
    if (!has_fault_points(root_, c, tmp_->path())) GTEST_SKIP() << "needs a build with -Dfault_injection=true";
    const std::string trace = tmp_->path() + "/steps.trace";
    ASSERT_EQ(berth({"exec", c, "true"}, {"BERTH_FAULT_TRACE=" + trace}).code, 0);
    std::istringstream steps(read_text(trace));
    std::vector<std::string> names;
    for (std::string step; std::getline(steps, step);) names.push_back(step);
    EXPECT_EQ(names, (std::vector<std::string>{"exec.state-read", "exec.cgroup-joined", "exec.namespaces-joined",
                                               "exec.process-ready", "exec.started"}));
    for (const auto& step : names) {
        Result r = berth({"exec", c, "true"}, {"BERTH_FAULT_AT=" + step});
        EXPECT_EQ(r.code, 128 + SIGKILL) << step << ": " << r.err;
        expect_only_init(c);
        EXPECT_EQ(state(c)["status"], "running") << step;
        r = berth({"exec", c, "echo", "still-works"});
        EXPECT_EQ(r.out, "still-works\n") << step << ": " << r.err;
    }
}

// exec holds the container's lock (shared) until its process is in the
// container: a delete waits for it, and is not held up by the process.
TEST_F(Exec, DeleteWaitsForAnExecBeingSetUp) {
    auto b = bundle();
    const std::string c = running(*b);
    if (!has_fault_points(root_, c, tmp_->path())) GTEST_SKIP() << "needs a build with -Dfault_injection=true";
    const std::string fifo = tmp_->path() + "/hold";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    // The first step's trace write blocks in open() until we read the fifo.
    Result exec_r, delete_r;
    std::atomic<bool> deleted{false};
    std::thread exec_t([&] { exec_r = berth({"exec", c, "sleep", "1"}, {"BERTH_FAULT_TRACE=" + fifo}); });
    usleep(300000);
    std::thread delete_t([&] {
        delete_r = berth({"delete", "--force", c});
        deleted = true;
    });
    usleep(700000);
    EXPECT_FALSE(deleted) << "delete went ahead while exec was joining: " << delete_r.err;
    EXPECT_TRUE(exists(root_ + "/" + c));
    int fd = open(fifo.c_str(), O_RDONLY);
    std::thread drain([fd] {
        char buf[256];
        while (read(fd, buf, sizeof buf) > 0) {
        }
    });
    exec_t.join();
    delete_t.join();
    // A fifo read end stays open until every step was written.
    int w = open(fifo.c_str(), O_WRONLY);
    close(w);
    drain.join();
    close(fd);
    // Either the exec got in before the delete (and was then killed with the
    // container: 137) or it found the container gone; never a half-joined helper.
    EXPECT_TRUE(exec_r.code == 128 + SIGKILL || exec_r.code == 0) << exec_r.code << " " << exec_r.err;
    EXPECT_EQ(delete_r.code, 0) << delete_r.err;
}

// A script whose interpreter is /proc/self/exe, the CVE-2019-5736 trick: run
// by the exec'd process while it is still the stub, it must reach the sealed
// stub again, never the host's berth binary.
TEST_F(Exec, ProcSelfExeIsTheStubNotBerth) {
    auto b = bundle();
    std::ofstream(b->rootfs() + "/selfexe") << "#!/proc/self/exe\n";
    chmod((b->rootfs() + "/selfexe").c_str(), 0755);
    const std::string c = running(*b);
    Result r = berth({"exec", c, "/selfexe"});
    EXPECT_EQ(r.code, 127) << r.out << r.err;
    EXPECT_NE(r.err.find("berth init: bad arguments"), std::string::npos) << "the stub ran: " << r.err;
    EXPECT_EQ(r.err.find("usage"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("unknown command"), std::string::npos) << r.err;
}

// While berth sets the process up in the container, the helper runs the host's
// berth binary: a process of the container (root, the default capabilities)
// must not be able to read /proc/<helper>/exe or open it for writing. The
// helper is held at its last step by stopping berth there (BERTH_FAULT_STOP).
TEST_F(Exec, HostBinaryOutOfReachDuringSetup) {
    auto b = bundle();
    const std::string c = running(*b);
    if (!has_fault_points(root_, c, tmp_->path()))
        GTEST_SKIP() << "needs a build with -Dfault_injection=true to hold exec mid-setup";

    bool checked = false;
    HeldExec held(root_, "exec.process-ready", {c, "sleep", "1"});
    ASSERT_TRUE(held.held()) << "berth did not stop at exec.process-ready";
    const pid_t helper = held.helper;
    {
        const std::string exe = link_of("/proc/" + std::to_string(helper) + "/exe");
        // Held before its last step, the helper still runs berth: the case to check.
        EXPECT_EQ(exe, BERTH_BIN);
        const pid_t nspid = ns_pid(helper);
        EXPECT_GT(nspid, 0);
        if (exe == BERTH_BIN && nspid > 0) {
            const std::string n = std::to_string(nspid);
            Result r = berth({"exec", c, "sh", "-c",
                              "readlink /proc/" + n +
                                  "/exe; echo readlink=$?; "
                                  "echo x 2>/dev/null >>/proc/" +
                                  n +
                                  "/exe; echo write=$?; "
                                  "cat /proc/" +
                                  n + "/comm"});
            EXPECT_EQ(r.code, 0) << r.err;
            // Nothing read through the link, the write refused, and the
            // helper itself visible (its comm): the right process was tried.
            EXPECT_EQ(r.out, "readlink=1\nwrite=1\nberth\n") << r.err;
            checked = true;
        }
    }
    const int status = held.release();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exec went on once released: " << status;
    EXPECT_TRUE(checked) << "could not hold the helper before its last step";
    expect_only_init(c);
}

}  // namespace
}  // namespace berth::test
