// Stress, CI-sized (tests/stress/stress.sh is the full-sized script): many
// sequential lifecycles, parallel loops, and concurrent verbs hammering one
// container id; after each, a sweep for anything left behind (processes,
// zombies, mounts, cgroups in every hierarchy, state), fds of berth and of the
// container's init, and berth's peak RSS over the run. Sizes can be raised
// with BERTH_STRESS_SEQUENTIAL, BERTH_STRESS_LOOPS, BERTH_STRESS_PER_LOOP and
// BERTH_STRESS_ROUNDS.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

int env_int(const char* name, int def) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoi(v) : def;
}

void nap_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, nullptr);
}

std::string read_or_empty(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string link_target(const std::string& path) {
    char buf[4096];
    ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
    return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }

struct ProcInfo {
    char state = 0;
    pid_t ppid = 0;
    uint64_t start_time = 0;
    int exit_code = 0;  // field 52: a zombie's wait status
};

std::optional<ProcInfo> proc_info(pid_t pid) {
    std::string s = read_or_empty("/proc/" + std::to_string(pid) + "/stat");
    size_t close = s.rfind(')');
    if (close == std::string::npos || close + 2 >= s.size()) return std::nullopt;
    std::istringstream in(s.substr(close + 2));
    std::vector<std::string> f;
    for (std::string w; in >> w;) f.push_back(w);
    if (f.size() < 50) return std::nullopt;
    ProcInfo p;
    p.state = f[0][0];
    p.ppid = std::stoi(f[1]);
    p.start_time = std::stoull(f[19]);
    p.exit_code = std::stoi(f[49]);
    return p;
}

bool alive(pid_t pid, uint64_t start_time) {
    auto p = proc_info(pid);
    return p && p->start_time == start_time && p->state != 'Z' && p->state != 'X';
}

bool runs_stub(pid_t pid) {
    return starts_with(link_target("/proc/" + std::to_string(pid) + "/exe"), "/memfd:berth-init");
}

// fds 3 and up, as "N->target".
std::vector<std::string> fds_of(pid_t pid) {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
        const std::string n = e.path().filename();
        if (n == "0" || n == "1" || n == "2") continue;
        out.push_back(n + "->" + link_target(e.path()));
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Until the process is gone or a zombie (orphans here are reaped late by
// PID 1). The zombie's wait status in *status, -1 if it was already reaped.
bool wait_exit(pid_t pid, int timeout_s, int* status = nullptr) {
    auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
    for (;;) {
        auto p = proc_info(pid);
        if (!p || p->state == 'Z' || p->state == 'X') {
            if (status) *status = p ? p->exit_code : -1;
            return true;
        }
        if (Clock::now() > deadline) return false;
        nap_ms(5);
    }
}

struct Call {
    int code = -1;  // exit status, 128+signal, 124 on timeout
    std::string out, err;
    long maxrss_kb = 0;
};

// Median of the first quarter against the last quarter, with 10% (at least
// 1 MiB) of slack: "" when it does not grow.
std::string rss_growth(const std::vector<long>& s, const std::string& what) {
    if (s.size() < 4) return what + ": only " + std::to_string(s.size()) + " samples";
    const size_t q = s.size() / 4;
    auto med = [](std::vector<long> v) {
        std::sort(v.begin(), v.end());
        return v[(v.size() - 1) / 2];
    };
    long first = med({s.begin(), s.begin() + static_cast<long>(q)});
    long last = med({s.end() - static_cast<long>(q), s.end()});
    std::cout << "[ stress ] peak RSS of " << what << ": first quarter " << first << " KiB, last quarter " << last
              << " KiB (" << s.size() << " samples)\n";
    if (last > first + std::max(first / 10, 1024L))
        return what + " grows: " + std::to_string(first) + " KiB -> " + std::to_string(last) + " KiB";
    return "";
}

enum class Kind { Exit, Kill, KillCreated, Run };
const char* name_of(Kind k) {
    switch (k) {
        case Kind::Exit: return "exit";
        case Kind::Kill: return "kill";
        case Kind::KillCreated: return "kill-created";
        case Kind::Run: return "run";
    }
    return "?";
}

// The verbs thrown at one id at once, one row each: a verb may fail only
// with one of its row's messages (delete --force never). @ID@ is the id,
// @SLEEP@ the long-running bundle, @PIDFILE@ a pid file unique to the call.
struct VerbRow {
    const char* name;
    std::vector<std::string> args;
    std::vector<std::string> accepted;
};
const std::vector<VerbRow>& verb_table() {
    static const std::vector<VerbRow> rows = {
        {"create", {"create", "--bundle", "@SLEEP@", "--pid-file", "@PIDFILE@", "@ID@"}, {"container with id exists"}},
        {"start",
         {"start", "@ID@"},
         {"cannot start a container that has stopped", "cannot start an already running container",
          "still being created", "container does not exist"}},
        {"kill KILL", {"kill", "@ID@", "KILL"}, {"container not running", "container does not exist"}},
        {"kill TERM", {"kill", "@ID@"}, {"container not running", "container does not exist"}},
        {"delete",
         {"delete", "@ID@"},
         {"container does not exist", "that is not stopped", "being created or was left half-created"}},
        {"delete --force", {"delete", "--force", "@ID@"}, {}},
        {"state", {"state", "@ID@"}, {"container does not exist"}},
        {"run --detach",
         {"run", "--detach", "--bundle", "@SLEEP@", "--pid-file", "@PIDFILE@", "@ID@"},
         {"container with id exists", "cannot start a container that has stopped",
          "cannot start an already running container", "container does not exist"}},
        {"kill --all", {"kill", "--all", "@ID@", "KILL"}, {"container does not exist"}},
        {"ps", {"ps", "--format", "json", "@ID@"}, {"container does not exist"}},
        {"list", {"list", "--format", "json"}, {}},
        // A helper killed by a concurrent kill --all or delete --force (it is in
        // the container's cgroup) fails its exec with the last one.
        {"exec",
         {"exec", "@ID@", "true"},
         {"container does not exist", "stopped container", "not running",
          "exec helper exited before the process was ready"}},
    };
    return rows;
}

class Stress : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "stress tests run containers and need root";
        tmp_ = std::make_unique<TempDir>("berth-stress");
        root_ = tmp_->path() + "/state";
        prefix_ = "stress" + std::to_string(getpid()) + "-";
        cgprefix_ = "berth-stress-" + std::to_string(getpid());
        Bundle b(tmp_->path() + "/b-true", {"true"});
        rootfs_ = b.rootfs();
        base_ = b.config;
        base_["root"]["path"] = rootfs_;
        bundle("b-true", {"true"});
        bundle("b-sleep", {"sleep", "1000"});
    }

    void TearDown() override {
        if (!tmp_) return;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(root_, ec)) berth({"delete", "--force", e.path().filename()});
        for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec))
            ::rmdir((h.path().string() + "/" + cgprefix_).c_str());
        ::rmdir(("/sys/fs/cgroup/" + cgprefix_).c_str());
    }

    // A bundle sharing the rootfs: only its config.
    std::string bundle(const std::string& name, const std::vector<std::string>& args,
                       const std::string& cgroups_path = "") {
        const std::string dir = tmp_->path() + "/" + name;
        fs::create_directories(dir);
        json c = base_;
        c["process"]["args"] = args;
        if (!cgroups_path.empty()) c["linux"]["cgroupsPath"] = cgroups_path;
        std::ofstream(dir + "/config.json") << c.dump(1);
        return dir;
    }

    // One berth call: output in files (a created container keeps berth's
    // stdio), peak RSS from wait4, killed after timeout_s. Safe from threads:
    // the child does only async-signal-safe calls before exec.
    Call berth(const std::vector<std::string>& args, int timeout_s = 60) const {
        static std::atomic<int> seq{0};
        const int n = seq++;
        const std::string out_path = tmp_->path() + "/call" + std::to_string(n) + ".out";
        const std::string err_path = tmp_->path() + "/call" + std::to_string(n) + ".err";
        std::vector<std::string> argv_s = {BERTH_BIN, "--root", root_, "--plugin-config", BERTH_TEST_PLUGIN_CONFIG};
        argv_s.insert(argv_s.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        char env0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
        char* envp[] = {env0, nullptr};
        pid_t pid = fork();
        if (pid == 0) {
            int in = open("/dev/null", O_RDONLY);
            int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (in < 0 || out < 0 || err < 0) _exit(126);
            dup2(in, 0);
            dup2(out, 1);
            dup2(err, 2);
            // Nothing of ours (other threads' files) reaches berth: its fds are checked.
            close_range(3, ~0U, 0);
            execve(argv[0], argv.data(), envp);
            _exit(127);
        }
        Call c;
        if (pid < 0) {
            c.err = "fork failed";
            return c;
        }
        auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
        int status = 0;
        struct rusage ru = {};
        for (int polls = 0;; ++polls) {
            pid_t r = wait4(pid, &status, WNOHANG, &ru);
            if (r == pid) break;
            if (Clock::now() > deadline) {
                // Where it hangs, for the report.
                const std::string proc = "/proc/" + std::to_string(pid);
                c.err += "[hung in " + read_or_empty(proc + "/wchan") + ", syscall " +
                         read_or_empty(proc + "/syscall") + ", fds " + json(fds_of(pid)).dump() + "]";
                kill(pid, SIGKILL);
                wait4(pid, &status, 0, &ru);
                c.code = 124;
                break;
            }
            nap_ms(polls < 100 ? 1 : 10);
        }
        if (c.code != 124) c.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        c.maxrss_kb = ru.ru_maxrss;
        c.out = read_or_empty(out_path);
        c.err = read_or_empty(err_path) + c.err;
        ::unlink(out_path.c_str());
        ::unlink(err_path.c_str());
        return c;
    }

    // The cgroup directories of a container: its default /<id>, or its cgroupsPath.
    std::vector<std::string> cgroups_of(const std::string& id, const std::string& cgroups_path) const {
        const std::string rel = cgroups_path.empty() ? "/" + id : cgroups_path;
        std::vector<std::string> found;
        std::error_code ec;
        if (fs::is_directory("/sys/fs/cgroup" + rel, ec)) found.push_back("/sys/fs/cgroup" + rel);
        for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec))
            if (fs::is_directory(h.path().string() + rel, ec)) found.push_back(h.path().string() + rel);
        return found;
    }

    // "" when delete left neither the state dir nor a cgroup.
    std::string after_delete(const std::string& id, const std::string& cgroups_path) const {
        std::string bad;
        if (exists(root_ + "/" + id)) bad += " state dir;";
        for (auto& d : cgroups_of(id, cgroups_path)) bad += " cgroup " + d + ";";
        return bad.empty() ? "" : id + ": left after delete:" + bad;
    }

    // One checked lifecycle; "" on success, else what went wrong.
    std::string lifecycle(const std::string& id, Kind kind, const std::string& bundle_dir,
                          const std::string& cgroups_path, bool sample_fds, std::vector<long>* rss_create = nullptr,
                          std::vector<long>* rss_delete = nullptr) {
        auto failed = [&](const std::string& step, const Call& c) {
            berth({"delete", "--force", id});
            return id + " (" + name_of(kind) + "): " + step + " exited " + std::to_string(c.code) + ": " + c.err;
        };
        if (kind == Kind::Run) {
            Call c = berth({"run", "--bundle", bundle_dir, id});
            if (c.code != 0) return failed("run", c);
            return after_delete(id, cgroups_path);
        }
        const std::string pidfile = tmp_->path() + "/" + id + ".pid";
        Call c = berth({"create", "--bundle", bundle_dir, "--pid-file", pidfile, id});
        if (c.code != 0) return failed("create", c);
        if (rss_create) rss_create->push_back(c.maxrss_kb);
        const std::string pid_text = read_or_empty(pidfile);
        ::unlink(pidfile.c_str());
        if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos)
            return failed("pid file \"" + pid_text + "\" after create", c);
        const pid_t pid = std::stoi(pid_text);
        std::string problems;
        if (sample_fds) {
            // The waiting stub holds only the fifo it will open for writing
            // (seen from here as a path in our --root, or, where the mount of
            // the state dir is not reachable from the container's, relative to it).
            auto fds = fds_of(pid);
            const std::string fifo = "/" + id + "/exec.fifo";
            if (fds.size() != 1 || fds[0].size() < fifo.size() ||
                fds[0].compare(fds[0].size() - fifo.size(), fifo.size(), fifo) != 0)
                problems += " created init holds fds " + json(fds).dump() + ";";
        }
        if (kind == Kind::Exit || kind == Kind::Kill) {
            c = berth({"start", id});
            if (c.code != 0) {
                const std::string proc = "/proc/" + std::to_string(pid);
                auto info = proc_info(pid);
                c.err += " [init " + std::to_string(pid) + ": state " + (info ? std::string(1, info->state) : "gone") +
                         ", comm " + read_or_empty(proc + "/comm") + " wchan " + read_or_empty(proc + "/wchan") +
                         ", fds " + json(fds_of(pid)).dump() + "]";
                return failed("start", c);
            }
        }
        if (kind == Kind::Kill && sample_fds) {
            auto fds = fds_of(pid);
            if (!fds.empty()) problems += " running container process holds fds " + json(fds).dump() + ";";
        }
        if (kind == Kind::Kill) c = berth({"kill", id, "KILL"});
        if (kind == Kind::KillCreated) c = berth({"kill", id});  // TERM: a created init dies of it
        if (c.code != 0) return failed("kill", c);
        int status = 0;
        if (!wait_exit(pid, 60, &status)) return failed("wait for exit (still alive after 60 s)", c);
        if (kind == Kind::Exit && status > 0)
            problems += " true exited with wait status " + std::to_string(status) + ";";
        c = berth({"delete", id});
        if (c.code != 0) return failed("delete", c);
        if (rss_delete) rss_delete->push_back(c.maxrss_kb);
        problems += after_delete(id, cgroups_path);
        return problems.empty() ? "" : id + ":" + problems;
    }

    // A foreground `berth run` of a long-running container: fds of berth and
    // of the container sampled while it runs; then killed, run returns 137.
    std::string run_probe(const std::string& id) {
        Call run;
        std::thread t([&] { run = berth({"run", "--bundle", tmp_->path() + "/b-sleep", id}); });
        pid_t pid = 0;
        for (int i = 0; i < 600 && pid == 0; ++i) {
            Call s = berth({"state", id});
            if (s.code == 0 && contains(s.out, "\"running\"")) pid = json::parse(s.out)["pid"];
            else nap_ms(50);
        }
        std::string problems;
        if (pid == 0) {
            problems += " never reached running;";
        } else {
            // berth run is init's parent.
            auto init = proc_info(pid);
            pid_t run_pid = init ? init->ppid : 0;
            if (!contains(read_or_empty("/proc/" + std::to_string(run_pid) + "/cmdline"), BERTH_BIN))
                problems += " init's parent " + std::to_string(run_pid) + " is not berth;";
            // Its own: only the pidfd of init it forwards signals through.
            auto bfds = fds_of(run_pid);
            if (bfds.size() != 1 || !contains(bfds[0], "anon_inode:[pidfd]"))
                problems += " foreground berth run holds fds " + json(bfds).dump() + ";";
            auto cfds = fds_of(pid);
            if (!cfds.empty()) problems += " running container process holds fds " + json(cfds).dump() + ";";
        }
        Call k = berth({"kill", id, "KILL"});
        if (k.code != 0) problems += " kill: " + k.err + ";";
        t.join();
        if (run.code != 137) problems += " run exited " + std::to_string(run.code) + " (want 137): " + run.err + ";";
        berth({"delete", "--force", id});
        problems += after_delete(id, "");
        return problems.empty() ? "" : id + ":" + problems;
    }

    // A container's root is a bind mount of the rootfs (its /proc/PID/root
    // link reads "/"): the same device and inode.
    bool has_rootfs_as_root(const std::string& proc_dir) const {
        struct stat a, b;
        return ::stat((proc_dir + "/root").c_str(), &a) == 0 && ::stat(rootfs_.c_str(), &b) == 0 &&
               a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    }

    // Live pids of a container: in its default cgroup, or rooted in our rootfs.
    std::set<pid_t> container_processes(const std::string& id) const {
        std::set<pid_t> found;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator("/proc", ec)) {
            const std::string name = e.path().filename();
            if (name.find_first_not_of("0123456789") != std::string::npos) continue;
            pid_t p = std::stoi(name);
            auto info = proc_info(p);
            if (!info || info->state == 'Z' || info->state == 'X') continue;
            std::istringstream cg(read_or_empty(e.path().string() + "/cgroup"));
            bool in = false;
            for (std::string line; std::getline(cg, line);) {
                const std::string tail = ":/" + id;
                in |= line.size() >= tail.size() && line.compare(line.size() - tail.size(), tail.size(), tail) == 0;
            }
            if (in || has_rootfs_as_root(e.path().string())) found.insert(p);
        }
        return found;
    }

    // Everything of ours still on the machine.
    std::vector<std::string> sweep() const {
        std::vector<std::string> found;
        std::error_code ec;
        const std::string self = std::to_string(getpid());
        for (const auto& e : fs::directory_iterator("/proc", ec)) {
            const std::string name = e.path().filename();
            if (name.find_first_not_of("0123456789") != std::string::npos || name == self) continue;
            // A zombie is ours only if we are its parent: an orphaned init
            // waits for PID 1, which reaps late here, its cgroup already gone.
            auto info = proc_info(std::stoi(name));
            if (!info) continue;
            if (info->state == 'Z' || info->state == 'X') {
                if (info->ppid == getpid()) found.push_back("zombie " + name + ", our child");
                continue;
            }
            std::string cmd = read_or_empty(e.path().string() + "/cmdline");
            for (auto& ch : cmd)
                if (ch == '\0') ch = ' ';
            if (contains(cmd, root_)) found.push_back("berth process " + name + ": " + cmd);
            std::istringstream cg(read_or_empty(e.path().string() + "/cgroup"));
            for (std::string line; std::getline(cg, line);)
                if (contains(line, ":/" + prefix_) || contains(line, "/" + cgprefix_ + "/")) {
                    found.push_back("container process " + name + " (" + cmd + ") in " + line);
                    break;
                }
            if (has_rootfs_as_root(e.path().string()))
                found.push_back("process " + name + " (" + cmd + ") has our rootfs as its root");
        }
        std::istringstream mi(read_or_empty("/proc/self/mountinfo"));
        for (std::string line; std::getline(mi, line);)
            if (contains(line, " " + tmp_->path() + "/")) found.push_back("mount: " + line);
        auto scan_cgroups = [&](const std::string& hierarchy) {
            for (const auto& e : fs::directory_iterator(hierarchy, ec))
                if (e.is_directory() && starts_with(e.path().filename(), prefix_))
                    found.push_back("cgroup " + e.path().string());
            for (const auto& e : fs::directory_iterator(hierarchy + "/" + cgprefix_, ec))
                if (e.is_directory()) found.push_back("cgroup " + e.path().string());
        };
        scan_cgroups("/sys/fs/cgroup");
        for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec))
            if (h.is_directory() && !h.is_symlink()) scan_cgroups(h.path());
        for (const auto& e : fs::directory_iterator(root_, ec)) found.push_back("state entry " + e.path().string());
        return found;
    }

    // After a round of concurrent verbs: berth's state against the machine.
    std::vector<std::string> check_consistent(const std::string& id) const {
        std::vector<std::string> problems;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(root_, ec))
            if (e.path().filename() != id) problems.push_back("stray entry in the state root: " + e.path().string());
        const std::string dir = root_ + "/" + id;
        const bool have_dir = fs::is_directory(dir, ec);
        json raw;
        if (have_dir) {
            for (const auto& e : fs::directory_iterator(dir, ec)) {
                const std::string f = e.path().filename();
                if (f != "state.json" && f != "exec.fifo" && f != "exec.json")
                    problems.push_back("unexpected file " + e.path().string());
            }
            try {
                raw = json::parse(read_text(dir + "/state.json"));
            } catch (const std::exception& e) {
                problems.push_back(std::string("state.json missing or invalid once every verb has returned: ") +
                                   e.what());
            }
        }
        Call s = berth({"state", id});
        if (s.code != 0) {
            if (have_dir) problems.push_back("`state` failed though " + dir + " exists: " + s.err);
            else if (s.code != 1 || !contains(s.err, "container does not exist"))
                problems.push_back("`state` of a deleted container: exit " + std::to_string(s.code) + ": " + s.err);
            if (auto p = container_processes(id); !p.empty())
                problems.push_back("container processes left with no state: " + json(p).dump());
            if (auto cg = cgroups_of(id, ""); !cg.empty())
                problems.push_back("cgroups left with no state: " + json(cg).dump());
            return problems;
        }
        json st;
        try {
            st = json::parse(s.out);
        } catch (const std::exception& e) {
            problems.push_back("`state` printed invalid JSON: " + s.out);
            return problems;
        }
        if (!have_dir) problems.push_back("`state` succeeded with no state directory");
        if (raw.is_null()) return problems;
        const std::string status = st.value("status", "");
        const pid_t pid = raw.value("pid", 0);
        const bool live = pid > 0 && alive(pid, raw.value("start_time", uint64_t{0}));
        const bool fifo = exists(dir + "/exec.fifo");
        const std::string facts = " (init " + std::to_string(pid) + " alive " + std::to_string(live) + " stub " +
                                  std::to_string(runs_stub(pid)) + " fifo " + std::to_string(fifo) + ")";
        if (status == "created") {
            if (!live || !runs_stub(pid) || !fifo) problems.push_back("status created" + facts);
        } else if (status == "running") {
            if (!live || runs_stub(pid)) problems.push_back("status running" + facts);
        } else if (status == "stopped") {
            if (live) problems.push_back("status stopped" + facts);
        } else {
            problems.push_back("status \"" + status + "\" once every verb has returned" + facts);
        }
        if (st.value("pid", -1) != (status == "stopped" ? 0 : pid))
            problems.push_back("`state` says pid " + std::to_string(st.value("pid", -1)) + ", state.json " +
                               std::to_string(pid));
        std::set<pid_t> allowed;
        if (live) allowed.insert(pid);
        for (pid_t p : container_processes(id))
            if (!allowed.count(p))
                problems.push_back("container process " + std::to_string(p) + " besides init" + facts);
        return problems;
    }

    // check_consistent once the machine has settled: `kill` returns once the
    // signal is sent, and a dying init (its memory gone, not yet a zombie)
    // still reads as alive to `state` for a moment. A real inconsistency
    // persists; this gives a dying process 3 s.
    std::vector<std::string> check_settled(const std::string& id) const {
        std::vector<std::string> problems;
        for (int attempt = 0; attempt < 15; ++attempt) {
            problems = check_consistent(id);
            if (problems.empty()) break;
            nap_ms(200);
        }
        return problems;
    }

    // Bring the id to the state a round starts from.
    std::string round_setup(const std::string& id, int round) {
        const std::string pidfile = tmp_->path() + "/setup.pid";
        const std::string sleep_bundle = tmp_->path() + "/b-sleep";
        const int mode = round % 4;  // 0: as the last round left it, 1: created, 2: running, 3: stopped
        if (mode == 0) return "";
        std::vector<std::vector<std::string>> steps = {{"delete", "--force", id},
                                                       {"create", "--bundle", sleep_bundle, "--pid-file", pidfile, id}};
        if (mode >= 2) steps.push_back({"start", id});
        if (mode == 3) steps.push_back({"kill", id, "KILL"});
        for (auto& args : steps) {
            Call c = berth(args);
            if (c.code != 0) return "setup " + args[0] + ": " + c.err;
        }
        if (mode == 3 && !wait_exit(std::stoi(read_text(pidfile)), 60)) return "setup: killed init still alive";
        return "";
    }

    // Every row once plus one at random, all at once; the problems of verbs
    // that neither succeeded nor failed cleanly.
    std::vector<std::string> hammer_round(const std::string& id, int round, std::mt19937& rng) {
        const auto& table = verb_table();
        std::vector<size_t> rows;
        for (size_t i = 0; i < table.size(); ++i) rows.push_back(i);
        rows.push_back(rng() % table.size());
        std::shuffle(rows.begin(), rows.end(), rng);
        std::vector<Call> calls(rows.size());
        std::vector<std::thread> threads;
        for (size_t k = 0; k < rows.size(); ++k) {
            std::vector<std::string> args = table[rows[k]].args;
            for (auto& a : args) {
                if (a == "@ID@") a = id;
                else if (a == "@SLEEP@") a = tmp_->path() + "/b-sleep";
                else if (a == "@PIDFILE@")
                    a = tmp_->path() + "/h" + std::to_string(round) + "-" + std::to_string(k) + ".pid";
            }
            threads.emplace_back([this, &calls, k, args] { calls[k] = berth(args); });
        }
        for (auto& t : threads) t.join();
        std::vector<std::string> problems;
        for (size_t k = 0; k < rows.size(); ++k) {
            const VerbRow& row = table[rows[k]];
            const Call& c = calls[k];
            const std::string what = std::string(row.name) + ": ";
            if (c.code == 0) {
                // What state, list and ps print is whole, valid JSON.
                try {
                    json j = row.args[0] == "state" || row.args[0] == "list" || row.args[0] == "ps" ? json::parse(c.out)
                                                                                                    : json();
                    json states = row.args[0] == "state" ? json::array({j}) : row.args[0] == "list" ? j : json::array();
                    for (const auto& st : states) {
                        const std::string status = st.value("status", "");
                        if (st.value("id", "") != id ||
                            (status != "created" && status != "running" && status != "stopped"))
                            problems.push_back(what + "printed " + c.out);
                    }
                    if (row.args[0] == "ps" && (!j.is_array() || !std::all_of(j.begin(), j.end(), [](const json& p) {
                            return p.is_number_integer();
                        })))
                        problems.push_back(what + "printed " + c.out);
                } catch (const std::exception&) {
                    problems.push_back(what + "printed invalid JSON: " + c.out);
                }
            } else if (c.code == 124) {
                problems.push_back(what + "hung (killed after 60 s)");
            } else if (row.args[0] == "exec" && c.code == 128 + SIGKILL) {
                // The exec'd process was killed by a concurrent kill or delete --force.
            } else if (c.code != (row.args[0] == "exec" ? 255 : 1)) {  // exec fails with 255, as runc's
                problems.push_back(what + "crashed, exit " + std::to_string(c.code) + ": " + c.err);
            } else {
                bool ok = starts_with(c.err, "berth: ") && !contains(c.err, "terminate called") &&
                          !contains(c.err, "corrupt state");
                ok = ok && std::any_of(row.accepted.begin(), row.accepted.end(),
                                       [&](const std::string& a) { return contains(c.err, a); });
                if (!ok) problems.push_back(what + "failed with an unexpected message: " + c.err);
            }
        }
        return problems;
    }

    std::unique_ptr<TempDir> tmp_;
    std::string root_, prefix_, cgprefix_, rootfs_;
    json base_;
};

TEST_F(Stress, SequentialLifecycles) {
    const int n = env_int("BERTH_STRESS_SEQUENTIAL", 50);
    const std::string b_true = tmp_->path() + "/b-true", b_sleep = tmp_->path() + "/b-sleep";
    std::vector<long> rss_create, rss_delete;
    const auto t0 = Clock::now();
    for (int i = 1; i <= n; ++i) {
        const Kind kind = std::vector<Kind>{Kind::Run, Kind::Exit, Kind::Kill, Kind::KillCreated}[i % 4];
        const std::string& b = kind == Kind::Exit || kind == Kind::Run ? b_true : b_sleep;
        EXPECT_EQ(lifecycle(prefix_ + "s" + std::to_string(i), kind, b, "", i <= 8, &rss_create, &rss_delete), "");
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::cout << "[ stress ] " << n << " sequential lifecycles in " << secs << " s: " << n / secs << "/s\n";
    EXPECT_EQ(run_probe(prefix_ + "probe"), "");
    EXPECT_EQ(sweep(), std::vector<std::string>{});
    EXPECT_EQ(rss_growth(rss_create, "create"), "");
    EXPECT_EQ(rss_growth(rss_delete, "delete"), "");
}

TEST_F(Stress, ParallelLoops) {
    const int loops = env_int("BERTH_STRESS_LOOPS", 4), per_loop = env_int("BERTH_STRESS_PER_LOOP", 10);
    std::mutex mu;
    std::vector<std::string> failures;
    std::vector<std::thread> threads;
    const auto t0 = Clock::now();
    for (int k = 0; k < loops; ++k) {
        // Even loops name their cgroup (one container at a time per loop).
        const std::string cg = k % 2 == 0 ? "/" + cgprefix_ + "/loop" + std::to_string(k) : "";
        const std::string b = bundle("loop" + std::to_string(k), {"true"}, cg);
        threads.emplace_back([&, k, cg, b] {
            for (int j = 1; j <= per_loop; ++j) {
                std::string r = lifecycle(prefix_ + "p" + std::to_string(k) + "-" + std::to_string(j),
                                          j % 2 ? Kind::Run : Kind::Exit, b, cg, false);
                if (!r.empty()) {
                    std::lock_guard<std::mutex> lock(mu);
                    failures.push_back(r);
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::cout << "[ stress ] " << loops << " x " << per_loop << " parallel lifecycles in " << secs
              << " s: " << loops * per_loop / secs << "/s\n";
    EXPECT_EQ(failures, std::vector<std::string>{});
    EXPECT_EQ(sweep(), std::vector<std::string>{});
}

TEST_F(Stress, ConcurrentVerbsOnOneId) {
    const int rounds = env_int("BERTH_STRESS_ROUNDS", 20);
    const std::string id = prefix_ + "h";
    std::mt19937 rng(static_cast<unsigned>(env_int("BERTH_STRESS_SEED", static_cast<int>(getpid()))));
    for (int r = 1; r <= rounds; ++r) {
        SCOPED_TRACE("round " + std::to_string(r));
        EXPECT_EQ(round_setup(id, r), "");
        EXPECT_EQ(hammer_round(id, r, rng), std::vector<std::string>{});
        EXPECT_EQ(check_settled(id), std::vector<std::string>{});
    }
    Call c = berth({"delete", "--force", id});
    EXPECT_EQ(c.code, 0) << c.err;
    EXPECT_EQ(sweep(), std::vector<std::string>{});
}

}  // namespace
}  // namespace berth::test
