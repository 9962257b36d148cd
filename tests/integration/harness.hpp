// Integration test harness: runs the real berth binary as root against real
// busybox bundles, each test with its own --root and plugin config.
#pragma once

#include <sys/types.h>

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth::test {

struct Result {
    int code = -1;  // exit status, or 128+signal
    std::string out;
    std::string err;
    long max_rss_kb = 0;  // berth's peak RSS (wait4), children it reaped included
    double seconds = 0;   // wall time of the berth command
};

// Runs berth with the test's global flags in front of `args`. `env` entries
// are added to a minimal environment; `keep_fds` are passed through as-is.
Result run_berth(const std::string& root, const std::vector<std::string>& args,
                 const std::vector<std::string>& env = {}, const std::vector<int>& keep_fds = {}, int timeout_s = 60);

// The same for any program: argv[0] is its path.
Result run_program(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                   const std::vector<int>& keep_fds = {}, int timeout_s = 60);

// A temp directory that removes itself.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "berth-test");
    ~TempDir();
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// A bundle with a busybox rootfs (copied from the host's busybox-static) and
// a config from `berth spec`, terminal off, running `args`.
class Bundle {
public:
    Bundle(const std::string& dir, const std::vector<std::string>& args);
    const std::string& dir() const { return dir_; }
    std::string rootfs() const { return dir_ + "/rootfs"; }
    nlohmann::json config;
    void save() const;

private:
    std::string dir_;
};

std::string unique_id(const std::string& prefix);
std::string read_text(const std::string& path);
bool exists(const std::string& path);
// What the machine has for a container id: state dir (or a create's
// temporary one), cgroup dirs named <id> or berthtest-<id> (the top of a
// custom nested cgroupsPath such as /berthtest-<id>/a/b) in every hierarchy,
// processes of berth naming the id, mounts naming the id. Given the bundle's
// rootfs, also processes whose root is in it and mounts of it.
std::vector<std::string> leftovers(const std::string& root, const std::string& id, const std::string& rootfs = "");
// The fds of a created container's init (or of its process) that should not
// be open: anything but 0-2, the `preserved` fds 3..3+N-1 and, while init
// waits for start, its exec.fifo. Each as "fd N -> target".
std::vector<std::string> stray_init_fds(pid_t pid, int preserved = 0);
// Status from /proc/PID/stat ('Z' for a zombie, 0 when gone).
char proc_state(pid_t pid);
// Whether /sys/fs/cgroup is cgroup v2 (the guest) rather than v1 (this host).
bool unified_host();
// A process's cgroup dir, from the host's view: the v1 dir of `controller`,
// or on a v2 host the unified one.
std::string cgroup_dir(pid_t pid, const std::string& controller);

// Whether this build has crash points (-Dfault_injection=true), tried with a
// `berth exec ID true` traced into a file under `dir`.
bool has_fault_points(const std::string& root, const std::string& id, const std::string& dir);

// The innermost pid of a process (NSpid in /proc/PID/status): as the
// container sees it. 0 when unknown.
pid_t ns_pid(pid_t pid);

// `berth exec ARGS...` (options, the id, the command) held at a crash point (BERTH_FAULT_STOP=step, a
// test build): berth has stopped itself there, and `helper` is its helper
// process in the container (its child). `env` adds to berth's environment;
// berth's stdio is /dev/null. release() lets berth go on and returns its
// wait status; the destructor releases it too.
class HeldExec {
public:
    HeldExec(const std::string& root, const std::string& step, const std::vector<std::string>& args,
             const std::vector<std::string>& env = {});
    ~HeldExec();
    HeldExec(const HeldExec&) = delete;
    HeldExec& operator=(const HeldExec&) = delete;
    bool held() const { return helper > 0; }
    int release();
    pid_t berth = -1;
    pid_t helper = 0;
};

// The receiving end of --console-socket, as conmon and the shims hold it.
// Listening from construction: berth's connect completes in the backlog and
// its SCM_RIGHTS message waits in the socket, so no thread is needed.
class ConsoleSocket {
public:
    explicit ConsoleSocket(const std::string& path);
    ~ConsoleSocket();
    const std::string& path() const { return path_; }
    // The pty master berth sent, or -1 when none came within `timeout_ms`.
    int take_master(int timeout_ms = 20000);

private:
    std::string path_;
    int listener_ = -1;
};

// Reads a pty master until `marker` has been seen or 20 s have passed.
std::string read_pty_until(int master, const std::string& marker);

// A test that runs containers: its own --root in a temp dir; every id it
// hands out is force-deleted afterwards and must leave nothing behind.
class ContainerTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;
    std::string id(const std::string& prefix = "c");
    Result berth(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                 const std::vector<int>& keep_fds = {}) {
        return run_berth(root_, args, env, keep_fds);
    }

    std::unique_ptr<TempDir> tmp_;
    std::string root_;
    std::vector<std::string> ids_;
};

// linux.seccomp denying everything but what a shell and berth's own last
// steps (the exec helper's, the stub's) need, as Docker's and podman's
// allowlists do, plus `extra`.
nlohmann::json seccomp_allowlist(const std::vector<std::string>& extra = {});

}  // namespace berth::test
