// cgroup-cpuset: the list syntax, validation naming the field, and the
// writers against fake cgroupfs trees.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "plugins/cgroup-cpuset/cpu_list.hpp"
#include "plugins/cgroup-cpuset/cpuset_subsystem.hpp"
#include "fake_cgroup.hpp"

namespace {

using berth::CgroupDir;
using berth::CgroupStats;
using berth::Resources;
using berth::plugins::cpuset::cpu_list_problem;
using berth::plugins::cpuset::CpusetSubsystem;
using berth::plugins::cpuset::parse_cpu_list;

class CpusetFakeCgroup : public FakeCgroup {};

TEST(CpuList, Parses) {
    struct Case {
        const char* text;
        std::vector<uint32_t> expected;
    };
    const Case cases[] = {
        {"", {}},     {"0", {0}},   {"0-2,4", {0, 1, 2, 4}}, {"4,0-1", {0, 1, 4}},
        {"1,1", {1}}, {"0-0", {0}}, {"3-5\n", {3, 4, 5}},    {"65535", {65535}},
    };
    for (const auto& c : cases) {
        auto got = parse_cpu_list(c.text);
        ASSERT_TRUE(got) << c.text;
        EXPECT_EQ(*got, c.expected) << c.text;
    }
}

// systemd's AllowedCPUs= byte order: bit N of byte N / 8.
TEST(CpuList, Bitmap) {
    using berth::plugins::cpuset::cpu_bitmap;
    EXPECT_EQ(cpu_bitmap({0}), (std::vector<uint8_t>{0x01}));
    EXPECT_EQ(cpu_bitmap(*parse_cpu_list("0-2,7")), (std::vector<uint8_t>{0x87}));
    EXPECT_EQ(cpu_bitmap({8}), (std::vector<uint8_t>{0x00, 0x01}));
    EXPECT_EQ(cpu_bitmap(*parse_cpu_list("1,9-10\n")), (std::vector<uint8_t>{0x02, 0x06}));
    EXPECT_TRUE(cpu_bitmap({}).empty());
}

TEST(CpuList, RefusesWhatIsNotAList) {
    for (const char* text : {",", "0,", ",0", "0,,1", "a", "0-", "-1", "2-1", "0 -1", " 0", "0-1-2", "1.5", "65536",
                             "0-4000000000", "+1", "0x1"}) {
        EXPECT_FALSE(parse_cpu_list(text)) << text;
        EXPECT_NE(cpu_list_problem(text), "") << text;
    }
    EXPECT_EQ(cpu_list_problem("2-1"), "item 1 \"2-1\" is a range that ends before it starts");
    EXPECT_EQ(cpu_list_problem("0,"), "it ends with a comma");
}

TEST(CpusetSubsystemWants, OnlyNonEmptyLists) {
    AsPlugin<CpusetSubsystem> s;
    EXPECT_STREQ(s.controller(), "cpuset");
    EXPECT_STREQ(s.v1_controller(), "cpuset");
    EXPECT_FALSE(s.wants(with_json("{}")));
    EXPECT_FALSE(s.wants(with_json(R"({"cpu":{"shares":1024}})")));
    EXPECT_FALSE(s.wants(with_json(R"({"cpu":{"cpus":"","mems":""}})")));
    EXPECT_FALSE(s.wants(with_json(R"({"cpu":{"cpus":null}})")));
    EXPECT_TRUE(s.wants(with_json(R"({"cpu":{"cpus":"0"}})")));
    EXPECT_TRUE(s.wants(with_json(R"({"cpu":{"mems":"0"}})")));
}

TEST(CpusetSubsystemValidate, NamesTheField) {
    AsPlugin<CpusetSubsystem> s;
    EXPECT_TRUE(s.validate(with_json(R"({"cpu":{"cpus":"0-1","mems":"0"}})")).ok());
    auto st = s.validate(with_json(R"({"cpu":{"cpus":"0-"}})"));
    EXPECT_EQ(st.err, EINVAL);
    EXPECT_EQ(st.message.rfind("linux.resources.cpu.cpus: \"0-\" is not a list of CPUs", 0), 0u) << st.message;
    st = s.validate(with_json(R"({"cpu":{"cpus":"0","mems":"x"}})"));
    EXPECT_EQ(st.message.rfind("linux.resources.cpu.mems: \"x\" is not a list of memory nodes", 0), 0u) << st.message;
    // Not a string at all: the host's to refuse.
    EXPECT_EQ(host_error(R"({"cpu":{"cpus":3}})"), "linux.resources.cpu.cpus: must be a string, not a number");
}

TEST_F(CpusetFakeCgroup, WritesBothListsOnBothVersions) {
    AsPlugin<CpusetSubsystem> s;
    for (bool v2 : {false, true}) {
        offer("cpuset.cpus", "0-1\n");
        offer("cpuset.mems", "0\n");
        const Resources r = with_json(R"({"cpu":{"cpus":"1","mems":"0"}})");
        ASSERT_TRUE((v2 ? s.apply_v2(dir(), r) : s.apply_v1(dir(), r)).ok());
        EXPECT_EQ(content("cpuset.cpus"), "1");
        EXPECT_EQ(content("cpuset.mems"), "0");
    }
}

TEST_F(CpusetFakeCgroup, UnsetListIsNotWritten) {
    offer("cpuset.cpus", "sentinel");
    offer("cpuset.mems", "");
    AsPlugin<CpusetSubsystem> s;
    ASSERT_TRUE(s.apply_v1(dir(), with_json(R"({"cpu":{"cpus":"","mems":"0"}})")).ok());
    EXPECT_EQ(content("cpuset.cpus"), "sentinel");
    EXPECT_EQ(content("cpuset.mems"), "0");
}

TEST_F(CpusetFakeCgroup, MissingFileIsNamed) {
    AsPlugin<CpusetSubsystem> s;
    auto st = s.apply_v2(dir(), with_json(R"({"cpu":{"cpus":"0"}})"));
    EXPECT_EQ(st.err, ENOENT);
    EXPECT_NE(st.message.find(root_ + "/cpuset.cpus"), std::string::npos) << st.message;
}

TEST_F(CpusetFakeCgroup, StatsExpandTheEffectiveLists) {
    AsPlugin<CpusetSubsystem> s;
    offer("cpuset.effective_cpus", "0-1,3\n");
    offer("cpuset.effective_mems", "0\n");
    CgroupStats st;
    ASSERT_TRUE(s.stats(dir(), false, &st).ok());
    const std::vector<std::pair<std::string, uint64_t>> v1 = {{"cpuset.effective_cpus.0", 0},
                                                              {"cpuset.effective_cpus.1", 1},
                                                              {"cpuset.effective_cpus.2", 3},
                                                              {"cpuset.effective_mems.0", 0}};
    EXPECT_EQ(st.values, v1);
    CgroupStats none;
    ASSERT_TRUE(s.stats(dir(), true, &none).ok()) << "v2 without the controller enabled: nothing to report";
    EXPECT_TRUE(none.values.empty());
    offer("cpuset.cpus.effective", "1\n");
    offer("cpuset.mems.effective", "bad\n");
    CgroupStats bad;
    auto status = s.stats(dir(), true, &bad);
    EXPECT_EQ(status.err, EINVAL);
    EXPECT_NE(status.message.find("cpuset.mems.effective"), std::string::npos) << status.message;
}

}  // namespace
