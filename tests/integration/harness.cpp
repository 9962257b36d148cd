#include "harness.hpp"

#include <chrono>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/fd_passing.hpp"

namespace berth::test {

namespace fs = std::filesystem;

Result run_berth(const std::string& root, const std::vector<std::string>& args, const std::vector<std::string>& env,
                 const std::vector<int>& keep_fds, int timeout_s) {
    std::vector<std::string> argv_s = {BERTH_BIN, "--root", root, "--plugin-config", BERTH_TEST_PLUGIN_CONFIG};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    return run_program(argv_s, env, keep_fds, timeout_s);
}

Result run_program(const std::vector<std::string>& argv_s, const std::vector<std::string>& env,
                   const std::vector<int>& keep_fds, int timeout_s) {
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
        for (int fd : keep_fds) fcntl(fd, F_SETFD, 0);
        std::vector<char*> argv;
        for (auto& a : argv_s) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        std::vector<std::string> env_s = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
        env_s.insert(env_s.end(), env.begin(), env.end());
        std::vector<char*> envp;
        for (auto& e : env_s) envp.push_back(e.data());
        envp.push_back(nullptr);
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    Result r;
    // Read until berth has exited and the pipes are drained. A created
    // container inherits berth's stdio and may keep the pipes open for long.
    for (int fd : {out[0], err[0]}) fcntl(fd, F_SETFL, O_NONBLOCK);
    struct pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    auto drain = [&] {
        for (int i = 0; i < 2; ++i) {
            if (p[i].fd < 0) continue;
            char buf[4096];
            ssize_t n;
            while ((n = read(p[i].fd, buf, sizeof buf)) > 0)
                (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
            if (n == 0) p[i].fd = -1;  // EOF: poll ignores negative fds
        }
    };
    int status = 0;
    struct rusage ru {};
    bool exited = false;
    time_t deadline = time(nullptr) + timeout_s;
    while (!exited) {
        poll(p, 2, 20);
        drain();
        exited = wait4(pid, &status, WNOHANG, &ru) == pid;
        if (!exited && time(nullptr) >= deadline) {
            kill(pid, SIGKILL);
            wait4(pid, &status, 0, &ru);
            exited = true;
            r.err += "\n[harness: " + argv_s[0] + " timed out after " + std::to_string(timeout_s) + "s]";
        }
    }
    // A foreground run's container has exited too: collect its last output.
    for (int i = 0; i < 10 && (p[0].fd >= 0 || p[1].fd >= 0); ++i) {
        poll(p, 2, 10);
        drain();
    }
    close(out[0]);
    close(err[0]);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r.max_rss_kb = ru.ru_maxrss;
    r.seconds = static_cast<double>(t1.tv_sec - t0.tv_sec) + static_cast<double>(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return r;
}

TempDir::TempDir(const std::string& prefix) {
    std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
    path_ = tmpl;
    chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

Bundle::Bundle(const std::string& dir, const std::vector<std::string>& args) : dir_(dir) {
    const std::string bin = rootfs() + "/bin";
    for (const char* d : {"/bin", "/proc", "/sys", "/dev", "/tmp", "/etc", "/root"})
        fs::create_directories(rootfs() + d);
    fs::copy_file("/bin/busybox", bin + "/busybox", fs::copy_options::overwrite_existing);
    FILE* list = popen("/bin/busybox --list", "r");
    char name[256];
    while (list && fgets(name, sizeof name, list)) {
        std::string n(name);
        n.erase(n.find_last_not_of("\n") + 1);
        if (!n.empty() && n != "busybox") symlink("busybox", (bin + "/" + n).c_str());
    }
    if (list) pclose(list);
    std::ofstream(rootfs() + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n";
    std::ofstream(rootfs() + "/etc/group") << "root:x:0:\nnogroup:x:65534:\n";
    Result r = run_berth("/tmp", {"spec", "--bundle", dir_});
    if (r.code != 0) throw std::runtime_error("berth spec: " + r.err);
    config = nlohmann::json::parse(read_text(dir_ + "/config.json"));
    config["process"]["terminal"] = false;
    config["process"]["args"] = args;
    config["root"]["readonly"] = false;
    save();
}

void Bundle::save() const { std::ofstream(dir_ + "/config.json") << config.dump(2); }

std::string unique_id(const std::string& prefix) {
    static std::atomic<int> n{0};
    return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(n++);
}

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

char proc_state(pid_t pid) {
    std::string s = read_text("/proc/" + std::to_string(pid) + "/stat");
    size_t close = s.rfind(')');
    if (close == std::string::npos || close + 2 >= s.size()) return 0;
    return s[close + 2];
}

std::vector<std::string> leftovers(const std::string& root, const std::string& id, const std::string& rootfs) {
    std::vector<std::string> found;
    std::error_code ec;
    // The state dir, or the temporary name of a create that crashed before
    // naming it ("creating:<pid>:<id>").
    for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename();
        const std::string suffix = ":" + id;
        if (name == id ||
            (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0))
            found.push_back("state dir " + it->path().string());
    }
    auto ours = [&](const fs::path& p) {
        const std::string name = p.filename();
        return name == id || name == "berthtest-" + id;
    };
    for (const auto& entry : fs::directory_iterator("/sys/fs/cgroup")) {
        // cgroup v2 mounted at /sys/fs/cgroup: its top-level cgroups are here.
        if (entry.is_directory() && ours(entry.path())) found.push_back("cgroup " + entry.path().string());
        for (auto it = fs::recursive_directory_iterator(entry.path(), ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (it.depth() > 3) {
                it.disable_recursion_pending();
                continue;
            }
            if (it->is_directory() && ours(it->path())) found.push_back("cgroup " + it->path().string());
        }
    }
    // Processes whose command line names the id (berth init carries args only),
    // or whose root is the bundle's rootfs.
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string cmd = read_text(entry.path().string() + "/cmdline");
        for (auto& c : cmd)
            if (c == '\0') c = ' ';
        if (cmd.find(id) != std::string::npos && cmd.find("berth") != std::string::npos &&
            std::stoi(name) != getpid()) {
            found.push_back("process " + name + ": " + cmd);
            continue;
        }
        if (rootfs.empty()) continue;
        char target[4096];
        ssize_t n = readlink((entry.path().string() + "/root").c_str(), target, sizeof target - 1);
        if (n > 0 && std::string(target, static_cast<size_t>(n)).rfind(rootfs, 0) == 0 &&
            proc_state(std::stoi(name)) != 'Z')
            found.push_back("process " + name + " in the rootfs: " + cmd);
    }
    std::string mounts = read_text("/proc/self/mountinfo");
    if (mounts.find("/" + id + "/") != std::string::npos) found.push_back("mount mentioning " + id);
    if (!rootfs.empty() && mounts.find(" " + rootfs) != std::string::npos) found.push_back("mount of " + rootfs);
    return found;
}

std::vector<std::string> stray_init_fds(pid_t pid, int preserved) {
    std::vector<std::string> stray;
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename();
        int fd = std::stoi(name);
        if (fd <= 2 || (fd >= 3 && fd < 3 + preserved)) continue;
        char target[4096];
        ssize_t n = readlink(it->path().c_str(), target, sizeof target - 1);
        std::string t = n > 0 ? std::string(target, static_cast<size_t>(n)) : "?";
        const std::string fifo = "/exec.fifo";
        if (t.size() > fifo.size() && t.compare(t.size() - fifo.size(), fifo.size(), fifo) == 0) continue;
        stray.push_back("fd " + name + " -> " + t);
    }
    return stray;
}

bool has_fault_points(const std::string& root, const std::string& id, const std::string& dir) {
    const std::string probe = dir + "/probe.trace";
    run_berth(root, {"exec", id, "true"}, {"BERTH_FAULT_TRACE=" + probe});
    return read_text(probe).find("exec.state-read") != std::string::npos;
}

pid_t ns_pid(pid_t pid) {
    const std::string st = read_text("/proc/" + std::to_string(pid) + "/status");
    const size_t at = st.find("NSpid:");
    if (at == std::string::npos) return 0;
    const std::string line = st.substr(at, st.find('\n', at) - at);
    return std::atoi(line.substr(line.find_last_of(" \t") + 1).c_str());
}

HeldExec::HeldExec(const std::string& root, const std::string& step, const std::vector<std::string>& args,
                   const std::vector<std::string>& env) {
    std::vector<std::string> argv_s = {BERTH_BIN, "--root", root, "--plugin-config", BERTH_TEST_PLUGIN_CONFIG, "exec"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<std::string> env_s = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "BERTH_FAULT_STOP=" + step};
    env_s.insert(env_s.end(), env.begin(), env.end());
    std::vector<char*> argv, envp;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    berth = fork();
    if (berth == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execve(argv[0], argv.data(), envp.data());
        _exit(127);
    }
    int status = 0;
    // WUNTRACED: berth has stopped itself at the step.
    if (berth < 0 || waitpid(berth, &status, WUNTRACED) != berth || !WIFSTOPPED(status)) return;
    const std::string b = std::to_string(berth);
    helper = std::atoi(read_text("/proc/" + b + "/task/" + b + "/children").c_str());
}

int HeldExec::release() {
    if (berth <= 0) return -1;
    kill(berth, SIGCONT);
    int status = -1;
    while (waitpid(berth, &status, 0) < 0 && errno == EINTR) {
    }
    berth = -1;
    return status;
}

HeldExec::~HeldExec() { release(); }

void ContainerTest::SetUp() {
    if (geteuid() != 0) GTEST_SKIP() << "integration tests run containers and need root";
    tmp_ = std::make_unique<TempDir>();
    root_ = tmp_->path() + "/state";
}

void ContainerTest::TearDown() {
    for (auto& i : ids_) run_berth(root_, {"delete", "--force", i});
    for (auto& i : ids_) EXPECT_EQ(leftovers(root_, i), std::vector<std::string>{}) << i;
}

std::string ContainerTest::id(const std::string& prefix) {
    ids_.push_back(unique_id(prefix));
    return ids_.back();
}

ConsoleSocket::ConsoleSocket(const std::string& path) : path_(path) {
    listener_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (listener_ < 0 || path.size() >= sizeof addr.sun_path) throw std::runtime_error("console socket " + path);
    strcpy(addr.sun_path, path.c_str());
    if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || listen(listener_, 4) < 0)
        throw std::runtime_error("bind console socket " + path);
}

ConsoleSocket::~ConsoleSocket() {
    if (listener_ >= 0) close(listener_);
    unlink(path_.c_str());
}

int ConsoleSocket::take_master(int timeout_ms) {
    struct pollfd pl = {listener_, POLLIN, 0};
    if (poll(&pl, 1, timeout_ms) <= 0) return -1;
    int conn = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return -1;
    char name[128];
    int master = -1;
    struct pollfd pc = {conn, POLLIN, 0};
    if (poll(&pc, 1, timeout_ms) > 0 && berth::receive_with_fd(conn, name, sizeof name, &master) <= 0 && master >= 0) {
        close(master);  // a fd without the pty's name is not the console
        master = -1;
    }
    close(conn);
    return master;
}

std::string read_pty_until(int master, const std::string& marker) {
    std::string out;
    char buf[256];
    // A deadline, not a number of polls: a busy pty ends polls early, and a
    // TCG guest on a loaded host needs seconds to start a shell.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (out.find(marker) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
        struct pollfd pf = {master, POLLIN, 0};
        if (poll(&pf, 1, 100) > 0) {
            ssize_t n = read(master, buf, sizeof buf);
            if (n <= 0) break;
            out.append(buf, static_cast<size_t>(n));
        }
    }
    return out;
}

bool unified_host() {
    struct statfs fs;
    return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

std::string cgroup_dir(pid_t pid, const std::string& controller) {
    std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/cgroup"));
    std::string line;
    while (std::getline(in, line)) {
        size_t a = line.find(':'), b = line.find(':', a + 1);
        std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        if (unified_host() && ctrls.empty()) return "/sys/fs/cgroup" + path;
        if (!unified_host() && ("," + ctrls + ",").find("," + controller + ",") != std::string::npos)
            return "/sys/fs/cgroup/" + controller + path;
    }
    return "";
}

nlohmann::json seccomp_allowlist(const std::vector<std::string>& extra) {
    // clang-format off
    std::vector<std::string> names = {
        "access", "arch_prctl", "brk", "chdir", "clone", "clone3", "close",
        "close_range", "dup", "dup2", "dup3", "execve", "execveat", "exit", "exit_group",
        "faccessat", "faccessat2", "fcntl", "fork", "fstat", "futex", "getcwd", "getdents64",
        "getegid", "geteuid", "getgid", "getpgrp", "getpid", "getppid", "getrandom", "getuid",
        "ioctl", "lseek", "lstat", "mmap", "mprotect", "munmap", "newfstatat", "open", "openat",
        "pipe", "pipe2", "poll", "prctl", "pread64", "prlimit64", "read", "readlink", "rseq",
        "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "set_robust_list", "set_tid_address",
        "setpgid", "sigaltstack", "stat", "statx", "uname", "vfork", "wait4", "write", "writev",
    };
    // clang-format on
    names.insert(names.end(), extra.begin(), extra.end());
    return {{"defaultAction", "SCMP_ACT_ERRNO"},
            {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"}},
            {"syscalls", {{{"names", names}, {"action", "SCMP_ACT_ALLOW"}}}}};
}

}  // namespace berth::test
