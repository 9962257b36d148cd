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

// run_berth's Result carries the peak RSS and wall time; `m.r` keeps the
// cases' spelling.
struct Measured {
    Result r;
    long max_rss_kb = 0;
    double seconds = 0;
};

Measured run_measured(const std::string& root, const std::vector<std::string>& args, int timeout_s = 120) {
    Measured m;
    m.r = run_berth(root, args, {}, {}, timeout_s);
    m.max_rss_kb = m.r.max_rss_kb;
    m.seconds = m.r.seconds;
    return m;
}

long file_kb(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    return static_cast<long>(in.tellg()) / 1024;
}

// The container's pids cgroup dir, from the host's view (v1 or v2).
std::string pids_cgroup_dir(const std::string& pid) {
    std::istringstream in(read_text("/proc/" + pid + "/cgroup"));
    std::string line;
    while (std::getline(in, line)) {
        size_t a = line.find(':'), b = line.find(':', a + 1);
        std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        if (unified_host() && ctrls.empty()) return "/sys/fs/cgroup" + path;
        if (!unified_host() && ("," + ctrls + ",").find(",pids,") != std::string::npos)
            return "/sys/fs/cgroup/pids" + path;
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
        b->config["mounts"].push_back({{"destination", "/m/" + std::to_string(i)},
                                       {"type", "tmpfs"},
                                       {"source", "tmpfs"},
                                       {"options", {"size=4k"}}});
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
    for (int i = 0; i < 10000; ++i)
        b->config["process"]["env"].push_back("BIG_" + std::to_string(i) + "=" + std::string(20, 'v'));
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
    std::printf("100 MB config: config %ld KB, berth peak RSS %ld KB, %.1f s, exit %d\n", input_kb, m.max_rss_kb,
                m.seconds, m.r.code);
    if (m.r.code != 0) {
        EXPECT_NE(m.r.err.find("config"), std::string::npos) << "a clear error: " << m.r.err;
    }
    EXPECT_EQ(m.r.code, 0) << m.r.err;
    expect_rss_within(m.max_rss_kb, input_kb);
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
}

}  // namespace
}  // namespace berth::test
