// Spec mounts and devices as runc and crun make them (issue 8): the mode of a
// tmpfs over an image directory, rootfsPropagation, destinations that are
// dangling symlinks (resolved inside the rootfs, never on the host), device
// paths with a trailing slash, and recursive mount attributes.
#include <sys/mount.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
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
    // `run` with `mount` added must fail, leave nothing behind, and say
    // mounts[N]<message> (N the mount's index); an error from init, after
    // the config's fields are gone, says <message> alone (numbered false).
    void expect_refused(const json& mount, const std::string& message, bool numbered = true) {
        SCOPED_TRACE(message);
        auto b = bundle({"true"});
        const std::string field = "mounts[" + std::to_string(b->config["mounts"].size()) + "]";
        b->config["mounts"].push_back(mount);
        b->save();
        const std::string cid = id("refused");
        Result res = berth({"run", "--bundle", b->dir(), cid});
        EXPECT_EQ(res.code, 1);
        EXPECT_NE(res.err.find((numbered ? field : "") + message), std::string::npos) << res.err;
        EXPECT_TRUE(leftovers(root_, cid, b->rootfs()).empty());
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
        {"unbindable", "unbindable", false},
        {"runbindable", "unbindable", true},
        {"private", "", false},
        {"rprivate", "", false},
        {"shared", "shared:", false},
        {"rshared", "shared:", true},
        {"slave", "", false},
        {"rslave", "", false},
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
        b->config["mounts"].push_back(
            {{"destination", dest}, {"type", "bind"}, {"source", src}, {"options", {"bind", "ro"}}});
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
    b->config["linux"]["devices"] = {
        {{"path", "/dev/fuse/"}, {"type", "c"}, {"major", 10}, {"minor", 229}, {"fileMode", 0666}},
        {{"path", "/dev//net/./tun/"}, {"type", "c"}, {"major", 10}, {"minor", 200}, {"fileMode", 0600}}};
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

// A tmpfs mounted on the host for the test's upper layers (overlayfs refuses
// some upper filesystems, an overlay /tmp among them), unmounted at the end.
class HostTmpfs {
public:
    explicit HostTmpfs(const std::string& path) : path_(path) {
        fs::create_directories(path);
        mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") == 0;
    }
    ~HostTmpfs() {
        if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
    }
    bool mounted() const { return mounted_; }

private:
    std::string path_;
    bool mounted_ = false;
};

// A host directory made a shared mount, as the kubelet's pod volumes are
// (their parent is a shared mount on a systemd host). Everything either side
// mounted below it, and then the directory itself, is unmounted by the
// destructor, deepest first.
class SharedHostDir {
public:
    explicit SharedHostDir(const std::string& path) : path_(path) {
        fs::create_directories(path);
        ok_ = ::mount(path.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) == 0 &&
              ::mount(nullptr, path.c_str(), nullptr, MS_SHARED, nullptr) == 0;
    }
    ~SharedHostDir() {
        for (int round = 0; round < 100; ++round) {
            std::string deepest;
            for (const std::string& point : mount_points())
                if ((point == path_ || point.rfind(path_ + "/", 0) == 0) && point.size() >= deepest.size())
                    deepest = point;
            if (deepest.empty() || ::umount2(deepest.c_str(), MNT_DETACH) != 0) break;
        }
    }
    SharedHostDir(const SharedHostDir&) = delete;
    SharedHostDir& operator=(const SharedHostDir&) = delete;
    bool ok() const { return ok_; }
    const std::string& path() const { return path_; }
    // The host's mount points, field 5 of mountinfo (the test's paths have
    // nothing to escape).
    static std::vector<std::string> mount_points() {
        std::vector<std::string> out;
        std::istringstream in(read_text("/proc/self/mountinfo"));
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream ls(line);
            std::string id, parent, dev, root, point;
            if (ls >> id >> parent >> dev >> root >> point) out.push_back(point);
        }
        return out;
    }
    static bool mounted_at(const std::string& point) {
        const auto points = mount_points();
        return std::find(points.begin(), points.end(), point) != points.end();
    }

private:
    std::string path_;
    bool ok_ = false;
};

// Kubernetes' Bidirectional propagation: containerd's CRI plugin writes the
// volume as ["rbind", "rshared"] and linux.rootfsPropagation "rshared". The
// host's shared mount and the container's volume must be peers, so that a
// mount made on the host appears in the container and one made in the
// container appears on the host (runc and crun). berth made / a slave before
// anything else and shared only after pivot_root, so the volume joined a new
// peer group and the container's mounts never reached the host.
TEST_F(Mounts, SharedVolumePropagatesBothWays) {
    TempDir host("berth-bidirectional");
    SharedHostDir vol(host.path() + "/vol");
    ASSERT_TRUE(vol.ok()) << "make " << vol.path() << " a shared mount";
    auto b = bundle({"sleep", "300"});
    b->config["linux"]["rootfsPropagation"] = "rshared";
    b->config["mounts"].push_back(
        {{"destination", "/vol"}, {"type", "bind"}, {"source", vol.path()}, {"options", {"rbind", "rshared"}}});
    b->save();
    const std::string c = id("bidir");
    Result r = berth({"run", "-d", "--bundle", b->dir(), c});
    ASSERT_EQ(r.code, 0) << r.err;

    // Host to container.
    {
        HostTmpfs from_host(vol.path() + "/from-host");
        ASSERT_TRUE(from_host.mounted());
        std::ofstream(vol.path() + "/from-host/f") << "made on the host\n";
        r = berth({"exec", c, "cat", "/vol/from-host/f"});
        EXPECT_EQ(r.out, "made on the host\n") << r.err;
    }
    // Container to host.
    r = berth(
        {"exec", "--cap", "CAP_SYS_ADMIN", c, "sh", "-c",
         "mkdir -p /vol/inside && mount -t tmpfs -o size=64k inside /vol/inside && echo made inside > /vol/inside/g"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(SharedHostDir::mounted_at(vol.path() + "/inside"));
    EXPECT_EQ(read_text(vol.path() + "/inside/g"), "made inside\n");
    // Nothing else of the container's reaches the host: not the rootfs bind
    // (its parent mount is made private first), nor what is below it.
    EXPECT_EQ(read_text("/proc/self/mountinfo").find(b->rootfs()), std::string::npos);
    ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
    EXPECT_EQ(read_text("/proc/self/mountinfo").find(b->rootfs()), std::string::npos);
}

// Kubernetes' HostToContainer: ["rbind", "rslave"] and rootfsPropagation
// "rslave". A mount made on the host appears inside; one made inside stays
// there. A bind's own "rshared" without a shared rootfsPropagation makes the
// volume shared and a slave of the host's (runc shows "shared:M master:N";
// berth made the new root's tree a slave after pivot_root, where runc makes
// the old root one, and showed "master:N" alone, the option dropped).
TEST_F(Mounts, SlaveVolumeReceivesTheHostsMountsOnly) {
    TempDir host("berth-host-to-container");
    SharedHostDir vol(host.path() + "/vol");
    ASSERT_TRUE(vol.ok()) << "make " << vol.path() << " a shared mount";
    auto b = bundle({"sleep", "300"});
    b->config["linux"]["rootfsPropagation"] = "rslave";
    b->config["mounts"].push_back(
        {{"destination", "/vol"}, {"type", "bind"}, {"source", vol.path()}, {"options", {"rbind", "rslave"}}});
    b->config["mounts"].push_back(
        {{"destination", "/both"}, {"type", "bind"}, {"source", vol.path()}, {"options", {"rbind", "rshared"}}});
    b->save();
    const std::string c = id("slave");
    Result r = berth({"run", "-d", "--bundle", b->dir(), c});
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string show =
        "awk '$5 == \"/vol\" || $5 == \"/both\" { o = \"\"; for (i = 7; $i != \"-\"; i++) o = o \" \" substr($i, 1, "
        "index($i, \":\")); "
        "print $5 \":\" o }' /proc/self/mountinfo";
    r = berth({"exec", c, "sh", "-c", show});
    EXPECT_EQ(r.out, "/vol: master:\n/both: shared: master:\n") << r.err;
    {
        HostTmpfs from_host(vol.path() + "/from-host");
        ASSERT_TRUE(from_host.mounted());
        std::ofstream(vol.path() + "/from-host/f") << "made on the host\n";
        r = berth({"exec", c, "cat", "/vol/from-host/f", "/both/from-host/f"});
        EXPECT_EQ(r.out, "made on the host\nmade on the host\n") << r.err;
    }
    r = berth(
        {"exec", "--cap", "CAP_SYS_ADMIN", c, "sh", "-c",
         "mkdir -p /vol/inside && mount -t tmpfs -o size=64k inside /vol/inside && echo made inside > /vol/inside/g && "
         "cat /vol/inside/g"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "made inside\n");
    EXPECT_FALSE(SharedHostDir::mounted_at(vol.path() + "/inside"));
    EXPECT_FALSE(exists(vol.path() + "/inside/g"));
    ASSERT_EQ(berth({"delete", "--force", c}).code, 0);
    EXPECT_EQ(read_text("/proc/self/mountinfo").find(b->rootfs()), std::string::npos);
}

// An overlay as podman and CRI configs write it: two host lower dirs, an
// upper and a work dir; the container reads the merged view and its write
// lands in upperdir, never in a lower layer.
TEST_F(Mounts, OverlayOfHostDirectories) {
    TempDir host("berth-overlay");
    const std::string h = host.path();
    fs::create_directories(h + "/lower1");
    fs::create_directories(h + "/lower2");
    std::ofstream(h + "/lower1/top") << "top-from-lower1\n";
    std::ofstream(h + "/lower2/top") << "hidden\n";
    std::ofstream(h + "/lower2/bottom") << "bottom-from-lower2\n";
    HostTmpfs rw(h + "/rw");
    ASSERT_TRUE(rw.mounted()) << "mount a tmpfs for the upper layer";
    fs::create_directories(h + "/rw/upper");
    fs::create_directories(h + "/rw/work");

    auto b = bundle({"sh", "-c",
                     "cat /merged/top /merged/bottom; echo written > /merged/new && "
                     "awk '$5 == \"/merged\" { print $(NF-2) }' /proc/self/mountinfo"});
    b->config["mounts"].push_back({{"destination", "/merged"},
                                   {"type", "overlay"},
                                   {"source", "overlay"},
                                   {"options",
                                    {"lowerdir=" + h + "/lower1:" + h + "/lower2", "upperdir=" + h + "/rw/upper",
                                     "workdir=" + h + "/rw/work", "nodev", "nosuid"}}});
    b->save();
    Result res = run(*b);
    ASSERT_EQ(res.code, 0) << res.err;
    EXPECT_EQ(res.out, "top-from-lower1\nbottom-from-lower2\noverlay\n");
    EXPECT_EQ(read_text(h + "/rw/upper/new"), "written\n");
    EXPECT_FALSE(exists(h + "/lower1/new"));
    EXPECT_FALSE(exists(h + "/lower2/new"));
    EXPECT_EQ(read_text("/proc/self/mountinfo").find(h + "/merged"), std::string::npos);
}

// A bad overlay is refused at create, naming the mount and the option, and
// leaves nothing behind.
TEST_F(Mounts, OverlayErrorsNameTheMountAndOption) {
    TempDir host("berth-overlay-bad");
    const std::string h = host.path();
    fs::create_directories(h + "/lower");
    fs::create_directories(h + "/upper");
    struct Case {
        std::vector<std::string> options;
        std::string message;
    } cases[] = {
        {{"upperdir=" + h + "/upper", "workdir=" + h + "/upper"}, ": mount /merged: overlay needs a lowerdir= option"},
        {{"lowerdir=" + h + "/lower", "upperdir=" + h + "/upper"},
         ": mount /merged: overlay option \"upperdir=" + h + "/upper\": needs a workdir= option too"},
        {{"lowerdir=" + h + "/missing"},
         ": mount /merged: overlay lowerdir \"" + h + "/missing\": no such file or directory"},
        {{"lowerdir=relative"},
         ": mount /merged: overlay option \"lowerdir=relative\": \"relative\" is not an absolute path"},
    };
    for (const Case& c : cases)
        expect_refused({{"destination", "/merged"}, {"type", "overlay"}, {"source", "overlay"}, {"options", c.options}},
                       c.message);
}

// The mount options of each mount point in `paths`, from mountinfo (field 6),
// as a shell line for the container: "<path> <options>" per line.
std::string show_mount_options(const std::vector<std::string>& paths) {
    std::string cond;
    for (const std::string& p : paths) cond += (cond.empty() ? "" : " || ") + ("$5 == \"" + p + "\"");
    return "awk '" + cond + " { print $5, $6 }' /proc/self/mountinfo";
}

// The recursive attributes (runc's rro, rnosuid, ...) reach every mount of
// an rbind, the source's submounts included, and apply to other types too;
// they come after the plain options, so "ro" with "rrw" is read-write. Before
// berth knew them, a bind dropped them silently and the container wrote into
// the host directory.
TEST_F(Mounts, RecursiveAttributesReachEverySubmount) {
    TempDir host("berth-rattr");
    const std::string src = host.path() + "/src";
    fs::create_directories(src + "/sub");
    HostTmpfs sub(src + "/sub");  // nosuid,nodev on the host
    ASSERT_TRUE(sub.mounted());
    auto b = bundle({"sh", "-c",
                     "for f in /ro/top /ro/sub/inner /rw/sub/inner /t/f; do touch $f 2>/dev/null && echo wrote $f; "
                     "done; " +
                         show_mount_options({"/ro", "/ro/sub", "/rw", "/rw/sub", "/t"})});
    b->config["mounts"].push_back(
        {{"destination", "/ro"},
         {"type", "bind"},
         {"source", src},
         {"options", {"rbind", "rw", "rro", "rnosuid", "rnodev", "rnoexec", "rnoatime", "rnosymfollow", "rprivate"}}});
    b->config["mounts"].push_back({{"destination", "/rw"},
                                   {"type", "bind"},
                                   {"source", src},
                                   {"options", {"rbind", "ro", "nosuid", "rrw", "rsuid", "rdev"}}});
    add_tmpfs(*b, "/t", {"rro", "rnoexec", "size=64k"});
    b->save();
    Result res = run(*b);
    ASSERT_EQ(res.code, 0) << res.err;
    // /rw keeps the source's other flags (a host /tmp may be noexec): only
    // what the options changed is compared.
    std::istringstream lines(res.out);
    std::string line, shown;
    while (std::getline(lines, line)) {
        if (line.rfind("/rw", 0) == 0) {
            const std::string options = line.substr(line.find(' ') + 1) + ",";
            EXPECT_EQ(options.rfind("rw,", 0), 0u) << line;
            EXPECT_EQ(options.find("nosuid"), std::string::npos) << line;
            EXPECT_EQ(options.find("nodev"), std::string::npos) << line;
            line = line.substr(0, line.find(' ')) + " rw";
        }
        shown += line + "\n";
    }
    EXPECT_EQ(shown,
              "wrote /rw/sub/inner\n"
              "/ro ro,nosuid,nodev,noexec,noatime,nosymfollow\n"
              "/ro/sub ro,nosuid,nodev,noexec,noatime,nosymfollow\n"
              "/rw rw\n"
              "/rw/sub rw\n"
              "/t ro,noexec,relatime\n");
    EXPECT_FALSE(exists(src + "/top"));
    EXPECT_TRUE(exists(src + "/sub/inner"));
    EXPECT_EQ(read_text("/proc/self/mountinfo").find(b->rootfs()), std::string::npos);
}

// A bind has no filesystem data: an option berth does not know is refused
// at create, naming mounts[N].options[K], and leaves nothing behind. crun's
// idmap=uids=... form is warned about and ignored, as runc ignores it. A
// filesystem passes unknown options to the kernel, whose refusal names the
// mount.
TEST_F(Mounts, BindOptionsABindCannotApplyAreRefused) {
    TempDir host("berth-bindopt");
    expect_refused({{"destination", "/data"}, {"type", "bind"}, {"source", host.path()}, {"options", {"rbind", "rr0"}}},
                   ".options[1]: \"rr0\": not a mount option, and a bind mount takes no filesystem data (mount /data)");
    expect_refused(
        {{"destination", "/data"}, {"type", "none"}, {"source", host.path()}, {"options", {"ro", "bind", "size=1m"}}},
        ".options[2]: \"size=1m\": not a mount option, and a bind mount takes no filesystem data "
        "(mount /data)");
    expect_refused({{"destination", "/t"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"nosuid", "rr0"}}},
                   "mount /t: fsconfig tmpfs rr0: invalid argument", false);
    // Known options that the kind of mount cannot apply.
    expect_refused(
        {{"destination", "/data"}, {"type", "bind"}, {"source", host.path()}, {"options", {"rbind", "sync"}}},
        ".options[1]: \"sync\": a bind mount shares its source's superblock and cannot set this flag "
        "(mount /data)");
    expect_refused({{"destination", "/t"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"remount"}}},
                   ".options[0]: \"remount\": berth makes every mount anew; there is nothing to remount (mount /t)");
    expect_refused({{"destination", "/sys/fs/cgroup"},
                    {"type", "cgroup"},
                    {"source", "cgroup"},
                    {"options", {"ro", "nsdelegate"}}},
                   ".options[1]: \"nsdelegate\": not a mount option, and a cgroup mount takes no filesystem data "
                   "(mount /sys/fs/cgroup)");

    auto b = bundle({"sh", "-c", "test -d /data && echo ok"});
    b->config["mounts"].push_back({{"destination", "/data"},
                                   {"type", "bind"},
                                   {"source", host.path()},
                                   {"options", {"rbind", "idmap=uids=0-1-10;gids=0-1-10", "ro"}}});
    b->save();
    Result res = run(*b);
    ASSERT_EQ(res.code, 0) << res.err;
    EXPECT_EQ(res.out, "ok\n");
    EXPECT_NE(res.err.find("warning: mounts[" + std::to_string(b->config["mounts"].size() - 1) +
                           "].options[1]: \"idmap=uids=0-1-10;gids=0-1-10\": crun's idmap=uids=...;gids=... form is "
                           "not supported and is ignored"),
              std::string::npos)
        << res.err;
}

void add_userns(Bundle& b) {
    b.config["linux"]["namespaces"].push_back({{"type", "user"}});
    b.config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    b.config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
}

// tmpfs has idmapped mounts from Linux 6.3 on; the v2 guest runs 6.1 with
// /tmp on tmpfs.
bool idmap_unsupported_on(const std::string& path) {
    struct statfs sfs {};
    if (statfs(path.c_str(), &sfs) != 0 || sfs.f_type != TMPFS_MAGIC) return false;
    int major = 0, minor = 0;
    std::string rel = read_text("/proc/sys/kernel/osrelease");
    std::sscanf(rel.c_str(), "%d.%d", &major, &minor);
    return major < 6 || (major == 6 && minor < 3);
}

// Idmapped binds (mount_setattr MOUNT_ATTR_IDMAP), as runc 1.2 makes them: a
// file owned by uid 1000 on the host shows as the mapped id, with or without
// a user namespace; "idmap" alone takes the container's mappings. A plain
// bind of the same directory in the user namespace shows the ids unmapped.
TEST_F(Mounts, IdmappedBinds) {
    TempDir host("berth-idmap");
    const std::string src = host.path() + "/src";
    fs::create_directories(src);
    if (idmap_unsupported_on(src)) GTEST_SKIP() << src << " is on tmpfs and this kernel has no idmapped tmpfs (< 6.3)";
    std::ofstream(src + "/user") << "x";
    std::ofstream(src + "/root") << "x";
    ASSERT_EQ(chown((src + "/user").c_str(), 1000, 1000), 0);
    const json map = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    const std::string show = "stat -c %u:%g /idm/user /idm/root";

    auto plain = bundle({"sh", "-c", show});
    plain->config["mounts"].push_back({{"destination", "/idm"},
                                       {"type", "bind"},
                                       {"source", src},
                                       {"options", {"bind"}},
                                       {"uidMappings", map},
                                       {"gidMappings", map}});
    plain->save();
    Result res = run(*plain);
    ASSERT_EQ(res.code, 0) << res.err;
    EXPECT_EQ(res.out, "101000:101000\n100000:100000\n") << "no user namespace: the host ids the mapping gives";

    auto userns = bundle({"sh", "-c", show + "; stat -c %u:%g /plain/user"});
    add_userns(*userns);
    // The namespace's root cannot make mount points in a rootfs owned by the
    // host's root.
    fs::create_directories(userns->rootfs() + "/idm");
    fs::create_directories(userns->rootfs() + "/plain");
    userns->config["mounts"].push_back(
        {{"destination", "/idm"}, {"type", "bind"}, {"source", src}, {"options", {"rbind", "idmap"}}});
    userns->config["mounts"].push_back(
        {{"destination", "/plain"}, {"type", "bind"}, {"source", src}, {"options", {"rbind"}}});
    userns->save();
    res = run(*userns);
    ASSERT_EQ(res.code, 0) << res.err;
    EXPECT_EQ(res.out, "1000:1000\n0:0\n65534:65534\n");
    // The mappings change what the mount shows, never the files.
    struct stat st {};
    ASSERT_EQ(stat((src + "/user").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1000u);
}

// An idmap the kernel refuses (procfs has no idmapped mounts) and idmapped
// non-binds fail create with the field named, leaving nothing behind.
TEST_F(Mounts, IdmapErrorsNameTheField) {
    const json map = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    struct Case {
        json mount;
        std::string message;
    } cases[] = {
        {{{"destination", "/ps"},
          {"type", "bind"},
          {"source", "/proc/sys"},
          {"options", {"bind"}},
          {"uidMappings", map},
          {"gidMappings", map}},
         ".uidMappings: mount /ps: idmap \"/proc/sys\": invalid argument (does its filesystem support idmapped "
         "mounts?)"},
        {{{"destination", "/t"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"uidMappings", map}, {"gidMappings", map}},
         ".uidMappings: idmapped mounts are bind mounts only, not type \"tmpfs\" (mount /t)"},
    };
    for (const Case& c : cases) expect_refused(c.mount, c.message);
}

// In a user namespace, bind sources are opened with the host's privileges
// (as runc and crun): a source below a root-only 0700 directory, which the
// namespace's root cannot even look up, binds, a directory and a file alike.
TEST_F(Mounts, BindSourcesBelowARootOnlyDirectoryInAUserNamespace) {
    TempDir host("berth-userns-bind");
    const std::string secret = host.path() + "/secret";
    fs::create_directories(secret + "/dir");
    ASSERT_EQ(chmod(secret.c_str(), 0700), 0);
    std::ofstream(secret + "/dir/file") << "in-dir\n";
    std::ofstream(secret + "/one.txt") << "a-file\n";
    for (const char* f : {"/dir", "/dir/file", "/one.txt"}) ASSERT_EQ(chmod((secret + f).c_str(), 0755), 0);
    auto b = bundle({"sh", "-c", "cat /data/file /one.txt"});
    add_userns(*b);
    fs::create_directories(b->rootfs() + "/data");
    std::ofstream(b->rootfs() + "/one.txt") << "";
    b->config["mounts"].push_back(
        {{"destination", "/data"}, {"type", "bind"}, {"source", secret + "/dir"}, {"options", {"rbind", "ro"}}});
    b->config["mounts"].push_back(
        {{"destination", "/one.txt"}, {"type", "bind"}, {"source", secret + "/one.txt"}, {"options", {"bind"}}});
    b->save();
    Result res = run(*b);
    ASSERT_EQ(res.code, 0) << res.err;
    EXPECT_EQ(res.out, "in-dir\na-file\n");
}

// An rbind in a user namespace keeps the submounts of its source locked, as
// when init clones it in its own namespace: even with CAP_SYS_ADMIN the
// container cannot unmount one to see what it covers on the host.
TEST_F(Mounts, RbindSubmountsStayLockedInAUserNamespace) {
    TempDir host("berth-userns-locked");
    const std::string src = host.path() + "/src";
    fs::create_directories(src + "/sub");
    std::ofstream(src + "/sub/covered") << "host-secret\n";
    HostTmpfs cover(src + "/sub");
    ASSERT_TRUE(cover.mounted());
    std::ofstream(src + "/sub/marker") << "on-top\n";
    // The last umount shows the capability is there: the whole bind may go.
    auto b = bundle({"sh", "-c",
                     "cat /data/sub/marker; umount /data/sub 2>/dev/null && echo unmounted; cat /data/sub/marker; "
                     "umount -l /data && echo detached"});
    add_userns(*b);
    fs::create_directories(b->rootfs() + "/data");
    for (const char* set : {"bounding", "effective", "permitted"})
        b->config["process"]["capabilities"][set].push_back("CAP_SYS_ADMIN");
    b->config["mounts"].push_back(
        {{"destination", "/data"}, {"type", "bind"}, {"source", src}, {"options", {"rbind"}}});
    b->save();
    Result res = run(*b);
    ASSERT_EQ(res.code, 0) << res.err;
    EXPECT_EQ(res.out, "on-top\non-top\ndetached\n");
}

// In a user namespace a volume is never the host's peer: the kernel turns
// the copy of a shared mount into a slave when it copies a mount namespace
// for a less privileged one, which is what runc and crun clone volumes from.
// berth clones them on the host (docs/mounts.md), where the clone of a
// shared mount is its peer: the container's root, with CAP_SYS_ADMIN in its
// namespace, mounted a tmpfs under the volume and it showed on the host, over
// the host's directory. Whatever rootfsPropagation asks.
TEST_F(Mounts, VolumeInAUserNamespaceNeverReachesTheHost) {
    TempDir host("berth-userns-propagation");
    SharedHostDir vol(host.path() + "/vol");
    ASSERT_TRUE(vol.ok()) << "make " << vol.path() << " a shared mount";
    fs::create_directories(vol.path() + "/inside");
    for (const char* propagation : {"", "rshared"}) {
        SCOPED_TRACE(propagation);
        auto b =
            bundle({"sh", "-c",
                    "mount -t tmpfs -o size=64k inside /vol/inside && echo mounted; "
                    "awk '$5 == \"/vol\" { print ($7 ~ /^master:/ || $8 ~ /^master:/) ? \"slave\" : \"not a slave\" }' "
                    "/proc/self/mountinfo"});
        add_userns(*b);
        fs::create_directories(b->rootfs() + "/vol");
        for (const char* set : {"bounding", "effective", "permitted"})
            b->config["process"]["capabilities"][set].push_back("CAP_SYS_ADMIN");
        if (*propagation) b->config["linux"]["rootfsPropagation"] = propagation;
        b->config["mounts"].push_back(
            {{"destination", "/vol"}, {"type", "bind"}, {"source", vol.path()}, {"options", {"rbind", "rshared"}}});
        b->save();
        Result res = run(*b);
        ASSERT_EQ(res.code, 0) << res.err;
        EXPECT_EQ(res.out, "mounted\nslave\n");
        EXPECT_FALSE(SharedHostDir::mounted_at(vol.path() + "/inside"));
    }
}

}  // namespace
}  // namespace berth::test
