// update's pure parts: runc's flag values and the merge into the current
// resources.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "container/update.hpp"
#include "error_of.hpp"

namespace {

using json = nlohmann::json;
using berth::test::error_of;

TEST(RamInBytes, AsGoUnits) {
    const struct {
        const char* in;
        int64_t want;
    } cases[] = {
        {"0", 0},
        {"1024", 1024},
        {"64m", 64LL << 20},
        {"64M", 64LL << 20},
        {"64mb", 64LL << 20},
        {"64MiB", 64LL << 20},
        {"1g", 1LL << 30},
        {"1 GB", 1LL << 30},
        {"2k", 2048},
        {"1.5k", 1536},
        {"1t", 1LL << 40},
        {"1p", 1LL << 50},
        {"10b", 10},
    };
    for (const auto& c : cases) {
        int64_t got = -7;
        EXPECT_EQ(error_of([&] { got = berth::ram_in_bytes(c.in); }), "<no error>") << c.in;
        EXPECT_EQ(got, c.want) << c.in;
    }
    for (const char* bad : {"", "abc", "-1", "-5m", "1x", "1.2.3", "m", "1  m", " 1m", "1.m", "1e3", "8192p"}) {
        const std::string err = error_of([&] { berth::ram_in_bytes(bad); });
        EXPECT_EQ(err.rfind("invalid size: '" + std::string(bad) + "'", 0), 0u) << bad << " → " << err;
    }
}

TEST(UpdateFlags, BecomeAResourcesPatch) {
    const struct {
        std::map<std::string, std::string> flags;
        const char* want;
    } cases[] = {
        {{}, "{}"},
        {{{"memory", "128m"}}, R"({"memory":{"limit":134217728}})"},
        {{{"memory", "-1"}, {"memory-swap", "-1"}}, R"({"memory":{"limit":-1,"swap":-1}})"},
        {{{"memory-reservation", "1g"}, {"kernel-memory", "1m"}, {"kernel-memory-tcp", "2k"}},
         R"({"memory":{"reservation":1073741824,"kernel":1048576,"kernelTCP":2048}})"},
        {{{"cpu-share", "512"}}, R"({"cpu":{"shares":512}})"},
        {{{"cpu-shares", "512"}}, R"({"cpu":{"shares":512}})"},
        {{{"cpu-quota", "-1"}, {"cpu-period", "100000"}}, R"({"cpu":{"quota":-1,"period":100000}})"},
        {{{"cpu-rt-runtime", "950"}, {"cpu-rt-period", "1000"}},
         R"({"cpu":{"realtimeRuntime":950,"realtimePeriod":1000}})"},
        {{{"cpuset-cpus", "0-1"}, {"cpuset-mems", "0"}}, R"({"cpu":{"cpus":"0-1","mems":"0"}})"},
        {{{"cpuset-cpus", ""}}, "{}"},
        {{{"pids-limit", "-1"}}, R"({"pids":{"limit":-1}})"},
        {{{"pids-limit", "0"}}, R"({"pids":{"limit":0}})"},
        {{{"blkio-weight", "300"}}, R"({"blockIO":{"weight":300}})"},
        {{{"blkio-weight", "0"}}, "{}"},
    };
    for (const auto& c : cases) {
        json got;
        EXPECT_EQ(error_of([&] { got = berth::resources_from_update_flags(c.flags); }), "<no error>") << c.want;
        EXPECT_EQ(got, json::parse(c.want));
    }
}

TEST(UpdateFlags, BadValuesNameTheFlag) {
    const struct {
        const char* flag;
        const char* value;
        const char* want;
    } cases[] = {
        {"memory", "lots", "invalid value for memory: invalid size: 'lots'"},
        {"memory-swap", "-2", "invalid value for memory-swap: invalid size: '-2'"},
        {"cpu-period", "-5", "invalid value for cpu-period: \"-5\" is not an unsigned integer"},
        {"cpu-share", "x", "invalid value for cpu-share: \"x\" is not an unsigned integer"},
        {"cpu-quota", "1.5", "invalid value for cpu-quota: \"1.5\" is not an integer"},
        {"cpu-quota", "99999999999999999999", "invalid value for cpu-quota: \"99999999999999999999\" is out of range"},
        {"pids-limit", "ten", "invalid value for pids-limit: \"ten\" is not an integer"},
        {"blkio-weight", "70000", "invalid value for blkio-weight: \"70000\" is out of range"},
    };
    for (const auto& c : cases)
        EXPECT_EQ(error_of([&] { berth::resources_from_update_flags({{c.flag, c.value}}); }), c.want);
}

TEST(UpdateMerge, OnlyGivenNonZeroFieldsChange) {
    const json current =
        json::parse(R"({"memory":{"limit":33554432,"swap":67108864},"cpu":{"shares":1024,"quota":50000,)"
                    R"("period":100000},"pids":{"limit":20},"devices":[{"allow":false,"access":"rwm"}]})");
    const struct {
        const char* name;
        const char* patch;
        const char* want;
    } cases[] = {
        {"empty", "{}", nullptr},
        {"memory limit", R"({"memory":{"limit":50331648}})",
         R"({"memory":{"limit":50331648,"swap":67108864},"cpu":{"shares":1024,"quota":50000,"period":100000},)"
         R"("pids":{"limit":20},"devices":[{"allow":false,"access":"rwm"}]})"},
        // docker update --memory 128m: every other field zero.
        {"docker zeros",
         R"({"memory":{"limit":134217728,"reservation":0,"kernel":0},"cpu":{"shares":0,"quota":0,"period":0},)"
         R"("blockIO":{"weight":0}})",
         R"({"memory":{"limit":134217728,"swap":67108864},"cpu":{"shares":1024,"quota":50000,"period":100000},)"
         R"("pids":{"limit":20},"devices":[{"allow":false,"access":"rwm"}]})"},
        // quota alone keeps the period (cpu.max needs both).
        {"quota alone", R"({"cpu":{"quota":25000}})",
         R"({"memory":{"limit":33554432,"swap":67108864},"cpu":{"shares":1024,"quota":25000,"period":100000},)"
         R"("pids":{"limit":20},"devices":[{"allow":false,"access":"rwm"}]})"},
        // the CRI's rule would deny every device: left alone.
        {"cri devices", R"({"devices":[{"allow":false,"access":"rwm"}],"memory":{"limit":134217728,"swap":134217728}})",
         R"({"memory":{"limit":134217728,"swap":134217728},"cpu":{"shares":1024,"quota":50000,"period":100000},)"
         R"("pids":{"limit":20},"devices":[{"allow":false,"access":"rwm"}]})"},
        {"unlimited", R"({"pids":{"limit":-1},"memory":{"limit":-1,"swap":-1}})",
         R"({"memory":{"limit":-1,"swap":-1},"cpu":{"shares":1024,"quota":50000,"period":100000},)"
         R"("pids":{"limit":-1},"devices":[{"allow":false,"access":"rwm"}]})"},
        {"new sections", R"({"blockIO":{"weight":300},"cpu":{"cpus":"0","mems":""},"unified":{"io.weight":"50"}})",
         R"({"memory":{"limit":33554432,"swap":67108864},)"
         R"("cpu":{"shares":1024,"quota":50000,"period":100000,"cpus":"0"},)"
         R"("pids":{"limit":20},"devices":[{"allow":false,"access":"rwm"}],)"
         R"("blockIO":{"weight":300},"unified":{"io.weight":"50"}})"},
        {"nulls", R"({"memory":null,"cpu":{"shares":null}})", nullptr},
    };
    for (const auto& c : cases) {
        berth::MergedResources m;
        EXPECT_EQ(error_of([&] { m = berth::merge_update(current, json::parse(c.patch)); }), "<no error>") << c.name;
        EXPECT_EQ(m.resources, c.want ? json::parse(c.want) : current) << c.name;
    }
}

TEST(UpdateMerge, ReportsWhatItLeavesAlone) {
    auto m = berth::merge_update(
        json::object(),
        json::parse(R"({"devices":[{"allow":false,"access":"rwm"}],"hugepageLimits":[],)"
                    R"("memory":{"swappiness":10,"kernel":1048576},)"
                    R"("blockIO":{"weightDevice":[{"major":8,"minor":0,"weight":100}]},"network":{"classID":0}})"));
    EXPECT_EQ(m.ignored, (std::vector<std::string>{"blockIO.weightDevice", "devices", "memory.swappiness"}));
    EXPECT_TRUE(m.kernel_memory);
    EXPECT_EQ(m.resources, json::object());
    EXPECT_FALSE(berth::merge_update(json::object(), json::parse(R"({"memory":{"kernel":0}})")).kernel_memory);
}

TEST(UpdateMerge, BadTypesNameTheField) {
    const struct {
        const char* patch;
        const char* want;
    } cases[] = {
        {R"({"memory":{"limit":"1g"}})", "linux.resources.memory.limit: must be an integer, not a string"},
        {R"({"memory":{"limit":-2}})",
         "linux.resources.memory.limit: must be -1 (unlimited) or a positive number, not -2"},
        {R"({"cpu":{"shares":-1}})", "linux.resources.cpu.shares: must not be negative"},
        {R"({"cpu":{"cpus":3}})", "linux.resources.cpu.cpus: must be a string, not a number"},
        {R"({"cpu":{"realtimeRuntime":"x"}})", "linux.resources.cpu.realtimeRuntime: must be an integer, not a string"},
        {R"({"blockIO":{"weight":1.5}})", "linux.resources.blockIO.weight: must be an integer, not a number"},
        // Fields update leaves alone are still checked (one parser for create and update).
        {R"({"blockIO":{"weightDevice":[{"major":8}]}})", "linux.resources.blockIO.weightDevice[0].minor: is required"},
        {R"({"pids":7})", "linux.resources.pids: must be an object, not a number"},
        {R"({"unified":{"memory.high":5}})", "linux.resources.unified[\"memory.high\"]: must be a string"},
        {R"([1])", "linux.resources: must be a JSON object"},
    };
    for (const auto& c : cases)
        EXPECT_EQ(error_of([&] { berth::merge_update(json::object(), json::parse(c.patch)); }), c.want) << c.patch;
}

}  // namespace
