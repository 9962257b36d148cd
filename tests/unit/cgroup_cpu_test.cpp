// cgroup-cpu: the shares/weight and cpu.max conversions, validation, and the
// writers against fake cgroupfs trees.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "plugins/cgroup-cpu/conversions.hpp"
#include "plugins/cgroup-cpu/cpu_subsystem.hpp"
#include "fake_cgroup.hpp"

namespace {

using berth::CgroupDir;
using berth::CgroupStats;
using berth::CpuResources;
using berth::Resources;
using berth::plugins::cpu::cpu_max;
using berth::plugins::cpu::CpuSubsystem;
using berth::plugins::cpu::flat_keyed_value;
using berth::plugins::cpu::shares_to_weight;

class CpuFakeCgroup : public FakeCgroup {
protected:
    // The files a fresh cgroup offers, with the kernel's defaults.
    void offer_v2() {
        offer("cpu.weight", "100\n");
        offer("cpu.max", "max 100000\n");
    }
    void offer_v1() {
        offer("cpu.shares", "1024\n");
        offer("cpu.cfs_quota_us", "-1\n");
        offer("cpu.cfs_period_us", "100000\n");
    }
};

Resources cpu(std::optional<uint64_t> shares, std::optional<int64_t> quota, std::optional<uint64_t> period) {
    Resources r;
    r.cpu = CpuResources{shares, quota, period};
    return r;
}

TEST(CpuConversion, SharesToWeight) {
    struct Case {
        uint64_t shares, weight;
    };
    const Case cases[] = {
        {0, 0},  // unset
        {1, 1},  // below the minimum clamps
        {2, 1},
        {3, 2},
        {10, 4},
        {100, 17},
        {512, 59},
        {1023, 100},
        {1024, 100},
        {1025, 101},
        {2048, 174},
        {4096, 303},
        {65536, 3023},
        {131072, 5478},
        {262143, 10000},
        {262144, 10000},
        {262145, 10000},  // above the maximum clamps
        {UINT64_MAX, 10000},
    };
    for (const auto& c : cases) EXPECT_EQ(shares_to_weight(c.shares), c.weight) << "shares " << c.shares;
}

// systemd's CPUQuotaPerSecUSec: per second, rounded up to 10 ms steps.
TEST(CpuConversion, QuotaPerSec) {
    struct Case {
        uint64_t quota, period, per_sec;
    };
    const Case cases[] = {
        {50000, 100000, 500000},    // exact
        {12345, 100000, 130000},    // 123450 rounds up
        {1000, 0, 10000},           // the default period, 10000 exactly
        {1001, 100000, 20000},      // just over a step
        {25000, 50000, 500000},     // another period, same share
        {200000, 100000, 2000000},  // two CPUs
    };
    for (const auto& c : cases)
        EXPECT_EQ(berth::plugins::cpu::quota_per_sec(c.quota, c.period), c.per_sec) << c.quota << "/" << c.period;
}

TEST(CpuConversion, CpuMax) {
    struct Case {
        std::optional<int64_t> quota;
        std::optional<uint64_t> period;
        std::optional<std::string> expected;
    };
    const Case cases[] = {
        {std::nullopt, std::nullopt, std::nullopt},
        {0, 0, std::nullopt},
        {50000, std::nullopt, "50000 100000"},
        {50000, 0, "50000 100000"},
        {std::nullopt, 200000, "max 200000"},
        {0, 200000, "max 200000"},
        {-1, std::nullopt, "max 100000"},
        {-1, 250000, "max 250000"},
        {25000, 50000, "25000 50000"},
        {1000, 1000000, "1000 1000000"},
    };
    for (const auto& c : cases)
        EXPECT_EQ(cpu_max(c.quota, c.period), c.expected)
            << "quota " << c.quota.value_or(-99) << " period " << c.period.value_or(99);
}

TEST(CpuConversion, FlatKeyedValue) {
    const std::string stat = "usage_usec 1234\nuser_usec 1000\nnr_periods 5\nnr_throttled 2\nthrottled_usec 9\n";
    EXPECT_EQ(flat_keyed_value(stat, "usage_usec"), 1234u);
    EXPECT_EQ(flat_keyed_value(stat, "nr_throttled"), 2u);
    EXPECT_EQ(flat_keyed_value(stat, "throttled_usec"), 9u);
    EXPECT_EQ(flat_keyed_value(stat, "nr_"), std::nullopt);
    EXPECT_EQ(flat_keyed_value(stat, "system_usec"), std::nullopt);
    EXPECT_EQ(flat_keyed_value("k x\n", "k"), std::nullopt);
}

TEST(CpuSubsystemWants, AnyCpuField) {
    CpuSubsystem sub;
    EXPECT_STREQ(sub.controller(), "cpu");
    EXPECT_FALSE(sub.wants(Resources{}));
    EXPECT_FALSE(sub.wants(cpu(std::nullopt, std::nullopt, std::nullopt)));
    EXPECT_TRUE(sub.wants(cpu(512, std::nullopt, std::nullopt)));
    EXPECT_TRUE(sub.wants(cpu(std::nullopt, 1000, std::nullopt)));
    EXPECT_TRUE(sub.wants(cpu(std::nullopt, std::nullopt, 1000)));
}

TEST(CpuSubsystemValidate, Ranges) {
    CpuSubsystem sub;
    EXPECT_TRUE(sub.validate(Resources{}).ok());
    EXPECT_TRUE(sub.validate(cpu(2, -1, 1000)).ok());
    EXPECT_TRUE(sub.validate(cpu(262144, 1000, 1000000)).ok());
    EXPECT_TRUE(sub.validate(cpu(0, 0, 0)).ok());  // 0 is "not set", as in runc

    struct Case {
        Resources r;
        std::string message;
    };
    const Case bad[] = {
        {cpu(1, std::nullopt, std::nullopt), "linux.resources.cpu.shares: 1 is out of range [2, 262144]"},
        {cpu(262145, std::nullopt, std::nullopt), "linux.resources.cpu.shares: 262145 is out of range [2, 262144]"},
        {cpu(std::nullopt, std::nullopt, 999), "linux.resources.cpu.period: 999 is out of range [1000, 1000000]"},
        {cpu(std::nullopt, std::nullopt, 1000001),
         "linux.resources.cpu.period: 1000001 is out of range [1000, 1000000]"},
        {cpu(std::nullopt, 999, std::nullopt),
         "linux.resources.cpu.quota: 999 is out of range (-1 for unlimited, or >= 1000)"},
        {cpu(std::nullopt, -2, std::nullopt),
         "linux.resources.cpu.quota: -2 is out of range (-1 for unlimited, or >= 1000)"},
    };
    for (const auto& c : bad) {
        const auto status = sub.validate(c.r);
        EXPECT_EQ(status.err, EINVAL);
        EXPECT_EQ(status.message, c.message);
    }
}

TEST_F(CpuFakeCgroup, V2WritesWeightAndMax) {
    offer_v2();
    CpuSubsystem sub;
    ASSERT_TRUE(sub.apply_v2(dir(), cpu(1024, 50000, 200000)).ok());
    EXPECT_EQ(content("cpu.weight"), "100");
    EXPECT_EQ(content("cpu.max"), "50000 200000");
}

TEST_F(CpuFakeCgroup, V2PeriodOnlyIsMaxQuota) {
    offer_v2();
    CpuSubsystem sub;
    ASSERT_TRUE(sub.apply_v2(dir(), cpu(std::nullopt, std::nullopt, 250000)).ok());
    EXPECT_EQ(content("cpu.max"), "max 250000");
    EXPECT_EQ(content("cpu.weight"), "100\n");  // untouched
}

TEST_F(CpuFakeCgroup, V2QuotaOnlyUsesDefaultPeriod) {
    offer_v2();
    CpuSubsystem sub;
    ASSERT_TRUE(sub.apply_v2(dir(), cpu(2, 20000, std::nullopt)).ok());
    EXPECT_EQ(content("cpu.weight"), "1");
    EXPECT_EQ(content("cpu.max"), "20000 100000");
}

TEST_F(CpuFakeCgroup, V2UnsetLeavesFilesUntouched) {
    offer("cpu.weight", "sentinel-weight");
    offer("cpu.max", "sentinel-max");
    CpuSubsystem sub;
    ASSERT_TRUE(sub.apply_v2(dir(), Resources{}).ok());
    ASSERT_TRUE(sub.apply_v2(dir(), cpu(std::nullopt, std::nullopt, std::nullopt)).ok());
    ASSERT_TRUE(sub.apply_v2(dir(), cpu(0, 0, 0)).ok());
    EXPECT_EQ(content("cpu.weight"), "sentinel-weight");
    EXPECT_EQ(content("cpu.max"), "sentinel-max");
}

TEST_F(CpuFakeCgroup, V1WritesAll) {
    offer_v1();
    CpuSubsystem sub;
    ASSERT_TRUE(sub.apply_v1(dir(), cpu(512, 25000, 50000)).ok());
    EXPECT_EQ(content("cpu.shares"), "512");
    EXPECT_EQ(content("cpu.cfs_quota_us"), "25000");
    EXPECT_EQ(content("cpu.cfs_period_us"), "50000");
}

TEST_F(CpuFakeCgroup, V1UnlimitedQuota) {
    offer_v1();
    offer("cpu.cfs_quota_us", "50000\n");
    CpuSubsystem sub;
    ASSERT_TRUE(sub.apply_v1(dir(), cpu(std::nullopt, -1, std::nullopt)).ok());
    EXPECT_EQ(content("cpu.cfs_quota_us"), "-1");
    EXPECT_EQ(content("cpu.cfs_period_us"), "100000\n");  // untouched
    EXPECT_EQ(content("cpu.shares"), "1024\n");           // untouched
}

TEST_F(CpuFakeCgroup, V1UnsetLeavesFilesUntouched) {
    offer("cpu.shares", "s1");
    offer("cpu.cfs_quota_us", "s2");
    offer("cpu.cfs_period_us", "s3");
    CpuSubsystem sub;
    ASSERT_TRUE(sub.apply_v1(dir(), Resources{}).ok());
    ASSERT_TRUE(sub.apply_v1(dir(), cpu(std::nullopt, std::nullopt, std::nullopt)).ok());
    EXPECT_EQ(content("cpu.shares"), "s1");
    EXPECT_EQ(content("cpu.cfs_quota_us"), "s2");
    EXPECT_EQ(content("cpu.cfs_period_us"), "s3");
}

// Period goes first: with the quota file missing, the period must already be
// written when the quota write fails.
TEST_F(CpuFakeCgroup, V1PeriodBeforeQuota) {
    offer("cpu.cfs_period_us", "100000\n");
    CpuSubsystem sub;
    const auto status = sub.apply_v1(dir(), cpu(std::nullopt, 30000, 60000));
    EXPECT_EQ(status.err, ENOENT);
    EXPECT_NE(status.message.find(root_ + "/cpu.cfs_quota_us"), std::string::npos) << status.message;
    EXPECT_EQ(content("cpu.cfs_period_us"), "60000");
}

TEST_F(CpuFakeCgroup, MissingFileIsNamed) {
    CpuSubsystem sub;
    auto status = sub.apply_v2(dir(), cpu(100, std::nullopt, std::nullopt));
    EXPECT_EQ(status.err, ENOENT);
    EXPECT_NE(status.message.find(root_ + "/cpu.weight"), std::string::npos) << status.message;
    status = sub.apply_v1(dir(), cpu(100, std::nullopt, std::nullopt));
    EXPECT_EQ(status.err, ENOENT);
    EXPECT_NE(status.message.find(root_ + "/cpu.shares"), std::string::npos) << status.message;
}

// ---- fields outside the SDK's model: realtime, idle, burst ----

TEST(CpuOptions, WantsAndValidate) {
    CpuSubsystem sub;
    for (const char* json :
         {R"({"cpu":{"realtimeRuntime":950000}})", R"({"cpu":{"realtimePeriod":1000000}})",
          R"({"cpu":{"realtimeRuntime":-1}})", R"({"cpu":{"idle":1}})", R"({"cpu":{"burst":5000}})"}) {
        EXPECT_TRUE(sub.wants(with_json(json))) << json;
        EXPECT_TRUE(sub.validate(with_json(json)).ok()) << json;
    }
    // Zero and null ask for nothing, as for the modelled values.
    EXPECT_FALSE(sub.wants(with_json(R"({"cpu":{"realtimeRuntime":0,"realtimePeriod":0,"idle":0,"burst":null}})")));
    // Types and signs are the host's to refuse (spec_test); the kernel's
    // range of cpu.idle is the plugin's.
    for (const char* json : {R"({"cpu":{"idle":2}})", R"({"cpu":{"idle":-1}})"}) {
        EXPECT_TRUE(sub.wants(with_json(json))) << json;  // so that validate names it
        const auto status = sub.validate(with_json(json));
        EXPECT_EQ(status.err, EINVAL) << json;
        EXPECT_EQ(status.message.rfind("linux.resources.cpu.idle: ", 0), 0u) << status.message;
        EXPECT_NE(status.message.find(" is out of range [0, 1]"), std::string::npos) << status.message;
    }
    EXPECT_EQ(sub.validate(with_json(R"({"cpu":{"shares":512,"idle":1}})")).message,
              "linux.resources.cpu.idle: an idle group has no weight of its own: cannot be combined with "
              "linux.resources.cpu.shares");
}

TEST_F(CpuFakeCgroup, V1WritesRealtimeIdleBurst) {
    offer_v1();
    offer("cpu.rt_period_us", "1000000\n");
    offer("cpu.rt_runtime_us", "0\n");
    offer("cpu.idle", "0\n");
    offer("cpu.cfs_burst_us", "0\n");
    CpuSubsystem sub;
    const Resources r = with_json(R"({"cpu":{"quota":50000,"period":100000,"realtimeRuntime":20000,)"
                                  R"("realtimePeriod":500000,"idle":1,"burst":10000}})");
    ASSERT_TRUE(sub.apply_v1(dir(), r).ok());
    EXPECT_EQ(content("cpu.rt_period_us"), "500000");
    EXPECT_EQ(content("cpu.rt_runtime_us"), "20000");
    EXPECT_EQ(content("cpu.idle"), "1");
    EXPECT_EQ(content("cpu.cfs_burst_us"), "10000");
    EXPECT_EQ(content("cpu.cfs_quota_us"), "50000");
}

// runc writes the realtime period before the runtime: with no runtime file
// the period must already be written when the runtime write fails.
TEST_F(CpuFakeCgroup, V1RealtimePeriodFirstAndMissingFileNamesField) {
    offer("cpu.rt_period_us", "1000000\n");
    CpuSubsystem sub;
    auto status = sub.apply_v1(dir(), with_json(R"({"cpu":{"realtimeRuntime":20000,"realtimePeriod":500000}})"));
    EXPECT_EQ(status.err, ENOENT);
    EXPECT_EQ(status.message, "linux.resources.cpu.realtimeRuntime: " + root_ +
                                  "/cpu.rt_runtime_us does not exist (the kernel does not support it)");
    EXPECT_EQ(content("cpu.rt_period_us"), "500000");
    status = sub.apply_v1(dir(), with_json(R"({"cpu":{"burst":1000}})"));
    EXPECT_EQ(status.message, "linux.resources.cpu.burst: " + root_ +
                                  "/cpu.cfs_burst_us does not exist (the kernel does not support it)");
    status = sub.apply_v1(dir(), with_json(R"({"cpu":{"idle":1}})"));
    EXPECT_EQ(status.message.rfind("linux.resources.cpu.idle: ", 0), 0u) << status.message;
}

TEST_F(CpuFakeCgroup, V2WritesIdleAndBurst) {
    offer_v2();
    offer("cpu.idle", "0\n");
    offer("cpu.max.burst", "0\n");
    CpuSubsystem sub;
    const Resources r = with_json(R"({"cpu":{"quota":50000,"idle":1,"burst":20000}})");
    ASSERT_TRUE(sub.apply_v2(dir(), r).ok());
    EXPECT_EQ(content("cpu.max"), "50000 100000");
    EXPECT_EQ(content("cpu.max.burst"), "20000");
    EXPECT_EQ(content("cpu.idle"), "1");
}

TEST_F(CpuFakeCgroup, V2BurstWithoutKernelSupportNamesField) {
    offer_v2();
    CpuSubsystem sub;
    const auto status = sub.apply_v2(dir(), with_json(R"({"cpu":{"burst":20000}})"));
    EXPECT_EQ(status.err, ENOENT);
    EXPECT_EQ(status.message,
              "linux.resources.cpu.burst: " + root_ + "/cpu.max.burst does not exist (the kernel does not support it)");
}

TEST_F(CpuFakeCgroup, V2RefusesRealtime) {
    offer_v2();
    CpuSubsystem sub;
    const Resources r = with_json(R"({"cpu":{"shares":512,"realtimeRuntime":950000}})");
    auto status = sub.apply_v2(dir(), r);
    EXPECT_EQ(status.err, EINVAL);
    EXPECT_EQ(status.message,
              "linux.resources.cpu.realtimeRuntime: cgroup v2 has no realtime bandwidth "
              "(cpu.rt_runtime_us and cpu.rt_period_us are cgroup v1 only)");
    EXPECT_EQ(content("cpu.weight"), "100\n");  // refused before writing anything
    status = sub.apply_v2(dir(), with_json(R"({"cpu":{"realtimePeriod":1000000}})"));
    EXPECT_EQ(status.message.rfind("linux.resources.cpu.realtimePeriod: cgroup v2 has no realtime", 0), 0u)
        << status.message;
}

TEST_F(CpuFakeCgroup, StatsV2ReportsEveryKey) {
    offer("cpu.stat",
          "usage_usec 777\nuser_usec 700\nsystem_usec 77\nnr_periods 10\nnr_throttled 3\nthrottled_usec 5\n");
    CpuSubsystem sub;
    CgroupStats stats;
    ASSERT_TRUE(sub.stats(dir(), true, &stats).ok());
    const std::vector<std::pair<std::string, uint64_t>> want = {
        {"cpu.stat.usage_usec", 777}, {"cpu.stat.user_usec", 700},  {"cpu.stat.system_usec", 77},
        {"cpu.stat.nr_periods", 10},  {"cpu.stat.nr_throttled", 3}, {"cpu.stat.throttled_usec", 5}};
    EXPECT_EQ(stats.values, want);
}

// Without the cpu controller enabled, v2's cpu.stat has only the usage keys.
TEST_F(CpuFakeCgroup, StatsV2WithoutController) {
    offer("cpu.stat", "usage_usec 9\nuser_usec 5\nsystem_usec 4\n");
    CpuSubsystem sub;
    CgroupStats stats;
    ASSERT_TRUE(sub.stats(dir(), true, &stats).ok());
    ASSERT_EQ(stats.values.size(), 3u);
    EXPECT_EQ(stats.values[0], (std::pair<std::string, uint64_t>{"cpu.stat.usage_usec", 9}));
}

TEST_F(CpuFakeCgroup, StatsV1) {
    offer("cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 5000\n");
    CpuSubsystem sub;
    CgroupStats stats;
    ASSERT_TRUE(sub.stats(dir(), false, &stats).ok());
    const std::vector<std::pair<std::string, uint64_t>> want = {
        {"cpu.stat.nr_periods", 10}, {"cpu.stat.nr_throttled", 4}, {"cpu.stat.throttled_time", 5000}};
    EXPECT_EQ(stats.values, want);
}

TEST_F(CpuFakeCgroup, StatsMissingKeyNamesFile) {
    offer("cpu.stat", "nr_periods 10\n");
    CpuSubsystem sub;
    CgroupStats stats;
    auto status = sub.stats(dir(), false, &stats);
    EXPECT_EQ(status.err, EINVAL);
    EXPECT_NE(status.message.find("cpu.stat"), std::string::npos);
    EXPECT_NE(status.message.find("nr_throttled"), std::string::npos);
    status = sub.stats(dir(), true, &stats);
    EXPECT_EQ(status.err, EINVAL);
    EXPECT_NE(status.message.find("usage_usec"), std::string::npos);
}

TEST_F(CpuFakeCgroup, StatsBadLineNamesFile) {
    offer("cpu.stat", "usage_usec 1\nnr_throttled many\n");
    CpuSubsystem sub;
    CgroupStats stats;
    const auto status = sub.stats(dir(), true, &stats);
    EXPECT_EQ(status.err, EINVAL);
    EXPECT_NE(status.message.find(root_ + "/cpu.stat"), std::string::npos) << status.message;
}

TEST_F(CpuFakeCgroup, StatsMissingFileIsNamed) {
    CpuSubsystem sub;
    CgroupStats stats;
    const auto status = sub.stats(dir(), true, &stats);
    EXPECT_EQ(status.err, ENOENT);
    EXPECT_NE(status.message.find(root_ + "/cpu.stat"), std::string::npos) << status.message;
}

}  // namespace

// The SDK's flat-keyed parser (berth/cgroup_text.hpp), which the cpu and
// memory plugins' stats use.
TEST(SdkCgroupText, FlatKeyedValues) {
    using Values = std::vector<std::pair<std::string, uint64_t>>;
    EXPECT_EQ(berth::flat_keyed_values("usage_usec 12\nnr_periods 0\n"),
              (Values{{"usage_usec", 12}, {"nr_periods", 0}}));
    EXPECT_EQ(berth::flat_keyed_values("a 1\n\nb 18446744073709551615"), (Values{{"a", 1}, {"b", UINT64_MAX}}));
    EXPECT_EQ(berth::flat_keyed_values(""), Values{});
    for (const char* bad : {"a\n", " 1\n", "a -1\n", "a 1x\n", "a 18446744073709551616\n", "a  1\n"})
        EXPECT_EQ(berth::flat_keyed_values(bad), std::nullopt) << bad;
}

// io.stat and rdma.current, as the io and rdma plugins' stats read them.
TEST(SdkCgroupText, NestedKeyedValues) {
    using V = std::vector<berth::NestedKeyedValue>;
    EXPECT_EQ(berth::nested_keyed_values("8:0 rbytes=1 wbytes=2\n7:1 rios=3\n"),
              (V{{"8:0", "rbytes", 1}, {"8:0", "wbytes", 2}, {"7:1", "rios", 3}}));
    EXPECT_EQ(berth::nested_keyed_values("mlx4_0 hca_handle=2 hca_object=max\n\n"), (V{{"mlx4_0", "hca_handle", 2}}));
    EXPECT_EQ(berth::nested_keyed_values("8:0 a=1  b=2 \n"), (V{{"8:0", "a", 1}, {"8:0", "b", 2}}));
    EXPECT_EQ(berth::nested_keyed_values("8:0\n"), V{});
    EXPECT_EQ(berth::nested_keyed_values(""), V{});
    for (const char* bad : {" a=1\n", "8:0 a\n", "8:0 =1\n", "8:0 a=\n", "8:0 a=-1\n", "8:0 a=1x\n"})
        EXPECT_EQ(berth::nested_keyed_values(bad), std::nullopt) << bad;
}
