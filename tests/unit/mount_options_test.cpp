// The option table of the mounts plugin: OCI option strings to MS_* flags,
// propagation and data, and on to the new mount API's attributes and fsconfig
// keys. Pure; no root needed.
#include <sys/mount.h>

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "plugins/mounts/mount_options.hpp"

using berth::mounts::FsConfigParam;
using berth::mounts::is_mount_option;
using berth::mounts::mount_option_table;
using berth::mounts::MountAttrChange;
using berth::mounts::parse_mount_options;
using berth::mounts::ParsedMountOptions;
using berth::mounts::split_mount_data;
using berth::mounts::superblock_flag_keys;
using berth::mounts::to_mount_attr;
using berth::mounts::to_recursive_mount_attr;
using berth::mounts::why_not_applied;

namespace {

struct FlagCase {
    const char* option;
    unsigned long flags;     // expected ParsedMountOptions::flags (recursive_flags)
    unsigned long clear;     // expected ParsedMountOptions::clear (recursive_clear)
    bool recursive = false;  // an r* attribute: the recursive pair, and the plain one untouched
};

class FlagOptionTest : public ::testing::TestWithParam<FlagCase> {};

TEST_P(FlagOptionTest, SetsOrClearsItsFlagAndLeavesDataEmpty) {
    const FlagCase& c = GetParam();
    ParsedMountOptions p = parse_mount_options({c.option});
    EXPECT_EQ(c.recursive ? p.recursive_flags : p.flags, c.flags) << c.option;
    EXPECT_EQ(c.recursive ? p.recursive_clear : p.clear, c.clear) << c.option;
    EXPECT_EQ(c.recursive ? p.flags | p.clear : p.recursive_flags | p.recursive_clear, 0u) << c.option;
    EXPECT_EQ(p.propagation, 0u) << c.option;
    EXPECT_EQ(p.data, "") << c.option;
}

INSTANTIATE_TEST_SUITE_P(
    EveryFlagOption, FlagOptionTest,
    ::testing::Values(FlagCase{"defaults", 0, 0}, FlagCase{"ro", MS_RDONLY, 0}, FlagCase{"rw", 0, MS_RDONLY},
                      FlagCase{"nosuid", MS_NOSUID, 0}, FlagCase{"suid", 0, MS_NOSUID}, FlagCase{"nodev", MS_NODEV, 0},
                      FlagCase{"dev", 0, MS_NODEV}, FlagCase{"noexec", MS_NOEXEC, 0}, FlagCase{"exec", 0, MS_NOEXEC},
                      FlagCase{"sync", MS_SYNCHRONOUS, 0}, FlagCase{"async", 0, MS_SYNCHRONOUS},
                      FlagCase{"dirsync", MS_DIRSYNC, 0}, FlagCase{"remount", MS_REMOUNT, 0},
                      FlagCase{"mand", MS_MANDLOCK, 0}, FlagCase{"nomand", 0, MS_MANDLOCK},
                      FlagCase{"noatime", MS_NOATIME, 0}, FlagCase{"atime", 0, MS_NOATIME},
                      FlagCase{"nodiratime", MS_NODIRATIME, 0}, FlagCase{"diratime", 0, MS_NODIRATIME},
                      FlagCase{"relatime", MS_RELATIME, 0}, FlagCase{"norelatime", 0, MS_RELATIME},
                      FlagCase{"strictatime", MS_STRICTATIME, 0}, FlagCase{"nostrictatime", 0, MS_STRICTATIME},
                      FlagCase{"lazytime", MS_LAZYTIME, 0}, FlagCase{"nolazytime", 0, MS_LAZYTIME},
                      FlagCase{"iversion", MS_I_VERSION, 0}, FlagCase{"noiversion", 0, MS_I_VERSION},
                      FlagCase{"silent", MS_SILENT, 0}, FlagCase{"loud", 0, MS_SILENT},
                      FlagCase{"nosymfollow", MS_NOSYMFOLLOW, 0}, FlagCase{"symfollow", 0, MS_NOSYMFOLLOW}),
    [](const ::testing::TestParamInfo<FlagCase>& info) { return std::string(info.param.option); });

// The r* attributes set the same MS_* bit as their plain form, for the tree.
constexpr bool kTree = true;

INSTANTIATE_TEST_SUITE_P(
    EveryRecursiveOption, FlagOptionTest,
    ::testing::Values(FlagCase{"rro", MS_RDONLY, 0, kTree}, FlagCase{"rrw", 0, MS_RDONLY, kTree},
                      FlagCase{"rnosuid", MS_NOSUID, 0, kTree}, FlagCase{"rsuid", 0, MS_NOSUID, kTree},
                      FlagCase{"rnodev", MS_NODEV, 0, kTree}, FlagCase{"rdev", 0, MS_NODEV, kTree},
                      FlagCase{"rnoexec", MS_NOEXEC, 0, kTree}, FlagCase{"rexec", 0, MS_NOEXEC, kTree},
                      FlagCase{"rnoatime", MS_NOATIME, 0, kTree}, FlagCase{"ratime", 0, MS_NOATIME, kTree},
                      FlagCase{"rrelatime", MS_RELATIME, 0, kTree}, FlagCase{"rnorelatime", 0, MS_RELATIME, kTree},
                      FlagCase{"rstrictatime", MS_STRICTATIME, 0, kTree},
                      FlagCase{"rnostrictatime", 0, MS_STRICTATIME, kTree},
                      FlagCase{"rnodiratime", MS_NODIRATIME, 0, kTree}, FlagCase{"rdiratime", 0, MS_NODIRATIME, kTree},
                      FlagCase{"rnosymfollow", MS_NOSYMFOLLOW, 0, kTree},
                      FlagCase{"rsymfollow", 0, MS_NOSYMFOLLOW, kTree}),
    [](const ::testing::TestParamInfo<FlagCase>& info) { return std::string(info.param.option); });

struct PropagationCase {
    const char* option;
    unsigned long propagation;
    bool recursive;
};

class PropagationOptionTest : public ::testing::TestWithParam<PropagationCase> {};

TEST_P(PropagationOptionTest, SetsPropagationNotFlags) {
    const PropagationCase& c = GetParam();
    ParsedMountOptions p = parse_mount_options({c.option});
    EXPECT_EQ(p.propagation, c.propagation);
    EXPECT_EQ(p.recursive_propagation, c.recursive);
    EXPECT_EQ(p.flags, 0u);
    EXPECT_EQ(p.clear, 0u);
    EXPECT_FALSE(p.bind);
    EXPECT_EQ(p.data, "");
}

INSTANTIATE_TEST_SUITE_P(
    EveryPropagationOption, PropagationOptionTest,
    ::testing::Values(PropagationCase{"private", MS_PRIVATE, false}, PropagationCase{"rprivate", MS_PRIVATE, true},
                      PropagationCase{"shared", MS_SHARED, false}, PropagationCase{"rshared", MS_SHARED, true},
                      PropagationCase{"slave", MS_SLAVE, false}, PropagationCase{"rslave", MS_SLAVE, true},
                      PropagationCase{"unbindable", MS_UNBINDABLE, false},
                      PropagationCase{"runbindable", MS_UNBINDABLE, true}),
    [](const ::testing::TestParamInfo<PropagationCase>& info) { return std::string(info.param.option); });

TEST(MountOptionTable, EveryEntryIsTestedAndNamesAreUnique) {
    // The parameterised suites above plus bind/rbind cover the table; a new
    // entry must come with a case.
    std::set<std::string> names;
    for (const auto& e : mount_option_table()) EXPECT_TRUE(names.insert(std::string(e.name)).second) << e.name;
    EXPECT_EQ(names.size(), 31u /* flags */ + 18u /* recursive flags */ + 8u /* propagation */ + 2u /* bind, rbind */ +
                                1u /* tmpcopyup */ + 2u /* idmap, ridmap */);
}

TEST(ParseMountOptions, IdmapOptionsAreExtensionsNotData) {
    ParsedMountOptions p = parse_mount_options({"rbind", "idmap", "ro"});
    EXPECT_EQ(p.extensions, static_cast<unsigned>(berth::mounts::kIdmap));
    EXPECT_EQ(p.data, "");
    EXPECT_TRUE(p.recursive_bind);
    EXPECT_EQ(p.flags & MS_RDONLY, static_cast<unsigned long>(MS_RDONLY));
    p = parse_mount_options({"bind", "ridmap"});
    EXPECT_EQ(p.extensions, static_cast<unsigned>(berth::mounts::kRecursiveIdmap));
    EXPECT_EQ(p.data, "");
}

TEST(ParseMountOptions, CrunIdmapFormIsNeitherDataNorAnIdmap) {
    // The host warns and ignores it (as runc); a bind must not refuse it.
    ParsedMountOptions p = parse_mount_options({"bind", "idmap=uids=0-1-10;gids=0-1-10", "ridmap=uids=0-1-10"});
    EXPECT_EQ(p.data, "");
    EXPECT_EQ(p.extensions, 0u);
    EXPECT_TRUE(p.bind);
}

struct KnownCase {
    const char* option;
    bool known;
};

class IsMountOptionTest : public ::testing::TestWithParam<KnownCase> {};

TEST_P(IsMountOptionTest, TableEntriesAndCrunIdmapAreOptionsTheRestIsData) {
    EXPECT_EQ(is_mount_option(GetParam().option), GetParam().known) << GetParam().option;
}

INSTANTIATE_TEST_SUITE_P(
    Options, IsMountOptionTest,
    ::testing::Values(KnownCase{"ro", true}, KnownCase{"rro", true}, KnownCase{"rnosymfollow", true},
                      KnownCase{"rbind", true}, KnownCase{"rprivate", true}, KnownCase{"idmap", true},
                      KnownCase{"tmpcopyup", true}, KnownCase{"idmap=uids=0-1-10;gids=0-1-10", true},
                      KnownCase{"ridmap=uids=0-1-10;gids=0-1-10", true}, KnownCase{"size=1m", false},
                      KnownCase{"frobnicate", false}, KnownCase{"RRO", false}, KnownCase{"rro=1", false},
                      KnownCase{"idmap2", false}, KnownCase{"", false}));

TEST(ParseMountOptions, TmpCopyUpIsAnExtensionNotData) {
    // podman's /tmp and /run: without the extension entry "tmpcopyup" went to
    // fsconfig and the tmpfs refused it (EINVAL).
    ParsedMountOptions p = parse_mount_options({"rw", "rprivate", "nosuid", "nodev", "tmpcopyup", "size=65536k"});
    EXPECT_EQ(p.extensions, static_cast<unsigned>(berth::mounts::kTmpCopyUp));
    EXPECT_EQ(p.data, "size=65536k");
    EXPECT_EQ(p.flags, static_cast<unsigned long>(MS_NOSUID | MS_NODEV));
    EXPECT_EQ(p.clear, static_cast<unsigned long>(MS_RDONLY));
    EXPECT_EQ(p.propagation, static_cast<unsigned long>(MS_PRIVATE));
    EXPECT_FALSE(p.bind);
    EXPECT_EQ(parse_mount_options({"nosuid", "size=1m"}).extensions, 0u);
    EXPECT_EQ(to_mount_attr(p).set, to_mount_attr(parse_mount_options({"rw", "nosuid", "nodev"})).set);
}

TEST(ParseMountOptions, EmptyListIsNothing) {
    ParsedMountOptions p = parse_mount_options({});
    EXPECT_EQ(p.flags, 0u);
    EXPECT_EQ(p.clear, 0u);
    EXPECT_EQ(p.propagation, 0u);
    EXPECT_FALSE(p.recursive_propagation);
    EXPECT_FALSE(p.bind);
    EXPECT_FALSE(p.recursive_bind);
    EXPECT_EQ(p.data, "");
}

// Known options that a kind of mount cannot apply: refused, never dropped.
TEST(WhyNotApplied, EveryOptionOfTheTable) {
    const std::set<std::string> never = {"remount", "iversion", "noiversion"};
    const std::set<std::string> not_on_a_bind = {"sync", "dirsync", "mand", "lazytime"};
    for (const berth::mounts::MountOptionEntry& e : mount_option_table()) {
        const std::string name(e.name);
        SCOPED_TRACE(name);
        EXPECT_EQ(why_not_applied(name, false).empty(), !never.count(name));
        EXPECT_EQ(why_not_applied(name, true).empty(), !never.count(name) && !not_on_a_bind.count(name));
    }
    // The defaults may be asked for anywhere; data is another check's.
    for (const char* o : {"async", "nomand", "nolazytime", "size=1m", "newinstance"}) {
        EXPECT_EQ(why_not_applied(o, true), "") << o;
        EXPECT_EQ(why_not_applied(o, false), "") << o;
    }
}

TEST(ParseMountOptions, BindAndRbind) {
    ParsedMountOptions b = parse_mount_options({"bind"});
    EXPECT_TRUE(b.bind);
    EXPECT_FALSE(b.recursive_bind);
    EXPECT_EQ(b.flags, static_cast<unsigned long>(MS_BIND));

    ParsedMountOptions r = parse_mount_options({"rbind"});
    EXPECT_TRUE(r.bind);
    EXPECT_TRUE(r.recursive_bind);
    EXPECT_EQ(r.flags, static_cast<unsigned long>(MS_BIND | MS_REC));

    // runc ORs the flags: a later "bind" does not undo the recursion.
    ParsedMountOptions both = parse_mount_options({"rbind", "bind"});
    EXPECT_TRUE(both.recursive_bind);
}

TEST(ParseMountOptions, LaterOptionWins) {
    ParsedMountOptions ro_rw = parse_mount_options({"ro", "rw"});
    EXPECT_EQ(ro_rw.flags & MS_RDONLY, 0u);
    EXPECT_EQ(ro_rw.clear, static_cast<unsigned long>(MS_RDONLY));

    ParsedMountOptions rw_ro = parse_mount_options({"rw", "ro"});
    EXPECT_EQ(rw_ro.flags, static_cast<unsigned long>(MS_RDONLY));
    EXPECT_EQ(rw_ro.clear, 0u);

    ParsedMountOptions exec = parse_mount_options({"noexec", "nosuid", "exec"});
    EXPECT_EQ(exec.flags, static_cast<unsigned long>(MS_NOSUID));
    EXPECT_EQ(exec.clear, static_cast<unsigned long>(MS_NOEXEC));
}

TEST(ParseMountOptions, TypicalSpecCombinations) {
    ParsedMountOptions proc = parse_mount_options({"nosuid", "noexec", "nodev"});
    EXPECT_EQ(proc.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_NODEV));

    ParsedMountOptions dev = parse_mount_options({"nosuid", "strictatime", "mode=755", "size=65536k"});
    EXPECT_EQ(dev.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
    EXPECT_EQ(dev.data, "mode=755,size=65536k");

    ParsedMountOptions pts =
        parse_mount_options({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
    EXPECT_EQ(pts.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
    EXPECT_EQ(pts.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");

    ParsedMountOptions cg = parse_mount_options({"nosuid", "noexec", "nodev", "relatime", "ro"});
    EXPECT_EQ(cg.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY));

    ParsedMountOptions bind = parse_mount_options({"rbind", "ro", "rprivate"});
    EXPECT_TRUE(bind.recursive_bind);
    EXPECT_EQ(bind.flags & MS_RDONLY, static_cast<unsigned long>(MS_RDONLY));
    EXPECT_EQ(bind.propagation, static_cast<unsigned long>(MS_PRIVATE));
    EXPECT_TRUE(bind.recursive_propagation);
}

TEST(ParseMountOptions, LaterPropagationReplacesEarlier) {
    ParsedMountOptions p = parse_mount_options({"rshared", "slave"});
    EXPECT_EQ(p.propagation, static_cast<unsigned long>(MS_SLAVE));
    EXPECT_FALSE(p.recursive_propagation);
}

TEST(ParseMountOptions, UnknownOptionsGoToDataInOrder) {
    ParsedMountOptions p = parse_mount_options({"size=1m", "ro", "nr_inodes=10", "x-custom", "uid=0", "gid=0"});
    EXPECT_EQ(p.data, "size=1m,nr_inodes=10,x-custom,uid=0,gid=0");
    EXPECT_EQ(p.flags, static_cast<unsigned long>(MS_RDONLY));
}

TEST(ParseMountOptions, OptionNamesAreExact) {
    // Near misses are filesystem data, not flags.
    ParsedMountOptions p = parse_mount_options({"RO", "ro=1", " nosuid"});
    EXPECT_EQ(p.flags, 0u);
    EXPECT_EQ(p.data, "RO,ro=1, nosuid");
}

struct AttrCase {
    std::vector<std::string> options;
    uint64_t set;
    uint64_t clear;
    bool recursive = false;  // to_recursive_mount_attr instead of to_mount_attr
};

class MountAttrTest : public ::testing::TestWithParam<AttrCase> {};

TEST_P(MountAttrTest, MapsFlagsToMountAttr) {
    const AttrCase& c = GetParam();
    ParsedMountOptions p = parse_mount_options(c.options);
    MountAttrChange a = c.recursive ? to_recursive_mount_attr(p) : to_mount_attr(p);
    EXPECT_EQ(a.set, c.set) << ::testing::PrintToString(c.options);
    EXPECT_EQ(a.clear, c.clear) << ::testing::PrintToString(c.options);
}

INSTANTIATE_TEST_SUITE_P(
    Conversions, MountAttrTest,
    ::testing::Values(AttrCase{{}, 0, 0}, AttrCase{{"ro"}, MOUNT_ATTR_RDONLY, 0},
                      AttrCase{{"rw"}, 0, MOUNT_ATTR_RDONLY}, AttrCase{{"nosuid"}, MOUNT_ATTR_NOSUID, 0},
                      AttrCase{{"suid"}, 0, MOUNT_ATTR_NOSUID}, AttrCase{{"nodev"}, MOUNT_ATTR_NODEV, 0},
                      AttrCase{{"dev"}, 0, MOUNT_ATTR_NODEV}, AttrCase{{"noexec"}, MOUNT_ATTR_NOEXEC, 0},
                      AttrCase{{"exec"}, 0, MOUNT_ATTR_NOEXEC}, AttrCase{{"nodiratime"}, MOUNT_ATTR_NODIRATIME, 0},
                      AttrCase{{"diratime"}, 0, MOUNT_ATTR_NODIRATIME},
                      AttrCase{{"nosymfollow"}, MOUNT_ATTR_NOSYMFOLLOW, 0},
                      AttrCase{{"noatime"}, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
                      AttrCase{{"strictatime"}, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
                      AttrCase{{"relatime"}, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
                      // mount(2) turns "no noatime" and "no relatime" into relatime too.
                      AttrCase{{"atime"}, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
                      AttrCase{{"norelatime"}, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
                      AttrCase{{"noatime", "strictatime"}, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
                      AttrCase{{"noatime", "atime"}, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
                      AttrCase{{"ro", "nosuid", "nodev", "noexec", "relatime"},
                               MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                               MOUNT_ATTR__ATIME},
                      AttrCase{{"ro", "rw", "suid"}, 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID},
                      // Superblock flags, propagation and data are not mount attributes.
                      AttrCase{{"sync", "dirsync", "lazytime", "mand", "rprivate", "bind", "size=1m"}, 0, 0},
                      // Recursive attributes are not the top mount's change.
                      AttrCase{{"rro"}, 0, 0}, AttrCase{{"rnoatime"}, 0, 0},
                      AttrCase{{"ro", "rw", "rro", "rnoatime"}, 0, MOUNT_ATTR_RDONLY}));

// The same conversion for the tree: the atime mode is an enum, so any atime
// option clears the whole field and sets one mode (strictatime over noatime
// over relatime; "ratime", "rnorelatime", "rnostrictatime" mean relatime).
INSTANTIATE_TEST_SUITE_P(
    RecursiveConversions, MountAttrTest,
    ::testing::Values(
        AttrCase{{}, 0, 0, kTree}, AttrCase{{"rro"}, MOUNT_ATTR_RDONLY, 0, kTree},
        AttrCase{{"rrw"}, 0, MOUNT_ATTR_RDONLY, kTree}, AttrCase{{"rnosuid"}, MOUNT_ATTR_NOSUID, 0, kTree},
        AttrCase{{"rsuid"}, 0, MOUNT_ATTR_NOSUID, kTree}, AttrCase{{"rnodev"}, MOUNT_ATTR_NODEV, 0, kTree},
        AttrCase{{"rdev"}, 0, MOUNT_ATTR_NODEV, kTree}, AttrCase{{"rnoexec"}, MOUNT_ATTR_NOEXEC, 0, kTree},
        AttrCase{{"rexec"}, 0, MOUNT_ATTR_NOEXEC, kTree}, AttrCase{{"rnodiratime"}, MOUNT_ATTR_NODIRATIME, 0, kTree},
        AttrCase{{"rdiratime"}, 0, MOUNT_ATTR_NODIRATIME, kTree},
        AttrCase{{"rnosymfollow"}, MOUNT_ATTR_NOSYMFOLLOW, 0, kTree},
        AttrCase{{"rsymfollow"}, 0, MOUNT_ATTR_NOSYMFOLLOW, kTree},
        AttrCase{{"rnoatime"}, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME, kTree},
        AttrCase{{"rstrictatime"}, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME, kTree},
        AttrCase{{"rrelatime"}, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME, kTree},
        AttrCase{{"ratime"}, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME, kTree},
        AttrCase{{"rnorelatime"}, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME, kTree},
        AttrCase{{"rnostrictatime"}, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME, kTree},
        AttrCase{{"rnoatime", "rstrictatime"}, MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME, kTree},
        AttrCase{{"rstrictatime", "rnostrictatime"}, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME, kTree},
        // Later wins within the recursive set, as for the plain one.
        AttrCase{{"rro", "rrw"}, 0, MOUNT_ATTR_RDONLY, kTree}, AttrCase{{"rrw", "rro"}, MOUNT_ATTR_RDONLY, 0, kTree},
        AttrCase{{"rro", "rnosuid", "rnodev", "rnoexec", "rnoatime"},
                 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOATIME,
                 MOUNT_ATTR__ATIME,
                 kTree},
        // Plain options stay out of the recursive change, whatever their order.
        AttrCase{{"rbind", "ro", "rrw", "nosuid", "noatime"}, 0, MOUNT_ATTR_RDONLY, kTree},
        AttrCase{{"rbind", "rprivate", "nosuid", "size=1m"}, 0, 0, kTree}));

TEST(SplitMountData, KeysValuesAndFlags) {
    std::vector<FsConfigParam> expected{
        {"newinstance", "", false}, {"ptmxmode", "0666", true}, {"mode", "0620", true}, {"gid", "5", true}};
    EXPECT_EQ(split_mount_data("newinstance,ptmxmode=0666,mode=0620,gid=5"), expected);
}

TEST(SplitMountData, EmptyAndStrayCommas) {
    EXPECT_TRUE(split_mount_data("").empty());
    EXPECT_EQ(split_mount_data(",size=1m,,").size(), 1u);
}

TEST(SplitMountData, ValueKeepsLaterEqualsSigns) {
    std::vector<FsConfigParam> expected{{"name", "a=b", true}, {"empty", "", true}};
    EXPECT_EQ(split_mount_data("name=a=b,empty="), expected);
}

TEST(SplitMountData, CommasInsideQuotesStay) {
    std::vector<FsConfigParam> expected{{"context", "\"system_u:object_r:svirt_sandbox_file_t:s0:c1,c2\"", true},
                                        {"size", "1m", true}};
    EXPECT_EQ(split_mount_data("context=\"system_u:object_r:svirt_sandbox_file_t:s0:c1,c2\",size=1m"), expected);
}

TEST(SplitMountData, RoundTripsParsedData) {
    ParsedMountOptions p = parse_mount_options({"nosuid", "size=1m", "mode=1777", "huge=never"});
    std::vector<FsConfigParam> expected{{"size", "1m", true}, {"mode", "1777", true}, {"huge", "never", true}};
    EXPECT_EQ(split_mount_data(p.data), expected);
}

TEST(SuperblockFlagKeys, OnlySuperblockFlags) {
    EXPECT_TRUE(superblock_flag_keys(0).empty());
    EXPECT_TRUE(superblock_flag_keys(MS_RDONLY | MS_NOSUID | MS_NOATIME).empty());
    EXPECT_EQ(superblock_flag_keys(parse_mount_options({"sync", "dirsync", "lazytime", "mand"}).flags),
              (std::vector<std::string>{"sync", "dirsync", "lazytime", "mand"}));
    EXPECT_TRUE(superblock_flag_keys(parse_mount_options({"sync", "async"}).flags).empty());
}

}  // namespace
