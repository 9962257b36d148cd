// cgroup-pids: the pids.max mapping and the writer against fake cgroupfs trees.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "plugins/cgroup-pids/conversions.hpp"
#include "plugins/cgroup-pids/pids_subsystem.hpp"
#include "fake_cgroup.hpp"

namespace {

using berth::CgroupDir;
using berth::CgroupStats;
using berth::PidsResources;
using berth::Resources;
using berth::plugins::pids::parse_pids_value;
using berth::plugins::pids::pids_max_value;
using berth::plugins::pids::PidsSubsystem;

class PidsFakeCgroup : public FakeCgroup {};

Resources with_limit(std::optional<int64_t> limit) {
    Resources r;
    r.pids = PidsResources{limit};
    return r;
}

TEST(PidsConversion, PidsMaxValue) {
    struct Case {
        std::optional<int64_t> limit;
        std::optional<std::string> expected;
    };
    const Case cases[] = {
        {std::nullopt, std::nullopt},           {0, std::nullopt}, {-1, "max"}, {-2, "max"}, {1, "1"}, {1024, "1024"},
        {INT64_MAX, std::to_string(INT64_MAX)},
    };
    for (const auto& c : cases) EXPECT_EQ(pids_max_value(c.limit), c.expected) << c.limit.value_or(12345);
}

TEST(PidsConversion, ParseValue) {
    EXPECT_EQ(parse_pids_value("42\n"), 42u);
    EXPECT_EQ(parse_pids_value("max\n"), 0u);
    EXPECT_EQ(parse_pids_value(""), std::nullopt);
    EXPECT_EQ(parse_pids_value("12x"), std::nullopt);
    EXPECT_EQ(parse_pids_value("-1"), std::nullopt);
}

TEST(PidsSubsystemWants, OnlyWhenLimitIsSet) {
    AsPlugin<PidsSubsystem> pids;
    EXPECT_STREQ(pids.controller(), "pids");
    EXPECT_FALSE(pids.wants(Resources{}));
    EXPECT_FALSE(pids.wants(with_limit(std::nullopt)));
    EXPECT_TRUE(pids.wants(with_limit(100)));
    EXPECT_TRUE(pids.validate(with_limit(-5)).ok());
}

TEST_F(PidsFakeCgroup, V2WritesLimit) {
    offer("pids.max", "max\n");
    AsPlugin<PidsSubsystem> pids;
    ASSERT_TRUE(pids.apply_v2(dir(), with_limit(100)).ok());
    EXPECT_EQ(content("pids.max"), "100");
}

TEST_F(PidsFakeCgroup, V1WritesLimit) {
    offer("pids.max", "max\n");
    AsPlugin<PidsSubsystem> pids;
    ASSERT_TRUE(pids.apply_v1(dir(), with_limit(7)).ok());
    EXPECT_EQ(content("pids.max"), "7");
}

TEST_F(PidsFakeCgroup, NegativeIsMaxOnBoth) {
    offer("pids.max", "100\n");
    AsPlugin<PidsSubsystem> pids;
    ASSERT_TRUE(pids.apply_v2(dir(), with_limit(-1)).ok());
    EXPECT_EQ(content("pids.max"), "max");
    offer("pids.max", "100\n");
    ASSERT_TRUE(pids.apply_v1(dir(), with_limit(-1)).ok());
    EXPECT_EQ(content("pids.max"), "max");
}

TEST_F(PidsFakeCgroup, UnsetAndZeroLeaveFileUntouched) {
    offer("pids.max", "sentinel");
    AsPlugin<PidsSubsystem> pids;
    ASSERT_TRUE(pids.apply_v2(dir(), Resources{}).ok());
    ASSERT_TRUE(pids.apply_v2(dir(), with_limit(std::nullopt)).ok());
    ASSERT_TRUE(pids.apply_v2(dir(), with_limit(0)).ok());
    ASSERT_TRUE(pids.apply_v1(dir(), with_limit(0)).ok());
    EXPECT_EQ(content("pids.max"), "sentinel");
}

TEST_F(PidsFakeCgroup, MissingFileIsNamed) {
    AsPlugin<PidsSubsystem> pids;
    const auto status = pids.apply_v2(dir(), with_limit(10));
    EXPECT_EQ(status.err, ENOENT);
    EXPECT_NE(status.message.find(root_ + "/pids.max"), std::string::npos) << status.message;
}

TEST_F(PidsFakeCgroup, Stats) {
    offer("pids.current", "3\n");
    offer("pids.max", "max\n");
    AsPlugin<PidsSubsystem> pids;
    CgroupStats stats;
    ASSERT_TRUE(pids.stats(dir(), true, &stats).ok());
    ASSERT_EQ(stats.values.size(), 2u);
    EXPECT_EQ(stats.values[0], (std::pair<std::string, uint64_t>{"pids.current", 3}));
    EXPECT_EQ(stats.values[1], (std::pair<std::string, uint64_t>{"pids.max", 0}));
}

TEST_F(PidsFakeCgroup, StatsV2ControllerNotEnabled) {
    AsPlugin<PidsSubsystem> pids;
    CgroupStats stats;
    ASSERT_TRUE(pids.stats(dir(), true, &stats).ok());
    EXPECT_TRUE(stats.values.empty());
    const auto status = pids.stats(dir(), false, &stats);
    EXPECT_EQ(status.err, ENOENT) << "v1: the pids hierarchy always has the files";
}

TEST_F(PidsFakeCgroup, StatsBadContentNamesFile) {
    offer("pids.current", "garbage\n");
    offer("pids.max", "max\n");
    AsPlugin<PidsSubsystem> pids;
    CgroupStats stats;
    const auto status = pids.stats(dir(), false, &stats);
    EXPECT_EQ(status.err, EINVAL);
    EXPECT_NE(status.message.find("pids.current"), std::string::npos);
}

}  // namespace
