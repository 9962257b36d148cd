// berth run by a user who is not root (docs/rootless.md), against real
// containers: the test, as root, drops to the user with setpriv and gives it
// an XDG_RUNTIME_DIR and a HOME of its own.
//
// The user is $BERTH_ROOTLESS_USER (tests/scripts/rootless.sh makes one with
// /etc/subuid and /etc/subgid ranges), else nobody (65534), who has none:
// what needs the ranges (newuidmap) then says so; with
// BERTH_TEST_REQUIRE_SUBUID=1 it fails instead. The delegated cgroup v2
// test runs where /sys/fs/cgroup is cgroup v2 (the guest tier), and fails
// there rather than skip with BERTH_TEST_REQUIRE_DELEGATION=1.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace berth::test;

namespace {

struct User {
    std::string name;
    uid_t uid = 65534;
    gid_t gid = 65534;
};

User test_user() {
    const char* name = std::getenv("BERTH_ROOTLESS_USER");
    const struct passwd* pw = getpwnam(name && *name ? name : "nobody");
    if (!pw) return {};
    return {pw->pw_name, pw->pw_uid, pw->pw_gid};
}

// "NAME:START:COUNT" of /etc/subuid (or subgid) for the user; {} when none.
std::vector<std::string> sub_ids(const std::string& file, const User& u) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string who, start, count;
        std::getline(fields, who, ':');
        std::getline(fields, start, ':');
        std::getline(fields, count, ':');
        if (who == u.name || who == std::to_string(u.uid)) return {start, count};
    }
    return {};
}

void chown_tree(const std::string& path, const User& u) {
    for (auto it = fs::recursive_directory_iterator(path); it != fs::recursive_directory_iterator(); ++it)
        lchown(it->path().c_str(), u.uid, u.gid);
    lchown(path.c_str(), u.uid, u.gid);
}

class Rootless : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "the test drops from root to the user itself";
        user_ = test_user();
        ASSERT_FALSE(user_.name.empty()) << "no such user: " << (std::getenv("BERTH_ROOTLESS_USER") ?: "nobody");
        tmp_ = std::make_unique<TempDir>("berth-rootless");
        home_ = tmp_->path() + "/home";
        xdg_ = tmp_->path() + "/xdg";
        fs::create_directories(home_);
        fs::create_directories(xdg_);
        chmod(xdg_.c_str(), 0700);
        chown_tree(tmp_->path(), user_);
        chmod(tmp_->path().c_str(), 0755);
        // The user runs the build tree's berth with its plugins: a checkout
        // under a directory only root may enter (mktemp -d's 0700) is a setup
        // error to name, not a dozen failures of berth's.
        Result reach = run_program({"/usr/bin/setpriv", "--reuid", std::to_string(user_.uid), "--regid",
                                    std::to_string(user_.gid), "--clear-groups", "/bin/sh", "-c",
                                    "test -x \"$0\" && test -r \"$1\"", BERTH_BIN, BERTH_TEST_PLUGIN_CONFIG},
                                   {});
        ASSERT_EQ(reach.code, 0) << "setup: " << user_.name << " cannot run " << BERTH_BIN << " or read "
                                 << BERTH_TEST_PLUGIN_CONFIG << ": a directory above them is closed to other users";
    }
    void TearDown() override {
        for (const auto& id : ids_) as_user({"delete", "--force", id});
        if (tmp_) {
            // Nothing of a container may be left: no state dir, no process.
            std::error_code ec;
            std::vector<std::string> left;
            for (auto& e : fs::directory_iterator(xdg_ + "/berth", ec)) left.push_back(e.path());
            EXPECT_EQ(left, std::vector<std::string>{}) << "state left in $XDG_RUNTIME_DIR/berth";
            for (const auto& id : ids_) EXPECT_EQ(leftovers(xdg_ + "/berth", id), std::vector<std::string>{}) << id;
        }
    }
    // berth as the user, with the build tree's plugins unless `plugins` is "".
    Result as_user(const std::vector<std::string>& args, const std::string& plugins = BERTH_TEST_PLUGIN_CONFIG,
                   const std::vector<std::string>& env = {}) {
        std::vector<std::string> e = {"XDG_RUNTIME_DIR=" + xdg_, "HOME=" + home_};
        e.insert(e.end(), env.begin(), env.end());
        return run_program(user_argv(args, plugins), e);
    }
    // The command line of as_user: setpriv to the user, then berth.
    std::vector<std::string> user_argv(const std::vector<std::string>& args,
                                       const std::string& plugins = BERTH_TEST_PLUGIN_CONFIG) const {
        std::vector<std::string> argv = {
            "/usr/bin/setpriv", "--reuid", std::to_string(user_.uid), "--regid", std::to_string(user_.gid),
            "--clear-groups",   BERTH_BIN};
        if (!plugins.empty()) argv.insert(argv.end(), {"--plugin-config", plugins});
        argv.insert(argv.end(), args.begin(), args.end());
        return argv;
    }
    // A bundle of the user's: a busybox rootfs and `berth spec --rootless`
    // made as the user, running `args`.
    std::string bundle(const std::vector<std::string>& args, const std::function<void(json&)>& edit = {}) {
        static int n = 0;
        const std::string dir = tmp_->path() + "/bundle" + std::to_string(n++);
        Bundle b(dir, args);
        fs::remove(dir + "/config.json");
        chown_tree(dir, user_);
        Result r = as_user({"spec", "--rootless", "--bundle", dir});
        EXPECT_EQ(r.code, 0) << r.err;
        json c = json::parse(read_text(dir + "/config.json"));
        c["process"]["terminal"] = false;
        c["process"]["args"] = args;
        if (edit) edit(c);
        std::ofstream(dir + "/config.json") << c.dump(2);
        return dir;
    }
    std::string id(const std::string& prefix = "rl") {
        ids_.push_back(unique_id(prefix));
        return ids_.back();
    }

    User user_;
    std::unique_ptr<TempDir> tmp_;
    std::string home_, xdg_;
    std::vector<std::string> ids_;
};

TEST_F(Rootless, RunsABundleFromSpecRootless) {
    const std::string b = bundle({"sh", "-c", "id -u; id -g; tr -s ' ' < /proc/self/uid_map; ls /dev/null; exit 3"});
    Result r = as_user({"run", "--bundle", b, id()});
    EXPECT_EQ(r.code, 3) << r.err;
    EXPECT_EQ(r.out, "0\n0\n 0 " + std::to_string(user_.uid) + " 1\n/dev/null\n") << r.err;
    // The state lives in the user's runtime dir, 0700, and nothing in /run.
    struct stat sb {};
    ASSERT_EQ(stat((xdg_ + "/berth").c_str(), &sb), 0);
    EXPECT_EQ(sb.st_uid, user_.uid);
}

// Init must stay open to the user (dumpable) until create has written its
// gid_map too. Once the uid_map is written init's own euid reads 0, so init
// may not decide from it: a create that init overtook (a TCG guest in CI)
// could not open the gid_map. The test makes that order certain (a test
// build): init is held before its choice and create after the uid_map; init
// goes on first, to its wait for the spec, then create.
TEST_F(Rootless, InitWaitsForBothMapsEvenIfCreateIsSlow) {
    const std::string b = bundle({"true"});
    const std::string c = id();
    std::vector<std::string> argv_s = user_argv({"create", "--bundle", b, c});
    std::vector<std::string> env_s = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "XDG_RUNTIME_DIR=" + xdg_, "HOME=" + home_,
                                      "BERTH_FAULT_STOP=create.init.cloned,create.uid-map-written"};
    std::vector<char*> argv, envp;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    const pid_t creator = fork();
    if (creator == 0) {
        const int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
    ASSERT_GT(creator, 0);
    int status = 0;
    ASSERT_EQ(waitpid(creator, &status, WUNTRACED), creator);
    ASSERT_TRUE(WIFSTOPPED(status)) << "create did not stop at create.uid-map-written (a -Dfault_injection build?)";
    const std::string cs = std::to_string(creator);
    const pid_t init = std::atoi(read_text("/proc/" + cs + "/task/" + cs + "/children").c_str());
    // Init's syscall: a number, then its arguments (/proc/PID/syscall).
    auto in_syscall = [&](std::initializer_list<long> calls) {
        const std::string now = read_text("/proc/" + std::to_string(init) + "/syscall");
        for (long call : calls)
            if (now.starts_with(std::to_string(call) + " ")) return true;
        return false;
    };
    auto wait_for = [&](std::initializer_list<long> calls) {
        for (int i = 0; i < 500; ++i) {
            if (in_syscall(calls)) return true;
            usleep(10000);
        }
        return false;
    };
    // Held at create.init.cloned (pid 1 of its namespace: in sigsuspend).
    bool held = init > 0 && wait_for({SYS_rt_sigsuspend});
    EXPECT_TRUE(held) << "init was not held at create.init.cloned";
    if (init > 0) kill(init, SIGCONT);
    EXPECT_TRUE(held && wait_for({SYS_read, SYS_recvmsg})) << "init never waited for the spec";
    kill(creator, SIGCONT);
    ASSERT_EQ(waitpid(creator, &status, 0), creator);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "create failed: wait status " << status;
    EXPECT_EQ(json::parse(as_user({"state", c}).out)["status"], "created");
    EXPECT_EQ(as_user({"delete", "--force", c}).code, 0);
}

TEST_F(Rootless, EveryVerbAsTheUser) {
    const std::string b = bundle({"sleep", "300"});
    const std::string c = id();
    ASSERT_EQ(as_user({"create", "--bundle", b, c}).code, 0);
    EXPECT_EQ(json::parse(as_user({"state", c}).out)["status"], "created");
    ASSERT_EQ(as_user({"start", c}).code, 0);
    const json st = json::parse(as_user({"state", c}).out);
    EXPECT_EQ(st["status"], "running");
    Result r = as_user({"exec", c, "sh", "-c", "id -u; echo $HOME"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "0\n/root\n");
    // exec with a terminal, over a console socket the user made.
    ConsoleSocket console(tmp_->path() + "/console.sock");
    chown((tmp_->path() + "/console.sock").c_str(), user_.uid, user_.gid);
    r = as_user(
        {"exec", "-t", "-d", "--console-socket", tmp_->path() + "/console.sock", c, "sh", "-c", "tty; sleep 1"});
    EXPECT_EQ(r.code, 0) << r.err;
    const int master = console.take_master();
    EXPECT_GE(master, 0);
    if (master >= 0) {
        EXPECT_NE(read_pty_until(master, "/dev/pts/").find("/dev/pts/"), std::string::npos);
        close(master);
    }
    r = as_user({"list", "--format", "json"});
    EXPECT_NE(r.out.find("\"" + c + "\""), std::string::npos) << r.out << r.err;
    // ps: without a cgroup (this host's cgroup v1 is not delegated), the
    // processes of the container's own pid namespace.
    r = as_user({"ps", "--format", "json", c});
    EXPECT_EQ(r.code, 0) << r.err;
    const json pids = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(pids.is_array()) << r.out;
    EXPECT_NE(std::find(pids.begin(), pids.end(), st["pid"]), pids.end()) << r.out;
    EXPECT_EQ(as_user({"kill", "--all", c, "KILL"}).code, 0);
    for (int i = 0; i < 100 && json::parse(as_user({"state", c}).out)["status"] != "stopped"; ++i) usleep(20000);
    EXPECT_EQ(as_user({"delete", c}).code, 0);
    EXPECT_EQ(as_user({"features"}).code, 0);
}

TEST_F(Rootless, RefusedClearlyLeavingNothing) {
    struct Case {
        const char* name;
        std::function<void(json&)> edit;
        std::string error;
    };
    const bool delegated_v2 = unified_host() && std::getenv("BERTH_TEST_REQUIRE_DELEGATION");
    std::vector<Case> cases = {
        {"no user namespace",
         [](json& c) {
             json kept = json::array();
             for (auto& ns : c["linux"]["namespaces"])
                 if (ns["type"] != "user") kept.push_back(ns);
             c["linux"]["namespaces"] = kept;
             c["linux"].erase("uidMappings");
             c["linux"].erase("gidMappings");
         },
         "linux.namespaces: a rootless container needs a user namespace"},
        {"a hard limit above the user's",
         [](json& c) {
             c["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", 1u << 30}}};
         },
         "process.rlimits RLIMIT_NOFILE"},
        {"a program that is not there", [](json& c) { c["process"]["args"] = {"/no/such/program"}; },
         "exec: /no/such/program: no such file or directory"},
        {"a mapping of another user's id",
         [](json& c) {
             c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 0}, {"size", 1}}};
         },
         "linux.uidMappings"},
    };
    if (!delegated_v2)
        cases.push_back({"limits without a delegated cgroup",
                         [](json& c) {
                             c["linux"]["resources"] = {{"memory", {{"limit", 67108864}}}};
                         },
                         "linux.resources.memory: a rootless container cannot be given limits here"});
    for (const Case& k : cases) {
        SCOPED_TRACE(k.name);
        const std::string b = bundle({"true"}, k.edit);
        const std::string c = id("refused");
        Result r = as_user({"run", "--bundle", b, c});
        EXPECT_NE(r.code, 0) << r.out;
        EXPECT_NE(r.err.find(k.error), std::string::npos) << r.err;
        EXPECT_EQ(leftovers(xdg_ + "/berth", c, b + "/rootfs"), std::vector<std::string>{});
    }
}

TEST_F(Rootless, MappingsOfTheUsersRangesThroughNewuidmap) {
    const auto uids = sub_ids("/etc/subuid", user_), gids = sub_ids("/etc/subgid", user_);
    if (uids.empty() || gids.empty() || access("/usr/bin/newuidmap", X_OK) != 0) {
        if (std::getenv("BERTH_TEST_REQUIRE_SUBUID"))
            FAIL() << user_.name << " has no /etc/subuid range, or no newuidmap";
        GTEST_SKIP() << user_.name << " has no /etc/subuid and /etc/subgid range (tests/scripts/rootless.sh makes one)";
    }
    const std::string b =
        bundle({"sh", "-c", "tr -s ' ' < /proc/self/uid_map; tr -s ' ' < /proc/self/gid_map"}, [&](json& c) {
            for (const char* key : {"uidMappings", "gidMappings"}) {
                const auto& range = key[0] == 'u' ? uids : gids;
                c["linux"][key] = {{{"containerID", 0}, {"hostID", key[0] == 'u' ? user_.uid : user_.gid}, {"size", 1}},
                                   {{"containerID", 1}, {"hostID", std::stoul(range[0])}, {"size", 1000}}};
            }
        });
    Result r = as_user({"run", "--bundle", b, id()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, " 0 " + std::to_string(user_.uid) + " 1\n 1 " + uids[0] + " 1000\n 0 " +
                         std::to_string(user_.gid) + " 1\n 1 " + gids[0] + " 1000\n");
    // A range that is not the user's is refused naming the mapping.
    const std::string bad = bundle({"true"}, [&](json& c) {
        c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", user_.uid}, {"size", 1}},
                                     {{"containerID", 1}, {"hostID", 1}, {"size", 10}}};
    });
    r = as_user({"run", "--bundle", bad, id()});
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("linux.uidMappings: 0:" + std::to_string(user_.uid) + ":1 1:1:10: newuidmap refused them"),
              std::string::npos)
        << r.err;
}

// A plugin file is trusted when root's, or the user's with the user's own
// config; a root-owned config never loads a user-owned plugin.
TEST_F(Rootless, PluginsOfTheUsersOwnConfig) {
    const std::string dir = home_ + "/plugins";
    fs::create_directories(dir);
    const std::string so = std::string(BERTH_BUILD_ROOT) + "/plugins/cgroup-pids/berth-cgroup-pids.so";
    fs::copy_file(so, dir + "/berth-cgroup-pids.so");
    chmod((dir + "/berth-cgroup-pids.so").c_str(), 0755);
    const std::string yaml =
        "plugin_dirs: [" + dir + "]\nplugins:\n  - {name: cgroup-pids, file: berth-cgroup-pids.so}\n";
    fs::create_directories(home_ + "/.config/berth");
    std::ofstream(home_ + "/.config/berth/plugins.yaml") << yaml;
    chown_tree(home_, user_);
    // Found in ~/.config without --plugin-config, and trusted.
    Result r = as_user({"plugins", "list", "--format", "json"}, "");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("cgroup-pids"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("\"error\""), std::string::npos) << r.out;
    // The same list in a root-owned config: the user's file is refused.
    const std::string root_cfg = tmp_->path() + "/root-config.yaml";
    std::ofstream(root_cfg) << yaml;
    chown(root_cfg.c_str(), 0, 0);
    r = as_user({"plugins", "list", "--format", "json"}, root_cfg);
    EXPECT_NE(r.out.find("not owned by root"), std::string::npos) << r.out << r.err;
}

// Where cgroup v2 is delegated to the user (a subtree it owns, as systemd's
// user@.service gives one), the container's cgroup is made there and every
// limit, update, pause/resume and events work.
TEST_F(Rootless, DelegatedCgroupV2SubtreeEnforcesLimits) {
    if (!unified_host()) {
        if (std::getenv("BERTH_TEST_REQUIRE_DELEGATION")) FAIL() << "cgroup v2 is not /sys/fs/cgroup here";
        GTEST_SKIP() << "needs cgroup v2 at /sys/fs/cgroup (the guest tier runs it)";
    }
    const std::string sub = "/sys/fs/cgroup/berth-rootless-" + std::to_string(getpid());
    ASSERT_EQ(mkdir(sub.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((sub + "/shell").c_str(), 0755), 0);
    std::ofstream(sub + "/cgroup.subtree_control") << "+memory +pids";
    for (const char* f : {"", "/cgroup.procs", "/cgroup.subtree_control", "/shell", "/shell/cgroup.procs"})
        chown((sub + f).c_str(), user_.uid, user_.gid);
    const std::string b = bundle({"sleep", "300"}, [](json& c) {
        c["linux"]["resources"] = {{"memory", {{"limit", 67108864}}}, {"pids", {{"limit", 32}}}};
    });
    const std::string c = id();
    // As a user's shell would be: in a leaf of its delegated subtree.
    std::vector<std::string> argv = {"/bin/sh", "-c", "echo $$ > " + sub + "/shell/cgroup.procs && exec \"$@\"", "sh"};
    const std::vector<std::string> run = user_argv({"run", "-d", "--bundle", b, c});
    argv.insert(argv.end(), run.begin(), run.end());
    Result r = run_program(argv, {"XDG_RUNTIME_DIR=" + xdg_, "HOME=" + home_});
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string leaf = sub + "/berth/" + c;
    EXPECT_EQ(read_text(leaf + "/memory.max"), "67108864\n");
    EXPECT_EQ(read_text(leaf + "/pids.max"), "32\n");
    EXPECT_EQ(as_user({"update", "--memory", "128m", c}).code, 0);
    EXPECT_EQ(read_text(leaf + "/memory.max"), "134217728\n");
    ASSERT_EQ(as_user({"pause", c}).code, 0);
    EXPECT_EQ(json::parse(as_user({"state", c}).out)["status"], "paused");
    ASSERT_EQ(as_user({"resume", c}).code, 0);
    r = as_user({"events", "--stats", c});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("\"memory\""), std::string::npos) << r.out;
    EXPECT_EQ(as_user({"delete", "--force", c}).code, 0);
    EXPECT_FALSE(fs::exists(leaf));
    EXPECT_FALSE(fs::exists(sub + "/berth")) << "the default parent goes with its last container";
    rmdir((sub + "/shell").c_str());
    rmdir(sub.c_str());
}

}  // namespace
