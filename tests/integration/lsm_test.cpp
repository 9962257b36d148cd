// process.apparmorProfile, process.selinuxLabel, linux.mountLabel and exec's
// --apparmor and --process-label, against real containers as root: applied
// where the host has the module, refused naming the field where it has not.
// This host has neither module; the cgroup v2 guest boots with AppArmor
// (tests/run.sh runs this binary there with BERTH_TEST_REQUIRE_APPARMOR=1, so
// that the AppArmor test cannot pass by being skipped).
#include <gtest/gtest.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "harness.hpp"

namespace berth::test {
namespace {

using json = nlohmann::json;

bool apparmor_on() {
    return access("/sys/kernel/security/apparmor", F_OK) == 0 &&
           read_text("/sys/module/apparmor/parameters/enabled").rfind('Y', 0) == 0;
}

bool selinux_on() {
    struct statfs sfs {};
    return statfs("/sys/fs/selinux", &sfs) == 0 && sfs.f_type == 0xf97cff8c;
}

class Lsm : public ContainerTest {
protected:
    std::unique_ptr<Bundle> bundle(const std::vector<std::string>& args) {
        static int n = 0;
        return std::make_unique<Bundle>(tmp_->path() + "/bundle" + std::to_string(n++), args);
    }
    // create fails naming `message`, and leaves nothing behind.
    void expect_refused(Bundle& b, const std::string& message) {
        const std::string c = id("refused");
        Result r = berth({"run", "--bundle", b.dir(), c});
        EXPECT_EQ(r.code, 1);
        EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
        EXPECT_EQ(leftovers(root_, c, b.rootfs()), std::vector<std::string>{});
    }
};

// A profile that denies writes below /tmp and allows the rest, loaded with
// apparmor_parser for the test's lifetime.
class TestProfile {
public:
    explicit TestProfile(const std::string& dir)
        : name_("berth-test-" + std::to_string(getpid())), file_(dir + "/profile") {
        std::ofstream(file_) << "profile " << name_
                             << " flags=(attach_disconnected,mediate_deleted) {\n"
                                "  file,\n  capability,\n  network,\n  signal,\n  ptrace,\n  unix,\n"
                                "  mount,\n  umount,\n  pivot_root,\n  deny /tmp/** w,\n}\n";
        loaded_ = std::system(("apparmor_parser -r " + file_ + " >/dev/null 2>&1").c_str()) == 0;
    }
    ~TestProfile() {
        if (loaded_) std::system(("apparmor_parser -R " + file_ + " >/dev/null 2>&1").c_str());
    }
    bool loaded() const { return loaded_; }
    const std::string& name() const { return name_; }

private:
    std::string name_, file_;
    bool loaded_ = false;
};

// A new file each time: the profile denies writing one (touching an existing
// one only sets times).
const char* kProbe = "cat /proc/self/attr/current; touch /tmp/new.$$ 2>/dev/null && echo WROTE || echo DENIED";

TEST_F(Lsm, RefusedNamingTheFieldWhereTheModuleIsOff) {
    auto b = bundle({"true"});
    if (!apparmor_on()) {
        b->config["process"]["apparmorProfile"] = "berth-any";
        b->save();
        expect_refused(*b, "process.apparmorProfile: \"berth-any\": AppArmor is not enabled on this host");
    } else {
        b->config["process"]["apparmorProfile"] = "berth-no-such-profile";
        b->save();
        expect_refused(*b, "process.apparmorProfile: profile \"berth-no-such-profile\" is not loaded");
    }
    b->config["process"].erase("apparmorProfile");
    if (!selinux_on()) {
        b->config["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0:c1,c2";
        b->save();
        expect_refused(*b, "process.selinuxLabel: \"system_u:system_r:container_t:s0:c1,c2\": SELinux is not enabled");
        b->config["process"].erase("selinuxLabel");
        b->config["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2";
        b->save();
        expect_refused(*b, "linux.mountLabel: \"system_u:object_r:container_file_t:s0:c1,c2\": SELinux is not enabled");
        b->config["linux"].erase("mountLabel");
    }
    // exec's flags, into a running container that has neither.
    b->config["process"]["args"] = {"sleep", "300"};
    b->save();
    const std::string c = id("exec");
    ASSERT_EQ(berth({"run", "-d", "--bundle", b->dir(), c}).code, 0);
    Result r = berth({"exec", "--apparmor", "berth-any-profile", c, "true"});
    EXPECT_EQ(r.code, 255);
    EXPECT_NE(r.err.find(apparmor_on() ? "is not loaded" : "AppArmor is not enabled on this host"), std::string::npos)
        << r.err;
    if (!selinux_on()) {
        r = berth({"exec", "--process-label", "system_u:system_r:container_t:s0", c, "true"});
        EXPECT_EQ(r.code, 255);
        EXPECT_NE(r.err.find("process.selinuxLabel: \"system_u:system_r:container_t:s0\": SELinux is not enabled"),
                  std::string::npos)
            << r.err;
    }
    r = berth({"exec", c, "echo", "still-works"});
    EXPECT_EQ(r.out, "still-works\n") << r.err;
}

// The profile confines the program from its exec on (as runc: the stub, and
// so the created container's init, is still unconfined), for run, for a
// created-then-started container and for exec (from exec.json, and --apparmor
// into a container that has none), with and without no_new_privs.
TEST_F(Lsm, AppArmorProfileConfinesTheProcessAndExec) {
    if (!apparmor_on()) {
        if (std::getenv("BERTH_TEST_REQUIRE_APPARMOR"))
            FAIL() << "AppArmor is not enabled here, and this run requires it";
        GTEST_SKIP() << "AppArmor is not enabled on this host (the v2 guest tier runs this test)";
    }
    TestProfile profile(tmp_->path());
    ASSERT_TRUE(profile.loaded()) << "apparmor_parser could not load the test profile";
    const std::string confined = profile.name() + " (enforce)\nDENIED\n";
    for (const bool nnp : {false, true}) {
        SCOPED_TRACE(nnp ? "noNewPrivileges" : "privileges");
        auto b = bundle({"sh", "-c", kProbe});
        b->config["process"]["apparmorProfile"] = profile.name();
        b->config["process"]["noNewPrivileges"] = nnp;
        b->save();
        Result r = berth({"run", "--bundle", b->dir(), id("aa")});
        EXPECT_EQ(r.code, 0) << r.err;
        EXPECT_EQ(r.out, confined) << r.err;
    }
    auto b = bundle({"sleep", "300"});
    b->config["process"]["apparmorProfile"] = profile.name();
    b->save();
    const std::string c = id("aa");
    ASSERT_EQ(berth({"create", "--bundle", b->dir(), c}).code, 0);
    const std::string init = std::to_string(json::parse(berth({"state", c}).out)["pid"].get<int>());
    EXPECT_EQ(read_text("/proc/" + init + "/attr/current"), "unconfined\n") << "the stub waits unconfined";
    ASSERT_EQ(berth({"start", c}).code, 0);
    std::string current;
    for (int i = 0; i < 100 && (current = read_text("/proc/" + init + "/attr/current")) == "unconfined\n"; ++i)
        usleep(10000);
    EXPECT_EQ(current, profile.name() + " (enforce)\n");
    Result r = berth({"exec", c, "sh", "-c", kProbe});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, confined) << r.err;

    auto plain = bundle({"sleep", "300"});
    const std::string p = id("plain");
    ASSERT_EQ(berth({"run", "-d", "--bundle", plain->dir(), p}).code, 0);
    r = berth({"exec", p, "sh", "-c", kProbe});
    EXPECT_EQ(r.out, "unconfined\nWROTE\n") << r.err;
    r = berth({"exec", "--apparmor", profile.name(), p, "sh", "-c", kProbe});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, confined) << r.err;
}

}  // namespace
}  // namespace berth::test
