// cgroup-hugetlb: page size names, parsing and validation naming the field,
// and the writers against fake cgroupfs and sysfs trees.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "plugins/cgroup-hugetlb/hugetlb_subsystem.hpp"
#include "plugins/cgroup-hugetlb/page_sizes.hpp"
#include "fake_cgroup.hpp"

namespace {

using berth::CgroupDir;
using berth::CgroupStats;
using berth::Resources;
using namespace berth::plugins::hugetlb;

// A fake cgroup directory and a fake /sys/kernel/mm/hugepages with 2MB and
// 1GB pages.
class HugetlbFake : public FakeCgroup {
protected:
    void SetUp() override {
        FakeCgroup::SetUp();
        cg_ = root_ + "/cg";
        std::filesystem::create_directories(cg_);
        std::filesystem::create_directories(sysfs() + "/hugepages-2048kB");
        std::filesystem::create_directories(sysfs() + "/hugepages-1048576kB");
    }
    std::string sysfs() const { return root_ + "/hugepages"; }
};

TEST(HugetlbPageSizes, Names) {
    struct Case {
        const char* entry;
        std::optional<std::string> name;
    };
    const Case cases[] = {
        {"hugepages-2048kB", "2MB"},
        {"hugepages-1048576kB", "1GB"},
        {"hugepages-64kB", "64KB"},
        {"hugepages-32768kB", "32MB"},
        {"hugepages-16777216kB", "16GB"},
        {"hugepages-1536kB", "1536KB"},
        {"hugepages-kB", std::nullopt},
        {"hugepages-2048", std::nullopt},
        {"hugepages-0kB", std::nullopt},
        {"nr_hugepages", std::nullopt},
        {".", std::nullopt},
        {"hugepages-2x48kB", std::nullopt},
    };
    for (const auto& c : cases) EXPECT_EQ(page_size_name(c.entry), c.name) << c.entry;
    EXPECT_EQ(limit_file("2MB", false, false), "hugetlb.2MB.limit_in_bytes");
    EXPECT_EQ(limit_file("2MB", false, true), "hugetlb.2MB.rsvd.limit_in_bytes");
    EXPECT_EQ(limit_file("1GB", true, false), "hugetlb.1GB.max");
    EXPECT_EQ(limit_file("1GB", true, true), "hugetlb.1GB.rsvd.max");
}

TEST_F(HugetlbFake, HostSizes) {
    EXPECT_EQ(host_page_sizes(sysfs()), (std::vector<std::string>{"1GB", "2MB"}));
    EXPECT_TRUE(host_page_sizes(root_ + "/nosuch").empty());
}

TEST_F(HugetlbFake, WantsAndValidate) {
    HugetlbSubsystem s(sysfs());
    EXPECT_STREQ(s.controller(), "hugetlb");
    EXPECT_FALSE(s.wants(with_json("{}")));
    EXPECT_FALSE(s.wants(with_json(R"({"hugepageLimits":[]})")));
    EXPECT_TRUE(s.wants(with_json(R"({"hugepageLimits":[{"pageSize":"2MB","limit":0}]})")));
    EXPECT_TRUE(
        s.validate(with_json(R"({"hugepageLimits":[{"pageSize":"2MB","limit":4194304},{"pageSize":"1GB","limit":0}]})"))
            .ok());
    // A page size the host does not have is the plugin's to refuse; the
    // shape and types are the host's.
    struct Case {
        const char* json;
        const char* message;
    };
    const Case cases[] = {
        {R"({"hugepageLimits":[{"pageSize":"2MB","limit":1},{"pageSize":"4MB","limit":1}]})",
         "linux.resources.hugepageLimits[1].pageSize: \"4MB\" is not a huge page size of this host (it has: 1GB, 2MB)"},
        {R"({"hugepageLimits":[{"pageSize":"../../memory/x","limit":1}]})",
         "linux.resources.hugepageLimits[0].pageSize: \"../../memory/x\" is not a huge page size of this host (it has: "
         "1GB, 2MB)"},
    };
    for (const auto& c : cases) {
        auto st = s.validate(with_json(c.json));
        EXPECT_EQ(st.err, EINVAL) << c.json;
        EXPECT_EQ(st.message, c.message) << c.json;
    }
    const Case host[] = {
        {R"({"hugepageLimits":{}})", "linux.resources.hugepageLimits: must be an array, not an object"},
        {R"({"hugepageLimits":[3]})", "linux.resources.hugepageLimits[0]: must be an object, not a number"},
        {R"({"hugepageLimits":[{"limit":1}]})", "linux.resources.hugepageLimits[0].pageSize: is required"},
        {R"({"hugepageLimits":[{"pageSize":"2MB"}]})", "linux.resources.hugepageLimits[0].limit: is required"},
        {R"({"hugepageLimits":[{"pageSize":"2MB","limit":-1}]})",
         "linux.resources.hugepageLimits[0].limit: must not be negative"},
        {R"({"hugepageLimits":[{"pageSize":"2MB","limit":"1"}]})",
         "linux.resources.hugepageLimits[0].limit: must be an integer, not a string"},
    };
    for (const auto& c : host) EXPECT_EQ(host_error(c.json), c.message) << c.json;
    HugetlbSubsystem none(root_ + "/nosuch");
    EXPECT_EQ(
        none.validate(with_json(R"({"hugepageLimits":[{"pageSize":"2MB","limit":1}]})")).message,
        "linux.resources.hugepageLimits[0].pageSize: \"2MB\" is not a huge page size of this host (it has: none)");
}

TEST_F(HugetlbFake, V1WritesLimitAndReservationWhenPresent) {
    HugetlbSubsystem s(sysfs());
    offer("hugetlb.2MB.limit_in_bytes", "");
    offer("hugetlb.1GB.limit_in_bytes", "");
    offer("hugetlb.1GB.rsvd.limit_in_bytes", "");
    ASSERT_TRUE(
        s.apply_v1(dir(),
                   with_json(R"({"hugepageLimits":[{"pageSize":"2MB","limit":4194304},{"pageSize":"1GB","limit":0}]})"))
            .ok());
    EXPECT_EQ(content("hugetlb.2MB.limit_in_bytes"), "4194304");
    EXPECT_EQ(content("hugetlb.1GB.limit_in_bytes"), "0");
    EXPECT_EQ(content("hugetlb.1GB.rsvd.limit_in_bytes"), "0");
    EXPECT_FALSE(std::filesystem::exists(root_ + "/cg/hugetlb.2MB.rsvd.limit_in_bytes")) << "never created";
}

TEST_F(HugetlbFake, V2WritesMaxAndRsvdMax) {
    HugetlbSubsystem s(sysfs());
    offer("hugetlb.2MB.max", "max\n");
    offer("hugetlb.2MB.rsvd.max", "max\n");
    ASSERT_TRUE(s.apply_v2(dir(), with_json(R"({"hugepageLimits":[{"pageSize":"2MB","limit":2097152}]})")).ok());
    EXPECT_EQ(content("hugetlb.2MB.max"), "2097152");
    EXPECT_EQ(content("hugetlb.2MB.rsvd.max"), "2097152");
}

TEST_F(HugetlbFake, MissingFileIsNamedAndUnsetWritesNothing) {
    HugetlbSubsystem s(sysfs());
    auto st = s.apply_v2(dir(), with_json(R"({"hugepageLimits":[{"pageSize":"1GB","limit":0}]})"));
    EXPECT_EQ(st.err, ENOENT);
    EXPECT_NE(st.message.find("/cg/hugetlb.1GB.max"), std::string::npos) << st.message;
    EXPECT_TRUE(s.apply_v1(dir(), with_json("{}")).ok());
    EXPECT_TRUE(s.apply_v2(dir(), with_json(R"({"hugepageLimits":[]})")).ok());
}

TEST_F(HugetlbFake, Stats) {
    HugetlbSubsystem s(sysfs());
    offer("hugetlb.2MB.current", "2097152\n");
    offer("hugetlb.2MB.max", "max\n");
    offer("hugetlb.2MB.events", "max 3\n");
    CgroupStats v2;
    ASSERT_TRUE(s.stats(dir(), true, &v2).ok());
    const std::vector<std::pair<std::string, uint64_t>> want2 = {{"hugetlb.2MB.current", 2097152},
                                                                 {"hugetlb.2MB.events.max", 3}};
    EXPECT_EQ(v2.values, want2) << "1GB has no files: skipped; a \"max\" limit is left out";
    offer("hugetlb.1GB.usage_in_bytes", "0\n");
    offer("hugetlb.1GB.max_usage_in_bytes", "1073741824\n");
    offer("hugetlb.1GB.failcnt", "1\n");
    offer("hugetlb.1GB.limit_in_bytes", "1073741824\n");
    CgroupStats v1;
    ASSERT_TRUE(s.stats(dir(), false, &v1).ok());
    const std::vector<std::pair<std::string, uint64_t>> want1 = {{"hugetlb.1GB.usage_in_bytes", 0},
                                                                 {"hugetlb.1GB.max_usage_in_bytes", 1073741824},
                                                                 {"hugetlb.1GB.failcnt", 1},
                                                                 {"hugetlb.1GB.limit_in_bytes", 1073741824}};
    EXPECT_EQ(v1.values, want1);
    offer("hugetlb.1GB.failcnt", "x\n");
    EXPECT_EQ(s.stats(dir(), false, &v1).err, EINVAL);
}

}  // namespace
