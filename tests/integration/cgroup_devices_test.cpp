// The device allowlist (linux.resources.devices) enforced for real by the
// cgroup-devices plugin: the v1 devices controller on this machine, an eBPF
// device program in the v2 guest (the same binary runs in both).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/magic.h>

#include <sstream>

#include "harness.hpp"

namespace berth::test {
namespace {

using json = nlohmann::json;

// Makes /dev/loop-control's node (c 10:237, not on the default allowlist),
// opens it, and checks the default devices. /dev is the container's own
// tmpfs, so a refusal can only come from the device cgroup (a nodev mount
// would say "Permission denied").
const char* kProbe =
    "mknod /dev/lc c 10 237 && echo mknod-ok; "
    "if true </dev/lc; then echo open-ok; else echo open-failed; fi; "
    "echo x >/dev/null && echo null-ok; echo zero-bytes=$(head -c 4 /dev/zero | wc -c)";

// How many device programs are attached to a v2 cgroup directory; -1 on error.
int device_programs(const std::string& dir) {
    const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    uint32_t ids[16];
    bpf_attr attr{};
    attr.query.target_fd = static_cast<uint32_t>(fd);
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = reinterpret_cast<uintptr_t>(ids);
    attr.query.prog_cnt = 16;
    const long r = syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof attr);
    close(fd);
    return r < 0 ? -1 : static_cast<int>(attr.query.prog_cnt);
}

class CgroupDevices : public ContainerTest {
protected:
    void SetUp() override {
        ContainerTest::SetUp();
        std::printf("cgroup mode under test: %s\n", unified_host() ? "v2 (unified, eBPF)" : "v1 (devices controller)");
    }
    std::string id() { return ContainerTest::id("dev"); }

    // A bundle running `script` with CAP_MKNOD, so that mknod itself works
    // and only the device cgroup can refuse the open.
    std::unique_ptr<Bundle> bundle(const std::string& script) {
        auto b = std::make_unique<Bundle>(tmp_->path() + "/b" + std::to_string(n_++),
                                          std::vector<std::string>{"sh", "-c", script});
        for (const char* set : {"bounding", "effective", "permitted"}) {
            json& caps = b->config["process"]["capabilities"][set];
            if (!caps.is_array()) caps = json::array();
            caps.push_back("CAP_MKNOD");
        }
        b->save();
        return b;
    }
    int n_ = 0;
};

TEST_F(CgroupDevices, DenyAllRefusesADeviceOffTheAllowlist) {
    auto b = bundle(std::string("{ ") + kProbe + "; } 2>&1");
    ASSERT_EQ(b->config["linux"]["resources"]["devices"], json::parse(R"([{"allow":false,"access":"rwm"}])"))
        << "berth spec's default is runc's deny-all";
    Result r = berth({"run", "--bundle", b->dir(), id()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("mknod-ok\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("open-failed\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Operation not permitted"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("null-ok\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("zero-bytes=4\n"), std::string::npos) << r.out;
}

// Opening /dev/loop-control needs the loop driver ("No such device"
// without it): `modprobe loop`, or --modules loop for the v2 guest.
TEST_F(CgroupDevices, AnAllowRuleOpensIt) {
    auto b = bundle(std::string(kProbe) + "; true >/dev/lc && echo write-ok");
    b->config["linux"]["resources"]["devices"].push_back(
        {{"allow", true}, {"type", "c"}, {"major", 10}, {"minor", 237}, {"access", "rw"}});
    b->save();
    Result r = berth({"run", "--bundle", b->dir(), id()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "mknod-ok\nopen-ok\nnull-ok\nzero-bytes=4\nwrite-ok\n") << r.err;
}

// A read-only rule: reading is allowed, writing is not.
TEST_F(CgroupDevices, AccessIsCheckedPerLetter) {
    auto b = bundle("mknod /dev/lc c 10 237; true </dev/lc && echo read-ok; true >/dev/lc || echo write-refused");
    b->config["linux"]["resources"]["devices"].push_back(
        {{"allow", true}, {"type", "c"}, {"major", 10}, {"minor", 237}, {"access", "r"}});
    b->save();
    Result r = berth({"run", "--bundle", b->dir(), id()});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "read-ok\nwrite-refused\n") << r.err;
}

// update leaves devices as they are (runc 1.1; the CRI sends deny-all with
// every update) and re-applies them without a gap: /dev/null keeps working,
// the unlisted device stays refused, on v2 with the program replaced.
TEST_F(CgroupDevices, UpdateKeepsTheAllowlist) {
    auto b = bundle("mknod /dev/lc c 10 237; exec sleep 60");
    const std::string c = id();
    const std::string pidfile = tmp_->path() + "/pid";
    Result r = berth({"create", "--bundle", b->dir(), "--pid-file", pidfile, c});
    ASSERT_EQ(r.code, 0) << r.err;
    const pid_t pid = std::stoi(read_text(pidfile));
    const std::string dir = cgroup_dir(pid, "devices");
    ASSERT_FALSE(dir.empty());
    ASSERT_EQ(berth({"start", c}).code, 0);
    if (unified_host()) {
        EXPECT_EQ(device_programs(dir), 1) << "one device program on " << dir;
    } else {
        const std::string list = read_text(dir + "/devices.list");
        EXPECT_EQ(list.find("a *:* rwm"), std::string::npos) << list;
        EXPECT_NE(list.find("c 1:3 rwm"), std::string::npos) << list;
    }
    r = berth({"update", "--pids-limit", "50", c});
    ASSERT_EQ(r.code, 0) << r.err;
    if (unified_host()) {
        EXPECT_EQ(device_programs(dir), 1) << "the program is replaced, not added";
    }
    r = berth({"exec", c, "sh", "-c", "echo x >/dev/null && echo null-ok; { true </dev/lc; } 2>&1 || echo lc-refused"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("null-ok\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Operation not permitted"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("lc-refused\n"), std::string::npos) << r.out;
    EXPECT_EQ(berth({"delete", "--force", c}).code, 0);
}

TEST_F(CgroupDevices, BadRuleIsAClearErrorAndLeavesNothing) {
    auto b = bundle("true");
    b->config["linux"]["resources"]["devices"].push_back({{"allow", true}, {"type", "c"}, {"access", "rwx"}});
    b->save();
    const std::string c = id();
    Result r = berth({"run", "--bundle", b->dir(), c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("linux.resources.devices[1].access: \"rwx\": 'x' is not one of r, w, m"), std::string::npos)
        << r.err;
    EXPECT_EQ(leftovers(root_, c, b->rootfs()), std::vector<std::string>{});
}

}  // namespace
}  // namespace berth::test
