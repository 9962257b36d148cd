// The mount handlers of the mounts plugin against the real kernel, and the
// pure cgroup-view planning against unified, legacy and hybrid fixtures.
//
// Every handler test runs in a forked child that first unshares its mount
// namespace and makes "/" rprivate, so nothing it mounts reaches the host; the
// child's mounts go away with it. The child reports an error text (empty for
// success) through a pipe. Handler tests skip when not run as root.
#include <fcntl.h>
#include <linux/magic.h>

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202  // ipc/mqueue.c; not in linux/magic.h
#endif
#ifndef ST_NOSYMFOLLOW
#define ST_NOSYMFOLLOW 0x2000  // statfs f_flags since Linux 5.10; not in glibc 2.36's header
#endif
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "plugins/mounts/cgroup_view.hpp"
#include "plugins/mounts/handlers.hpp"
#include "plugins/mounts/mount_options.hpp"

namespace fs = std::filesystem;
using namespace berth::mounts;
using berth::MountHandler;
using berth::MountRequest;
using berth::Status;

namespace {

// ---------------------------------------------------------------------------
// Pure: the cgroup view

constexpr const char* kHybridMountinfo =
    "22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

constexpr const char* kHybridCgroup =
    "9:name=systemd:/user.slice\n"
    "8:pids:/c1\n"
    "4:memory:/c1\n"
    "2:cpu,cpuacct:/c1\n"
    "1:blkio:/c1\n"  // not mounted: left out
    "0::/c1\n";

TEST(CgroupView, ParsesMountinfoWithEscapes) {
    auto m = parse_mountinfo("36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n");
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(m[0].root, "/mnt1");
    EXPECT_EQ(m[0].mount_point, "/mnt two");
    EXPECT_EQ(m[0].fstype, "ext3");
    EXPECT_EQ(m[0].source, "/dev/root");
    EXPECT_EQ(m[0].super_options, (std::vector<std::string>{"rw", "errors=continue"}));
}

TEST(CgroupView, ParsesProcCgroup) {
    auto c = parse_proc_cgroup("2:cpu,cpuacct:/a:b\n0::/\n");
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[0].hierarchy, 2);
    EXPECT_EQ(c[0].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
    EXPECT_EQ(c[0].path, "/a:b");
    EXPECT_TRUE(c[1].controllers.empty());
    EXPECT_EQ(c[1].path, "/");
}

TEST(CgroupView, DetectsModes) {
    EXPECT_EQ(detect_cgroup_mode(parse_mountinfo(kHybridMountinfo)), CgroupMode::kHybrid);
    EXPECT_EQ(detect_cgroup_mode(parse_mountinfo("30 22 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
                                                 "34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n")),
              CgroupMode::kLegacy);
    EXPECT_EQ(detect_cgroup_mode(parse_mountinfo("30 22 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")),
              CgroupMode::kUnified);
    EXPECT_EQ(detect_cgroup_mode(parse_mountinfo("30 22 0:27 / /sys rw - sysfs sysfs rw\n")), CgroupMode::kNone);
}

TEST(CgroupView, HybridPlan) {
    CgroupView v;
    ASSERT_TRUE(plan_cgroup_view(parse_mountinfo(kHybridMountinfo), parse_proc_cgroup(kHybridCgroup), &v).ok());
    EXPECT_EQ(v.mode, CgroupMode::kHybrid);
    ASSERT_EQ(v.dirs.size(), 5u);
    EXPECT_EQ(v.dirs[0].name, "systemd");
    EXPECT_EQ(v.dirs[0].host_path, "/sys/fs/cgroup/systemd/user.slice");
    EXPECT_EQ(v.dirs[0].controllers, (std::vector<std::string>{"name=systemd"}));
    EXPECT_EQ(v.dirs[1].name, "pids");
    EXPECT_EQ(v.dirs[1].host_path, "/sys/fs/cgroup/pids/c1");
    EXPECT_EQ(v.dirs[3].name, "cpu,cpuacct");
    EXPECT_EQ(v.dirs[3].host_path, "/sys/fs/cgroup/cpu,cpuacct/c1");
    EXPECT_EQ(v.dirs[4].name, "unified");
    EXPECT_TRUE(v.dirs[4].unified);
    EXPECT_EQ(v.dirs[4].host_path, "/sys/fs/cgroup/unified/c1");
    ASSERT_EQ(v.links.size(), 2u);
    EXPECT_EQ(v.links[0].name, "cpu");
    EXPECT_EQ(v.links[0].target, "cpu,cpuacct");
    EXPECT_EQ(v.links[1].name, "cpuacct");
}

TEST(CgroupView, SeparateCpuAndCpuacctGetNoLinks) {
    CgroupView v;
    ASSERT_TRUE(plan_cgroup_view(parse_mountinfo("30 22 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
                                                 "31 30 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
                                                 "32 30 0:29 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct\n"),
                                 parse_proc_cgroup("2:cpuacct:/\n1:cpu:/x\n0::/\n"), &v)
                    .ok());
    EXPECT_EQ(v.mode, CgroupMode::kLegacy);
    ASSERT_EQ(v.dirs.size(), 2u);
    EXPECT_EQ(v.dirs[0].host_path, "/sys/fs/cgroup/cpuacct");
    EXPECT_EQ(v.dirs[1].host_path, "/sys/fs/cgroup/cpu/x");
    EXPECT_TRUE(v.links.empty());
}

TEST(CgroupView, UnifiedPlanIsOneDirectory) {
    CgroupView v;
    ASSERT_TRUE(plan_cgroup_view(parse_mountinfo("30 22 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"),
                                 parse_proc_cgroup("0::/system.slice/c1\n"), &v)
                    .ok());
    EXPECT_EQ(v.mode, CgroupMode::kUnified);
    ASSERT_EQ(v.dirs.size(), 1u);
    EXPECT_TRUE(v.dirs[0].unified);
    EXPECT_EQ(v.dirs[0].host_path, "/sys/fs/cgroup/system.slice/c1");
}

TEST(CgroupView, MountRootIsStrippedAndOutsidePathsStayEmpty) {
    CgroupView v;
    // Nested: the host's mount shows only /outer; in a cgroup namespace it shows "/..".
    ASSERT_TRUE(plan_cgroup_view(parse_mountinfo("30 22 0:27 /outer /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"),
                                 parse_proc_cgroup("0::/outer/c1\n"), &v)
                    .ok());
    EXPECT_EQ(v.dirs[0].host_path, "/sys/fs/cgroup/c1");
    ASSERT_TRUE(plan_cgroup_view(parse_mountinfo("30 22 0:27 /.. /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"),
                                 parse_proc_cgroup("0::/\n"), &v)
                    .ok());
    EXPECT_EQ(v.dirs[0].host_path, "");
}

TEST(CgroupView, NothingMountedIsAnError) {
    CgroupView v;
    Status s = plan_cgroup_view({}, parse_proc_cgroup("0::/\n"), &v);
    EXPECT_EQ(s.err, ENOENT);
    EXPECT_NE(s.message.find("/sys/fs/cgroup"), std::string::npos);
}

// ---------------------------------------------------------------------------
// Validation and dispatch (no root needed)

TEST(MountsHandler, TypesAreTheUnion) {
    MountsHandler h;
    std::vector<std::string> t = h.types();
    for (const char* want : {"bind", "rbind", "proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2"})
        EXPECT_NE(std::find(t.begin(), t.end(), want), t.end()) << want;
}

TEST(MountsHandler, BindSourceMustExist) {
    MountsHandler h;
    Status s = h.validate({"bind", "/nope", "/data", "/proc/self/fd/9", {"rbind", "ro"}});
    EXPECT_EQ(s.err, ENOENT);
    EXPECT_EQ(s.message, "mount /data: bind source \"/nope\": no such file or directory");
}

TEST(MountsHandler, BindSourceMustBeAbsolute) {
    MountsHandler h;
    Status s = h.validate({"bind", "relative", "/data", "/proc/self/fd/9", {"bind"}});
    EXPECT_EQ(s.err, EINVAL);
    EXPECT_NE(s.message.find("\"relative\""), std::string::npos);
}

TEST(MountsHandler, BindOptionRoutesToBindWhateverTheType) {
    MountsHandler h;
    Status s = h.validate({"none", "/nope", "/data", "/proc/self/fd/9", {"bind"}});
    EXPECT_EQ(s.err, ENOENT);
}

// A bind has no filesystem data: an option outside the table cannot apply and
// is refused, named by its index (the host makes it mounts[N].options[K]).
TEST(MountsHandler, BindRefusesOptionsItCannotApply) {
    struct Row {
        const char* type;
        std::vector<std::string> options;
        const char* message;  // "" for accepted
    } rows[] = {
        {"bind", {"rbind", "rro"}, ""},
        {"bind", {"rbind", "ro", "rrw", "rnosuid", "rnodev", "rnoexec", "rnoatime", "rnosymfollow", "rprivate"}, ""},
        {"bind", {"bind", "idmap=uids=0-1-10;gids=0-1-10"}, ""},
        {"bind",
         {"bind", "frobnicate"},
         "options[1]: \"frobnicate\": not a mount option, and a bind mount takes no filesystem data (mount /data)"},
        {"rbind",
         {"ro", "size=1m"},
         "options[1]: \"size=1m\": not a mount option, and a bind mount takes no filesystem data (mount /data)"},
        {"none",
         {"RRO", "rbind"},
         "options[0]: \"RRO\": not a mount option, and a bind mount takes no filesystem data (mount /data)"},
    };
    MountsHandler h;
    for (const Row& r : rows) {
        Status s = h.validate({r.type, "/tmp", "/data", "/proc/self/fd/9", r.options});
        EXPECT_EQ(s.message, r.message) << ::testing::PrintToString(r.options);
        EXPECT_EQ(s.err, *r.message ? EINVAL : 0) << ::testing::PrintToString(r.options);
    }
}

TEST(MountsHandler, UnknownTypeIsRefused) {
    MountsHandler h;
    Status s = h.validate({"ext4", "/dev/sda1", "/data", "/proc/self/fd/9", {}});
    EXPECT_EQ(s.err, ENODEV);
    EXPECT_NE(s.message.find("\"ext4\""), std::string::npos);
}

TEST(MountsHandler, DataWithoutNameIsRefused) {
    MountsHandler h;
    Status s = h.validate({"tmpfs", "tmpfs", "/dev/shm", "/proc/self/fd/9", {"=1m"}});
    EXPECT_EQ(s.err, EINVAL);
    EXPECT_NE(s.message.find("/dev/shm"), std::string::npos);
    EXPECT_TRUE(h.validate({"tmpfs", "tmpfs", "/dev/shm", "/proc/self/fd/9", {"size=1m", "nosuid"}}).ok());
}

TEST(MountsHandler, OverlayIsHandled) {
    MountsHandler h;
    std::vector<std::string> t = h.types();
    EXPECT_NE(std::find(t.begin(), t.end(), "overlay"), t.end());
}

TEST(MountsHandler, OverlayLayersMustBeDirectories) {
    MountsHandler h;
    Status s = h.validate({"overlay", "overlay", "/merged", "/proc/self/fd/9", {"lowerdir=/nope/l", "ro"}});
    EXPECT_EQ(s.err, ENOENT);
    EXPECT_EQ(s.message, "mount /merged: overlay lowerdir \"/nope/l\": no such file or directory");
    s = h.validate({"overlay",
                    "overlay",
                    "/merged",
                    "/proc/self/fd/9",
                    {"lowerdir=/", "upperdir=/proc/self/status", "workdir=/"}});
    EXPECT_EQ(s.err, ENOTDIR);
    EXPECT_EQ(s.message, "mount /merged: overlay upperdir \"/proc/self/status\": not a directory");
    s = h.validate({"overlay", "overlay", "/merged", "/proc/self/fd/9", {"upperdir=/u"}});
    EXPECT_EQ(s.err, EINVAL);
    EXPECT_NE(s.message.find("lowerdir="), std::string::npos) << s.message;
}

// ---------------------------------------------------------------------------
// Root: the handlers against the kernel, in a private mount namespace

// Runs `body` in a forked child with its own mount namespace (plus `extra`
// namespaces); returns the child's error text, "" on success.
std::string in_private_mount_ns(const std::function<std::string()>& body, int extra = 0) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return "pipe failed";
    pid_t pid = ::fork();
    if (pid < 0) return "fork failed";
    if (pid == 0) {
        ::close(p[0]);
        std::string err;
        if (::unshare(CLONE_NEWNS | extra) != 0) err = std::string("unshare: ") + std::strerror(errno);
        else if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            err = std::string("make / rprivate: ") + std::strerror(errno);
        else err = body();
        if (::write(p[1], err.data(), err.size()) < 0) _exit(2);
        _exit(err.empty() ? 0 : 1);
    }
    ::close(p[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    ::close(p[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status)) return "child died: " + out;
    if (WEXITSTATUS(status) != 0 && out.empty()) return "child failed without a message";
    return out;
}

// A scratch directory, removed at the end of the test (the child's mounts are
// gone by then, with its namespace).
class ScratchDir {
public:
    ScratchDir() {
        char tmpl[] = "/tmp/berth-mounts-test-XXXXXX";
        path_ = ::mkdtemp(tmpl) ? tmpl : "";
    }
    ~ScratchDir() {
        std::error_code ec;
        if (!path_.empty()) fs::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

class HandlerTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root to unshare a mount namespace and mount";
        ASSERT_FALSE(dir_.path().empty());
    }

    // The host's way of handing over a destination: an O_PATH fd.
    static std::string open_target(const std::string& path, int* fd) {
        *fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
        return *fd < 0 ? "" : "/proc/self/fd/" + std::to_string(*fd);
    }

    static std::string run(MountHandler& h, MountRequest req, const std::string& path) {
        int fd;
        req.target = open_target(path, &fd);
        if (req.target.empty()) return "open " + path + ": " + std::strerror(errno);
        Status s = h.validate(req);
        if (s.ok()) s = h.mount(req);
        ::close(fd);
        return s.ok() ? "" : s.message;
    }

    // The mountinfo line of the mount at `path` (the last, visible one).
    static std::string mountinfo_line(const std::string& path) {
        std::ifstream in("/proc/self/mountinfo");
        std::string line, found;
        while (std::getline(in, line)) {
            std::istringstream f(line);
            std::string a, b, c, root, mp;
            f >> a >> b >> c >> root >> mp;
            if (mp == path) found = line;
        }
        return found;
    }

    ScratchDir dir_;
    MountsHandler handler_;
};

#define CHECK(cond, msg)                      \
    do {                                      \
        if (!(cond)) return std::string(msg); \
    } while (0)

TEST_F(HandlerTest, BindReadOnlyRefusesWritesWithEROFS) {
    const std::string src = dir_.path() + "/src", dst = dir_.path() + "/dst";
    fs::create_directories(src);
    fs::create_directories(dst);
    std::ofstream(src + "/file") << "hello";
    std::string err = in_private_mount_ns([&]() -> std::string {
        std::string e = run(handler_, {"bind", src, "/data", "", {"bind", "ro", "nosuid"}}, dst);
        if (!e.empty()) return e;
        std::ifstream in(dst + "/file");
        std::string content;
        in >> content;
        CHECK(content == "hello", "bind does not show the source");
        int fd = ::open((dst + "/file").c_str(), O_WRONLY);
        CHECK(fd < 0 && errno == EROFS, "writing through a ro bind did not fail with EROFS");
        fd = ::open((src + "/file").c_str(), O_WRONLY);
        CHECK(fd >= 0, "the source became read-only");
        ::close(fd);
        struct statvfs sv {};
        CHECK(::statvfs(dst.c_str(), &sv) == 0 && (sv.f_flag & ST_RDONLY) && (sv.f_flag & ST_NOSUID),
              "ro,nosuid not on the bind mount");
        return "";
    });
    EXPECT_EQ(err, "");
}

TEST_F(HandlerTest, BindOfAFileOntoAFile) {
    const std::string src = dir_.path() + "/src.txt", dst = dir_.path() + "/dst.txt";
    std::ofstream(src) << "content";
    std::ofstream(dst) << "";
    std::string err = in_private_mount_ns([&]() -> std::string {
        std::string e = run(handler_, {"bind", src, "/etc/hosts", "", {"bind", "ro"}}, dst);
        if (!e.empty()) return e;
        std::ifstream in(dst);
        std::string content;
        in >> content;
        CHECK(content == "content", "file bind does not show the source");
        return "";
    });
    EXPECT_EQ(err, "");
}

TEST_F(HandlerTest, RbindReadOnlyCoversSubmountsAndPropagationLandsOnTheNewMount) {
    const std::string src = dir_.path() + "/src", sub = src + "/sub", dst = dir_.path() + "/dst";
    fs::create_directories(sub);
    fs::create_directories(dst);
    std::string err = in_private_mount_ns([&]() -> std::string {
        CHECK(::mount("tmpfs", sub.c_str(), "tmpfs", 0, "size=1m") == 0, "tmpfs under the source");
        std::string e = run(handler_, {"bind", src, "/data", "", {"rbind", "ro", "shared"}}, dst);
        if (!e.empty()) return e;
        CHECK(fs::exists(dst + "/sub"), "sub missing");
        int fd = ::open((dst + "/sub/x").c_str(), O_WRONLY | O_CREAT, 0600);
        CHECK(fd < 0 && errno == EROFS, "rbind ro did not cover the submount");
        // shared was set on the new mount (through the mount fd), not on the
        // directory under it, which stays private.
        std::string line = mountinfo_line(dst);
        CHECK(line.find(" shared:") != std::string::npos, "bind is not shared: " + line);
        return "";
    });
    EXPECT_EQ(err, "");
}

// The r* attributes reach every mount of an rbind, after the plain ones
// (which with rbind cover the tree too), so they win.
TEST_F(HandlerTest, RecursiveAttributesCoverEverySubmount) {
    const std::string src = dir_.path() + "/src", sub = src + "/sub", dst = dir_.path() + "/dst";
    fs::create_directories(sub);
    fs::create_directories(dst);
    auto flags = [](const std::string& path) {
        struct statvfs sv {};
        return ::statvfs(path.c_str(), &sv) == 0 ? sv.f_flag : ~0ul;
    };
    std::string err = in_private_mount_ns([&]() -> std::string {
        CHECK(::mount("tmpfs", sub.c_str(), "tmpfs", MS_NOSUID, "size=1m") == 0, "tmpfs under the source");
        std::string e = run(
            handler_,
            {"bind", src, "/data", "", {"rbind", "rw", "rro", "rnodev", "rnoexec", "rnoatime", "rnosymfollow"}}, dst);
        if (!e.empty()) return e;
        const unsigned long want = ST_RDONLY | ST_NODEV | ST_NOEXEC | ST_NOATIME | ST_NOSYMFOLLOW;
        for (const std::string& p : {dst, dst + "/sub"})
            CHECK((flags(p) & want) == want, p + ": flags " + std::to_string(flags(p)));
        CHECK(!(flags(dst) & ST_NOSUID) && (flags(dst + "/sub") & ST_NOSUID), "nosuid changed without rsuid");

        const std::string dst2 = dir_.path() + "/dst2";
        fs::create_directories(dst2);
        e = run(handler_, {"bind", src, "/data2", "", {"rbind", "ro", "rrw", "rsuid"}}, dst2);
        if (!e.empty()) return e;
        for (const std::string& p : {dst2, dst2 + "/sub"})
            CHECK(!(flags(p) & (ST_RDONLY | ST_NOSUID)), p + ": ro or nosuid left: " + std::to_string(flags(p)));

        const std::string tmp = dir_.path() + "/tmp";
        fs::create_directories(tmp);
        e = run(handler_, {"tmpfs", "tmpfs", "/tmp", "", {"rro", "rnosuid", "size=1m"}}, tmp);
        if (!e.empty()) return e;
        CHECK((flags(tmp) & (ST_RDONLY | ST_NOSUID)) == (ST_RDONLY | ST_NOSUID), "tmpfs: rro,rnosuid not applied");
        return "";
    });
    EXPECT_EQ(err, "");
}

TEST_F(HandlerTest, TmpfsWithSizeModeAndFlags) {
    const std::string dst = dir_.path() + "/shm";
    fs::create_directories(dst);
    std::string err = in_private_mount_ns([&]() -> std::string {
        std::string e =
            run(handler_, {"tmpfs", "shm", "/dev/shm", "", {"nosuid", "noexec", "nodev", "mode=1777", "size=1m"}}, dst);
        if (!e.empty()) return e;
        struct statfs sf {};
        CHECK(::statfs(dst.c_str(), &sf) == 0 && sf.f_type == TMPFS_MAGIC, "not a tmpfs");
        CHECK(static_cast<unsigned long long>(sf.f_blocks) * sf.f_bsize == 1024 * 1024,
              "size is " + std::to_string(sf.f_blocks * sf.f_bsize));
        struct stat st {};
        CHECK(::stat(dst.c_str(), &st) == 0 && (st.st_mode & 07777) == 01777, "mode is not 1777");
        CHECK((sf.f_flags & ST_NOSUID) && (sf.f_flags & ST_NOEXEC) && (sf.f_flags & ST_NODEV),
              "nosuid,noexec,nodev missing");
        std::string line = mountinfo_line(dst);
        CHECK(line.find(" - tmpfs shm ") != std::string::npos, "source not shown: " + line);
        return "";
    });
    EXPECT_EQ(err, "");
}

TEST_F(HandlerTest, TmpfsCopyUpKeepsWhatTheImageHad) {
    // The image's directory: files, a subdirectory, a symlink pointing out of
    // the tree (copied as a link, never followed), a fifo, owners and modes.
    const std::string dst = dir_.path() + "/run", outside = dir_.path() + "/outside";
    fs::create_directories(dst + "/sub/deeper");
    fs::create_directories(outside);
    std::ofstream(dst + "/file") << "from the image";
    std::ofstream(dst + "/sub/deeper/nested") << "nested";
    std::ofstream(outside + "/secret") << "host";
    ::symlink(outside.c_str(), (dst + "/link").c_str());
    ::mkfifo((dst + "/fifo").c_str(), 0640);
    ::chown((dst + "/sub").c_str(), 1000, 1001);
    ::chmod((dst + "/sub").c_str(), 0750);
    ::chown((dst + "/file").c_str(), 1000, 1000);
    ::chmod((dst + "/file").c_str(), 04755);
    for (bool ro : {false, true}) {
        std::vector<std::string> options = {"rw", "rprivate", "nosuid", "nodev", "tmpcopyup"};
        if (ro) options.push_back("ro");
        std::string err = in_private_mount_ns([&]() -> std::string {
            std::string e = run(handler_, {"tmpfs", "tmpfs", "/run", "", options}, dst);
            if (!e.empty()) return e;
            struct statfs sf {};
            CHECK(::statfs(dst.c_str(), &sf) == 0 && sf.f_type == TMPFS_MAGIC, "not a tmpfs");
            CHECK(((sf.f_flags & ST_RDONLY) != 0) == ro, "ro not as asked");
            std::ifstream in(dst + "/file");
            std::string content;
            std::getline(in, content);
            CHECK(content == "from the image", "file not copied: [" + content + "]");
            std::ifstream nested(dst + "/sub/deeper/nested");
            std::getline(nested, content);
            CHECK(content == "nested", "nested file not copied");
            struct stat st {};
            CHECK(::stat((dst + "/sub").c_str(), &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001 &&
                      (st.st_mode & 07777) == 0750,
                  "directory owner or mode not kept");
            CHECK(::stat((dst + "/file").c_str(), &st) == 0 && st.st_uid == 1000 && (st.st_mode & 07777) == 04755,
                  "file owner or set-uid mode not kept");
            CHECK(::lstat((dst + "/link").c_str(), &st) == 0 && S_ISLNK(st.st_mode), "symlink not kept as a link");
            CHECK(fs::read_symlink(dst + "/link") == outside, "symlink target changed");
            CHECK(!fs::exists(dst + "/link/x") && fs::exists(outside + "/secret"), "link target touched");
            CHECK(::lstat((dst + "/fifo").c_str(), &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0640,
                  "fifo not copied");
            if (!ro) {
                // A copy: writing in the tmpfs leaves the image's file alone.
                std::ofstream(dst + "/file") << "changed";
            }
            return "";
        });
        EXPECT_EQ(err, "") << (ro ? "ro" : "rw");
    }
    std::ifstream in(dst + "/file");
    std::string content;
    std::getline(in, content);
    EXPECT_EQ(content, "from the image") << "the image's file was written through the tmpfs";
    // Without the extension the tmpfs is empty.
    std::string err = in_private_mount_ns([&]() -> std::string {
        std::string e = run(handler_, {"tmpfs", "tmpfs", "/run", "", {"nosuid"}}, dst);
        if (!e.empty()) return e;
        CHECK(!fs::exists(dst + "/file"), "copied without tmpcopyup");
        return "";
    });
    EXPECT_EQ(err, "");
}

TEST_F(HandlerTest, BadFilesystemDataNamesTheOption) {
    const std::string dst = dir_.path() + "/shm";
    fs::create_directories(dst);
    std::string err = in_private_mount_ns([&]() -> std::string {
        std::string e = run(handler_, {"tmpfs", "tmpfs", "/dev/shm", "", {"size=lots"}}, dst);
        CHECK(e.find("mount /dev/shm: fsconfig tmpfs size=lots") == 0, "unexpected: " + e);
        return "";
    });
    EXPECT_EQ(err, "");
}

TEST_F(HandlerTest, ProcSysfsMqueueDevpts) {
    const std::string base = dir_.path();
    for (const char* d : {"proc", "sys", "mqueue", "pts"}) fs::create_directories(base + "/" + d);
    std::string err = in_private_mount_ns([&]() -> std::string {
        std::string e = run(handler_, {"proc", "proc", "/proc", "", {"nosuid", "noexec", "nodev"}}, base + "/proc");
        if (!e.empty()) return e;
        struct statfs sf {};
        CHECK(::statfs((base + "/proc").c_str(), &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC, "proc missing");
        CHECK(fs::exists(base + "/proc/self/status"), "proc has no self");

        e = run(handler_, {"sysfs", "sysfs", "/sys", "", {"nosuid", "noexec", "nodev", "ro"}}, base + "/sys");
        if (!e.empty()) return e;
        CHECK(::statfs((base + "/sys").c_str(), &sf) == 0 && sf.f_type == SYSFS_MAGIC, "sysfs missing");
        CHECK(sf.f_flags & ST_RDONLY, "sysfs not ro");

        e = run(handler_, {"mqueue", "mqueue", "/dev/mqueue", "", {"nosuid", "noexec", "nodev"}}, base + "/mqueue");
        if (!e.empty()) return e;
        CHECK(::statfs((base + "/mqueue").c_str(), &sf) == 0 && sf.f_type == MQUEUE_MAGIC, "mqueue missing");

        e = run(handler_,
                {"devpts",
                 "devpts",
                 "/dev/pts",
                 "",
                 {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
                base + "/pts");
        if (!e.empty()) return e;
        CHECK(::statfs((base + "/pts").c_str(), &sf) == 0 && sf.f_type == DEVPTS_SUPER_MAGIC, "devpts missing");
        struct stat st {};
        CHECK(::stat((base + "/pts/ptmx").c_str(), &st) == 0 && (st.st_mode & 0777) == 0666, "ptmxmode not 0666");
        return "";
    });
    EXPECT_EQ(err, "");
}

// What the cgroup view must look like on a legacy/hybrid host.
std::string check_v1_view(const std::string& dst) {
    struct statfs sf {};
    CHECK(::statfs(dst.c_str(), &sf) == 0 && sf.f_type == TMPFS_MAGIC, "no tmpfs at the cgroup target");
    CHECK(sf.f_flags & ST_RDONLY, "cgroup tmpfs not read-only");
    for (const char* c : {"pids", "memory", "cpu"}) {
        const std::string d = dst + "/" + c;
        CHECK(fs::is_directory(d), d + " missing");
        CHECK(::statfs(d.c_str(), &sf) == 0 && sf.f_type == CGROUP_SUPER_MAGIC, d + " is not cgroup v1");
        CHECK(sf.f_flags & ST_RDONLY, d + " is not read-only");
        CHECK(fs::exists(d + "/cgroup.procs"), d + "/cgroup.procs missing");
        int fd = ::open((d + "/cgroup.procs").c_str(), O_WRONLY);
        CHECK(fd < 0 && errno == EROFS, d + "/cgroup.procs is writable");
    }
    CHECK(fs::exists(dst + "/memory/memory.limit_in_bytes"), "memory controller files missing");
    return "";
}

TEST_F(HandlerTest, CgroupViewOnThisHost) {
    std::ifstream in("/proc/self/mountinfo");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CgroupMode mode = detect_cgroup_mode(parse_mountinfo(text));
    if (mode == CgroupMode::kNone) GTEST_SKIP() << "no cgroup filesystem at /sys/fs/cgroup";
    const std::string dst = dir_.path() + "/cgroup";
    fs::create_directories(dst);
    std::string err = in_private_mount_ns([&]() -> std::string {
        std::string e = run(
            handler_, {"cgroup", "cgroup", "/sys/fs/cgroup", "", {"nosuid", "noexec", "nodev", "relatime", "ro"}}, dst);
        if (!e.empty()) return e;
        if (mode == CgroupMode::kUnified) {
            struct statfs sf {};
            CHECK(::statfs(dst.c_str(), &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC, "no cgroup2 at target");
            CHECK(sf.f_flags & ST_RDONLY, "cgroup2 not read-only");
            return "";
        }
        e = check_v1_view(dst);
        if (!e.empty()) return e;
        // The process's own cgroup, not the hierarchy's root, is shown: here
        // memory is a child cgroup on the hybrid CI host.
        std::ifstream cg("/proc/self/cgroup");
        std::string line;
        while (std::getline(cg, line)) {
            auto pos = line.find(":memory:");
            if (pos == std::string::npos) continue;
            std::string path = line.substr(pos + 8);
            struct stat a {
            }, b{};
            CHECK(::stat((dst + "/memory").c_str(), &a) == 0 &&
                      ::stat(("/sys/fs/cgroup/memory" + path).c_str(), &b) == 0 && a.st_ino == b.st_ino,
                  "memory shows something other than " + path);
        }
        if (mode == CgroupMode::kHybrid) CHECK(fs::is_directory(dst + "/unified"), "unified missing on hybrid");
        return "";
    });
    EXPECT_EQ(err, "");
}

TEST_F(HandlerTest, CgroupViewInANewCgroupNamespace) {
    std::ifstream in("/proc/self/mountinfo");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CgroupMode mode = detect_cgroup_mode(parse_mountinfo(text));
    if (mode != CgroupMode::kHybrid && mode != CgroupMode::kLegacy) GTEST_SKIP() << "not a v1 host";
    const std::string dst = dir_.path() + "/cgroup";
    fs::create_directories(dst);
    std::string err = in_private_mount_ns(
        [&]() -> std::string {
            std::string e =
                run(handler_, {"cgroup", "cgroup", "/sys/fs/cgroup", "", {"nosuid", "noexec", "nodev", "ro"}}, dst);
            if (!e.empty()) return e;
            return check_v1_view(dst);
        },
        CLONE_NEWCGROUP);
    EXPECT_EQ(err, "");
}

// Upper and work dirs on a tmpfs of our own: overlayfs refuses some upper
// filesystems (an overlay /tmp among them).
TEST_F(HandlerTest, OverlayMergesLayersAndWritesToUpper) {
    const std::string d = dir_.path();
    for (const char* sub : {"/l1", "/l2", "/rw", "/merged"}) fs::create_directories(d + sub);
    std::ofstream(d + "/l1/top") << "from-l1";
    std::ofstream(d + "/l2/top") << "hidden";
    std::ofstream(d + "/l2/bottom") << "from-l2";
    std::string err = in_private_mount_ns([&]() -> std::string {
        if (::mount("tmpfs", (d + "/rw").c_str(), "tmpfs", 0, nullptr) != 0) return "mount tmpfs for upper";
        fs::create_directories(d + "/rw/upper");
        fs::create_directories(d + "/rw/work");
        std::string e = run(handler_,
                            {"overlay",
                             "overlay",
                             "/merged",
                             "",
                             {"lowerdir=" + d + "/l1:" + d + "/l2", "upperdir=" + d + "/rw/upper",
                              "workdir=" + d + "/rw/work", "nodev", "private"}},
                            d + "/merged");
        if (!e.empty()) return e;
        auto slurp = [](const std::string& p) {
            std::ifstream in(p);
            std::string s;
            in >> s;
            return s;
        };
        CHECK(slurp(d + "/merged/top") == "from-l1", "the upper layer of lowerdir does not win");
        CHECK(slurp(d + "/merged/bottom") == "from-l2", "the lower layer is not visible");
        std::ofstream(d + "/merged/new") << "written";
        CHECK(slurp(d + "/rw/upper/new") == "written", "a write did not land in upperdir");
        CHECK(!fs::exists(d + "/l1/new") && !fs::exists(d + "/l2/new"), "a write reached a lower layer");
        std::string line = mountinfo_line(d + "/merged");
        CHECK(line.find(" - overlay overlay ") != std::string::npos, "not an overlay: " + line);
        CHECK(line.find("nodev") != std::string::npos, "nodev not applied: " + line);
        return "";
    });
    EXPECT_EQ(err, "");
}

// A source the host opened itself (a user namespace, an idmapped mount)
// comes as /proc/self/fd/N of a detached mount: the handler attaches that
// mount, with the requested attributes, instead of cloning a path.
TEST_F(HandlerTest, BindAttachesADetachedSourceTree) {
    const std::string src = dir_.path() + "/src", dst = dir_.path() + "/dst";
    fs::create_directories(src);
    fs::create_directories(dst);
    std::ofstream(src + "/file") << "detached";
    std::string err = in_private_mount_ns([&]() -> std::string {
        int tree = ::open_tree(AT_FDCWD, src.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        CHECK(tree >= 0, "open_tree");
        const std::string source = "/proc/self/fd/" + std::to_string(tree);
        std::string e = run(handler_, {"bind", source, "/data", "", {"bind", "ro"}}, dst);
        if (!e.empty()) return e;
        std::ifstream in(dst + "/file");
        std::string content;
        in >> content;
        CHECK(content == "detached", "the detached tree is not what shows at the destination");
        struct statvfs sv {};
        CHECK(::statvfs(dst.c_str(), &sv) == 0 && (sv.f_flag & ST_RDONLY), "ro not applied to the attached tree");
        // It was attached, not cloned: the fd now names a mount in our table.
        struct statx stx {};
        CHECK(::statx(tree, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) == 0, "statx");
        CHECK(mountinfo_line(dst).rfind(std::to_string(stx.stx_mnt_id) + " ", 0) == 0,
              "the mount at the destination is not the tree that was handed over");
        ::close(tree);
        return "";
    });
    EXPECT_EQ(err, "");
}

}  // namespace
