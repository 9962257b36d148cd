// The OCI `linux.resources` object as the host parses and validates it before
// handing it to cgroup plugins: types, signs and ranges are checked, with
// errors naming the field. Unset fields are std::nullopt (or empty) and must
// never be written. Since ABI 1.4 every field of the runtime-spec is here;
// `json` stays for plugins built against older headers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth {

struct MemoryResources {
    std::optional<int64_t> limit;        // bytes; -1 means unlimited
    std::optional<int64_t> reservation;  // bytes; soft limit (v1) / memory.low (v2)
    std::optional<int64_t> swap;         // bytes of memory+swap, as in the spec; -1 unlimited
    std::optional<uint64_t> swappiness;  // v1 only
};

struct CpuResources {
    std::optional<uint64_t> shares;  // v1 cpu.shares; converted to cpu.weight on v2
    std::optional<int64_t> quota;    // microseconds per period; -1 means unlimited
    std::optional<uint64_t> period;  // microseconds
};

struct PidsResources {
    std::optional<int64_t> limit;  // 0 or -1 means unlimited
};

// ABI 1.4: the fields of linux.resources the structs above do not model.
// They are structs of their own because the ones above cross the ABI and can
// not grow in the middle of `Resources`.

// linux.resources.cpu's fields beyond CpuResources. As there, 0 asks for
// nothing (runc and docker send zeros for what they leave alone).
struct CpuExtras {
    std::optional<int64_t> realtime_runtime;  // microseconds per period, >= -1 (-1: no limit)
    std::optional<uint64_t> realtime_period;  // microseconds
    std::optional<int64_t> idle;              // cpu.idle; the kernel takes 0 or 1
    std::optional<uint64_t> burst;            // microseconds
};

// linux.resources.cpu.cpus and .mems: the cpuset controller's lists, the
// strings as given ("0-2,4"; their syntax is the cpuset plugin's to check).
// "" asks for nothing.
struct CpusetResources {
    std::optional<std::string> cpus;
    std::optional<std::string> mems;
};

// linux.resources.memory's fields beyond MemoryResources.
struct MemoryExtras {
    std::optional<int64_t> kernel;      // deprecated kernel memory limit, >= -1; never applied
    std::optional<int64_t> kernel_tcp;  // v1 memory.kmem.tcp limit, >= -1; 0 asks for nothing
    std::optional<bool> disable_oom_killer;
    std::optional<bool> use_hierarchy;
    std::optional<bool> check_before_update;
};

// One entry of linux.resources.devices, validated as runc 1.1 does: type
// 'a', 'b' or 'c' ('a' when absent), major and minor -1 (any, also when
// absent or null) or 0..4294967295, access a non-empty combination of r, w
// and m without repeats.
struct DeviceCgroupRule {
    bool allow = false;
    char type = 'a';
    int64_t major = -1;
    int64_t minor = -1;
    std::string access;
};

// linux.resources.blockIO. Weights are 10-1000; 0 (docker's default), like
// absent, is nullopt, and a weightDevice entry with neither weight is left
// out, so that empty() is the one answer to "does blockIO ask for anything".
struct BlockIoWeightDevice {
    int64_t major = 0, minor = 0;  // 0..4294967295
    std::optional<uint16_t> weight, leaf_weight;
};
struct BlockIoThrottleDevice {
    int64_t major = 0, minor = 0;  // 0..4294967295
    uint64_t rate = 0;             // bytes or operations per second
};
struct BlockIoResources {
    std::optional<uint16_t> weight, leaf_weight;
    std::vector<BlockIoWeightDevice> weight_device;
    std::vector<BlockIoThrottleDevice> throttle_read_bps_device;
    std::vector<BlockIoThrottleDevice> throttle_write_bps_device;
    std::vector<BlockIoThrottleDevice> throttle_read_iops_device;
    std::vector<BlockIoThrottleDevice> throttle_write_iops_device;

    bool empty() const {
        return !weight && !leaf_weight && weight_device.empty() && throttle_read_bps_device.empty() &&
               throttle_write_bps_device.empty() && throttle_read_iops_device.empty() &&
               throttle_write_iops_device.empty();
    }
};

// One entry of linux.resources.hugepageLimits; the page size as given ("2MB":
// whether the host has it is the hugetlb plugin's to check).
struct HugepageLimit {
    std::string page_size;
    uint64_t limit = 0;  // bytes
};

// linux.resources.network (net_cls and net_prio, cgroup v1 only).
struct NetworkPriority {
    std::string name;  // an interface name: 1 to 15 bytes, no whitespace, '/' or ':'
    uint32_t priority = 0;
};
struct NetworkResources {
    std::optional<uint32_t> class_id;
    std::vector<NetworkPriority> priorities;
};

// One device's entry of linux.resources.rdma.
struct RdmaLimit {
    std::optional<uint32_t> hca_handles;
    std::optional<uint32_t> hca_objects;
};

struct Resources {
    std::optional<MemoryResources> memory;
    std::optional<CpuResources> cpu;
    std::optional<PidsResources> pids;
    // The whole `linux.resources` object as JSON text ("{}" when absent).
    std::string json = "{}";

    // ABI 1.2 (members are only ever added here, at the end: the host makes
    // Resources and a plugin built against older headers reads the members
    // it knows, at the same offsets).

    // linux.resources.unified: cgroup v2 file name -> value, the string
    // entries as given. The host writes them (after the plugins' files) and
    // has checked that each key's controller is served; a plugin reads its
    // own controller's keys for its unit properties.
    std::map<std::string, std::string> unified;

    // ABI 1.4: the rest of linux.resources (the structs above).
    std::optional<CpuExtras> cpu_extras;        // with linux.resources.cpu
    std::optional<CpusetResources> cpuset;      // with linux.resources.cpu, when it has cpus or mems
    std::optional<MemoryExtras> memory_extras;  // with linux.resources.memory
    std::vector<DeviceCgroupRule> devices;
    std::optional<BlockIoResources> block_io;  // only when it asks for something (!empty())
    std::vector<HugepageLimit> hugepage_limits;
    // Set when linux.resources.network is an object with members, even ones
    // that ask for nothing: the plugin that serves it is then wanted.
    std::optional<NetworkResources> network;
    // Device name -> limits, every device given (one with neither value asks
    // for nothing). A name is a non-empty word: it is written into rdma.max.
    std::map<std::string, RdmaLimit> rdma;
};

}  // namespace berth
