// Escape tests: one per known class of runtime CVE. Each builds a hostile
// rootfs, bundle or volume, runs real containers as root, and checks that the
// host is untouched (canary files and directories, host mounts, host sysctls,
// the berth binary). docs/security.md maps each test to the defence it checks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <functional>
#include <map>
#include <thread>

#include "harness.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A host directory with a file in it that no container may touch: content,
// mtime and the host's mount table are compared after the attack.
class Canary {
public:
    Canary() : dir_("berth-canary") {
        file_ = dir_.path() + "/canary";
        std::ofstream(file_) << "untouched\n";
        stat(file_.c_str(), &before_);
    }
    const std::string& dir() const { return dir_.path(); }
    const std::string& file() const { return file_; }
    // Empty when untouched; otherwise what changed.
    std::string damage() const {
        std::string d;
        struct stat now {};
        if (stat(file_.c_str(), &now) != 0) return "canary file is gone";
        if (read_text(file_) != "untouched\n") d += "canary content changed; ";
        if (now.st_mtim.tv_sec != before_.st_mtim.tv_sec || now.st_mtim.tv_nsec != before_.st_mtim.tv_nsec)
            d += "canary mtime changed; ";
        if (now.st_dev != before_.st_dev || now.st_ino != before_.st_ino) d += "canary replaced or mounted over; ";
        size_t entries = 0;
        for (auto& e : fs::directory_iterator(dir_.path())) entries += e.path() != file_;
        if (entries) d += "new entries in the canary dir; ";
        if (read_text("/proc/self/mountinfo").find(dir_.path()) != std::string::npos)
            d += "a mount on the host under the canary dir; ";
        return d;
    }

private:
    TempDir dir_;
    std::string file_;
    struct stat before_ {};
};

void drop_mount(json& config, const std::string& destination) {
    json kept = json::array();
    for (auto& m : config["mounts"])
        if (m["destination"] != destination) kept.push_back(m);
    config["mounts"] = kept;
}

void drop_namespace(json& config, const std::string& type) {
    json kept = json::array();
    for (auto& ns : config["linux"]["namespaces"])
        if (ns["type"] != type) kept.push_back(ns);
    config["linux"]["namespaces"] = kept;
}

std::string sha_of(const std::string& path) {
    FILE* p = popen(("sha256sum " + path).c_str(), "r");
    char buf[128] = {};
    if (p) {
        if (!fgets(buf, sizeof buf, p)) buf[0] = 0;
        pclose(p);
    }
    return buf;
}

class Escape : public ContainerTest {
protected:
    std::unique_ptr<Bundle> bundle(const std::vector<std::string>& args) {
        static int n = 0;
        return std::make_unique<Bundle>(tmp_->path() + "/bundle" + std::to_string(n++), args);
    }
    Result run(Bundle& b, const std::string& prefix = "run") { return berth({"run", "--bundle", b.dir(), id(prefix)}); }
};

// ---- 1. mount destinations that are symlinks out of the rootfs ----

TEST_F(Escape, MountDestinationSymlinksStayInRootfs) {
    Canary host;
    auto b = bundle({"sh", "-c", "echo ok"});
    const std::string r = b->rootfs();
    ASSERT_EQ(symlink(host.dir().c_str(), (r + "/abs").c_str()), 0);
    ASSERT_EQ(symlink(("../../../../../../../../../.." + host.dir()).c_str(), (r + "/rel").c_str()), 0);
    ASSERT_EQ(symlink("/chain2", (r + "/chain1").c_str()), 0);
    ASSERT_EQ(symlink("chain3/../chain4", (r + "/chain2").c_str()), 0);
    fs::create_directories(r + "/chain3");
    ASSERT_EQ(symlink(("../.." + host.dir()).c_str(), (r + "/chain4").c_str()), 0);
    const std::string bind_src = tmp_->path() + "/bindsrc";
    fs::create_directories(bind_src);
    std::ofstream(bind_src + "/file") << "x";
    for (const char* d : {"/abs/m-abs", "/rel/m-rel", "/chain1/m-chain"})
        b->config["mounts"].push_back({{"destination", d}, {"type", "tmpfs"}, {"source", "tmpfs"}});
    b->config["mounts"].push_back({{"destination", "/abs/canary"},
                                   {"type", "bind"},
                                   {"source", bind_src + "/file"},
                                   {"options", {"bind", "ro"}}});
    b->config["mounts"].push_back(
        {{"destination", "/abs"}, {"type", "bind"}, {"source", bind_src}, {"options", {"rbind"}}});
    b->save();
    Result res = run(*b);
    EXPECT_EQ(res.code, 0) << res.err;
    EXPECT_EQ(host.damage(), "");
    for (const char* m : {"/m-abs", "/m-rel", "/m-chain"})
        EXPECT_TRUE(exists(r + host.dir() + m)) << "resolved inside the rootfs: " << m;
}

TEST_F(Escape, MountDestinationThroughProcMagicLinkFails) {
    // /proc is mounted first; /proc/1/root is init's root, which is the host's
    // root before pivot_root. A destination through it must not be followed.
    Canary host;
    auto b = bundle({"true"});
    ASSERT_EQ(symlink(("/proc/1/root" + host.dir()).c_str(), (b->rootfs() + "/hostroot").c_str()), 0);
    ASSERT_EQ(symlink("/proc/self/root", (b->rootfs() + "/selfroot").c_str()), 0);
    for (const std::string& dest : std::vector<std::string>{"/hostroot/evil", "/proc/1/root" + host.dir() + "/evil",
                                                            "/selfroot" + host.dir() + "/evil"}) {
        b->config["mounts"].push_back({{"destination", dest}, {"type", "tmpfs"}, {"source", "tmpfs"}});
        b->save();
        const std::string c = id("magic");
        Result res = berth({"run", "--bundle", b->dir(), c});
        EXPECT_EQ(res.code, 1) << dest;
        EXPECT_NE(res.err.find(dest), std::string::npos) << "the error names the destination: " << res.err;
        EXPECT_EQ(host.damage(), "") << dest;
        EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
        b->config["mounts"].erase(b->config["mounts"].size() - 1);
    }
}

// ---- 2. destinations that become symlinks; /proc that is not procfs ----

TEST_F(Escape, ProcSymlinkedToAHostPathIsMountedInside) {
    Canary host;
    auto b = bundle({"sh", "-c", "test -e /proc/self/status && echo procfs"});
    fs::remove(b->rootfs() + "/proc");
    ASSERT_EQ(symlink(host.dir().c_str(), (b->rootfs() + "/proc").c_str()), 0);
    b->save();
    Result res = run(*b);
    EXPECT_EQ(host.damage(), "");
    if (res.code == 0) {
        EXPECT_EQ(res.out, "procfs\n");
        EXPECT_TRUE(fs::is_directory(b->rootfs() + host.dir())) << "proc landed inside the rootfs";
    } else {
        EXPECT_NE(res.err.find("/proc"), std::string::npos) << res.err;
    }
}

TEST_F(Escape, MountOverProcFromAVolumeIsRefused) {
    // The container controls the volume: with it over /proc, masked and
    // read-only paths and /proc/self/fd would be the attacker's files.
    Canary host;
    const std::string vol = tmp_->path() + "/vol";
    fs::create_directories(vol + "/sys/kernel");
    fs::create_directories(vol + "/self");
    ASSERT_EQ(symlink(host.dir().c_str(), (vol + "/self/fd").c_str()), 0);
    ASSERT_EQ(symlink(host.file().c_str(), (vol + "/kcore").c_str()), 0);
    struct Case {
        const char* name;
        std::function<void(json&)> edit;
    } cases[] = {
        {"bind over /proc after proc",
         [&](json& c) {
             c["mounts"].push_back(
                 {{"destination", "/proc"}, {"type", "bind"}, {"source", vol}, {"options", {"rbind"}}});
         }},
        {"bind instead of proc",
         [&](json& c) {
             drop_mount(c, "/proc");
             c["mounts"].push_back(
                 {{"destination", "/proc"}, {"type", "bind"}, {"source", vol}, {"options", {"rbind"}}});
         }},
        {"tmpfs instead of proc",
         [&](json& c) {
             drop_mount(c, "/proc");
             c["mounts"].push_back({{"destination", "/proc"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
         }},
        {"bind over /proc/sys",
         [&](json& c) {
             c["mounts"].push_back(
                 {{"destination", "/proc/sys"}, {"type", "bind"}, {"source", vol + "/sys"}, {"options", {"rbind"}}});
         }},
        {"bind into /proc through a symlink",
         [&](json& c) {
             c["mounts"].push_back(
                 {{"destination", "/p/sys"}, {"type", "bind"}, {"source", vol + "/sys"}, {"options", {"rbind"}}});
         }},
    };
    for (auto& k : cases) {
        auto b = bundle({"true"});
        symlink("/proc", (b->rootfs() + "/p").c_str());
        k.edit(b->config);
        b->save();
        const std::string c = id("proc");
        Result res = berth({"run", "--bundle", b->dir(), c});
        EXPECT_EQ(res.code, 1) << k.name << ": " << res.err;
        EXPECT_NE(res.err.find("proc"), std::string::npos) << k.name << ": " << res.err;
        EXPECT_EQ(host.damage(), "") << k.name;
        EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{}) << k.name;
    }
    EXPECT_TRUE(fs::is_symlink(vol + "/kcore"));
}

TEST_F(Escape, SymlinkPlantedInASharedVolumeByAnEarlierContainer) {
    Canary host;
    const std::string vol = tmp_->path() + "/shared";
    fs::create_directories(vol);
    auto volume = [&](Bundle& b) {
        b.config["mounts"].push_back(
            {{"destination", "/vol"}, {"type", "bind"}, {"source", vol}, {"options", {"rbind"}}});
    };
    // The first container plants links at the next one's destinations.
    auto a = bundle({"sh", "-c",
                     "ln -s " + host.dir() + " /vol/abs && ln -s ../../../../../../.." + host.dir() +
                         " /vol/rel && ln -s /proc/1/root" + host.dir() + " /vol/magic && echo planted"});
    volume(*a);
    a->save();
    Result res = run(*a, "plant");
    ASSERT_EQ(res.code, 0) << res.err;
    ASSERT_EQ(res.out, "planted\n");
    auto b = bundle({"sh", "-c", "echo second"});
    volume(*b);
    // rel/sub first: its directory is made on disk before abs covers it.
    b->config["mounts"].push_back({{"destination", "/vol/rel/sub"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
    b->config["mounts"].push_back({{"destination", "/vol/abs"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
    b->save();
    res = run(*b, "victim");
    EXPECT_EQ(res.code, 0) << res.err;
    EXPECT_EQ(host.damage(), "");
    EXPECT_TRUE(exists(b->rootfs() + host.dir() + "/sub")) << "resolved inside the second rootfs";
    b->config["mounts"].push_back({{"destination", "/vol/magic/x"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
    b->save();
    const std::string c = id("victim");
    res = berth({"run", "--bundle", b->dir(), c});
    EXPECT_EQ(res.code, 1) << "a magic link is never followed";
    EXPECT_NE(res.err.find("/vol/magic/x"), std::string::npos) << res.err;
    EXPECT_EQ(host.damage(), "");
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
}

// ---- 3. masked paths (CVE-2025-31133 class) ----

// Prints "<name> <major>:<minor> <type>" for each masked file as the
// container sees it.
// (/proc/kcore is not in every kernel; these two are.)
const char* kStatMasked =
    "for f in /proc/keys /proc/timer_list; do echo \"$f $(stat -c '%t:%T %F' $f)\"; done; "
    "stat -f -c '/proc/acpi %T' /proc/acpi";

TEST_F(Escape, MaskedPathsUseARealDevNull) {
    const std::string core_pattern = read_text("/proc/sys/kernel/core_pattern");
    struct Case {
        const char* name;
        std::function<void(const std::string& dev)> plant;
    } cases[] = {
        {"symlink to a writable procfs file",
         [](const std::string& dev) {
             ASSERT_EQ(symlink("/proc/sys/kernel/core_pattern", (dev + "/null").c_str()), 0);
         }},
        {"symlink to a host path",
         [](const std::string& dev) { ASSERT_EQ(symlink("/etc/shadow", (dev + "/null").c_str()), 0); }},
        {"another device node",
         [](const std::string& dev) { ASSERT_EQ(mknod((dev + "/null").c_str(), S_IFCHR | 0666, makedev(1, 5)), 0); }},
        {"a regular file", [](const std::string& dev) { std::ofstream(dev + "/null") << "not null\n"; }},
        {"missing", [](const std::string&) {}},
    };
    for (auto& k : cases) {
        auto b = bundle({"sh", "-c", kStatMasked});
        // Without a /dev tmpfs the rootfs's own /dev is what the container has.
        drop_mount(b->config, "/dev");
        drop_mount(b->config, "/dev/pts");
        drop_mount(b->config, "/dev/shm");
        drop_mount(b->config, "/dev/mqueue");
        b->save();
        k.plant(b->rootfs() + "/dev");
        Result res = run(*b, "mask");
        EXPECT_EQ(res.code, 0) << k.name << ": " << res.err;
        EXPECT_EQ(
            res.out,
            "/proc/keys 1:3 character special file\n/proc/timer_list 1:3 character special file\n/proc/acpi tmpfs\n")
            << k.name;
    }
    EXPECT_EQ(read_text("/proc/sys/kernel/core_pattern"), core_pattern);
}

TEST_F(Escape, MaskedPathSymlinkedToAHostFile) {
    Canary host;
    auto b = bundle({"sh", "-c", "cat /masked 2>&1; echo; cat /magic 2>&1; true"});
    ASSERT_EQ(symlink(host.file().c_str(), (b->rootfs() + "/masked").c_str()), 0);
    b->config["linux"]["maskedPaths"].push_back("/masked");
    b->save();
    Result res = run(*b);
    EXPECT_EQ(res.code, 0) << res.err;
    EXPECT_EQ(res.out.find("untouched"), std::string::npos) << res.out;
    EXPECT_EQ(host.damage(), "");
    // Without a pid namespace /proc/1/root is the host's root.
    drop_namespace(b->config, "pid");
    ASSERT_EQ(symlink(("/proc/1/root" + host.file()).c_str(), (b->rootfs() + "/magic").c_str()), 0);
    b->config["linux"]["maskedPaths"].push_back("/magic");
    b->config["linux"]["readonlyPaths"].push_back("/magic");
    b->save();
    const std::string c = id("magic");
    res = berth({"run", "--bundle", b->dir(), c});
    EXPECT_EQ(host.damage(), "");
    if (res.code == 0) {
        EXPECT_EQ(res.out.find("untouched"), std::string::npos) << res.out;
    } else {
        EXPECT_NE(res.err.find("/magic"), std::string::npos) << res.err;
    }
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
}

// ---- 4. the console (CVE-2025-52565 class) ----

TEST_F(Escape, ConsoleSymlinksDoNotReachTheHost) {
    Canary host;
    const std::string console = host.dir() + "/console";
    const std::string ptmx = host.dir() + "/ptmx";
    for (const std::string which : {"console", "ptmx"}) {
        auto b = bundle({"sh", "-c", "tty; ls -l /dev/console 2>&1; echo on-the-pty"});
        b->config["process"]["terminal"] = true;
        drop_mount(b->config, "/dev");
        b->save();
        ASSERT_EQ(symlink(console.c_str(), (b->rootfs() + "/dev/console").c_str()), 0);
        if (which == "ptmx") ASSERT_EQ(symlink(ptmx.c_str(), (b->rootfs() + "/dev/ptmx").c_str()), 0);
        else ASSERT_EQ(symlink("pts/ptmx", (b->rootfs() + "/dev/ptmx").c_str()), 0);
        ConsoleSocket console_sock(tmp_->path() + "/console-" + which + ".sock");
        const std::string c = id("tty");
        Result r = berth({"create", "--console-socket", console_sock.path(), "--bundle", b->dir(), c});
        const int master = r.code == 0 ? console_sock.take_master() : -1;
        EXPECT_EQ(host.damage(), "") << which;
        EXPECT_FALSE(exists(console) || exists(ptmx)) << which;
        if (which == "ptmx") {
            EXPECT_EQ(r.code, 1) << "no pty master behind the container's /dev/ptmx";
            EXPECT_NE(r.err.find("ptmx"), std::string::npos) << r.err;
            EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
            continue;
        }
        ASSERT_EQ(r.code, 0) << r.err;
        ASSERT_GE(master, 0);
        struct stat sb {};
        ASSERT_EQ(fstat(master, &sb), 0);
        EXPECT_TRUE(S_ISCHR(sb.st_mode)) << "the console socket got a pty master";
        ASSERT_EQ(berth({"start", c}).code, 0);
        const std::string out = read_pty_until(master, "on-the-pty");
        close(master);
        EXPECT_NE(out.find("/dev/pts/0"), std::string::npos) << out;
        // The symlink was replaced, never followed: /dev/console is the pty.
        EXPECT_NE(out.find("crw"), std::string::npos) << out;
        EXPECT_EQ(host.damage(), "") << which;
    }
}

// ---- 5. writes through /proc/sys redirections (CVE-2025-52881 class) ----

TEST_F(Escape, SysctlsAreWrittenOnlyToProcfs) {
    Canary host;
    const std::string host_port = read_text("/proc/sys/net/ipv4/ip_unprivileged_port_start");
    const std::string host_domain = read_text("/proc/sys/kernel/domainname");
    // The volume the attacker controls: its "kernel/domainname" points at the
    // host canary, its "ipv4" at the canary dir.
    const std::string vol = tmp_->path() + "/sysvol";
    fs::create_directories(vol + "/kernel");
    fs::create_directories(vol + "/net");
    ASSERT_EQ(symlink(host.file().c_str(), (vol + "/kernel/domainname").c_str()), 0);
    ASSERT_EQ(symlink(host.dir().c_str(), (vol + "/net/ipv4").c_str()), 0);
    auto b = bundle({"sh", "-c", "cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/domainname"});
    b->config["linux"]["sysctl"] = {{"net.ipv4.ip_unprivileged_port_start", "777"},
                                    {"kernel.domainname", "escape.test"}};
    b->save();
    Result res = run(*b);
    ASSERT_EQ(res.code, 0) << res.err;
    EXPECT_EQ(res.out, "777\nescape.test\n") << "the container's own namespaces got the values";
    // Now with the volume over /proc/sys (directly, and through a tmpfs whose
    // link points there): refused, never written through. The process is
    // `true`, so a failure is berth's, not the container's.
    b->config["process"]["args"] = {"true"};
    for (const std::string how : {"direct", "tmpfs-link"}) {
        if (how == "direct") {
            b->config["mounts"].push_back(
                {{"destination", "/proc/sys"}, {"type", "bind"}, {"source", vol}, {"options", {"rbind"}}});
        } else {
            b->config["mounts"].push_back(
                {{"destination", "/t"}, {"type", "bind"}, {"source", vol}, {"options", {"rbind"}}});
            ASSERT_EQ(symlink("/proc/sys", (b->rootfs() + "/psys").c_str()), 0);
            b->config["mounts"].push_back({{"destination", "/psys/net"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
        }
        b->save();
        const std::string c = id("sysctl");
        res = berth({"run", "--bundle", b->dir(), c});
        EXPECT_EQ(res.code, 1) << how << ": " << res.out;
        EXPECT_NE(res.err.find("destination is inside procfs"), std::string::npos) << how << ": " << res.err;
        EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
        b->config["mounts"].erase(b->config["mounts"].size() - 1);
    }
    EXPECT_EQ(host.damage(), "");
    EXPECT_EQ(read_text("/proc/sys/net/ipv4/ip_unprivileged_port_start"), host_port);
    EXPECT_EQ(read_text("/proc/sys/kernel/domainname"), host_domain);
    EXPECT_TRUE(fs::is_symlink(vol + "/kernel/domainname"));
}

// ---- 6. fd leaks ----

TEST_F(Escape, OnlyStdioAndPreservedFdsReachTheContainer) {
    // ls opens the directory it lists as the lowest free fd: 4 with one
    // preserved fd, 3 without; anything else is a leak.
    auto b = bundle({"ls", "/proc/self/fd"});
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    int rd = fcntl(p[0], F_DUPFD_CLOEXEC, 20), wr = fcntl(p[1], F_DUPFD_CLOEXEC, 20);
    close(p[0]);
    close(p[1]);
    ASSERT_EQ(dup2(wr, 3), 3);
    close(wr);
    // Open in the caller without CLOEXEC but not preserved: must not show.
    int opened = open("/etc/hostname", O_RDONLY);
    ASSERT_GE(opened, 0);
    int secret = fcntl(opened, F_DUPFD, 50);
    close(opened);
    ASSERT_EQ(secret, 50);
    Result r = berth({"run", "--preserve-fds", "1", "--bundle", b->dir(), id("fds")}, {}, {3, secret});
    close(3);
    close(secret);
    close(rd);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "0\n1\n2\n3\n4\n");
    secret = fcntl(0, F_DUPFD, 50);
    r = berth({"run", "--bundle", b->dir(), id("fds")}, {}, {secret});
    close(secret);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "0\n1\n2\n3\n");
}

// ---- 8. /proc/<pid>/exe of berth (CVE-2019-5736) ----

// Every berth process (a binary named berth, or the exec stub's memfd) whose
// exe the container can resolve, and whether it could open it for writing.
// Readlink needs the same ptrace access as opening the file.
const char* kOpenExes =
    "for p in /proc/[0-9]*; do "
    "  l=$(readlink $p/exe 2>/dev/null) || continue; "
    "  case \"$l\" in */berth|*/berth\\ *|*memfd:berth*) echo \"reachable $p $l\"; "
    "    ( : >> $p/exe ) 2>/dev/null && echo \"writable $p\";; esac; "
    "done; echo scanned";

TEST_F(Escape, BerthBinaryIsNotReachableThroughProcExe) {
    struct stat before {};
    ASSERT_EQ(stat(BERTH_BIN, &before), 0);
    const std::string sha = sha_of(BERTH_BIN);
    // Without a pid namespace the container sees the host's processes,
    // `berth run` among them.
    auto b = bundle({"sh", "-c", kOpenExes});
    drop_namespace(b->config, "pid");
    b->save();
    Result r = run(*b);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("scanned"), std::string::npos);
    EXPECT_EQ(r.out.find("reachable"), std::string::npos) << r.out;
    // create + start: the container scans (into a file) while berth state,
    // start and kill run beside it.
    const std::string scan = std::string("(") + kOpenExes + ") > /result";
    auto s = bundle({"sh", "-c", scan + "; " + scan + ".2; " + scan + ".3"});
    drop_namespace(s->config, "pid");
    s->save();
    const std::string c = id("exe");
    ASSERT_EQ(berth({"create", "--bundle", s->dir(), c}).code, 0);
    ASSERT_EQ(berth({"start", c}).code, 0);
    for (int i = 0; i < 200 && !exists(s->rootfs() + "/result.3"); ++i) berth({"state", c});
    for (int i = 0; i < 100 && read_text(s->rootfs() + "/result.3").find("scanned") == std::string::npos; ++i)
        usleep(50000);
    for (const char* f : {"/result", "/result.2", "/result.3"}) {
        const std::string out = read_text(s->rootfs() + f);
        EXPECT_NE(out.find("scanned"), std::string::npos) << f;
        EXPECT_EQ(out.find("reachable"), std::string::npos) << out;
    }
    // #!/proc/self/exe: the stub re-runs itself from the sealed memfd.
    auto self = bundle({"/proc/self/exe"});
    r = run(*self);
    EXPECT_NE(r.code, 0);
    std::ofstream(self->rootfs() + "/script") << "#!/proc/self/exe\n";
    chmod((self->rootfs() + "/script").c_str(), 0755);
    self->config["process"]["args"] = {"/script"};
    self->save();
    r = run(*self);
    EXPECT_NE(r.code, 0);
    struct stat after {};
    ASSERT_EQ(stat(BERTH_BIN, &after), 0);
    EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    EXPECT_EQ(sha_of(BERTH_BIN), sha);
}

// ---- 8b. /proc/<pid>/exe of `berth exec` (CVE-2019-5736 for exec) ----

// The container watches its /proc while real execs join it. A decoy (busybox
// copied to /decoy/berth, run as `sleep`) is the positive control: it has the
// container's credentials and is dumpable, so every scan that works reports
// it; any other `reachable` line but the sealed stub is a berth process the
// container could reach (the host binary, through which it could write).
TEST_F(Escape, ExecDoesNotExposeTheBerthBinary) {
    struct stat before {};
    ASSERT_EQ(stat(BERTH_BIN, &before), 0);
    const std::string sha = sha_of(BERTH_BIN);
    const std::string watcher =
        std::string("mkdir -p /decoy && cp /bin/busybox /decoy/berth && (exec -a sleep /decoy/berth 600) & ") +
        "while :; do (" + kOpenExes + ") >> /watch; sleep 0.05; done";
    // With its own pid namespace (the default), then without one, so that the
    // watcher sees every host process, `berth exec` itself among them.
    for (const bool own_pid_ns : {true, false}) {
        SCOPED_TRACE(own_pid_ns ? "own pid namespace" : "host pid namespace");
        auto b = bundle({"sh", "-c", watcher});
        if (!own_pid_ns) drop_namespace(b->config, "pid");
        b->save();
        const std::string watch = b->rootfs() + "/watch";
        auto scans = [&] {
            const std::string w = read_text(watch);
            size_t n = 0;
            for (size_t at = w.find("scanned"); at != std::string::npos; at = w.find("scanned", at + 1)) ++n;
            return n;
        };
        const std::string c = id("execexe");
        ASSERT_EQ(berth({"create", "--bundle", b->dir(), c}).code, 0);
        ASSERT_EQ(berth({"start", c}).code, 0);
        for (int i = 0; i < 200 && scans() < 1; ++i) usleep(50000);
        const size_t scans_before = scans();
        EXPECT_GE(scans_before, 1u) << "the watcher runs";
        for (int i = 0; i < 10; ++i) {
            Result r = berth({"exec", c, "sh", "-c", "sleep 0.2; echo joined"});
            EXPECT_EQ(r.code, 0) << i << ": " << r.err;
            EXPECT_EQ(r.out, "joined\n") << i;
        }
        Result r = berth({"exec", c, "/proc/self/exe"});
        EXPECT_NE(r.code, 0) << r.out;
        EXPECT_EQ((r.out + r.err).find("usage"), std::string::npos)
            << "berth's CLI ran in the container: " << r.out << r.err;
        r = berth({"exec", "--preserve-fds", "0", c, "sh", "-c", "ls /proc/self/fd"});
        EXPECT_EQ(r.code, 0) << r.err;
        EXPECT_EQ(r.out, "0\n1\n2\n3\n") << "only stdio and ls's own directory fd";
        // The watcher kept scanning throughout the execs.
        const size_t scans_at_end = scans();
        for (int i = 0; i < 100 && scans() < scans_at_end + 1; ++i) usleep(50000);
        EXPECT_GT(scans(), scans_before + 1) << "the watcher scanned while the execs ran";
        EXPECT_EQ(berth({"kill", "--all", c, "KILL"}).code, 0);
        std::string status;
        for (int i = 0; i < 250 && status != "stopped"; ++i) {
            Result s = berth({"state", c});
            status = s.code == 0 ? json::parse(s.out).value("status", "") : "";
            if (status != "stopped") usleep(20000);
        }
        EXPECT_EQ(status, "stopped");
        EXPECT_EQ(berth({"delete", c}).code, 0);
        // Every scan found the decoy; no berth process was reachable (the
        // exec stub neither: it stays non-dumpable through its own exec,
        // ExecHelperStaysNonDumpableThroughTheStubExec), and nothing was
        // writable.
        const std::string w = read_text(watch);
        size_t decoys = 0;
        std::istringstream lines(w);
        for (std::string line; std::getline(lines, line);) {
            if (line.rfind("reachable ", 0) != 0) continue;
            const bool decoy = line.size() > 13 && line.compare(line.size() - 13, 13, " /decoy/berth") == 0;
            decoys += decoy;
            EXPECT_TRUE(decoy) << "a berth process reachable from the container: " << line;
        }
        EXPECT_GE(decoys + 2, scans()) << "the control: the scan reports a dumpable process named berth\n" << w;
        EXPECT_EQ(w.find("writable"), std::string::npos) << w;
        EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
    }
    struct stat after {};
    ASSERT_EQ(stat(BERTH_BIN, &after), 0);
    EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    EXPECT_EQ(sha_of(BERTH_BIN), sha);
}

// ---- 9. a created container's init is non-dumpable ----

TEST_F(Escape, CreatedInitIsNotDumpable) {
    auto a = bundle({"true"});
    const std::string ca = id("init");
    const std::string pidfile = tmp_->path() + "/init.pid";
    ASSERT_EQ(berth({"create", "--bundle", a->dir(), "--pid-file", pidfile, ca}).code, 0);
    const std::string pid = read_text(pidfile);
    // A second container in the first one's pid namespace, with the default
    // capabilities (no CAP_SYS_PTRACE): pid 1 is the waiting init. Only
    // dumpability tells it apart from the control process, which is readable.
    // (Listing /proc/1/fd is allowed to root by DAC; resolving an entry needs
    // ptrace access, which is what matters.)
    auto b = bundle(
        {"sh", "-c",
         "cat /proc/1/environ >/dev/null 2>&1 && echo ENVIRON; readlink /proc/1/fd/0 >/dev/null 2>&1 && echo FDS; "
         "readlink /proc/1/exe >/dev/null 2>&1 && echo EXE; head -c1 /proc/1/mem >/dev/null 2>&1 && echo MEM; "
         "sleep 30 & cat /proc/$!/environ >/dev/null && readlink /proc/$!/fd/0 >/dev/null && echo CONTROL; kill $!"});
    for (auto& ns : b->config["linux"]["namespaces"])
        if (ns["type"] == "pid") ns["path"] = "/proc/" + pid + "/ns/pid";
    b->save();
    Result r = run(*b, "peer");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "CONTROL\n") << "the peer reached into the created init";
    // On the host: the stub is still the init, and still non-dumpable after
    // exec (task files of a non-dumpable process belong to root).
    std::string status = read_text("/proc/" + pid + "/status");
    EXPECT_NE(status.find("Name:\tberth-init"), std::string::npos) << status;
}

// ---- 10. process.cwd through a leaked fd or a magic link (CVE-2024-21626) ----

// Each cwd either is refused or leaves the process inside the container: from
// there no number of ".." reaches the host's canary, and the directory is not
// berth's state dir (state.json, exec.json).
TEST_F(Escape, CwdThroughFdsAndMagicLinksStaysInside) {
    Canary canary;
    std::string up;
    for (int i = 0; i < 16; ++i) up += "../";
    const std::string probe = "cat " + up + canary.file().substr(1) + " 2>/dev/null; ls -a; echo probed";
    std::vector<std::string> cwds = {"/proc/self/cwd",     "/proc/thread-self/cwd", "/proc/1/cwd", "/proc/1/root",
                                     "/proc/self/root/..", "/proc/1/cwd/..",        "/escape",     "/escape/..",
                                     "/deep/link"};
    for (int n = 3; n <= 20; ++n) cwds.push_back("/proc/self/fd/" + std::to_string(n));
    auto check = [&](const std::string& cwd, const Result& r) {
        SCOPED_TRACE("cwd " + cwd);
        EXPECT_EQ(r.out.find("untouched"), std::string::npos) << "the canary was read: " << r.out;
        EXPECT_EQ(r.out.find("state.json"), std::string::npos) << "cwd in berth's state dir: " << r.out;
        EXPECT_EQ(r.out.find("exec.json"), std::string::npos) << r.out;
        if (r.code != 0) EXPECT_NE(r.err.find("process.cwd"), std::string::npos) << r.err;
        else EXPECT_NE(r.out.find("probed"), std::string::npos) << r.out;
    };
    // Symlinks of the image that point up and out resolve inside the root.
    auto b = bundle({"sleep", "300"});
    ASSERT_EQ(symlink("../../../../../../..", (b->rootfs() + "/escape").c_str()), 0);
    ASSERT_EQ(mkdir((b->rootfs() + "/deep").c_str(), 0755), 0);
    ASSERT_EQ(symlink(("../../../../.." + canary.dir()).c_str(), (b->rootfs() + "/deep/link").c_str()), 0);
    b->save();
    const std::string c = id("cwd");
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), c}).code, 0);
    ASSERT_EQ(berth({"start", c}).code, 0);
    for (const std::string& cwd : cwds) check(cwd, berth({"exec", "--cwd", cwd, c, "sh", "-c", probe}));
    // The same cwds as process.cwd of create (run).
    for (const std::string& cwd : cwds) {
        auto r = bundle({"sh", "-c", probe});
        ASSERT_EQ(symlink("../../../../../../..", (r->rootfs() + "/escape").c_str()), 0);
        r->config["process"]["cwd"] = cwd;
        r->save();
        check(cwd, run(*r, "cwdrun"));
    }
    EXPECT_EQ(canary.damage(), "");
}

// ---- 11. the exec helper's memory and fds (CVE-2016-9962 class) ----

// The helper execs the stub and the stub the program; in between, execve
// makes a process dumpable again unless its binary is unreadable to it. The
// helper is stopped right after the stub's exec (PTRACE_EVENT_EXEC: the new
// image is in place, its first instruction not yet run) while a process of
// the container with the default capabilities tries its memory, environ,
// fds, cwd and exe; a dumpable process of its own is the control.
TEST_F(Escape, ExecHelperStaysNonDumpableThroughTheStubExec) {
    auto b = bundle({"sleep", "300"});
    const std::string c = id("dump");
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), c}).code, 0);
    ASSERT_EQ(berth({"start", c}).code, 0);
    ASSERT_TRUE(has_fault_points(root_, c, tmp_->path())) << "needs a build with -Dfault_injection=true";
    HeldExec held(root_, "exec.process-ready", {c, "sleep", "1"});
    ASSERT_TRUE(held.held()) << "berth did not stop at exec.process-ready";
    ASSERT_EQ(ptrace(PTRACE_SEIZE, held.helper, 0, PTRACE_O_TRACEEXEC), 0) << strerror(errno);
    kill(held.berth, SIGCONT);
    int status = 0;
    ASSERT_EQ(waitpid(held.helper, &status, __WALL), held.helper);
    ASSERT_TRUE(WIFSTOPPED(status) && status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) << status;
    char exe[256] = {};
    ASSERT_GT(readlink(("/proc/" + std::to_string(held.helper) + "/exe").c_str(), exe, sizeof exe - 1), 0);
    EXPECT_NE(std::string(exe).find("memfd:berth-init"), std::string::npos) << "stopped in the stub: " << exe;
    const std::string n = std::to_string(ns_pid(held.helper));
    Result r =
        berth({"exec", c, "sh", "-c",
               "cat /proc/" + n +
                   "/environ >/dev/null 2>&1 && echo ENVIRON; "
                   "( exec 9</proc/" +
                   n +
                   "/mem ) 2>/dev/null && echo MEM; "
                   "readlink /proc/" +
                   n +
                   "/exe >/dev/null 2>&1 && echo EXE; "
                   "readlink /proc/" +
                   n +
                   "/cwd >/dev/null 2>&1 && echo CWD; "
                   "readlink /proc/" +
                   n +
                   "/fd/0 >/dev/null 2>&1 && echo FDS; "
                   "sleep 30 & cat /proc/$!/environ >/dev/null && ( exec 9</proc/$!/mem ) && echo CONTROL; kill $!"});
    ptrace(PTRACE_DETACH, held.helper, 0, 0);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "CONTROL\n") << "a process of the container reached into the exec stub";
    status = held.release();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// With CAP_SYS_PTRACE (and no user namespace) the container may read any of
// its processes, the helper included: it must find nothing of the host
// there. The helper is held at its last step; the caller's environment
// carries a secret; its command line named berth's state dir.
TEST_F(Escape, ExecHelperCarriesNothingOfTheHost) {
    auto b = bundle({"sleep", "300"});
    for (const char* set : {"bounding", "effective", "permitted"})
        b->config["process"]["capabilities"][set].push_back("CAP_SYS_PTRACE");
    b->save();
    const std::string c = id("host");
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), c}).code, 0);
    ASSERT_EQ(berth({"start", c}).code, 0);
    ASSERT_TRUE(has_fault_points(root_, c, tmp_->path())) << "needs a build with -Dfault_injection=true";
    HeldExec held(root_, "exec.process-ready", {c, "sleep", "1"}, {"BERTH_TEST_SECRET=host-secret-4711"});
    ASSERT_TRUE(held.held()) << "berth did not stop at exec.process-ready";
    const std::string n = std::to_string(ns_pid(held.helper));
    Result r = berth({"exec", c, "sh", "-c",
                      "readlink /proc/" + n +
                          "/exe && echo control-read; "
                          "tr '\\0' '\\n' < /proc/" +
                          n + "/environ; echo; tr '\\0' ' ' < /proc/" + n +
                          "/cmdline; echo; "
                          "for f in /proc/" +
                          n +
                          "/fd/*; do echo \"fd $f -> $(readlink $f)\"; done; "
                          "echo cwd $(readlink /proc/" +
                          n + "/cwd) root $(readlink /proc/" + n + "/root)"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("control-read"), std::string::npos) << "the helper was readable: " << r.out << r.err;
    EXPECT_EQ(r.out.find("host-secret"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("BERTH_FAULT"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find(root_), std::string::npos) << "berth's command line: " << r.out;
    EXPECT_NE(r.out.find("cwd / root /\n"), std::string::npos) << r.out;
    // Its fds: stdio (the caller's), the channel to berth and the stub.
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("fd ", 0) != 0) continue;
        const std::string target = line.substr(line.find(" -> ") + 4);
        const bool ok = target == "/dev/null" || target.rfind("socket:", 0) == 0 ||
                        target.find("memfd:berth-init") != std::string::npos;
        EXPECT_TRUE(ok) << "a host fd in the helper: " << line;
    }
    const int status = held.release();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

// ---- 12. no host fd, cwd or root in the container's processes ----

// Until the stub has exec'd the program.
void wait_past_stub(pid_t pid) {
    std::error_code ec;
    for (int i = 0; i < 100; ++i) {
        const std::string exe = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).string();
        if (!ec && exe.find("memfd:") == std::string::npos) return;
        usleep(10000);
    }
}

// Init waiting for start, the process after start and an exec'd process,
// with and without a terminal and preserved fds, seen from the host: every
// fd is stdio, a preserved one, the container's pty or (init, until start)
// its exec.fifo; cwd and root are inside the rootfs.
TEST_F(Escape, ContainerProcessesHoldNoHostFdCwdOrRoot) {
    for (const bool terminal : {false, true}) {
        for (const int preserve : {0, 1}) {
            SCOPED_TRACE(std::string(terminal ? "terminal" : "no terminal") + ", --preserve-fds " +
                         std::to_string(preserve));
            auto b = bundle({"sleep", "300"});
            b->config["process"]["terminal"] = terminal;
            b->config["process"]["cwd"] = "/tmp";
            b->save();
            // fd 3 first: dup2 would close whatever else held it.
            int p[2];
            ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
            const int preserved = fcntl(p[0], F_DUPFD_CLOEXEC, 30);
            close(p[0]);
            close(p[1]);
            ASSERT_EQ(dup2(preserved, 3), 3);
            ConsoleSocket console(tmp_->path() + "/console" + std::to_string(terminal) + std::to_string(preserve) +
                                  ".sock");
            const std::string preserved_target = "/proc/self/fd/3";
            char pt[128] = {};
            ASSERT_GT(readlink(preserved_target.c_str(), pt, sizeof pt - 1), 0);
            std::vector<std::string> tty =
                terminal ? std::vector<std::string>{"--console-socket", console.path()} : std::vector<std::string>{};
            std::vector<std::string> args = {"create", "--preserve-fds", std::to_string(preserve), "--bundle",
                                             b->dir()};
            args.insert(args.end(), tty.begin(), tty.end());
            const std::string c = id("hostfd");
            args.push_back(c);
            const std::string rootfs = b->rootfs();
            auto check = [&](pid_t pid, const std::string& when, bool fifo_allowed) {
                SCOPED_TRACE(when);
                const std::string dir = "/proc/" + std::to_string(pid);
                for (auto& e : fs::directory_iterator(dir + "/fd")) {
                    const int fd = std::stoi(e.path().filename());
                    char t[4096] = {};
                    ssize_t len = readlink(e.path().c_str(), t, sizeof t - 1);
                    const std::string target = len > 0 ? std::string(t, static_cast<size_t>(len)) : "?";
                    if (fd <= 2 || (fd < 3 + preserve && target == pt)) continue;
                    if (fifo_allowed && target.size() > 10 && target.compare(target.size() - 10, 10, "/exec.fifo") == 0)
                        continue;
                    ADD_FAILURE() << "fd " << fd << " -> " << target;
                }
                // The links name paths of the container's mount namespace:
                // compared by what they resolve to.
                auto same = [](const std::string& a, const std::string& b) {
                    struct stat sa {
                    }, sb{};
                    return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
                           sa.st_ino == sb.st_ino;
                };
                EXPECT_TRUE(same(dir + "/root", rootfs)) << fs::read_symlink(dir + "/root");
                EXPECT_TRUE(same(dir + "/cwd", rootfs + "/tmp")) << fs::read_symlink(dir + "/cwd");
            };
            Result r = berth(args, {}, {3});
            ASSERT_EQ(r.code, 0) << r.err;
            int master = terminal ? console.take_master() : -1;
            const pid_t init = json::parse(berth({"state", c}).out)["pid"].get<pid_t>();
            check(init, "created", true);
            ASSERT_EQ(berth({"start", c}).code, 0);
            wait_past_stub(init);
            check(init, "started", false);
            const std::string pidfile = tmp_->path() + "/exec.pid";
            std::vector<std::string> exec = {"exec",  "--detach", "--pid-file",     pidfile,
                                             "--cwd", "/tmp",     "--preserve-fds", std::to_string(preserve)};
            ConsoleSocket exec_console(tmp_->path() + "/exec" + std::to_string(terminal) + std::to_string(preserve) +
                                       ".sock");
            if (terminal) exec.insert(exec.end(), {"--tty", "--console-socket", exec_console.path()});
            exec.insert(exec.end(), {c, "sleep", "300"});
            r = berth(exec, {}, {3});
            ASSERT_EQ(r.code, 0) << r.err;
            const int exec_master = terminal ? exec_console.take_master() : -1;
            const pid_t proc = std::stoi(read_text(pidfile));
            wait_past_stub(proc);
            check(proc, "exec'd", false);
            close(3);
            close(preserved);
            if (master >= 0) close(master);
            if (exec_master >= 0) close(exec_master);
            EXPECT_EQ(berth({"delete", "--force", c}).code, 0);
        }
    }
}

// ---- 13. cgroup v1 hierarchy roots (CVE-2022-0492 class) ----

struct V1Hierarchy {
    std::string controllers;  // as /proc/self/cgroup names it: "pids", "cpu,cpuacct", "name=systemd"
    std::string mount;
};

// Every cgroup v1 hierarchy the host has mounted, named ones included.
std::vector<V1Hierarchy> host_v1_hierarchies() {
    std::vector<V1Hierarchy> out;
    std::istringstream cg(read_text("/proc/self/cgroup"));
    for (std::string line; std::getline(cg, line);) {
        const size_t a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos || b == a + 1) continue;
        const std::string controllers = line.substr(a + 1, b - a - 1);
        std::istringstream mi(read_text("/proc/self/mountinfo"));
        for (std::string m; std::getline(mi, m);) {
            std::istringstream ls(m);
            std::string field, mount, fstype, source, super;
            for (int i = 0; i < 5; ++i) ls >> field;
            mount = field;
            while (ls >> field && field != "-") {
            }
            ls >> fstype >> source >> super;
            if (fstype != "cgroup") continue;
            const std::string opts = "," + super + ",";
            bool all = true;
            std::istringstream cs(controllers);
            for (std::string c; std::getline(cs, c, ',');) all &= opts.find("," + c + ",") != std::string::npos;
            if (!all) continue;
            out.push_back({controllers, mount});
            break;
        }
    }
    return out;
}

// A container left at the root of a hierarchy can, given a user and a cgroup
// namespace, mount that hierarchy and reach its release_agent (only the
// kernel's CVE-2022-0492 fix stops the write). As runc and crun, every
// mounted hierarchy gets the container's own cgroup, name=systemd included;
// delete removes them. Without a cgroupsPath it is /<id>, one level (runc's
// and crun's default).
TEST_F(Escape, EveryV1HierarchyHasTheContainersOwnCgroup) {
    if (unified_host()) GTEST_SKIP() << "cgroup v2 host: no v1 hierarchy";
    const auto hierarchies = host_v1_hierarchies();
    ASSERT_FALSE(hierarchies.empty());
    auto b = bundle({"sleep", "60"});
    const std::string c = id("v1");
    const std::string pidfile = tmp_->path() + "/v1.pid";
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), "--pid-file", pidfile, c}).code, 0);
    const std::string own = read_text("/proc/" + read_text(pidfile) + "/cgroup");
    for (auto& h : hierarchies) {
        EXPECT_NE(own.find(":" + h.controllers + ":/" + c + "\n"), std::string::npos) << h.controllers << " in\n"
                                                                                      << own;
        EXPECT_TRUE(exists(h.mount + "/" + c)) << h.mount;
    }
    Result r = berth({"delete", "--force", c});
    ASSERT_EQ(r.code, 0) << r.err;
    for (auto& h : hierarchies) EXPECT_FALSE(exists(h.mount + "/" + c)) << h.mount;
}

// Without a cgroupsPath the cgroup is /<id>, beside the host's own cgroups:
// an id that names one (system.slice, a session's) must not make it the
// container's, whose limits, pause, kill --all and delete would then act on
// everything below it (its own cgroup.procs is empty). Refused, naming the
// directory; the host cgroup and its process are untouched, nothing is left.
TEST_F(Escape, DefaultCgroupNeverTakesAnExistingHostCgroup) {
    const std::string h = unified_host() ? "/sys/fs/cgroup" : "/sys/fs/cgroup/pids";
    const std::string name = id("hostcg");
    const std::string host_cg = h + "/" + name, inner = host_cg + "/inner";
    ASSERT_EQ(::mkdir(host_cg.c_str(), 0755), 0) << strerror(errno);
    ASSERT_EQ(::mkdir(inner.c_str(), 0755), 0) << strerror(errno);
    const pid_t sleeper = fork();
    if (sleeper == 0) {
        execlp("sleep", "sleep", "60", static_cast<char*>(nullptr));
        _exit(127);
    }
    ASSERT_GT(sleeper, 0);
    std::ofstream(inner + "/cgroup.procs") << sleeper << std::flush;
    const std::string pids_max = read_text(host_cg + "/pids.max");
    auto b = bundle({"true"});
    b->config["linux"]["resources"]["pids"]["limit"] = 10;
    Result r = berth({"create", "--bundle", b->dir(), name});
    EXPECT_NE(r.code, 0);
    // Were it taken, the container goes before the checks below and the cleanup.
    if (r.code == 0) berth({"delete", "--force", name});
    EXPECT_NE(r.err.find("linux.cgroupsPath: not given, so the container's cgroup would be " + host_cg +
                         ", which exists already"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(read_text(host_cg + "/pids.max"), pids_max) << "the host cgroup's limit was changed";
    EXPECT_EQ(proc_state(sleeper) == 0 || proc_state(sleeper) == 'Z', false) << "the host cgroup's process was killed";
    EXPECT_NE(read_text(inner + "/cgroup.procs").find(std::to_string(sleeper)), std::string::npos);
    EXPECT_FALSE(exists(root_ + "/" + name)) << "state dir left";
    EXPECT_NE(berth({"state", name}).code, 0);
    ::kill(sleeper, SIGKILL);
    ::waitpid(sleeper, nullptr, 0);
    EXPECT_EQ(::rmdir(inner.c_str()), 0) << strerror(errno);
    EXPECT_EQ(::rmdir(host_cg.c_str()), 0) << strerror(errno);
}

// The attack itself: root of a user namespace with CAP_SYS_ADMIN and its own
// cgroup namespace mounts each v1 hierarchy; the mount shows the container's
// cgroup, never a hierarchy's root with its release_agent.
TEST_F(Escape, V1HierarchyRootsAreOutOfReachFromAUserAndCgroupNamespace) {
    if (unified_host()) GTEST_SKIP() << "cgroup v2 host: no v1 hierarchy";
    const auto hierarchies = host_v1_hierarchies();
    ASSERT_FALSE(hierarchies.empty());
    std::vector<std::string> args = {
        "sh", "-c",
        "for o; do mount -t cgroup -o \"$o\" cgroup /tmp || { echo \"unmounted $o\"; continue; }; "
        "[ -e /tmp/cgroup.procs ] && echo \"mounted $o\"; [ -e /tmp/release_agent ] && echo \"REACHED $o\"; "
        "umount /tmp; done",
        "sh"};
    for (auto& h : hierarchies) args.push_back(h.controllers);
    auto b = bundle(args);
    b->config["linux"]["namespaces"].push_back({{"type", "user"}});
    if (std::none_of(b->config["linux"]["namespaces"].begin(), b->config["linux"]["namespaces"].end(),
                     [](const json& ns) { return ns["type"] == "cgroup"; }))
        b->config["linux"]["namespaces"].push_back({{"type", "cgroup"}});
    b->config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    b->config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    for (const char* set : {"bounding", "effective", "permitted"})
        b->config["process"]["capabilities"][set].push_back("CAP_SYS_ADMIN");
    b->save();
    Result r = run(*b, "cgns");
    ASSERT_EQ(r.code, 0) << r.err;
    for (auto& h : hierarchies) {
        EXPECT_NE(r.out.find("mounted " + h.controllers + "\n"), std::string::npos) << "the attack needs the mount\n"
                                                                                    << r.out;
        EXPECT_EQ(r.out.find("REACHED " + h.controllers + "\n"), std::string::npos) << r.out;
    }
}

// ---- 7. plugins from untrusted files (end to end) ----

TEST_F(Escape, UntrustedPluginFilesAreRefused) {
    auto b = bundle({"true"});
    // Only the mounts plugin is configured: no resources for the others.
    b->config["linux"].erase("resources");
    b->save();
    const std::string so = std::string(BERTH_BUILD_ROOT) + "/plugins/mounts/berth-mounts.so";
    const std::string base = tmp_->path() + "/plugins";
    fs::create_directories(base);
    chmod(base.c_str(), 0755);
    auto install = [&](const std::string& dir, unsigned dir_mode, unsigned mode) {
        fs::create_directories(dir);
        chmod(dir.c_str(), dir_mode);
        fs::copy_file(so, dir + "/berth-mounts.so", fs::copy_options::overwrite_existing);
        chmod((dir + "/berth-mounts.so").c_str(), mode);
        return dir + "/berth-mounts.so";
    };
    const std::string good = install(base + "/good", 0755, 0644);
    const std::string ww = install(base + "/ww", 0755, 0666);
    const std::string in_ww_dir = install(base + "/wwdir", 0777, 0644);
    const std::string link = base + "/good/link.so";
    fs::create_symlink(ww, link);
    const std::string not_root = install(base + "/nobody", 0755, 0644);
    ASSERT_EQ(chown(not_root.c_str(), 65534, 65534), 0);
    struct Case {
        std::string file, named, why;
    } cases[] = {
        {ww, ww, "writable by group or others"},
        {in_ww_dir, base + "/wwdir", "writable by group or others"},
        {link, ww, "writable by group or others"},
        {not_root, not_root, "not owned by root"},
    };
    const std::string cfg = tmp_->path() + "/plugins.yaml";
    for (auto& k : cases) {
        std::ofstream(cfg) << "plugins:\n  - {name: mounts, file: " << k.file << "}\n";
        const std::string c = id("plugin");
        Result r = run_berth(root_, {"--plugin-config", cfg, "create", "--bundle", b->dir(), c});
        EXPECT_EQ(r.code, 1) << k.file;
        EXPECT_NE(r.err.find(k.named), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(k.why), std::string::npos) << r.err;
        EXPECT_FALSE(exists(root_ + "/" + c)) << "not created";
        EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
    }
    // The control: the same file, trusted, works.
    std::ofstream(cfg) << "plugins:\n  - {name: mounts, file: " << good << "}\n";
    Result r = run_berth(root_, {"--plugin-config", cfg, "run", "--bundle", b->dir(), id("plugin")});
    EXPECT_EQ(r.code, 0) << r.err;
}

// ---- 14. mount options that a bind drops: a read-only volume that is not ----

// A recursive read-only bind (CRI's recursiveReadOnly, containerd's "rro")
// must not let the container write to the host directory. Before berth knew
// the r* options, the bind dropped them as filesystem data, silently, and
// the bind came out read-write.
TEST_F(Escape, RecursiveReadOnlyBindsAreReadOnly) {
    Canary host;
    const std::vector<std::vector<std::string>> option_sets = {
        {"rbind", "rro"}, {"bind", "rro"}, {"rbind", "rw", "rro", "rprivate"}, {"rro", "rbind", "nosuid"}};
    for (const auto& options : option_sets) {
        SCOPED_TRACE(::testing::PrintToString(options));
        auto b = bundle({"sh", "-c",
                         "echo pwned > /data/canary 2>/dev/null && echo wrote; "
                         "touch /data/new 2>/dev/null && echo made; echo done"});
        b->config["mounts"].push_back(
            {{"destination", "/data"}, {"type", "bind"}, {"source", host.dir()}, {"options", options}});
        b->save();
        Result res = run(*b, "rro");
        EXPECT_EQ(res.code, 0) << res.err;
        EXPECT_EQ(res.out, "done\n");
        EXPECT_EQ(host.damage(), "");
    }
}

}  // namespace
}  // namespace berth::test
