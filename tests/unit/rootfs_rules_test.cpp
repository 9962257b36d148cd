// Pure rules of the rootfs setup: the mode of a tmpfs over an existing
// directory, and the propagation the mount tree starts from.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "errors/error.hpp"
#include "rootfs/host_mount_sources.hpp"
#include "rootfs/propagation.hpp"
#include "rootfs/tmpfs_mode.hpp"

namespace {

using Options = std::vector<std::string>;

TEST(TmpfsMode, CoveredModeWhenNoneGiven) {
    struct Case {
        Options options;
        mode_t covered;
        Options expected;
    } cases[] = {
        {{}, S_IFDIR | 0755, {"mode=0755"}},
        {{"nosuid", "nodev"}, S_IFDIR | 0700, {"mode=0700", "nosuid", "nodev"}},
        {{"size=64k"}, S_IFDIR | 01777, {"mode=1777", "size=64k"}},
        {{"ro"}, S_IFDIR | 02750, {"mode=2750", "ro"}},
        {{"tmpcopyup"}, S_IFDIR | 04711, {"mode=4711", "tmpcopyup"}},
        {{}, S_IFDIR, {"mode=0000"}},
    };
    for (const Case& c : cases) EXPECT_EQ(berth::tmpfs_options_with_mode(c.options, c.covered), c.expected);
}

TEST(TmpfsMode, GivenModeWins) {
    for (const Options& o : {Options{"mode=1777"}, Options{"nosuid", "mode=755"}, Options{"size=1m,mode=700"},
                             Options{"mode=0", "size=1m"}})
        EXPECT_EQ(berth::tmpfs_options_with_mode(o, S_IFDIR | 0755), o);
}

TEST(TmpfsMode, HasModeOption) {
    EXPECT_TRUE(berth::has_mode_option({"mode=755"}));
    EXPECT_TRUE(berth::has_mode_option({"nosuid", "uid=0,mode=700"}));
    EXPECT_FALSE(berth::has_mode_option({}));
    EXPECT_FALSE(berth::has_mode_option({"mode"}));
    EXPECT_FALSE(berth::has_mode_option({"nosuid", "size=1m", "xmode=1"}));
    EXPECT_FALSE(berth::has_mode_option({"uid=0,mod,e=7"}));
}

TEST(Propagation, Flags) {
    struct Case {
        const char* name;
        unsigned long flag;
    } cases[] = {
        {"private", MS_PRIVATE},
        {"rprivate", MS_PRIVATE | MS_REC},
        {"slave", MS_SLAVE},
        {"rslave", MS_SLAVE | MS_REC},
        {"shared", MS_SHARED},
        {"rshared", MS_SHARED | MS_REC},
        {"unbindable", MS_UNBINDABLE},
        {"runbindable", MS_UNBINDABLE | MS_REC},
        {"", 0},
        {"bogus", 0},
    };
    for (const Case& c : cases) EXPECT_EQ(berth::propagation_flag(c.name), c.flag) << c.name;
}

// Never unbindable (the bind of the rootfs onto itself would fail with
// EINVAL); shared kept shared, as runc does, so that the host's shared mounts
// stay peers of their copies (Kubernetes' Bidirectional volumes); always the
// whole tree.
TEST(Propagation, NamespaceStartsAsAskedButNeverUnbindable) {
    struct Case {
        const char* rootfs_propagation;
        unsigned long flag;
    } cases[] = {
        {"", MS_SLAVE | MS_REC},           {"slave", MS_SLAVE | MS_REC},        {"rslave", MS_SLAVE | MS_REC},
        {"shared", MS_SHARED | MS_REC},    {"rshared", MS_SHARED | MS_REC},     {"private", MS_PRIVATE | MS_REC},
        {"rprivate", MS_PRIVATE | MS_REC}, {"unbindable", MS_PRIVATE | MS_REC}, {"runbindable", MS_PRIVATE | MS_REC},
    };
    for (const Case& c : cases)
        EXPECT_EQ(berth::namespace_propagation(c.rootfs_propagation), c.flag) << '"' << c.rootfs_propagation << '"';
}

// The mount the rootfs is on is made private only when it is shared; its
// mount point comes back with mountinfo's escapes undone.
TEST(Propagation, SharedMountPoint) {
    const std::string mi =
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "30 22 0:40 / /run rw shared:5 master:2 - tmpfs tmpfs rw\n"
        "31 22 0:41 / /srv/with\\040space rw shared:7 - tmpfs tmpfs rw\n"
        "32 22 0:42 / /var/lib rw master:3 - ext4 /dev/sda2 rw\n"
        "33 22 0:43 / /private rw - tmpfs tmpfs rw\n"
        "34 22 0:44 / /odd rw unbindable - tmpfs shared:9 rw\n";
    const struct {
        uint64_t id;
        std::optional<std::string> point;
    } cases[] = {
        {22, "/"},
        {30, "/run"},
        {31, "/srv/with space"},
        {32, std::nullopt},
        {33, std::nullopt},
        {34, std::nullopt} /* "shared:" after the separator is not a field */,
        {99, std::nullopt},
        {2, std::nullopt} /* a prefix of an id is not the id */,
    };
    for (const auto& c : cases) EXPECT_EQ(berth::shared_mount_point(mi, c.id), c.point) << c.id;
    EXPECT_EQ(berth::shared_mount_point("", 22), std::nullopt);
}

}  // namespace

// An rbind in a user namespace whose source has mounts below it is left to
// init (their locks stay); the mountinfo parse must see those mounts, and
// only those.
TEST(HostMountSources, HasSubmounts) {
    const std::string mi =
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "30 22 0:40 / /srv/data/sub rw shared:5 - tmpfs tmpfs rw\n"
        "31 22 0:41 / /srv/with\\040space/inner rw - tmpfs tmpfs rw\n"
        "32 22 0:42 / /srv/database rw - tmpfs tmpfs rw\n";
    EXPECT_TRUE(berth::has_submounts(mi, "/srv/data"));
    EXPECT_TRUE(berth::has_submounts(mi, "/srv"));
    EXPECT_TRUE(berth::has_submounts(mi, "/srv/with space"));
    EXPECT_TRUE(berth::has_submounts(mi, "/"));
    EXPECT_FALSE(berth::has_submounts(mi, "/srv/data/sub")) << "the mount at the path itself is not below it";
    EXPECT_FALSE(berth::has_submounts(mi, "/srv/dat")) << "a name prefix is not a parent";
    EXPECT_FALSE(berth::has_submounts(mi, "/home"));
    EXPECT_FALSE(berth::has_submounts("", "/srv"));
}

// A bind handler built against ABI 1.0 gets path sources only: nothing is
// opened for it, and an idmap, which needs an fd source, is refused up front.
TEST(HostMountSources, HandlerBeforeAbi11GetsPaths) {
    berth::spec::Spec s;
    berth::spec::Mount m;
    m.destination = "/data";
    m.type = "bind";
    m.source = "/nonexistent-source";
    m.options = {"bind"};
    s.mounts.push_back(m);
    s.linux.namespaces.push_back({"user", CLONE_NEWUSER, ""});
    EXPECT_TRUE(berth::HostMountSources::open(s, "/bundle", false).empty())
        << "a user namespace without fd sources: init binds the path, as before 1.1";
    s.mounts[0].uid_mappings = {{0, 1000, 1}};
    s.mounts[0].gid_mappings = {{0, 1000, 1}};
    try {
        berth::HostMountSources::open(s, "/bundle", false);
        ADD_FAILURE() << "an idmap for a 1.0 handler was accepted";
    } catch (const berth::Error& e) {
        EXPECT_EQ(
            std::string(e.what()),
            "mounts[0].uidMappings: the plugin handling bind mounts is built against plugin ABI 1.0, which cannot "
            "take an idmapped source (rebuild it against 1.1)");
    }
}

// A device's owner in a user namespace, as the host id the node is made with.
TEST(HostMountSources, HostIdOf) {
    const std::vector<berth::spec::IdMapping> maps = {{0, 100000, 1000}, {1000, 5000, 1}, {2000, 200000, 10}};
    const struct {
        uint32_t id;
        std::optional<uint32_t> host;
    } cases[] = {
        {0, 100000},    {999, 100999},  {1000, 5000},         {1001, std::nullopt},
        {2000, 200000}, {2009, 200009}, {2010, std::nullopt}, {4294967295u, std::nullopt},
    };
    for (const auto& c : cases) EXPECT_EQ(berth::host_id_of(maps, c.id), c.host) << c.id;
    EXPECT_EQ(berth::host_id_of({}, 0), std::nullopt);
    EXPECT_EQ(berth::host_id_of({{4294967290u, 1, 10}}, 4294967295u), 1u + 5u) << "no overflow at the top of the range";
}
