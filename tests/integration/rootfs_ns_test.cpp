// The rootfs and namespaces as runc sets them up (issue 8): a bind onto
// "/", a mount namespace joined by path, devices in a user namespace.
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness.hpp"

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class RootfsNs : public ContainerTest {
protected:
    std::unique_ptr<Bundle> bundle(const std::vector<std::string>& args) {
        static int n = 0;
        return std::make_unique<Bundle>(tmp_->path() + "/bundle" + std::to_string(n++), args);
    }
    static void add_tmpfs(Bundle& b, const std::string& dest) {
        b.config["mounts"].push_back({{"destination", dest}, {"type", "tmpfs"}, {"source", "tmpfs"}});
    }
    static void add_userns(Bundle& b) {
        b.config["linux"]["namespaces"].push_back({{"type", "user"}});
        b.config["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
        b.config["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
    }
    // Index of the namespace of `type` in the config, added when missing.
    static size_t namespace_index(Bundle& b, const std::string& type) {
        auto& list = b.config["linux"]["namespaces"];
        for (size_t i = 0; i < list.size(); ++i)
            if (list[i]["type"] == type) return i;
        list.push_back({{"type", type}});
        return list.size() - 1;
    }
    std::string status_of(const std::string& cid) {
        Result r = berth({"state", cid});
        if (r.code != 0) return "error: " + r.err;
        return json::parse(r.out).value("status", "");
    }
};

std::string ns_link(const std::string& path) {
    char buf[128] = {};
    ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// A process of ours in a mount namespace of its own (`unshare -m`), killed
// and reaped on destruction: the owner of the namespace a container joins.
class MountNamespaceHolder {
public:
    MountNamespaceHolder() {
        pid_ = fork();
        if (pid_ == 0) {
            execl("/usr/bin/unshare", "unshare", "--mount", "--propagation", "private", "sleep", "300", (char*)nullptr);
            _exit(127);
        }
        const std::string ours = ns_link("/proc/self/ns/mnt");
        for (int i = 0; i < 500 && (ns_link(path()).empty() || ns_link(path()) == ours); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ~MountNamespaceHolder() { stop(); }
    pid_t pid() const { return pid_; }
    std::string path() const { return "/proc/" + std::to_string(pid_) + "/ns/mnt"; }
    bool alive() const { return pid_ > 0 && kill(pid_, 0) == 0 && proc_state(pid_) != 'Z'; }
    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

private:
    pid_t pid_ = -1;
};

// A bind onto "/" covers the rootfs, and the mounts after it land on top of
// it inside the new root, as in runc (whose mounts resolve the rootfs path
// again each time): the container sees the second root's files, a tmpfs on
// /tmp and a bind on /mnt, and the first root is untouched.
TEST_F(RootfsNs, BindOntoRootTakesTheLaterMountsOnTop) {
    auto b = bundle({"sh", "-c",
                     "cat /which-root; stat -f -c %T /tmp; cat /mnt/volume-file; "
                     "echo made > /tmp/in-tmpfs; stat -f -c %T /proc; ls /dev/null"});
    auto second = bundle({"true"});
    std::ofstream(b->rootfs() + "/which-root") << "first\n";
    std::ofstream(second->rootfs() + "/which-root") << "second\n";
    TempDir volume("berth-mounts-volume");
    std::ofstream(volume.path() + "/volume-file") << "from the volume\n";
    // First, so that /proc, /dev and the rest of the default mounts go on
    // top of the new root too.
    json mounts = json::array(
        {{{"destination", "/"}, {"type", "bind"}, {"source", second->rootfs()}, {"options", {"rbind", "rw"}}}});
    for (auto& m : b->config["mounts"]) mounts.push_back(m);
    b->config["mounts"] = mounts;
    add_tmpfs(*b, "/tmp");
    b->config["mounts"].push_back(
        {{"destination", "/mnt"}, {"type", "bind"}, {"source", volume.path()}, {"options", {"bind", "ro"}}});
    b->save();
    const std::string cid = id("onroot");
    Result res = berth({"run", "--bundle", b->dir(), cid});
    ASSERT_EQ(res.code, 0) << res.err;
    EXPECT_EQ(res.out, "second\ntmpfs\nfrom the volume\nproc\n/dev/null\n");
    // The later mounts were not made in the covered first root (nor did
    // they leave anything in the second one: /tmp was a tmpfs).
    EXPECT_FALSE(fs::exists(b->rootfs() + "/mnt/volume-file"));
    EXPECT_FALSE(fs::exists(b->rootfs() + "/tmp/in-tmpfs"));
    EXPECT_FALSE(fs::exists(second->rootfs() + "/tmp/in-tmpfs"));
    EXPECT_EQ(read_text("/proc/self/mountinfo").find(second->rootfs()), std::string::npos);
    EXPECT_TRUE(leftovers(root_, cid, b->rootfs()).empty());
}

// As runc: a mount namespace given by path is joined, and the rootfs is set
// up in it like in a new one (mounts, pivot_root). The container runs, and
// state, exec, kill and delete work; the namespace's owner lives on.
TEST_F(RootfsNs, JoinsAMountNamespaceByPath) {
    MountNamespaceHolder holder;
    ASSERT_NE(ns_link(holder.path()), ns_link("/proc/self/ns/mnt")) << "unshare -m did not start";
    auto b = bundle({"sleep", "60"});
    std::ofstream(b->rootfs() + "/which-root") << "joined\n";
    add_tmpfs(*b, "/tmp");
    b->config["linux"]["namespaces"][namespace_index(*b, "mount")]["path"] = holder.path();
    b->save();
    const std::string cid = id("joinmnt");
    Result r = berth({"create", "--bundle", b->dir(), cid});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(status_of(cid), "created");
    // The kernel's pivot_root rule, as with runc: the owner, whose root was
    // the namespace's, now has the container's.
    EXPECT_EQ(read_text("/proc/" + std::to_string(holder.pid()) + "/root/which-root"), "joined\n");
    ASSERT_EQ(berth({"start", cid}).code, 0);
    EXPECT_EQ(status_of(cid), "running");
    r = berth({"exec", cid, "sh", "-c", "readlink /proc/self/ns/mnt; cat /which-root; stat -f -c %T /tmp"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, ns_link(holder.path()) + "\njoined\ntmpfs\n");
    EXPECT_EQ(read_text("/proc/self/mountinfo").find(b->rootfs()), std::string::npos) << "a mount reached the host";
    r = berth({"kill", cid, "KILL"});
    ASSERT_EQ(r.code, 0) << r.err;
    for (int i = 0; i < 100 && status_of(cid) != "stopped"; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(status_of(cid), "stopped");
    r = berth({"delete", cid});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(holder.alive()) << "the namespace's owner was killed";
    holder.stop();
    EXPECT_EQ(leftovers(root_, cid, b->rootfs()), std::vector<std::string>{});
}

// linux.namespaces[N].path must be a namespace file of that type; refused
// before anything is made.
TEST_F(RootfsNs, NamespacePathsAreChecked) {
    auto b = bundle({"true"});
    const size_t mnt = namespace_index(*b, "mount");
    const std::string field = "linux.namespaces[" + std::to_string(mnt) + "].path: ";
    const std::string config = b->dir() + "/config.json";
    struct Case {
        std::string path, error;
    } cases[] = {
        {"/nonexistent/mnt", field + "open mount namespace /nonexistent/mnt: no such file or directory"},
        {config, field + config + " is not a namespace file"},
        {"/proc/self/ns/net", field + "/proc/self/ns/net is a network namespace, not mount"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.path);
        b->config["linux"]["namespaces"][mnt]["path"] = c.path;
        b->save();
        const std::string cid = id("badns");
        Result r = berth({"create", "--bundle", b->dir(), cid});
        EXPECT_EQ(r.code, 1);
        EXPECT_NE(r.err.find(c.error), std::string::npos) << r.err;
        EXPECT_EQ(leftovers(root_, cid, b->rootfs()), std::vector<std::string>{});
    }
}

// mknod is refused in a user namespace: the default devices are binds of
// the host's nodes, as runc and crun make them (a trailing slash in the path
// is cleaned first). Each linux.devices entry is made by create on the host,
// with the config's type, numbers and mode, owned by the host ids its uid and
// gid map to, and bound in, as crun does: the container sees the config's
// owner, and a device the host has no node for works too. berth bound the
// host's node of the same path (the host's owner and mode; refused where the
// host had none). Nothing is left on the host.
TEST_F(RootfsNs, DevicesInAUserNamespaceAreMadeOnTheHostWithTheirOwner) {
    const std::string own = "/dev/berth-null-" + std::to_string(getpid());
    ASSERT_FALSE(fs::exists(own));
    auto b = bundle({"sh", "-c",
                     "echo discarded > /dev/null && echo null-ok; head -c 3 /dev/zero | od -An -tx1; "
                     "stat -c '%F %t:%T %a %u:%g' /dev/kmsg " +
                         own + "; echo discarded > " + own + " && echo own-ok"});
    add_userns(*b);
    b->config["linux"]["devices"] = {{{"path", "/dev/kmsg/"},
                                      {"type", "c"},
                                      {"major", 1},
                                      {"minor", 11},
                                      {"fileMode", 0640},
                                      {"uid", 1000},
                                      {"gid", 5}},
                                     {{"path", own}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"fileMode", 0666}}};
    b->save();
    const std::string cid = id("userdev");
    Result r = berth({"run", "--bundle", b->dir(), cid});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(
        r.out,
        "null-ok\n 00 00 00\ncharacter special file 1:b 640 1000:5\ncharacter special file 1:3 666 0:0\nown-ok\n");
    EXPECT_FALSE(fs::exists(b->rootfs() + "/dev/kmsg")) << "a node was left in the rootfs";
    EXPECT_FALSE(fs::exists(own)) << "a node was left in the host's /dev";
    // create removes its nodes once init has bound them, before it returns.
    const std::string kept = id("userdev-kept");
    b->config["process"]["args"] = {"sleep", "60"};
    b->save();
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), kept}).code, 0);
    EXPECT_FALSE(fs::exists(root_ + "/" + kept + "/devices"));
    ASSERT_EQ(berth({"delete", "--force", kept}).code, 0);
}

// An owner the user namespace does not map would be the overflow id:
// refused before anything is made, naming the field.
TEST_F(RootfsNs, DeviceOwnerOutsideTheMappingsNamesTheField) {
    auto b = bundle({"true"});
    add_userns(*b);
    b->config["linux"]["devices"] = {{{"path", "/dev/full"}, {"type", "c"}, {"major", 1}, {"minor", 7}},
                                     {{"path", "/dev/x"}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"gid", 70000}}};
    b->save();
    const std::string cid = id("nodev");
    Result r = berth({"create", "--bundle", b->dir(), cid});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("linux.devices[1].gid: 70000 is not mapped in linux.gidMappings"), std::string::npos) << r.err;
    EXPECT_EQ(leftovers(root_, cid, b->rootfs()), std::vector<std::string>{});
    EXPECT_FALSE(fs::exists(b->rootfs() + "/dev/x")) << "a file was made for the device";
}

}  // namespace
}  // namespace berth::test
