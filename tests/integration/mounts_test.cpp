// Spec mounts and devices as runc and crun make them (issue 8): the mode of a
// tmpfs over an image directory, rootfsPropagation, destinations that are
// dangling symlinks (resolved inside the rootfs, never on the host) and
// device paths with a trailing slash.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class Mounts : public ContainerTest {
protected:
    std::unique_ptr<Bundle> bundle(const std::vector<std::string>& args) {
        static int n = 0;
        return std::make_unique<Bundle>(tmp_->path() + "/bundle" + std::to_string(n++), args);
    }
    Result run(Bundle& b) { return berth({"run", "--bundle", b.dir(), id("mnt")}); }
    static void add_tmpfs(Bundle& b, const std::string& dest, const std::vector<std::string>& options = {}) {
        json m = {{"destination", dest}, {"type", "tmpfs"}, {"source", "tmpfs"}};
        if (!options.empty()) m["options"] = options;
        b.config["mounts"].push_back(m);
    }
    static void make_dir(const std::string& path, mode_t mode) {
        fs::create_directories(path);
        ASSERT_EQ(chmod(path.c_str(), mode), 0) << path;
    }
};

// runc and crun give a tmpfs over an existing directory that directory's
// mode (mode= in the options wins); a directory made for the mount gets the
// kernel's 1777.
TEST_F(Mounts, TmpfsTakesTheModeOfTheDirectoryItCovers) {
    auto b = bundle({"sh", "-c",
                     "for d in /m755 /m700 /m2750 /given /fresh /through-link; do "
                     "echo $d $(stat -c %a $d/.) $(stat -f -c %T $d/.); done"});
    const std::string r = b->rootfs();
    make_dir(r + "/m755", 0755);
    make_dir(r + "/m700", 0700);
    make_dir(r + "/m2750", 02750);
    make_dir(r + "/given", 0755);
    make_dir(r + "/target711", 0711);
    ASSERT_EQ(symlink("/target711", (r + "/through-link").c_str()), 0);
    add_tmpfs(*b, "/m755");
    add_tmpfs(*b, "/m700", {"nosuid", "nodev"});
    add_tmpfs(*b, "/m2750");
    add_tmpfs(*b, "/given", {"mode=1777"});
    add_tmpfs(*b, "/fresh");
    add_tmpfs(*b, "/through-link");
    b->save();
    Result res = run(*b);
    ASSERT_EQ(res.code, 0) << res.err;
    EXPECT_EQ(res.out,
              "/m755 755 tmpfs\n"
              "/m700 700 tmpfs\n"
              "/m2750 2750 tmpfs\n"
              "/given 1777 tmpfs\n"
              "/fresh 1777 tmpfs\n"
              "/through-link 711 tmpfs\n");
}

// Each rootfsPropagation runc accepts works, and shows on / in mountinfo.
TEST_F(Mounts, RootfsPropagation) {
    struct Case {
        const char* propagation;
        const char* root_field;  // expected in /'s optional fields; "" for none
        bool submounts_too;      // r* forms apply to /proc as well
    } cases[] = {
        {"unbindable", "unbindable", false}, {"runbindable", "unbindable", true},
        {"private", "", false},              {"rprivate", "", false},
        {"shared", "shared:", false},        {"rshared", "shared:", true},
        {"slave", "", false},                {"rslave", "", false},
    };
    // Field 7 on is the optional fields up to the "-" separator.
    const std::string show =
        "awk '$5 == \"/\" || $5 == \"/proc\" { o = \"\"; for (i = 7; $i != \"-\"; i++) o = o \" \" $i; "
        "print $5 \":\" o }' /proc/self/mountinfo";
    for (const Case& c : cases) {
        SCOPED_TRACE(c.propagation);
        auto b = bundle({"sh", "-c", show});
        b->config["linux"]["rootfsPropagation"] = c.propagation;
        b->save();
        Result res = run(*b);
        ASSERT_EQ(res.code, 0) << res.err;
        std::istringstream lines(res.out);
        std::string root_line, proc_line, line;
        while (std::getline(lines, line)) (line.rfind("/:", 0) == 0 ? root_line : proc_line) = line;
        ASSERT_FALSE(root_line.empty()) << res.out;
        ASSERT_FALSE(proc_line.empty()) << res.out;
        if (*c.root_field) {
            EXPECT_NE(root_line.find(c.root_field), std::string::npos) << res.out;
        } else {
            EXPECT_EQ(root_line.find("shared:"), std::string::npos) << res.out;
            EXPECT_EQ(root_line.find("unbindable"), std::string::npos) << res.out;
        }
        if (c.submounts_too) EXPECT_NE(proc_line.find(c.root_field), std::string::npos) << res.out;
        else EXPECT_EQ(proc_line.find("unbindable"), std::string::npos) << res.out;
        // Nothing of the container's is propagated towards the host.
        EXPECT_EQ(read_text("/proc/self/mountinfo").find(b->rootfs()), std::string::npos);
    }
}

// A destination that is a dangling symlink is followed inside the rootfs (as
// if / were the rootfs) and the mount lands at its target; one climbing out
// with ".." stays inside.
TEST_F(Mounts, DanglingSymlinkDestinations) {
    TempDir host("berth-mounts-host");
    auto b = bundle({"sh", "-c",
                     "for d in /data /rel /up; do echo $d $(stat -f -c %T $d); done; "
                     "cat /etc/resolv.conf /hostfile"});
    const std::string r = b->rootfs();
    ASSERT_EQ(symlink("/somewhere/missing", (r + "/data").c_str()), 0);
    ASSERT_EQ(symlink("relmissing/dir", (r + "/rel").c_str()), 0);
    ASSERT_EQ(symlink(("../../../../../../../../.." + host.path() + "/up").c_str(), (r + "/up").c_str()), 0);
    ASSERT_EQ(symlink("../run/systemd/resolve/stub-resolv.conf", (r + "/etc/resolv.conf").c_str()), 0);
    ASSERT_EQ(symlink((host.path() + "/file").c_str(), (r + "/hostfile").c_str()), 0);
    const std::string src = tmp_->path() + "/resolv.conf";
    std::ofstream(src) << "nameserver 192.0.2.1\n";
    add_tmpfs(*b, "/data");
    add_tmpfs(*b, "/rel");
    add_tmpfs(*b, "/up");
    for (const char* dest : {"/etc/resolv.conf", "/hostfile"})
        b->config["mounts"].push_back({{"destination", dest}, {"type", "bind"}, {"source", src}, {"options", {"bind", "ro"}}});
    b->save();
    Result res = run(*b);
    ASSERT_EQ(res.code, 0) << res.err;
    EXPECT_EQ(res.out,
              "/data tmpfs\n/rel tmpfs\n/up tmpfs\n"
              "nameserver 192.0.2.1\nnameserver 192.0.2.1\n");
    EXPECT_TRUE(fs::is_directory(r + "/somewhere/missing"));
    EXPECT_TRUE(fs::is_directory(r + "/relmissing/dir"));
    EXPECT_TRUE(fs::is_directory(r + host.path() + "/up"));
    EXPECT_TRUE(fs::is_regular_file(r + "/run/systemd/resolve/stub-resolv.conf"));
    EXPECT_TRUE(fs::is_regular_file(r + host.path() + "/file"));
    for (const char* link : {"/data", "/rel", "/up", "/etc/resolv.conf", "/hostfile"})
        EXPECT_TRUE(fs::is_symlink(r + link)) << link << " was replaced";
    EXPECT_TRUE(fs::is_empty(host.path())) << "something was made on the host";
    EXPECT_EQ(read_text("/proc/self/mountinfo").find(host.path()), std::string::npos) << "a mount on the host";
}

// "/dev/fuse/" is the node /dev/fuse, as runc makes it (its securejoin
// cleans the path); a path that cleans to / is refused before anything is made.
TEST_F(Mounts, DevicePathsAreCleaned) {
    auto b = bundle({"sh", "-c", "ls -l /dev/fuse /dev/net/tun | awk '{print $1, $5, $6, $NF}'"});
    b->config["linux"]["devices"] = {{{"path", "/dev/fuse/"}, {"type", "c"}, {"major", 10}, {"minor", 229},
                                      {"fileMode", 0666}},
                                     {{"path", "/dev//net/./tun/"}, {"type", "c"}, {"major", 10}, {"minor", 200},
                                      {"fileMode", 0600}}};
    b->save();
    Result res = run(*b);
    ASSERT_EQ(res.code, 0) << res.err;
    EXPECT_EQ(res.out, "crw-rw-rw- 10, 229 /dev/fuse\ncrw------- 10, 200 /dev/net/tun\n");

    auto bad = bundle({"true"});
    bad->config["linux"]["devices"] = {{{"path", "/dev/.."}, {"type", "c"}, {"major", 1}, {"minor", 3}}};
    bad->save();
    const std::string cid = id("baddev");
    res = berth({"run", "--bundle", bad->dir(), cid});
    EXPECT_EQ(res.code, 1);
    EXPECT_NE(res.err.find("linux.devices[0].path: \"/dev/..\" names the rootfs itself, not a device node"),
              std::string::npos)
        << res.err;
    EXPECT_TRUE(leftovers(root_, cid, bad->rootfs()).empty());
}

}  // namespace
}  // namespace berth::test
