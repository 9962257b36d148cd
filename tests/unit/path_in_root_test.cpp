// open_in_root / mkdir_all_in_root / touch_in_root: symlinks and ".." in a
// hostile rootfs resolve inside the root (openat2 RESOLVE_IN_ROOT).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include "errors/error.hpp"
#include "rootfs/path_in_root.hpp"

namespace fs = std::filesystem;

namespace {

// Host paths a broken resolver would create or reach.
const char* kHostPaths[] = {
    "/newdir", "/host-etc-should-not-escape", "/berth-escape-file", "/x", "/berth-up-dir", "/berth-somewhere"};

class FakeRootfs : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* p : kHostPaths)
            ASSERT_FALSE(fs::exists(fs::symlink_status(p))) << p << " exists on the host before the test";
        char pattern[] = "/tmp/berth-rootfs-test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        tmp_ = pattern;
        // rootfs two levels down so that "../../.." would leave the temp dir.
        root_ = tmp_ + "/a/rootfs";
        fs::create_directories(root_);
        fs::create_symlink("/host-etc-should-not-escape", root_ + "/etc");
        fs::create_symlink("../../..", root_ + "/up");
        fs::create_symlink("/", root_ + "/abs");
        fs::create_symlink("/berth-escape-file", root_ + "/escape-file");
        std::ofstream(root_ + "/x") << "inside";
        root_fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT_GE(root_fd_, 0);
        before_ = listing();
    }
    void TearDown() override {
        if (root_fd_ >= 0) ::close(root_fd_);
        fs::remove_all(tmp_);
        for (const char* p : kHostPaths)
            EXPECT_FALSE(fs::exists(fs::symlink_status(p))) << p << " was created on the host";
    }
    // Every path under the temp dir, relative to it.
    std::set<std::string> listing() const {
        std::set<std::string> out;
        for (auto& e : fs::recursive_directory_iterator(tmp_)) out.insert(fs::relative(e.path(), tmp_));
        return out;
    }
    std::set<std::string> added() const {
        std::set<std::string> out;
        for (auto& p : listing())
            if (!before_.count(p)) out.insert(p);
        return out;
    }
    static std::pair<dev_t, ino_t> id_of_fd(int fd) {
        struct stat sb;
        EXPECT_EQ(::fstat(fd, &sb), 0);
        return {sb.st_dev, sb.st_ino};
    }
    static std::pair<dev_t, ino_t> id_of_path(const std::string& p) {
        struct stat sb;
        EXPECT_EQ(::lstat(p.c_str(), &sb), 0) << p;
        return {sb.st_dev, sb.st_ino};
    }

    std::string tmp_, root_;
    int root_fd_ = -1;
    std::set<std::string> before_;
};

berth::Error error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const berth::Error& e) {
        return e;
    }
    return berth::Error("<no error>");
}

TEST_F(FakeRootfs, DotDotSymlinkStaysInside) {
    auto fd = berth::open_in_root(root_fd_, "/up/x");
    EXPECT_EQ(id_of_fd(fd.get()), id_of_path(root_ + "/x"));
    auto fd2 = berth::open_in_root(root_fd_, "/../../../../x");
    EXPECT_EQ(id_of_fd(fd2.get()), id_of_path(root_ + "/x"));
    auto up = berth::open_in_root(root_fd_, "/up");
    EXPECT_EQ(id_of_fd(up.get()), id_of_path(root_));
}

TEST_F(FakeRootfs, AbsoluteSymlinkStaysInside) {
    auto fd = berth::open_in_root(root_fd_, "abs/x");
    EXPECT_EQ(id_of_fd(fd.get()), id_of_path(root_ + "/x"));
    auto r = berth::open_in_root(root_fd_, "/abs");
    EXPECT_EQ(id_of_fd(r.get()), id_of_path(root_));
    auto r2 = berth::open_in_root(root_fd_, "/");
    EXPECT_EQ(id_of_fd(r2.get()), id_of_path(root_));
}

TEST_F(FakeRootfs, HostEtcIsNotReached) {
    ASSERT_TRUE(fs::exists("/etc/passwd"));
    auto e = error_of([&] { berth::open_in_root(root_fd_, "/etc/passwd"); });
    EXPECT_STREQ(e.what(), "open /etc/passwd: no such file or directory");
    EXPECT_EQ(e.err(), ENOENT);
    e = error_of([&] { berth::open_in_root(root_fd_, "/up/etc/passwd"); });
    EXPECT_EQ(e.err(), ENOENT) << e.what();
    e = error_of([&] { berth::open_in_root(root_fd_, "/abs/abs/etc/passwd"); });
    EXPECT_EQ(e.err(), ENOENT) << e.what();
    EXPECT_TRUE(added().empty());
}

TEST_F(FakeRootfs, MagicLinksRefused) {
    fs::create_symlink("/proc/self/root", root_ + "/self-root");
    auto e = error_of([&] { berth::open_in_root(root_fd_, "/self-root/etc/passwd"); });
    EXPECT_EQ(e.err(), ENOENT) << e.what();  // resolved as rootfs/proc/..., which does not exist
}

TEST_F(FakeRootfs, OpenWithFlags) {
    auto fd = berth::open_in_root(root_fd_, "/up/x", O_RDONLY | O_NOFOLLOW);
    char buf[16] = {};
    ASSERT_EQ(::read(fd.get(), buf, sizeof buf), 6);
    EXPECT_STREQ(buf, "inside");
    auto d = berth::open_in_root(root_fd_, "/abs", O_RDONLY | O_DIRECTORY);
    EXPECT_EQ(id_of_fd(d.get()), id_of_path(root_));
}

// O_RDONLY is 0, which open_in_root reads as "no flags given" and replaces
// with O_PATH: the fd cannot be read.
TEST_F(FakeRootfs, OpenReadOnly) {
    auto fd = berth::open_in_root(root_fd_, "/x", O_RDONLY);
    char buf[16] = {};
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    EXPECT_EQ(n, 6);
}

TEST_F(FakeRootfs, MkdirAllThroughAbsoluteSymlink) {
    auto fd = berth::mkdir_all_in_root(root_fd_, "/abs/newdir");
    EXPECT_TRUE(fs::is_directory(root_ + "/newdir"));
    EXPECT_EQ(id_of_fd(fd.get()), id_of_path(root_ + "/newdir"));
    EXPECT_EQ(added(), std::set<std::string>{"a/rootfs/newdir"});
}

TEST_F(FakeRootfs, MkdirAllThroughDotDotSymlink) {
    auto fd = berth::mkdir_all_in_root(root_fd_, "/up/berth-up-dir/b/c", 0700);
    EXPECT_TRUE(fs::is_directory(root_ + "/berth-up-dir/b/c"));
    EXPECT_EQ(id_of_fd(fd.get()), id_of_path(root_ + "/berth-up-dir/b/c"));
    EXPECT_EQ(fs::status(root_ + "/berth-up-dir/b/c").permissions() & fs::perms::all, fs::perms(0700));
    EXPECT_EQ(added(),
              (std::set<std::string>{"a/rootfs/berth-up-dir", "a/rootfs/berth-up-dir/b", "a/rootfs/berth-up-dir/b/c"}));
}

TEST_F(FakeRootfs, MkdirAllExisting) {
    fs::create_directories(root_ + "/d/e");
    auto fd = berth::mkdir_all_in_root(root_fd_, "/d/e");
    EXPECT_EQ(id_of_fd(fd.get()), id_of_path(root_ + "/d/e"));
    auto r = berth::mkdir_all_in_root(root_fd_, "/");
    EXPECT_EQ(id_of_fd(r.get()), id_of_path(root_));
}

TEST_F(FakeRootfs, MkdirAllOverAFile) {
    auto e = error_of([&] { berth::mkdir_all_in_root(root_fd_, "/x/sub"); });
    EXPECT_STREQ(e.what(), "open /x/sub: not a directory");
    EXPECT_EQ(e.err(), ENOTDIR);
}

// A dangling symlink is followed inside the root and its target created
// there (runc's securejoin + MkdirAll), never on the host.
TEST_F(FakeRootfs, MkdirAllThroughDanglingAbsoluteSymlink) {
    auto fd = berth::mkdir_all_in_root(root_fd_, "/etc/ssl");
    EXPECT_TRUE(fs::is_symlink(root_ + "/etc")) << "the symlink was replaced";
    EXPECT_TRUE(fs::is_directory(root_ + "/host-etc-should-not-escape/ssl"));
    EXPECT_EQ(id_of_fd(fd.get()), id_of_path(root_ + "/host-etc-should-not-escape/ssl"));
    EXPECT_EQ(added(), (std::set<std::string>{"a/rootfs/host-etc-should-not-escape",
                                              "a/rootfs/host-etc-should-not-escape/ssl"}));
}

TEST_F(FakeRootfs, MkdirAllThroughDanglingRelativeSymlinkClimbingOut) {
    fs::create_directories(root_ + "/var");
    fs::create_symlink("../../../../berth-up-dir/run", root_ + "/var/run");
    auto fd = berth::mkdir_all_in_root(root_fd_, "/var/run/x");
    EXPECT_TRUE(fs::is_directory(root_ + "/berth-up-dir/run/x"));
    EXPECT_EQ(id_of_fd(fd.get()), id_of_path(root_ + "/berth-up-dir/run/x"));
    for (auto& p : added()) EXPECT_EQ(p.rfind("a/rootfs/", 0), 0u) << p;
}

TEST_F(FakeRootfs, MkdirAllSymlinkLoop) {
    fs::create_symlink("/loop2", root_ + "/loop1");
    fs::create_symlink("/loop1", root_ + "/loop2");
    before_ = listing();
    auto e = error_of([&] { berth::mkdir_all_in_root(root_fd_, "/loop1/x"); });
    EXPECT_EQ(e.err(), ELOOP) << e.what();
    EXPECT_NE(std::string(e.what()).find("too many levels of symbolic links"), std::string::npos) << e.what();
    EXPECT_TRUE(added().empty());
}

TEST_F(FakeRootfs, TouchCreatesFileInsideRoot) {
    auto fd = berth::touch_in_root(root_fd_, "/abs/up/berth-up-dir/file");
    EXPECT_TRUE(fs::is_regular_file(root_ + "/berth-up-dir/file"));
    EXPECT_EQ(id_of_fd(fd.get()), id_of_path(root_ + "/berth-up-dir/file"));
    EXPECT_EQ(fs::status(root_ + "/berth-up-dir/file").permissions() & fs::perms::all, fs::perms(0644));
    EXPECT_EQ(added(), (std::set<std::string>{"a/rootfs/berth-up-dir", "a/rootfs/berth-up-dir/file"}));
}

TEST_F(FakeRootfs, TouchExistingKeepsContent) {
    auto fd = berth::touch_in_root(root_fd_, "/up/x");
    EXPECT_EQ(id_of_fd(fd.get()), id_of_path(root_ + "/x"));
    std::ifstream in(root_ + "/x");
    std::string s;
    in >> s;
    EXPECT_EQ(s, "inside");
}

// The last component a symlink to a missing host file: followed inside the
// root (runc's securejoin), the file made there and never on the host.
TEST_F(FakeRootfs, TouchDanglingSymlinkDoesNotEscape) {
    auto fd = berth::touch_in_root(root_fd_, "/escape-file");
    EXPECT_TRUE(fs::is_symlink(root_ + "/escape-file")) << "the symlink was replaced";
    EXPECT_TRUE(fs::is_regular_file(root_ + "/berth-escape-file"));
    EXPECT_EQ(id_of_fd(fd.get()), id_of_path(root_ + "/berth-escape-file"));
    EXPECT_FALSE(fs::exists("/berth-escape-file"));
    EXPECT_EQ(added(), std::set<std::string>{"a/rootfs/berth-escape-file"});
}

// An image's /etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf with
// no /run/systemd: a bind onto it lands at the link's target.
TEST_F(FakeRootfs, TouchThroughDanglingRelativeSymlink) {
    fs::create_directories(root_ + "/etc2");
    fs::create_symlink("../berth-somewhere/resolve/stub-resolv.conf", root_ + "/etc2/resolv.conf");
    before_ = listing();
    auto fd = berth::touch_in_root(root_fd_, "/etc2/resolv.conf");
    EXPECT_TRUE(fs::is_symlink(root_ + "/etc2/resolv.conf"));
    EXPECT_EQ(id_of_fd(fd.get()), id_of_path(root_ + "/berth-somewhere/resolve/stub-resolv.conf"));
    EXPECT_EQ(fs::status(root_ + "/berth-somewhere/resolve/stub-resolv.conf").permissions() & fs::perms::all,
              fs::perms(0644));
    EXPECT_EQ(added(), (std::set<std::string>{"a/rootfs/berth-somewhere", "a/rootfs/berth-somewhere/resolve",
                                              "a/rootfs/berth-somewhere/resolve/stub-resolv.conf"}));
}

TEST_F(FakeRootfs, TouchThroughDanglingAbsoluteSymlinkChain) {
    fs::create_symlink("/link2", root_ + "/link1");
    fs::create_symlink("berth-somewhere/file", root_ + "/link2");
    before_ = listing();
    auto fd = berth::touch_in_root(root_fd_, "/link1");
    EXPECT_EQ(id_of_fd(fd.get()), id_of_path(root_ + "/berth-somewhere/file"));
    EXPECT_EQ(added(), (std::set<std::string>{"a/rootfs/berth-somewhere", "a/rootfs/berth-somewhere/file"}));
}

TEST_F(FakeRootfs, TouchThroughDanglingSymlinkClimbingOut) {
    fs::create_symlink("../../../../../berth-escape-file", root_ + "/climb");
    before_ = listing();
    auto fd = berth::touch_in_root(root_fd_, "/climb");
    EXPECT_EQ(id_of_fd(fd.get()), id_of_path(root_ + "/berth-escape-file"));
    EXPECT_EQ(added(), std::set<std::string>{"a/rootfs/berth-escape-file"});
    EXPECT_FALSE(fs::exists(tmp_ + "/berth-escape-file"));
}

TEST_F(FakeRootfs, TouchSymlinkLoop) {
    fs::create_symlink("/loop2", root_ + "/loop1");
    fs::create_symlink("loop1", root_ + "/loop2");
    before_ = listing();
    auto e = error_of([&] { berth::touch_in_root(root_fd_, "/loop1"); });
    EXPECT_EQ(e.err(), ELOOP) << e.what();
    EXPECT_TRUE(added().empty());
}

// The destination itself a dangling symlink, absolute or relative: the
// directory is made at its target, inside the root.
TEST_F(FakeRootfs, MkdirAllDanglingSymlinkAsLastComponent) {
    fs::create_symlink("/berth-somewhere/missing", root_ + "/data");
    fs::create_symlink("berth-somewhere/rel", root_ + "/data-rel");
    fs::create_symlink("../../../berth-up-dir", root_ + "/data-up");
    before_ = listing();
    auto fd = berth::mkdir_all_in_root(root_fd_, "/data");
    EXPECT_EQ(id_of_fd(fd.get()), id_of_path(root_ + "/berth-somewhere/missing"));
    auto rel = berth::mkdir_all_in_root(root_fd_, "/data-rel");
    EXPECT_EQ(id_of_fd(rel.get()), id_of_path(root_ + "/berth-somewhere/rel"));
    auto up = berth::mkdir_all_in_root(root_fd_, "/data-up");
    EXPECT_EQ(id_of_fd(up.get()), id_of_path(root_ + "/berth-up-dir"));
    EXPECT_EQ(added(), (std::set<std::string>{"a/rootfs/berth-somewhere", "a/rootfs/berth-somewhere/missing",
                                              "a/rootfs/berth-somewhere/rel", "a/rootfs/berth-up-dir"}));
}

}  // namespace
