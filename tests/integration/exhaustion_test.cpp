// Resource exhaustion: a fork bomb inside its pids limit, and configs with
// 10,000 mounts, 10,000 env entries or 100 MB of text. berth either works or
// names the problem, with its own peak memory bounded, and leaves nothing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "harness.hpp"

namespace berth::test {
namespace {

using json = nlohmann::json;

struct Measured {
    Result r;
    long max_rss_kb = 0;  // peak RSS of berth (and any child it reaped)
    double seconds = 0;
};

// Like run_berth, but waits with wait4 to read berth's peak RSS.
Measured run_measured(const std::string& root, const std::vector<std::string>& args, int timeout_s = 120) {
    std::vector<std::string> argv_s = {BERTH_BIN, "--root", root, "--plugin-config", BERTH_TEST_PLUGIN_CONFIG};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) throw std::runtime_error("pipe");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(a.data());
        argv.push_back(nullptr);
        char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
        char* envp[] = {path, nullptr};
        execve(argv[0], argv.data(), envp);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    Measured m;
    for (int fd : {out[0], err[0]}) fcntl(fd, F_SETFL, O_NONBLOCK);
    struct pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    auto drain = [&] {
        for (int i = 0; i < 2; ++i) {
            if (p[i].fd < 0) continue;
            char buf[65536];
            ssize_t n;
            while ((n = read(p[i].fd, buf, sizeof buf)) > 0) {
                std::string& s = i == 0 ? m.r.out : m.r.err;
                if (s.size() < (1u << 20)) s.append(buf, static_cast<size_t>(n));
            }
            if (n == 0) p[i].fd = -1;
        }
    };
    int status = 0;
    struct rusage ru {};
    time_t deadline = time(nullptr) + timeout_s;
    for (;;) {
        poll(p, 2, 20);
        drain();
        if (wait4(pid, &status, WNOHANG, &ru) == pid) break;
        if (time(nullptr) >= deadline) {
            kill(pid, SIGKILL);
            wait4(pid, &status, 0, &ru);
            m.r.err += "\n[test: berth timed out after " + std::to_string(timeout_s) + "s]";
            break;
        }
    }
    for (int i = 0; i < 10 && (p[0].fd >= 0 || p[1].fd >= 0); ++i) {
        poll(p, 2, 10);
        drain();
    }
    close(out[0]);
    close(err[0]);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    m.r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    m.max_rss_kb = ru.ru_maxrss;
    m.seconds = static_cast<double>(t1.tv_sec - t0.tv_sec) + static_cast<double>(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return m;
}

long file_kb(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    return static_cast<long>(in.tellg()) / 1024;
}

bool unified_host() {
    struct statfs fs;
    return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

// The container's pids cgroup dir, from the host's view (v1 or v2).
std::string pids_cgroup_dir(const std::string& pid) {
    std::istringstream in(read_text("/proc/" + pid + "/cgroup"));
    std::string line;
    while (std::getline(in, line)) {
        size_t a = line.find(':'), b = line.find(':', a + 1);
        std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        if (unified_host() && ctrls.empty()) return "/sys/fs/cgroup" + path;
        if (!unified_host() && ("," + ctrls + ",").find(",pids,") != std::string::npos) return "/sys/fs/cgroup/pids" + path;
    }
    return "";
}

// What berth itself needs with a small config, to compare against.
constexpr long kBaselineKb = 64 * 1024;

// Peak RSS against the bound; a sanitizer build only runs the case (its RSS
// is ASan's shadow and quarantine, not berth's) and says so.
void expect_rss_within(long max_rss_kb, long input_kb) {
#ifdef BERTH_TEST_SANITIZED
    std::printf("sanitizer build: peak RSS %ld KB not held to the bound (the plain build asserts it)\n", max_rss_kb);
    (void)input_kb;
#else
    EXPECT_LT(max_rss_kb, 4 * input_kb + kBaselineKb);
#endif
}

class Exhaustion : public ContainerTest {
protected:
    std::unique_ptr<Bundle> bundle(const std::vector<std::string>& args) {
        static int n = 0;
        return std::make_unique<Bundle>(tmp_->path() + "/bundle" + std::to_string(n++), args);
    }
};

TEST_F(Exhaustion, ForkBombStaysInsideItsPidsLimit) {
    auto b = bundle({"sh", "-c", "exec 2>/dev/null; bomb() { bomb | bomb & }; bomb; sleep 3600"});
    b->config["linux"]["resources"] = {{"pids", {{"limit", 64}}}};
    b->save();
    const std::string c = id("bomb");
    const std::string pidfile = tmp_->path() + "/pid";
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), "--pid-file", pidfile, c}).code, 0);
    const std::string pid = read_text(pidfile);
    ASSERT_EQ(berth({"start", c}).code, 0);
    sleep(3);
    // berth still answers promptly, and the host can still fork.
    Measured st = run_measured(root_, {"state", c}, 20);
    EXPECT_EQ(st.r.code, 0) << st.r.err;
    EXPECT_NE(st.r.out.find("\"running\""), std::string::npos) << st.r.out;
    EXPECT_LT(st.seconds, 5.0);
    Measured ps = run_measured(root_, {"ps", c}, 20);
    EXPECT_EQ(ps.r.code, 0) << ps.r.err;
    EXPECT_LT(ps.seconds, 5.0);
    const std::string dir = pids_cgroup_dir(pid);
    ASSERT_FALSE(dir.empty());
    const int procs = std::stoi(read_text(dir + "/pids.current"));
    EXPECT_LE(procs, 64) << "the limit held";
    EXPECT_GE(procs, 32) << "the bomb did run into its limit";
    EXPECT_NE(read_text(dir + "/pids.events"), "max 0\n") << "forks were refused";
    Measured k = run_measured(root_, {"kill", "--all", c, "KILL"}, 20);
    EXPECT_EQ(k.r.code, 0) << k.r.err;
    bool stopped = false;
    for (int i = 0; i < 250 && !stopped; ++i) {
        usleep(20000);
        stopped = berth({"state", c}).out.find("\"stopped\"") != std::string::npos;
    }
    EXPECT_TRUE(stopped);
    Measured d = run_measured(root_, {"delete", c}, 30);
    EXPECT_EQ(d.r.code, 0) << d.r.err;
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
}

TEST_F(Exhaustion, TenThousandTmpfsMounts) {
    auto b = bundle({"sh", "-c", "grep -c ' /m/' /proc/self/mountinfo"});
    for (int i = 0; i < 10000; ++i)
        b->config["mounts"].push_back(
            {{"destination", "/m/" + std::to_string(i)}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"size=4k"}}});
    b->save();
    const std::string c = id("mounts");
    Measured m = run_measured(root_, {"run", "--bundle", b->dir(), c}, 300);
    const long input_kb = file_kb(b->dir() + "/config.json");
    std::printf("10000 mounts: config %ld KB, berth peak RSS %ld KB, %.1f s\n", input_kb, m.max_rss_kb, m.seconds);
    EXPECT_EQ(m.r.code, 0) << m.r.err;
    EXPECT_EQ(m.r.out, "10000\n");
    expect_rss_within(m.max_rss_kb, input_kb);
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
}

TEST_F(Exhaustion, TenThousandEnvEntries) {
    auto b = bundle({"sh", "-c", "env | grep -c '^BIG_'"});
    for (int i = 0; i < 10000; ++i) b->config["process"]["env"].push_back("BIG_" + std::to_string(i) + "=" + std::string(20, 'v'));
    b->save();
    const std::string c = id("env");
    Measured m = run_measured(root_, {"run", "--bundle", b->dir(), c}, 120);
    const long input_kb = file_kb(b->dir() + "/config.json");
    std::printf("10000 env: config %ld KB, berth peak RSS %ld KB, %.1f s\n", input_kb, m.max_rss_kb, m.seconds);
    EXPECT_EQ(m.r.code, 0) << m.r.err;
    EXPECT_EQ(m.r.out, "10000\n");
    expect_rss_within(m.max_rss_kb, input_kb);
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
}

// Bound: at most three copies of the input live at once: while parsing, the
// text, the parsed document and the spec; while saving the state, its
// annotations (moved out of the spec, not copied), its JSON and its text.
// Four copies allow for the allocator's slack; plus berth's baseline. Before
// the fix berth also copied the text into the init message (the JSON and its
// framed text) and the spec's annotations into the state: six copies.
TEST_F(Exhaustion, HundredMegabyteConfig) {
    auto b = bundle({"true"});
    b->config["annotations"] = {{"huge", std::string(100u << 20, 'a')}};
    b->save();
    const long input_kb = file_kb(b->dir() + "/config.json");
    ASSERT_GT(input_kb, 100 * 1024);
    const std::string c = id("huge");
    Measured m = run_measured(root_, {"run", "--bundle", b->dir(), c}, 300);
    std::printf("100 MB config: config %ld KB, berth peak RSS %ld KB, %.1f s, exit %d\n", input_kb, m.max_rss_kb, m.seconds,
                m.r.code);
    if (m.r.code != 0) {
        EXPECT_NE(m.r.err.find("config"), std::string::npos) << "a clear error: " << m.r.err;
    }
    EXPECT_EQ(m.r.code, 0) << m.r.err;
    expect_rss_within(m.max_rss_kb, input_kb);
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
}

}  // namespace
}  // namespace berth::test
