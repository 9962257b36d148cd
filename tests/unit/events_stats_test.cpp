// events' pure parts: plugin counters to runc 1.1's stats object (v1 and v2
// tables), the event envelope, and Go durations for --interval.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "error_of.hpp"
#include "events/stats_json.hpp"

namespace {

using berth::FlatStats;
using berth::parse_go_duration;
using berth::runc_event_json;
using berth::runc_stats_json;
using berth::test::error_of;
using ojson = nlohmann::ordered_json;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST(RuncStats, V1FromPluginAndCpuacctCounters) {
    const FlatStats v = {
        {"cpuacct.usage", 5000000000},
        {"cpuacct.usage_percpu.0", 3000000000},
        {"cpuacct.usage_percpu.1", 2000000000},
        {"cpuacct.usage_percpu_user.0", 1},
        {"cpuacct.usage_percpu_user.1", 2},
        {"cpuacct.usage_percpu_sys.0", 3},
        {"cpuacct.usage_percpu_sys.1", 4},
        {"cpuacct.stat.user", 300},
        {"cpuacct.stat.system", 200},
        {"cpu.stat.nr_periods", 10},
        {"cpu.stat.nr_throttled", 4},
        {"cpu.stat.throttled_time", 777},
        {"memory.usage_in_bytes", 8192},
        {"memory.max_usage_in_bytes", 16384},
        {"memory.failcnt", 2},
        {"memory.limit_in_bytes", 1048576},
        {"memory.memsw.usage_in_bytes", 9000},
        {"memory.memsw.limit_in_bytes", 2097152},
        {"memory.stat.cache", 4096},
        {"memory.stat.rss", 1024},
        {"memory.oom_control.oom_kill", 1},
        {"pids.current", 3},
        {"pids.max", 10},
    };
    const ojson want = ojson::parse(R"({
      "cpu": {"usage": {"total": 5000000000, "percpu": [3000000000, 2000000000], "percpu_kernel": [3, 4],
                        "percpu_user": [1, 2], "kernel": 2000000000, "user": 3000000000},
              "throttling": {"periods": 10, "throttledPeriods": 4, "throttledTime": 777}},
      "memory": {"cache": 4096,
                 "usage": {"limit": 1048576, "usage": 8192, "max": 16384, "failcnt": 2},
                 "swap": {"limit": 2097152, "usage": 9000, "failcnt": 0},
                 "kernel": {"limit": 0, "failcnt": 0},
                 "kernelTCP": {"limit": 0, "failcnt": 0},
                 "raw": {"cache": 4096, "rss": 1024}},
      "pids": {"current": 3, "limit": 10},
      "blkio": {}, "hugetlb": {}, "intel_rdt": {}, "network_interfaces": null})");
    EXPECT_EQ(runc_stats_json(v, false, 100), want) << runc_stats_json(v, false, 100).dump(2);
}

TEST(RuncStats, V2FromPluginCounters) {
    const FlatStats v = {
        {"cpu.stat.usage_usec", 1500}, {"cpu.stat.user_usec", 1000}, {"cpu.stat.system_usec", 500},
        {"cpu.stat.nr_periods", 7},    {"cpu.stat.nr_throttled", 2}, {"cpu.stat.throttled_usec", 9},
        {"memory.current", 4096},      {"memory.max", 1048576},      {"memory.swap.current", 100},
        {"memory.swap.max", 2048},     {"memory.stat.file", 512},    {"memory.stat.anon", 1024},
        {"memory.events.oom_kill", 1}, {"pids.current", 1},          {"pids.max", 0},
    };
    const ojson want = ojson::parse(R"({
      "cpu": {"usage": {"total": 1500000, "kernel": 500000, "user": 1000000},
              "throttling": {"periods": 7, "throttledPeriods": 2, "throttledTime": 9000}},
      "memory": {"cache": 512,
                 "usage": {"limit": 1048576, "usage": 4096, "failcnt": 0},
                 "swap": {"limit": 1050624, "usage": 4196, "failcnt": 0},
                 "kernel": {"limit": 0, "failcnt": 0},
                 "kernelTCP": {"limit": 0, "failcnt": 0},
                 "raw": {"anon": 1024, "file": 512}},
      "pids": {"current": 1},
      "blkio": {}, "hugetlb": {}, "intel_rdt": {}, "network_interfaces": null})");
    EXPECT_EQ(runc_stats_json(v, true), want) << runc_stats_json(v, true).dump(2);
}

// "max" files read as UINT64_MAX; an unlimited swap stays unlimited whatever
// the memory limit, and a limited swap over unlimited memory is unlimited.
TEST(RuncStats, V2Unlimited) {
    FlatStats v = {{"cpu.stat.usage_usec", 1},
                   {"memory.current", 10},
                   {"memory.max", kMax},
                   {"memory.swap.current", 0},
                   {"memory.swap.max", kMax}};
    ojson s = runc_stats_json(v, true);
    EXPECT_EQ(s["memory"]["usage"]["limit"], kMax);
    EXPECT_EQ(s["memory"]["swap"]["limit"], kMax);
    EXPECT_EQ(s["memory"]["swap"]["usage"], 10u);
    v["memory.swap.max"] = 100;
    EXPECT_EQ(runc_stats_json(v, true)["memory"]["swap"]["limit"], kMax);
    EXPECT_FALSE(s["memory"].contains("raw"));
    EXPECT_FALSE(s["memory"].contains("cache"));
}

// Go's omitempty: zero counters vanish, kernel/user/limit/failcnt stay.
TEST(RuncStats, NothingReported) {
    const ojson s = runc_stats_json({}, false);
    EXPECT_EQ(s["cpu"], ojson::parse(R"({"usage": {"kernel": 0, "user": 0}, "throttling": {}})"));
    EXPECT_EQ(s["pids"], ojson::object());
    EXPECT_EQ(s["memory"]["usage"], ojson::parse(R"({"limit": 0, "failcnt": 0})"));
}

// runc's field order, which its own tests match textually.
TEST(RuncStats, KeyOrderAsRunc) {
    const ojson s = runc_stats_json({}, true);
    std::vector<std::string> keys;
    for (auto& [k, v] : s.items()) keys.push_back(k);
    EXPECT_EQ(keys, (std::vector<std::string>{"cpu", "memory", "pids", "blkio", "hugetlb", "intel_rdt",
                                              "network_interfaces"}));
    const ojson data = ojson::object();
    EXPECT_EQ(runc_event_json("stats", "c1", &data).dump(), R"({"type":"stats","id":"c1","data":{}})");
    EXPECT_EQ(runc_event_json("oom", "c1").dump(), R"({"type":"oom","id":"c1"})");
}

// runc's blkio entries and hugetlb map from the cgroup-io and cgroup-hugetlb
// plugins' counters, each table a runc-shaped expectation.
TEST(RuncStats, BlkioAndHugetlbV1) {
    const FlatStats v = {
        // Device order is numeric (259 after 8), op order the kernel's.
        {"blkio.throttle.io_service_bytes.8:0.Async", 0},
        {"blkio.throttle.io_service_bytes.8:0.Read", 4096},
        {"blkio.throttle.io_service_bytes.8:0.Total", 12288},
        {"blkio.throttle.io_service_bytes.8:0.Write", 8192},
        {"blkio.throttle.io_service_bytes.8:0.Sync", 12288},
        {"blkio.throttle.io_service_bytes.8:0.Discard", 0},
        {"blkio.throttle.io_service_bytes.259:0.Read", 1},
        {"blkio.throttle.io_serviced.8:0.Read", 2},
        {"blkio.throttle.io_serviced.8:0.Write", 3},
        {"hugetlb.2MB.usage_in_bytes", 2097152},
        {"hugetlb.2MB.max_usage_in_bytes", 4194304},
        {"hugetlb.2MB.failcnt", 1},
        {"hugetlb.2MB.limit_in_bytes", 4194304},
        {"hugetlb.1GB.usage_in_bytes", 0},
        {"hugetlb.1GB.max_usage_in_bytes", 0},
        {"hugetlb.1GB.failcnt", 0},
    };
    const ojson out = runc_stats_json(v, false);
    EXPECT_EQ(out["blkio"], ojson::parse(R"({
      "ioServiceBytesRecursive": [
        {"major": 8, "op": "Read", "value": 4096}, {"major": 8, "op": "Write", "value": 8192},
        {"major": 8, "op": "Sync", "value": 12288}, {"major": 8, "op": "Async"}, {"major": 8, "op": "Discard"},
        {"major": 8, "op": "Total", "value": 12288}, {"major": 259, "op": "Read", "value": 1}],
      "ioServicedRecursive": [{"major": 8, "op": "Read", "value": 2}, {"major": 8, "op": "Write", "value": 3}]})"))
        << out["blkio"].dump();
    EXPECT_EQ(out["hugetlb"],
              ojson::parse(R"({"1GB": {"failcnt": 0}, "2MB": {"usage": 2097152, "max": 4194304, "failcnt": 1}})"))
        << out["hugetlb"].dump();
}

TEST(RuncStats, BlkioAndHugetlbV2) {
    const FlatStats v = {
        {"io.stat.8:16.rbytes", 100},  {"io.stat.8:16.wbytes", 200},     {"io.stat.8:16.rios", 3},
        {"io.stat.8:16.wios", 4},      {"io.stat.8:16.dbytes", 0},       {"io.stat.8:16.dios", 0},
        {"io.stat.7:1.rbytes", 5},     {"hugetlb.2MB.current", 2097152}, {"hugetlb.2MB.max", 4194304},
        {"hugetlb.2MB.events.max", 6}, {"hugetlb.1GB.current", 0},
    };
    // The unified flag does not matter: each counter says where it came from
    // (hugetlb is on the cgroup2 mount of a hybrid host).
    for (bool unified : {true, false}) {
        const ojson out = runc_stats_json(v, unified);
        EXPECT_EQ(out["blkio"], ojson::parse(R"({
          "ioServiceBytesRecursive": [{"major": 7, "minor": 1, "op": "Read", "value": 5},
            {"major": 8, "minor": 16, "op": "Read", "value": 100}, )"
                                             R"({"major": 8, "minor": 16, "op": "Write", "value": 200}],
          "ioServicedRecursive": [{"major": 8, "minor": 16, "op": "Read", "value": 3}, )"
                                             R"({"major": 8, "minor": 16, "op": "Write", "value": 4}]})"))
            << out["blkio"].dump();
        EXPECT_EQ(out["hugetlb"], ojson::parse(R"({"1GB": {"failcnt": 0}, "2MB": {"usage": 2097152, "failcnt": 6}})"))
            << out["hugetlb"].dump();
    }
}

TEST(RuncStats, BlkioIgnoresWhatIsNotADevice) {
    const FlatStats v = {{"io.stat.nodevice.rbytes", 1},
                         {"io.stat.8:x.rbytes", 1},
                         {"io.stat.8:0", 1},
                         {"hugetlb.2MB.limit_in_bytes", 1}};
    const ojson out = runc_stats_json(v, true);
    EXPECT_EQ(out["blkio"], ojson::object()) << out["blkio"].dump();
    EXPECT_EQ(out["hugetlb"], ojson::object())
        << "a size with neither usage file is left out: " << out["hugetlb"].dump();
}

TEST(GoDuration, Accepted) {
    const struct {
        const char* in;
        int64_t ns;
    } cases[] = {
        {"5s", 5'000'000'000},
        {"500ms", 500'000'000},
        {"1m30s", 90'000'000'000},
        {"1.5s", 1'500'000'000},
        {"2h", 7'200'000'000'000},
        {"10us", 10'000},
        {"10\xc2\xb5s", 10'000},
        {"3ns", 3},
        {"0", 0},
        {"-1s", -1'000'000'000},
        {"+2s", 2'000'000'000},
        {".5s", 500'000'000},
        {"1h2m3s4ms", 3'723'004'000'000},
    };
    for (const auto& c : cases) EXPECT_EQ(parse_go_duration(c.in, "--interval"), c.ns) << c.in;
}

TEST(GoDuration, Refused) {
    for (const char* in : {"", "5", "s", "5x", "1.s.", "abc", "5 s", "-", "1e3s"})
        EXPECT_EQ(error_of([&] { parse_go_duration(in, "--interval"); }),
                  std::string("--interval: invalid duration \"") + in + "\"")
            << in;
}

}  // namespace
