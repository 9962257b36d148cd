// The pure parts of the LSM plumbing (core/lsm): what the exec stub writes,
// the mount label's context= option, and the stub's argv. Whether a host
// applies or refuses them is tests/integration/lsm_test.cpp's.
#include "lsm/lsm.hpp"

#include <gtest/gtest.h>

#include "init/exec_stub.hpp"
#include "process/exec_process.hpp"

namespace berth {
namespace {

using Options = std::vector<std::string>;

TEST(Lsm, AppArmorExecValue) { EXPECT_EQ(lsm::apparmor_exec_value("docker-default"), "exec docker-default"); }

TEST(Lsm, MountLabelGoesOnTheFilesystemsRuncLabels) {
    const std::string label = "system_u:object_r:container_file_t:s0:c1,c2";
    const std::string context = "context=\"" + label + "\"";
    struct Case {
        std::string type;
        Options options, want;
    } cases[] = {
        {"tmpfs", {"nosuid", "size=64k"}, {"nosuid", "size=64k", context}},
        {"mqueue", {}, {context}},
        {"devpts", {"newinstance", "gid=5"}, {"newinstance", "gid=5", context}},
        {"overlay", {"lowerdir=/l"}, {"lowerdir=/l", context}},
        // Binds, proc, sysfs and the cgroup view keep their own labels.
        {"bind", {"rbind", "ro"}, {"rbind", "ro"}},
        {"none", {"bind"}, {"bind"}},
        {"tmpfs", {"rbind"}, {"rbind"}},
        {"proc", {"nosuid"}, {"nosuid"}},
        {"sysfs", {"ro"}, {"ro"}},
        {"cgroup", {"ro"}, {"ro"}},
        // A context the config gives itself wins.
        {"tmpfs", {"context=\"a:b:c:s0\""}, {"context=\"a:b:c:s0\""}},
    };
    for (const Case& c : cases) EXPECT_EQ(lsm::with_mount_label(c.type, c.options, label), c.want) << c.type;
    EXPECT_EQ(lsm::with_mount_label("tmpfs", {"nosuid"}, ""), Options{"nosuid"});
}

TEST(Lsm, StubArgvCarriesTheAttribute) {
    EXPECT_EQ(
        stub_argv(7, StubLsmAttr{9, "thread-self/attr/apparmor/exec", "exec p"}, "/bin/sh", {"sh", "-c", "x"}),
        (Options{"berth", "init", "7", "9", "thread-self/attr/apparmor/exec", "exec p", "/bin/sh", "sh", "-c", "x"}));
    EXPECT_EQ(stub_argv(-1, StubLsmAttr{}, "/bin/true", {"true"}),
              (Options{"berth", "exec", "-1", "", "", "/bin/true", "true"}));
}

TEST(Lsm, ExecFlagsSetTheProfileAndLabel) {
    spec::Process config;
    config.args = {"sh"};
    config.apparmor_profile = "from-config";
    ExecFlags f;
    f.args = {"true"};
    EXPECT_EQ(process_for_exec(config, f).apparmor_profile, "from-config");
    f.apparmor = "from-flag";
    f.process_label = "u:r:t:s0";
    const spec::Process p = process_for_exec(config, f);
    EXPECT_EQ(p.apparmor_profile, "from-flag");
    EXPECT_EQ(p.selinux_label, "u:r:t:s0");
}

}  // namespace
}  // namespace berth
