// StateStore and process identity against temporary --root directories.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "error_of.hpp"
#include "errors/error.hpp"
#include "state/process_identity.hpp"
#include "state/state_store.hpp"

namespace fs = std::filesystem;

namespace {

using berth::ContainerState;
using berth::StateStore;

using berth::test::error_of;

class TempRoot : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/berth-state-test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        tmp_ = pattern;
        root_ = tmp_ + "/root";  // made by the store itself
    }
    void TearDown() override {
        for (pid_t p : children_) {
            ::kill(p, SIGKILL);
            ::waitpid(p, nullptr, 0);
        }
        fs::remove_all(tmp_);
    }
    // A child that sleeps until killed.
    pid_t spawn_sleeper() {
        pid_t p = ::fork();
        if (p == 0) {
            for (;;) ::pause();
        }
        children_.push_back(p);
        return p;
    }
    std::string tmp_, root_;
    std::vector<pid_t> children_;
};

// ---- ids ----

TEST(ContainerId, Invalid) {
    EXPECT_EQ(error_of([] { berth::validate_container_id(""); }), "container id must not be empty");
    EXPECT_EQ(error_of([] { berth::validate_container_id(".."); }), "invalid container id \"..\"");
    EXPECT_EQ(error_of([] { berth::validate_container_id("."); }), "invalid container id \".\"");
    EXPECT_EQ(error_of([] { berth::validate_container_id("a/b"); }),
              "invalid container id \"a/b\": only letters, digits, '_', '-', '.' and '+' are allowed");
    EXPECT_EQ(error_of([] { berth::validate_container_id("a b"); }),
              "invalid container id \"a b\": only letters, digits, '_', '-', '.' and '+' are allowed");
    EXPECT_EQ(error_of([] { berth::validate_container_id(std::string("a\0b", 3)); }).rfind("invalid container id", 0),
              0u);
    EXPECT_EQ(error_of([] { berth::validate_container_id(std::string(1025, 'a')); }),
              "invalid container id \"" + std::string(1025, 'a') + "\"");
}

TEST(ContainerId, Valid) {
    const std::vector<std::string> ids = {"a", "abc-123", "A_b.c+d", "...", "..a", std::string(1024, 'x')};
    for (const std::string& id : ids)
        EXPECT_EQ(error_of([&] { berth::validate_container_id(id); }), "<no error>") << id;
}

// ---- store ----

TEST_F(TempRoot, CreateThenDuplicate) {
    StateStore store(root_);
    auto c = store.create("web");
    EXPECT_EQ(c.dir(), root_ + "/web");
    EXPECT_TRUE(fs::is_directory(root_ + "/web"));
    EXPECT_EQ(fs::status(root_).permissions() & fs::perms::all, fs::perms(0711));
    try {
        store.create("web");
        FAIL() << "duplicate create succeeded";
    } catch (const berth::Error& e) {
        EXPECT_STREQ(e.what(), "container with id exists: web");
        EXPECT_EQ(e.err(), EEXIST);
    }
}

TEST_F(TempRoot, CreateValidatesId) {
    StateStore store(root_);
    EXPECT_EQ(error_of([&] { store.create("../escape"); }),
              "invalid container id \"../escape\": only letters, digits, '_', '-', '.' and '+' are allowed");
    EXPECT_FALSE(fs::exists(tmp_ + "/escape"));
    EXPECT_EQ(error_of([&] { store.open(".."); }), "invalid container id \"..\"");
}

ContainerState sample_state() {
    ContainerState st;
    st.id = "web";
    st.pid = 4242;
    st.start_time = 123456789012ull;
    st.bundle = "/srv/bundle";
    st.rootfs = "/srv/bundle/rootfs";
    st.created = "2024-01-02T03:04:05.000000006Z";
    st.owner = "root";
    st.own_pid_ns = true;
    st.annotations = {{"a", "1"}, {"b", "two words"}};
    st.cgroup = {{"mode", "unified"}, {"unified", "/sys/fs/cgroup/berth/web"}};
    st.poststop = nlohmann::json::array({{{"path", "/bin/true"}}});
    st.poststart = nlohmann::json::array({{{"path", "/bin/echo"}}});
    st.start_container = nlohmann::json::array({{{"path", "/hook"}, {"args", {"hook", "a"}}}});
    return st;
}

TEST_F(TempRoot, SaveLoadRoundTrip) {
    StateStore store(root_);
    auto c = store.create("web");
    ContainerState st = sample_state();
    c.save(st);
    ContainerState back = c.load();
    EXPECT_EQ(back.id, st.id);
    EXPECT_EQ(back.pid, st.pid);
    EXPECT_EQ(back.start_time, st.start_time);
    EXPECT_EQ(back.bundle, st.bundle);
    EXPECT_EQ(back.rootfs, st.rootfs);
    EXPECT_EQ(back.created, st.created);
    EXPECT_EQ(back.owner, st.owner);
    EXPECT_TRUE(back.own_pid_ns) << "delete kills by cgroup only without it";
    EXPECT_EQ(back.annotations, st.annotations);
    EXPECT_EQ(back.cgroup, st.cgroup);
    EXPECT_EQ(back.poststop, st.poststop);
    EXPECT_EQ(back.poststart, st.poststart);
    EXPECT_EQ(back.start_container, st.start_container);
    // Reopened by another handle after the first is gone.
    { auto moved = std::move(c); }
    auto again = store.open("web");
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->load().bundle, "/srv/bundle");
}

// A state.json of one page is rewritten in place (same inode, no freed
// block), padded with spaces to its old length; a larger one is replaced by
// a new file renamed over it. Either way no temporary file is left.
TEST_F(TempRoot, StateFileIsRewrittenInPlaceOrReplaced) {
    StateStore store(root_);
    auto c = store.create("web");
    ContainerState st = sample_state();
    c.save(st);
    struct stat first;
    ASSERT_EQ(::stat(c.path("state.json").c_str(), &first), 0);
    EXPECT_EQ(first.st_mode & 07777, 0600u);
    ASSERT_LE(first.st_size, 4096);

    // Shorter: the same file, its old length kept with trailing spaces.
    st.pid = 7;
    st.annotations.clear();
    c.save(st);
    struct stat shorter;
    ASSERT_EQ(::stat(c.path("state.json").c_str(), &shorter), 0);
    EXPECT_EQ(shorter.st_ino, first.st_ino) << "a one-page state.json is rewritten in place";
    EXPECT_EQ(shorter.st_size, first.st_size);
    std::stringstream padded;
    padded << std::ifstream(c.path("state.json")).rdbuf();
    const std::string text = padded.str();
    const size_t end = text.find_last_not_of(' ');
    ASSERT_NE(end, std::string::npos);
    EXPECT_EQ(text[end], '}');
    EXPECT_LT(end + 1, text.size()) << "padded";
    EXPECT_EQ(c.load().pid, 7);
    EXPECT_TRUE(c.load().annotations.empty());

    // Longer, still within a page: the same file, grown.
    st.annotations["grow"] = std::string(1000, 'g');
    c.save(st);
    struct stat longer;
    ASSERT_EQ(::stat(c.path("state.json").c_str(), &longer), 0);
    EXPECT_EQ(longer.st_ino, first.st_ino);
    EXPECT_GT(longer.st_size, first.st_size);
    EXPECT_EQ(c.load().annotations.at("grow").size(), 1000u);

    // Past a page: replaced, and a reader of the old file keeps what it had.
    std::ifstream old(c.path("state.json"));
    st.annotations["big"] = std::string(5000, 'b');
    c.save(st);
    struct stat big;
    ASSERT_EQ(::stat(c.path("state.json").c_str(), &big), 0);
    EXPECT_NE(big.st_ino, first.st_ino) << "a state.json past one page is replaced, not written in place";
    std::stringstream ss;
    ss << old.rdbuf();
    EXPECT_FALSE(nlohmann::json::parse(ss.str()).at("annotations").contains("big"));
    EXPECT_EQ(c.load().annotations.at("big").size(), 5000u);

    // And from a file past a page back to a small one: replaced again.
    st.annotations.clear();
    c.save(st);
    struct stat small_again;
    ASSERT_EQ(::stat(c.path("state.json").c_str(), &small_again), 0);
    EXPECT_NE(small_again.st_ino, big.st_ino);
    EXPECT_TRUE(c.load().annotations.empty());
    std::vector<std::string> names;
    for (auto& e : fs::directory_iterator(c.dir())) names.push_back(e.path().filename());
    EXPECT_EQ(names, std::vector<std::string>{"state.json"});
}

TEST_F(TempRoot, CorruptStateNamesTheFile) {
    StateStore store(root_);
    auto c = store.create("web");
    std::ofstream(c.path("state.json")) << "{\"id\": \"web\"";
    std::string msg = error_of([&] { c.load(); });
    EXPECT_EQ(msg.rfind(root_ + "/web/state.json: corrupt state: ", 0), 0u) << msg;
    std::ofstream(c.path("state.json"), std::ios::trunc) << "{\"id\": \"web\"}";
    msg = error_of([&] { c.load(); });
    EXPECT_EQ(msg.rfind(root_ + "/web/state.json: corrupt state: ", 0), 0u) << msg;
}

TEST_F(TempRoot, LoadWithoutStateFile) {
    StateStore store(root_);
    auto c = store.create("web");
    EXPECT_EQ(error_of([&] { c.load(); }), "open " + root_ + "/web/state.json: no such file or directory");
}

TEST_F(TempRoot, OpenMissing) {
    StateStore store(root_);
    EXPECT_FALSE(store.open("nope").has_value());  // root missing too
    store.create("other");
    EXPECT_FALSE(store.open("nope").has_value());
    try {
        store.open_existing("nope");
        FAIL() << "open_existing of a missing container succeeded";
    } catch (const berth::Error& e) {
        EXPECT_STREQ(e.what(), "container does not exist");
        EXPECT_EQ(e.err(), ENOENT);
    }
}

TEST_F(TempRoot, ListSorted) {
    StateStore store(root_);
    EXPECT_TRUE(store.list().empty());  // no root yet
    for (const char* id : {"zeta", "alpha", "Mid", "10", "9"}) store.create(id);
    std::ofstream(root_ + "/stray-file") << "x";  // not a container
    EXPECT_EQ(store.list(), (std::vector<std::string>{"10", "9", "Mid", "alpha", "zeta"}));
}

TEST_F(TempRoot, LockIsHeldWhileOpen) {
    StateStore store(root_);
    auto c = store.create("web");
    // Another open file description cannot take the lock while c lives.
    int fd = ::open(c.dir().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), -1);
    EXPECT_EQ(errno, EWOULDBLOCK);
    { auto gone = std::move(c); }
    EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    ::close(fd);
}

// A child that, once told to go, opens the container and reports 'L' (got
// the lock) or 'N' (nullopt). It is forked before the parent takes the lock:
// a child forked while holding it would inherit the locked file description
// and wait for itself.
struct Opener {
    pid_t pid = -1;
    int go = -1, result = -1;

    explicit Opener(const std::string& root) {
        int g[2], r[2];
        if (::pipe(g) != 0 || ::pipe(r) != 0) return;
        pid = ::fork();
        if (pid == 0) {
            ::close(g[1]);
            ::close(r[0]);
            char c;
            if (::read(g[0], &c, 1) != 1) _exit(2);
            auto again = StateStore(root).open("web");
            char ok = again ? 'L' : 'N';
            (void)!::write(r[1], &ok, 1);
            _exit(0);
        }
        ::close(g[0]);
        ::close(r[1]);
        go = g[1];
        result = r[0];
    }
    void start() { (void)!::write(go, "g", 1); }
    // The child's answer within `ms`, or 0.
    char answer(int ms) {
        fd_set set;
        FD_ZERO(&set);
        FD_SET(result, &set);
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        if (::select(result + 1, &set, nullptr, nullptr, &tv) != 1) return 0;
        char c = 0;
        return ::read(result, &c, 1) == 1 ? c : 0;
    }
    ~Opener() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        ::close(go);
        ::close(result);
    }
};

// A second open() of the same container, from another process, waits for
// the first to let go.
TEST_F(TempRoot, SecondOpenBlocksUntilRelease) {
    StateStore store(root_);
    store.create("web");
    Opener child(root_);
    ASSERT_GT(child.pid, 0);
    std::optional<berth::LockedContainer> c = store.open("web");
    ASSERT_TRUE(c.has_value());
    child.start();
    EXPECT_EQ(child.answer(300), 0) << "second open did not block";
    c.reset();
    EXPECT_EQ(child.answer(10000), 'L') << "second open did not get the lock after release";
}

// A waiter that gets the lock after remove() sees the container as gone.
TEST_F(TempRoot, OpenAfterConcurrentRemoveIsNullopt) {
    StateStore store(root_);
    store.create("web");
    Opener child(root_);
    ASSERT_GT(child.pid, 0);
    std::optional<berth::LockedContainer> c = store.open("web");
    ASSERT_TRUE(c.has_value());
    child.start();
    EXPECT_EQ(child.answer(200), 0);  // now blocked in flock on the directory
    c->remove();
    c.reset();
    EXPECT_EQ(child.answer(10000), 'N');
}

TEST_F(TempRoot, RemoveThenOpen) {
    StateStore store(root_);
    auto c = store.create("web");
    c.save(sample_state());
    c.remove();
    EXPECT_FALSE(fs::exists(root_ + "/web"));
    EXPECT_FALSE(store.open("web").has_value());
    EXPECT_TRUE(store.list().empty());
    store.create("web");  // the id is free again
}

// ---- process identity ----

std::vector<std::string> stat_fields_after_comm(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream rest(s.substr(s.rfind(')') + 2));
    std::vector<std::string> f = {"", "", ""};  // fields 1 and 2 are pid and comm
    std::string tok;
    while (rest >> tok) f.push_back(tok);
    return f;
}

TEST(ProcStat, Self) {
    auto st = berth::read_proc_stat(::getpid());
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->state, 'R');
    auto f = stat_fields_after_comm(::getpid());
    ASSERT_GT(f.size(), 22u);
    EXPECT_EQ(st->start_time, std::stoull(f[22]));
    EXPECT_GT(st->start_time, 0u);
}

TEST(ProcStat, Missing) {
    EXPECT_FALSE(berth::read_proc_stat(0).has_value());
    EXPECT_FALSE(berth::read_proc_stat(-1).has_value());
    EXPECT_FALSE(berth::read_proc_stat(0x3fffffff).has_value());
}

// comm with spaces and parentheses: "a) b (c" must not shift the fields.
TEST(ProcStat, CommWithParensAndSpaces) {
    int pfd[2];
    ASSERT_EQ(::pipe(pfd), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(pfd[0]);
        ::prctl(PR_SET_NAME, "a) b (c", 0, 0, 0);
        (void)!::write(pfd[1], "x", 1);
        for (;;) ::pause();
    }
    ::close(pfd[1]);
    char x;
    ASSERT_EQ(::read(pfd[0], &x, 1), 1);
    ::close(pfd[0]);
    std::ifstream in("/proc/" + std::to_string(child) + "/stat");
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(raw.find("(a) b (c)"), std::string::npos) << raw;
    std::optional<berth::ProcStat> st;
    for (int i = 0; i < 200; ++i) {  // until the child sleeps in pause()
        st = berth::read_proc_stat(child);
        if (!st || st->state == 'S') break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto f = stat_fields_after_comm(child);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->state, 'S');
    EXPECT_EQ(st->start_time, std::stoull(f[22]));
    EXPECT_EQ(f[3], "S");
}

// ---- crash recovery of create's temporary directory ----

TEST_F(TempRoot, ListSkipsTemporaryDirs) {
    StateStore store(root_);
    store.create("web");
    ASSERT_EQ(::mkdir((root_ + "/creating:1:other").c_str(), 0700), 0);
    EXPECT_EQ(store.list(), std::vector<std::string>{"web"});
}

TEST_F(TempRoot, RemoveAbandonedKeepsLiveCreates) {
    StateStore store(root_);
    store.create("web");  // makes the root
    pid_t dead = ::fork();
    if (dead == 0) _exit(0);
    ::waitpid(dead, nullptr, 0);
    pid_t alive = spawn_sleeper();
    const std::string crashed = root_ + "/creating:" + std::to_string(dead) + ":web2";
    const std::string live = root_ + "/creating:" + std::to_string(alive) + ":web2";
    const std::string locked = root_ + "/creating:" + std::to_string(dead) + "0:web2";
    const std::string other = root_ + "/creating:" + std::to_string(dead) + ":web3";
    for (auto* d : {&crashed, &live, &locked, &other}) ASSERT_EQ(::mkdir(d->c_str(), 0700), 0) << *d;
    int fd = ::open(locked.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_EQ(::flock(fd, LOCK_EX), 0);
    store.remove_abandoned("web2");
    EXPECT_FALSE(fs::exists(crashed)) << "its create is dead";
    EXPECT_TRUE(fs::exists(live)) << "its create may be between mkdir and flock";
    EXPECT_TRUE(fs::exists(locked)) << "its create holds the lock";
    EXPECT_TRUE(fs::exists(other)) << "another id";
    EXPECT_TRUE(fs::exists(root_ + "/web"));
    ::close(fd);
}

// ---- status_of ----

TEST_F(TempRoot, StatusCreating) {
    ContainerState st;
    st.pid = 0;
    EXPECT_EQ(berth::status_of(st, tmp_), "creating");
}

TEST_F(TempRoot, StatusDeadPid) {
    pid_t p = ::fork();
    if (p == 0) _exit(0);
    ::waitpid(p, nullptr, 0);
    ContainerState st;
    st.pid = p;
    st.start_time = 1;
    EXPECT_EQ(berth::status_of(st, tmp_), "stopped");
    EXPECT_EQ(berth::check_liveness(p, 1), berth::Liveness::Gone);
}

TEST_F(TempRoot, StatusRecycledPid) {
    auto self = berth::read_proc_stat(::getpid());
    ASSERT_TRUE(self);
    ContainerState st;
    st.pid = ::getpid();
    st.start_time = self->start_time + 1;
    EXPECT_EQ(berth::status_of(st, tmp_), "stopped");
    st.start_time = self->start_time;
    EXPECT_EQ(berth::status_of(st, tmp_), "running");
}

TEST_F(TempRoot, StatusCreatingUntilFinalSave) {
    pid_t p = spawn_sleeper();
    auto ps = berth::read_proc_stat(p);
    ASSERT_TRUE(ps);
    ContainerState st;
    st.pid = p;
    st.start_time = ps->start_time;
    st.creating = true;
    EXPECT_EQ(berth::status_of(st, tmp_), "creating");
}

// A process that runs /bin/sleep from a memfd named like berth's exec stub.
static pid_t spawn_fake_stub() {
    pid_t p = ::fork();
    if (p == 0) {
        int mem = ::memfd_create("berth-init", MFD_CLOEXEC);
        std::ifstream in("/bin/sleep", std::ios::binary);
        std::string bin((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (mem < 0 || ::write(mem, bin.data(), bin.size()) != static_cast<ssize_t>(bin.size())) _exit(1);
        char arg0[] = "sleep", arg1[] = "1000";
        char* argv[] = {arg0, arg1, nullptr};
        char* envp[] = {nullptr};
        ::fexecve(mem, argv, envp);
        _exit(1);
    }
    return p;
}

TEST_F(TempRoot, StatusCreatedAndRunning) {
    pid_t stub = spawn_fake_stub();
    children_.push_back(stub);
    for (int i = 0; i < 200 && !berth::runs_exec_stub(stub); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_TRUE(berth::runs_exec_stub(stub));
    auto sps = berth::read_proc_stat(stub);
    ASSERT_TRUE(sps);
    ContainerState created;
    created.pid = stub;
    created.start_time = sps->start_time;
    ASSERT_EQ(::mkfifo((tmp_ + "/exec.fifo").c_str(), 0600), 0);
    EXPECT_EQ(berth::status_of(created, tmp_), "created");

    // The fifo is left but init runs the user's program (a start killed
    // after opening the fifo): running, not created.
    pid_t p = spawn_sleeper();
    EXPECT_FALSE(berth::runs_exec_stub(p));
    auto ps = berth::read_proc_stat(p);
    ASSERT_TRUE(ps);
    ContainerState st;
    st.pid = p;
    st.start_time = ps->start_time;
    EXPECT_EQ(berth::status_of(st, tmp_), "running");
    ::unlink((tmp_ + "/exec.fifo").c_str());
    EXPECT_EQ(berth::status_of(st, tmp_), "running");
    EXPECT_EQ(berth::check_liveness(p, ps->start_time), berth::Liveness::Alive);
    auto j = berth::oci_state_json(st, "running");
    EXPECT_EQ(j.at("pid"), p);
    EXPECT_EQ(berth::oci_state_json(st, "stopped").at("pid"), 0);
}

TEST_F(TempRoot, StatusZombie) {
    pid_t p = ::fork();
    ASSERT_GE(p, 0);
    if (p == 0) _exit(0);
    // Not reaped: wait until it is a zombie.
    siginfo_t si = {};
    ASSERT_EQ(::waitid(P_PID, p, &si, WEXITED | WNOWAIT), 0);
    auto ps = berth::read_proc_stat(p);
    ASSERT_TRUE(ps);
    EXPECT_EQ(ps->state, 'Z');
    ContainerState st;
    st.pid = p;
    st.start_time = ps->start_time;
    ASSERT_EQ(::mkfifo((tmp_ + "/exec.fifo").c_str(), 0600), 0);
    EXPECT_EQ(berth::check_liveness(p, ps->start_time), berth::Liveness::Zombie);
    EXPECT_EQ(berth::status_of(st, tmp_), "stopped");
    ::waitpid(p, nullptr, 0);
}

TEST(Time, Rfc3339) {
    std::string t = berth::now_rfc3339();
    ASSERT_EQ(t.size(), 30u) << t;  // 2024-01-02T03:04:05.123456789Z
    EXPECT_EQ(t[4], '-');
    EXPECT_EQ(t[10], 'T');
    EXPECT_EQ(t[19], '.');
    EXPECT_EQ(t.back(), 'Z');
}

// ---- found by fuzzing (tests/fuzz/regressions/state) ----

std::string state_error(const std::string& text) {
    return error_of([&] { berth::parse_state(text); });
}

const char* kGoodState = R"({"id": "web", "pid": 7, "start_time": 9, "bundle": "/b", "rootfs": "/b/rootfs",
    "created": "2026-12-01T08:00:00.000000000Z", "owner": "", "annotations": {"a": "b"},
    "cgroup": {"mode": "unified", "unified": "/sys/fs/cgroup/berth/web", "v1": {}, "created": [], "prune": []},
    "poststart": [], "poststop": [{"path": "/bin/true", "args": ["true"], "env": [], "timeout": 3}]})";

std::string with(const std::string& key, const std::string& value) {
    auto j = nlohmann::json::parse(kGoodState);
    j[key] = nlohmann::json::parse(value);
    return j.dump();
}

TEST(ParseState, Good) {
    ContainerState st = berth::parse_state(kGoodState);
    EXPECT_EQ(st.pid, 7);
    EXPECT_EQ(st.start_time, 9u);
    EXPECT_EQ(st.annotations.at("a"), "b");
}

TEST(ParseState, NumberOverflowIsInvalidJson) {
    EXPECT_EQ(state_error(R"({"id": "web", "start_time": 12345E789})"),
              "invalid JSON: [json.exception.out_of_range.406] number overflow parsing '12345E789'");
}

TEST(ParseState, DeepNestingIsRefusedBeforeParsing) {
    // 20000 nested arrays in "cgroup" overflowed the stack copying the value.
    std::string deep = std::string(20000, '[') + std::string(20000, ']');
    EXPECT_EQ(state_error(R"({"cgroup": {"x": )" + deep + "}}"), "nested deeper than 64 levels");
}

TEST(ParseState, FloatPidIsRefusedNotConverted) {
    // 1e300 converted to pid_t was undefined behaviour (UBSan float-cast-overflow).
    EXPECT_EQ(state_error(with("pid", "1e300")), "pid: must be a non-negative integer");
    EXPECT_EQ(state_error(with("pid", "-1")), "pid: must be a non-negative integer");
    EXPECT_EQ(state_error(with("pid", "4294967296")), "pid: is out of range");
    EXPECT_EQ(state_error(with("start_time", "1.5")), "start_time: must be a non-negative integer");
}

TEST(ParseState, WrongTypesNameTheField) {
    EXPECT_EQ(state_error("[]"), "must be a JSON object");
    EXPECT_EQ(state_error(with("bundle", "3")), "bundle: must be a string");
    EXPECT_EQ(state_error(with("annotations", R"({"a": 1})")), "annotations.a: must be a string");
    EXPECT_EQ(state_error(with("cgroup", "[]")), "cgroup: must be an object");
    EXPECT_EQ(state_error(with("poststop", "{}")), "poststop: must be an array");
    EXPECT_EQ(state_error(with("startContainer", "{}")), "startContainer: must be an array");
    EXPECT_EQ(state_error(with("startContainer", R"([{"args": ["x"]}])")), "startContainer[0].path: must be a string");
}

TEST(ParseState, CgroupAndHooksAreCheckedAsDeleteReadsThem) {
    // These escaped as nlohmann type errors from `delete`, or as UB for a float timeout.
    EXPECT_EQ(state_error(with("cgroup", R"({"v1": {"pids": 1}})")), "cgroup.v1.pids: must be a string");
    EXPECT_EQ(state_error(with("cgroup", R"({"mode": "v3"})")), "cgroup.mode: unknown mode \"v3\"");
    EXPECT_EQ(state_error(with("cgroup", R"({"created": ["relative/dir"]})")),
              "cgroup.created[0]: \"relative/dir\" must be an absolute path");
    EXPECT_EQ(state_error(with("poststop", R"([{"path": "/bin/true", "timeout": 1e300}])")),
              "poststop[0].timeout: must be an integer");
    EXPECT_EQ(state_error(with("poststart", R"([{"path": "/bin/true", "args": [1]}])")),
              "poststart[0].args: must be an array of strings");
    EXPECT_EQ(state_error(with("poststart", R"([7])")), "poststart[0]: must be an object");
}

TEST_F(TempRoot, CorruptFieldNamesFileAndField) {
    StateStore store(root_);
    auto c = store.create("web");
    std::ofstream(c.path("state.json")) << with("pid", "1e300");
    EXPECT_EQ(error_of([&] { c.load(); }),
              root_ + "/web/state.json: corrupt state: pid: must be a non-negative integer");
}

}  // namespace
