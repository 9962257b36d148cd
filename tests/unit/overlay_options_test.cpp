// The overlay handler's reading of lowerdir/upperdir/workdir (issue 8):
// table tests of the pure parser, every error naming the destination and the
// option at fault.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "plugins/mounts/overlay.hpp"

using berth::Status;
using berth::mounts::OverlayLayers;
using berth::mounts::parse_overlay_layers;
using berth::mounts::split_lowerdir;
using berth::mounts::split_mount_data;

namespace {

struct LayerCase {
    const char* name;
    const char* data;  // the comma-joined data options, as parse_mount_options leaves them
    std::vector<std::string> lower;
    const char* upper;
    const char* work;
};

class OverlayLayersOk : public ::testing::TestWithParam<LayerCase> {};

TEST_P(OverlayLayersOk, ReadsTheLayers) {
    const LayerCase& c = GetParam();
    OverlayLayers l;
    Status s = parse_overlay_layers("/merged", split_mount_data(c.data), &l);
    ASSERT_TRUE(s.ok()) << s.message;
    EXPECT_EQ(l.lower, c.lower);
    EXPECT_EQ(l.upper, c.upper);
    EXPECT_EQ(l.work, c.work);
}

INSTANTIATE_TEST_SUITE_P(
    Configs, OverlayLayersOk,
    ::testing::Values(
        LayerCase{"ReadOnly", "lowerdir=/l", {"/l"}, "", ""},
        LayerCase{"Podman",
                  "lowerdir=/a/diff:/b/diff,upperdir=/u/diff,workdir=/u/work,userxattr",
                  {"/a/diff", "/b/diff"},
                  "/u/diff",
                  "/u/work"},
        LayerCase{"OrderDoesNotMatter", "workdir=/w,upperdir=/u,lowerdir=/l", {"/l"}, "/u", "/w"},
        LayerCase{"EscapedColonStaysOneLayer", "lowerdir=/a\\:b:/c", {"/a\\:b", "/c"}, "", ""},
        LayerCase{"AppendedLayers", "lowerdir+=/l1,lowerdir+=/l2,datadir+=/d", {"/l1", "/l2", "/d"}, "", ""},
        LayerCase{"OtherOptionsPassThrough", "lowerdir=/l,index=off,metacopy=on,volatile", {"/l"}, "", ""}),
    [](const ::testing::TestParamInfo<LayerCase>& info) { return std::string(info.param.name); });

struct ErrorCase {
    const char* name;
    const char* data;
    const char* message;
};

class OverlayLayersRefused : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(OverlayLayersRefused, NamesTheDestinationAndTheOption) {
    const ErrorCase& c = GetParam();
    OverlayLayers l;
    Status s = parse_overlay_layers("/merged", split_mount_data(c.data), &l);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.err, EINVAL);
    EXPECT_EQ(s.message, c.message);
}

INSTANTIATE_TEST_SUITE_P(
    Configs, OverlayLayersRefused,
    ::testing::Values(
        ErrorCase{"NoLowerdir", "upperdir=/u,workdir=/w",
                  "mount /merged: overlay needs a lowerdir= option (the read-only layers, host paths)"},
        ErrorCase{"NothingAtAll", "",
                  "mount /merged: overlay needs a lowerdir= option (the read-only layers, host paths)"},
        ErrorCase{"RelativeLower", "lowerdir=/a:rel",
                  "mount /merged: overlay option \"lowerdir=/a:rel\": \"rel\" is not an absolute path (layers are host "
                  "paths)"},
        ErrorCase{"EmptyLayer", "lowerdir=/a::/b",
                  "mount /merged: overlay option \"lowerdir=/a::/b\": names an empty path"},
        ErrorCase{"EmptyLowerdir", "lowerdir=", "mount /merged: overlay option \"lowerdir=\": names an empty path"},
        ErrorCase{"LowerdirWithoutValue", "lowerdir", "mount /merged: overlay option \"lowerdir\": needs a value"},
        ErrorCase{"TwoLowerdirs", "lowerdir=/a,lowerdir=/b",
                  "mount /merged: overlay option \"lowerdir=/b\": lowerdir is given twice"},
        ErrorCase{
            "RelativeUpper", "lowerdir=/l,upperdir=u,workdir=/w",
            "mount /merged: overlay option \"upperdir=u\": \"u\" is not an absolute path (layers are host paths)"},
        ErrorCase{"UpperWithoutWork", "lowerdir=/l,upperdir=/u",
                  "mount /merged: overlay option \"upperdir=/u\": needs a workdir= option too"},
        ErrorCase{"WorkWithoutUpper", "lowerdir=/l,workdir=/w",
                  "mount /merged: overlay option \"workdir=/w\": needs an upperdir= option too"},
        ErrorCase{"TwoUpperdirs", "lowerdir=/l,upperdir=/u,upperdir=/v,workdir=/w",
                  "mount /merged: overlay option \"upperdir=/v\": upperdir is given twice"},
        ErrorCase{
            "RelativeAppendedLayer", "lowerdir+=l",
            "mount /merged: overlay option \"lowerdir+=l\": \"l\" is not an absolute path (layers are host paths)"}),
    [](const ::testing::TestParamInfo<ErrorCase>& info) { return std::string(info.param.name); });

TEST(SplitLowerdir, SplitsAtUnescapedColons) {
    EXPECT_EQ(split_lowerdir("/a"), (std::vector<std::string>{"/a"}));
    EXPECT_EQ(split_lowerdir("/a:/b:/c"), (std::vector<std::string>{"/a", "/b", "/c"}));
    EXPECT_EQ(split_lowerdir("/a\\:b:/c"), (std::vector<std::string>{"/a\\:b", "/c"}));
    EXPECT_EQ(split_lowerdir("/a:"), (std::vector<std::string>{"/a", ""}));
    EXPECT_EQ(split_lowerdir(""), (std::vector<std::string>{""}));
}

}  // namespace
