// `events`: runc 1.1's stats object (runc's types.Stats) from the flat
// counters the cgroup plugins report (CgroupSubsystem::stats) and the host's
// own cpuacct reading. Pure, so that the mapping is tested table by table.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace berth {

// Counter name → value, e.g. {"memory.current", 4096}, {"cpu.stat.usage_usec", 7}.
using FlatStats = std::map<std::string, uint64_t>;

// The "data" of a stats event, with runc's keys, key order and omitempty
// rules: cpu, memory, pids, blkio, hugetlb, intel_rdt, network_interfaces.
// `unified`: the counters come from cgroup v2 files (usec → ns, swap
// reported as memory+swap as on v1). `clock_ticks`: USER_HZ for v1
// cpuacct.stat.
nlohmann::ordered_json runc_stats_json(const FlatStats& v, bool unified, uint64_t clock_ticks = 100);

// {"type":TYPE,"id":ID[,"data":DATA]}: one line of `events` output.
nlohmann::ordered_json runc_event_json(const std::string& type, const std::string& id,
                                       const nlohmann::ordered_json* data = nullptr);

// Go's time.ParseDuration ("5s", "500ms", "1m30s", "1.5h", "0"), as runc's
// --interval takes it; nanoseconds. Throws berth::Error naming `flag`.
int64_t parse_go_duration(const std::string& text, const std::string& flag);

}  // namespace berth
