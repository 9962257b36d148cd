// cgroup-misc: the misc.* keys of linux.resources.unified it accepts, naming
// the field for the others, and misc.current in stats (fake trees).
#include <gtest/gtest.h>

#include "fake_cgroup.hpp"
#include "plugins/cgroup-misc/misc_subsystem.hpp"

namespace {

using berth::plugins::misc::MiscSubsystem;

class MiscTest : public FakeCgroup {};

TEST(Misc, WantsOnlyMiscKeys) {
    MiscSubsystem s;
    EXPECT_TRUE(s.wants(with_json(R"({"unified": {"misc.max": "sev 1"}})")));
    EXPECT_FALSE(s.wants(with_json(R"({"unified": {"memory.high": "1"}})")));
    EXPECT_FALSE(s.wants(with_json(R"({"pids": {"limit": 3}})")));
    EXPECT_FALSE(s.wants(with_json("{}")));
}

TEST(Misc, ValidateNamesTheField) {
    MiscSubsystem s;
    EXPECT_TRUE(s.validate(with_json(R"({"unified": {"misc.max": "sev 3\nsev_es max\n"}})")).ok());
    EXPECT_TRUE(s.validate(with_json(R"({"unified": {"memory.high": "whatever"}})")).ok());
    EXPECT_EQ(s.validate(with_json(R"({"unified": {"misc.current": "sev 1"}})")).message,
              "linux.resources.unified[\"misc.current\"]: read-only (of the misc files only misc.max is set)");
    EXPECT_EQ(s.validate(with_json(R"({"unified": {"misc.max": "sev"}})")).message,
              "linux.resources.unified[\"misc.max\"]: \"sev\" is not \"RESOURCE max\" or \"RESOURCE N\"");
    EXPECT_EQ(s.validate(with_json(R"({"unified": {"misc.max": "sev -1"}})")).message,
              "linux.resources.unified[\"misc.max\"]: \"sev -1\" is not \"RESOURCE max\" or \"RESOURCE N\"");
    EXPECT_EQ(s.validate(with_json(R"({"unified": {"misc.max": ""}})")).message,
              "linux.resources.unified[\"misc.max\"]: empty (expected \"RESOURCE max\" or \"RESOURCE N\" lines)");
}

TEST_F(MiscTest, ApplyWritesNothingAndV1Refuses) {
    MiscSubsystem s;
    auto r = with_json(R"({"unified": {"misc.max": "sev 3"}})");
    EXPECT_TRUE(s.apply_v2(dir(), r).ok());  // the manager writes unified keys
    auto v1 = s.apply_v1(dir(), r);
    EXPECT_EQ(v1.message, "linux.resources.unified[\"misc.max\"]: cgroup v1 has no misc controller");
    EXPECT_TRUE(s.apply_v1(dir(), with_json("{}")).ok());
}

TEST_F(MiscTest, StatsReadMiscCurrent) {
    MiscSubsystem s;
    berth::CgroupStats none;
    EXPECT_TRUE(s.stats(dir(), true, &none).ok());
    EXPECT_TRUE(none.values.empty());
    offer("misc.current", "sev 2\nsev_es 0\n");
    berth::CgroupStats st;
    ASSERT_TRUE(s.stats(dir(), true, &st).ok());
    ASSERT_EQ(st.values.size(), 2u);
    EXPECT_EQ(st.values[0], std::make_pair(std::string("misc.current.sev"), uint64_t{2}));
    EXPECT_EQ(st.values[1], std::make_pair(std::string("misc.current.sev_es"), uint64_t{0}));
    offer("misc.current", "garbage\n");
    EXPECT_FALSE(s.stats(dir(), true, &st).ok());
}

}  // namespace
