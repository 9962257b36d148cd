#include "events/stats_json.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <utility>
#include <limits>
#include <optional>
#include <vector>

#include "errors/error.hpp"

namespace berth {
namespace {

using ojson = nlohmann::ordered_json;

constexpr uint64_t kMaxUint64 = std::numeric_limits<uint64_t>::max();

struct Lookup {
    const FlatStats& v;
    std::optional<uint64_t> get(const std::string& key) const {
        auto it = v.find(key);
        if (it == v.end()) return std::nullopt;
        return it->second;
    }
    uint64_t value(const std::string& key) const { return get(key).value_or(0); }
    // "<prefix>0", "<prefix>1", ... up to the first missing index.
    std::vector<uint64_t> list(const std::string& prefix) const {
        std::vector<uint64_t> out;
        for (size_t i = 0;; ++i) {
            auto x = get(prefix + std::to_string(i));
            if (!x) break;
            out.push_back(*x);
        }
        return out;
    }
};

// Go's encoding/json omits zero numbers and empty slices under omitempty.
void put_nonzero(ojson& o, const char* key, uint64_t value) {
    if (value != 0) o[key] = value;
}
void put_nonempty(ojson& o, const char* key, const std::vector<uint64_t>& values) {
    if (!values.empty()) o[key] = values;
}

uint64_t saturating_mul(uint64_t a, uint64_t b) {
    if (a != 0 && b > kMaxUint64 / a) return kMaxUint64;
    return a * b;
}

// runc's MemoryEntry: limit and failcnt always, usage and max when non-zero.
ojson memory_entry(uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt) {
    ojson e = ojson::object();
    e["limit"] = limit;
    put_nonzero(e, "usage", usage);
    put_nonzero(e, "max", max);
    e["failcnt"] = failcnt;
    return e;
}

ojson v1_memory_entry(const Lookup& l, const std::string& prefix) {
    return memory_entry(l.value(prefix + "limit_in_bytes"), l.value(prefix + "usage_in_bytes"),
                        l.value(prefix + "max_usage_in_bytes"), l.value(prefix + "failcnt"));
}

ojson cpu_json(const Lookup& l, bool unified, uint64_t clock_ticks) {
    ojson usage = ojson::object();
    ojson throttling = ojson::object();
    if (unified) {
        put_nonzero(usage, "total", saturating_mul(l.value("cpu.stat.usage_usec"), 1000));
        usage["kernel"] = saturating_mul(l.value("cpu.stat.system_usec"), 1000);
        usage["user"] = saturating_mul(l.value("cpu.stat.user_usec"), 1000);
        put_nonzero(throttling, "periods", l.value("cpu.stat.nr_periods"));
        put_nonzero(throttling, "throttledPeriods", l.value("cpu.stat.nr_throttled"));
        put_nonzero(throttling, "throttledTime", saturating_mul(l.value("cpu.stat.throttled_usec"), 1000));
    } else {
        // cpuacct.stat counts USER_HZ ticks; runc converts them to ns.
        const uint64_t tick_ns = clock_ticks ? 1000000000ull / clock_ticks : 0;
        put_nonzero(usage, "total", l.value("cpuacct.usage"));
        put_nonempty(usage, "percpu", l.list("cpuacct.usage_percpu."));
        put_nonempty(usage, "percpu_kernel", l.list("cpuacct.usage_percpu_sys."));
        put_nonempty(usage, "percpu_user", l.list("cpuacct.usage_percpu_user."));
        usage["kernel"] = saturating_mul(l.value("cpuacct.stat.system"), tick_ns);
        usage["user"] = saturating_mul(l.value("cpuacct.stat.user"), tick_ns);
        put_nonzero(throttling, "periods", l.value("cpu.stat.nr_periods"));
        put_nonzero(throttling, "throttledPeriods", l.value("cpu.stat.nr_throttled"));
        put_nonzero(throttling, "throttledTime", l.value("cpu.stat.throttled_time"));
    }
    ojson cpu = ojson::object();
    cpu["usage"] = usage;
    cpu["throttling"] = throttling;
    return cpu;
}

ojson memory_json(const Lookup& l, bool unified) {
    ojson raw = ojson::object();
    const std::string stat_prefix = "memory.stat.";
    for (auto it = l.v.lower_bound(stat_prefix); it != l.v.end() && it->first.rfind(stat_prefix, 0) == 0; ++it)
        raw[it->first.substr(stat_prefix.size())] = it->second;

    ojson memory = ojson::object();
    if (unified) {
        put_nonzero(memory, "cache", l.value("memory.stat.file"));
        const uint64_t usage = l.value("memory.current");
        const uint64_t limit = l.get("memory.max").value_or(kMaxUint64);
        memory["usage"] = memory_entry(limit, usage, 0, 0);
        // v1 reports swap as memory+swap; runc's fs2 does the same for v2.
        if (auto swap = l.get("memory.swap.current")) {
            uint64_t swap_limit = l.get("memory.swap.max").value_or(kMaxUint64);
            if (swap_limit != kMaxUint64) swap_limit = limit == kMaxUint64 ? kMaxUint64 : swap_limit + limit;
            memory["swap"] = memory_entry(swap_limit, *swap + usage, 0, 0);
        } else {
            memory["swap"] = memory_entry(0, 0, 0, 0);
        }
        memory["kernel"] = memory_entry(0, 0, 0, 0);
        memory["kernelTCP"] = memory_entry(0, 0, 0, 0);
    } else {
        put_nonzero(memory, "cache", l.value("memory.stat.cache"));
        memory["usage"] = v1_memory_entry(l, "memory.");
        memory["swap"] = v1_memory_entry(l, "memory.memsw.");
        memory["kernel"] = v1_memory_entry(l, "memory.kmem.");
        memory["kernelTCP"] = v1_memory_entry(l, "memory.kmem.tcp.");
    }
    if (!raw.empty()) memory["raw"] = raw;
    return memory;
}

// "8:0" -> {8, 0}; nullopt for anything else.
std::optional<std::pair<uint64_t, uint64_t>> major_minor(const std::string& device) {
    const size_t colon = device.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == device.size()) return std::nullopt;
    const std::string major = device.substr(0, colon), minor = device.substr(colon + 1);
    if (major.find_first_not_of("0123456789") != std::string::npos ||
        minor.find_first_not_of("0123456789") != std::string::npos || major.size() > 10 || minor.size() > 10)
        return std::nullopt;
    return std::make_pair(std::stoull(major), std::stoull(minor));
}

// One device's counters, in the order runc lists them.
struct BlkioRow {
    uint64_t major, minor;
    int rank;  // the op's place in kernel order
    std::string op;
    uint64_t value;
};

// runc's BlkioEntry: every field omitempty.
ojson blkio_entry(const BlkioRow& r) {
    ojson e = ojson::object();
    put_nonzero(e, "major", r.major);
    put_nonzero(e, "minor", r.minor);
    if (!r.op.empty()) e["op"] = r.op;
    put_nonzero(e, "value", r.value);
    return e;
}

ojson blkio_array(std::vector<BlkioRow> rows) {
    std::stable_sort(rows.begin(), rows.end(), [](const BlkioRow& a, const BlkioRow& b) {
        return std::tie(a.major, a.minor, a.rank) < std::tie(b.major, b.minor, b.rank);
    });
    ojson out = ojson::array();
    for (const BlkioRow& r : rows) out.push_back(blkio_entry(r));
    return out;
}

// The rows under "<prefix><major>:<minor>.<key>". `op_of` maps a key to
// runc's op and rank (rank < 0: not reported).
template <typename OpOf>
std::vector<BlkioRow> blkio_rows(const Lookup& l, const std::string& prefix, OpOf op_of) {
    std::vector<BlkioRow> rows;
    for (auto it = l.v.lower_bound(prefix); it != l.v.end() && it->first.rfind(prefix, 0) == 0; ++it) {
        const std::string rest = it->first.substr(prefix.size());
        const size_t dot = rest.find('.');
        if (dot == std::string::npos) continue;
        const auto dev = major_minor(rest.substr(0, dot));
        if (!dev) continue;
        const auto [op, rank] = op_of(rest.substr(dot + 1));
        if (rank < 0) continue;
        rows.push_back({dev->first, dev->second, rank, op, it->second});
    }
    return rows;
}

// runc's blkio object from the cgroup-io plugin's counters: on v1 the
// throttle files' lines as they are ("Read", "Write", "Sync", "Async",
// "Discard", "Total"), on v2 io.stat's rbytes/wbytes and rios/wios as
// "Read"/"Write" (runc 1.1's fs2 reports no others).
ojson blkio_json(const Lookup& l) {
    static const char* const kV1Ops[] = {"Read", "Write", "Sync", "Async", "Discard", "Total"};
    const auto v1_op = [](const std::string& op) {
        for (int i = 0; i < 6; ++i)
            if (op == kV1Ops[i]) return std::make_pair(op, i);
        return std::make_pair(op, 6);  // an op this list does not know: last, as it is
    };
    const auto v2_op = [](const char* read_key, const char* write_key) {
        return [=](const std::string& key) {
            if (key == read_key) return std::make_pair(std::string("Read"), 0);
            if (key == write_key) return std::make_pair(std::string("Write"), 1);
            return std::make_pair(std::string(), -1);
        };
    };
    std::vector<BlkioRow> bytes = blkio_rows(l, "blkio.throttle.io_service_bytes.", v1_op);
    std::vector<BlkioRow> ios = blkio_rows(l, "blkio.throttle.io_serviced.", v1_op);
    for (auto& r : blkio_rows(l, "io.stat.", v2_op("rbytes", "wbytes"))) bytes.push_back(r);
    for (auto& r : blkio_rows(l, "io.stat.", v2_op("rios", "wios"))) ios.push_back(r);
    ojson blkio = ojson::object();
    if (!bytes.empty()) blkio["ioServiceBytesRecursive"] = blkio_array(bytes);
    if (!ios.empty()) blkio["ioServicedRecursive"] = blkio_array(ios);
    return blkio;
}

// runc's hugetlb map, page size -> {usage, max, failcnt}, from the
// cgroup-hugetlb plugin's counters: v1 usage_in_bytes, max_usage_in_bytes
// and failcnt; v2 current and events' "max" as failcnt (v2 keeps no peak:
// max is left out, as runc's fs2 does). Each size is read by the files it
// has, since on hybrid hosts hugetlb may be on the cgroup2 mount.
ojson hugetlb_json(const Lookup& l) {
    const std::string prefix = "hugetlb.";
    std::set<std::string> sizes;
    for (auto it = l.v.lower_bound(prefix); it != l.v.end() && it->first.rfind(prefix, 0) == 0; ++it) {
        const size_t dot = it->first.find('.', prefix.size());
        if (dot != std::string::npos) sizes.insert(it->first.substr(prefix.size(), dot - prefix.size()));
    }
    ojson out = ojson::object();
    for (const std::string& size : sizes) {
        const std::string p = prefix + size + ".";
        ojson e = ojson::object();
        if (l.get(p + "usage_in_bytes")) {
            put_nonzero(e, "usage", l.value(p + "usage_in_bytes"));
            put_nonzero(e, "max", l.value(p + "max_usage_in_bytes"));
            e["failcnt"] = l.value(p + "failcnt");
        } else if (l.get(p + "current")) {
            put_nonzero(e, "usage", l.value(p + "current"));
            e["failcnt"] = l.value(p + "events.max");
        } else {
            continue;
        }
        out[size] = e;
    }
    return out;
}

}  // namespace

ojson runc_stats_json(const FlatStats& v, bool unified, uint64_t clock_ticks) {
    const Lookup l{v};
    ojson out = ojson::object();
    out["cpu"] = cpu_json(l, unified, clock_ticks);
    out["memory"] = memory_json(l, unified);
    ojson pids = ojson::object();
    put_nonzero(pids, "current", l.value("pids.current"));
    put_nonzero(pids, "limit", l.value("pids.max"));
    out["pids"] = pids;
    // Empty objects when the io and hugetlb plugins report nothing (not
    // loaded, or not wanted by the container), as runc prints them.
    out["blkio"] = blkio_json(l);
    out["hugetlb"] = hugetlb_json(l);
    // No plugin reports these (RDT, network): the shape runc prints when it
    // has nothing to say.
    out["intel_rdt"] = ojson::object();
    out["network_interfaces"] = nullptr;
    return out;
}

ojson runc_event_json(const std::string& type, const std::string& id, const ojson* data) {
    ojson e = ojson::object();
    e["type"] = type;
    e["id"] = id;
    if (data) e["data"] = *data;
    return e;
}

int64_t parse_go_duration(const std::string& text, const std::string& flag) {
    const auto bad = [&]() { return Error(flag + ": invalid duration \"" + text + "\""); };
    size_t i = 0;
    bool negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
    if (text.substr(i) == "0") return 0;
    if (i == text.size()) throw bad();
    static const std::pair<const char*, double> kUnits[] = {{"ns", 1.0},        {"us", 1e3},  {"\xc2\xb5s", 1e3},
                                                            {"\xce\xbcs", 1e3}, {"ms", 1e6},  {"s", 1e9},
                                                            {"m", 60e9},        {"h", 3600e9}};
    double total = 0;
    while (i < text.size()) {
        const size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
        bool digits = i > start;
        if (i < text.size() && text[i] == '.') {
            ++i;
            const size_t frac = i;
            while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
            digits |= i > frac;
        }
        if (!digits) throw bad();
        const double number = std::stod(text.substr(start, i - start));
        const size_t unit_start = i;
        while (i < text.size() && !(text[i] >= '0' && text[i] <= '9') && text[i] != '.') ++i;
        const std::string unit = text.substr(unit_start, i - unit_start);
        double scale = 0;
        for (const auto& [name, ns] : kUnits)
            if (unit == name) scale = ns;
        if (scale == 0) throw bad();
        total += number * scale;
    }
    if (total > static_cast<double>(std::numeric_limits<int64_t>::max())) throw bad();
    // llround by hand (total >= 0; its fraction is exact): llround was the one
    // symbol berth took from libm.so, which every verb then had to load.
    auto ns = static_cast<int64_t>(total);
    if (total - static_cast<double>(ns) >= 0.5) ++ns;
    return negative ? -ns : ns;
}

}  // namespace berth
