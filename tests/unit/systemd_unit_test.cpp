// The systemd cgroup driver's pure part: cgroupsPath "slice:prefix:name" →
// unit, slice and cgroup directory; linux.resources → unit properties, as
// the in-tree plugins yield them.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cgroups/systemd/systemd_unit.hpp"
#include "errors/error.hpp"
#include "fake_cgroup.hpp"  // AsPlugin
#include "plugins/cgroup-cpu/cpu_subsystem.hpp"
#include "plugins/cgroup-cpuset/cpuset_subsystem.hpp"
#include "plugins/cgroup-memory/memory_subsystem.hpp"
#include "plugins/cgroup-pids/pids_subsystem.hpp"
#include "spec/spec.hpp"

namespace {

using berth::Resources;
using berth::systemd::Property;
namespace sd = berth::systemd;

constexpr uint64_t kInf = std::numeric_limits<uint64_t>::max();

std::string error_of(auto&& fn) {
    try {
        fn();
    } catch (const berth::Error& e) {
        return e.what();
    }
    return "";
}

TEST(SystemdSlice, Expands) {
    struct Case {
        const char* in;
        const char* out;
    };
    for (const Case& c : std::vector<Case>{
             {"system.slice", "/system.slice"},
             {"-.slice", "/"},
             {"a-b.slice", "/a.slice/a-b.slice"},
             {"a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice"},
             {"user-1000.slice", "/user.slice/user-1000.slice"},
             {"machine.slice", "/machine.slice"},
         })
        EXPECT_EQ(sd::expand_slice(c.in), c.out) << c.in;
}

TEST(SystemdSlice, RefusesWhatSystemdWould) {
    for (const char* bad : {"system", ".slice", "a/b.slice", "a--b.slice", "-a.slice", "a-.slice", "a b.slice", ""}) {
        std::string e = error_of([&] { sd::expand_slice(bad); });
        EXPECT_NE(e.find("linux.cgroupsPath"), std::string::npos) << bad << ": " << e;
    }
}

TEST(SystemdCgroupsPath, Parses) {
    struct Case {
        const char* path;
        const char* slice;
        const char* unit;
        const char* cgroup;
    };
    for (const Case& c : std::vector<Case>{
             {"system.slice:berth:c1", "system.slice", "berth-c1.scope", "/system.slice/berth-c1.scope"},
             {"system.slice:docker:abc", "system.slice", "docker-abc.scope", "/system.slice/docker-abc.scope"},
             {":berth:c1", "system.slice", "berth-c1.scope", "/system.slice/berth-c1.scope"},
             {"", "system.slice", "berth-id0.scope", "/system.slice/berth-id0.scope"},
             {"system.slice::c1", "system.slice", "c1.scope", "/system.slice/c1.scope"},
             {"kubepods-burstable.slice:cri-containerd:0123", "kubepods-burstable.slice", "cri-containerd-0123.scope",
              "/kubepods.slice/kubepods-burstable.slice/cri-containerd-0123.scope"},
             {"-.slice:p:n", "-.slice", "p-n.scope", "/p-n.scope"},
         }) {
        auto p = sd::parse_cgroups_path(c.path, "id0");
        EXPECT_EQ(p.slice, c.slice) << c.path;
        EXPECT_EQ(p.unit, c.unit) << c.path;
        EXPECT_EQ(p.cgroup, c.cgroup) << c.path;
    }
}

TEST(SystemdCgroupsPath, ErrorsNameTheField) {
    for (const char* bad :
         {"/berth/c1", "a:b", "a:b:c:d", "system.slice:berth:", "system:berth:c1", "system.slice:be/rth:c1",
          "system.slice:berth:c 1", "a.slice:x:b.slice", "machine.slice:x:machine-pod.slice"}) {
        std::string e = error_of([&] { sd::parse_cgroups_path(bad, "c1"); });
        EXPECT_EQ(e.rfind("linux.cgroupsPath: ", 0), 0u) << bad << ": " << e;
    }
}

// The properties come from the plugins (CgroupSubsystem::unit_properties),
// asked through the adapter BERTH_CGROUP_PLUGIN makes, in this order.
struct Plugins {
    AsPlugin<berth::plugins::cpu::CpuSubsystem> cpu;
    AsPlugin<berth::plugins::memory::MemorySubsystem> memory;
    AsPlugin<berth::plugins::pids::PidsSubsystem> pids;
    AsPlugin<berth::plugins::cpuset::CpusetSubsystem> cpuset;
    std::vector<berth::CgroupSubsystem*> all() { return {&cpu, &memory, &pids, &cpuset}; }
};

std::vector<Property> properties(const Resources& r) {
    Plugins p;
    return sd::resource_properties(p.all(), r);
}

// As create and update parse it (unified entries included).
Resources with(const std::string& json) {
    return berth::spec::parse_resources_json(nlohmann::json::parse(json), "linux.resources");
}

// unified keys systemd has a property for become that property, over the
// structured value; the others are left to the files.
TEST(SystemdProperties, FromUnified) {
    Resources r = with(R"({"unified":{"memory.high":"33554432","memory.max":"max","memory.min":"1024","pids.max":"7",)"
                       R"("cpu.weight":"300","cpu.max":"25000 50000","cpuset.cpus":"0-1","io.weight":"50"}})");
    r.pids = berth::PidsResources{};
    r.pids->limit = 5;
    EXPECT_EQ(properties(r), (std::vector<Property>{
                                 {"CPUWeight", uint64_t{300}},
                                 {"CPUQuotaPeriodUSec", uint64_t{50000}},
                                 {"CPUQuotaPerSecUSec", uint64_t{500000}},
                                 {"MemoryMin", uint64_t{1024}},
                                 {"MemoryHigh", uint64_t{33554432}},
                                 {"MemoryMax", kInf},
                                 {"TasksMax", uint64_t{7}},  // pids.limit's, replaced
                                 {"AllowedCPUs", std::vector<uint8_t>{0x03}},
                             }));
    EXPECT_EQ(properties(with(R"({"unified":{"cpu.max":"max"}})")),
              (std::vector<Property>{{"CPUQuotaPerSecUSec", kInf}}));
    for (const char* bad : {R"({"unified":{"pids.max":"-1"}})", R"({"unified":{"cpu.max":"10000 max"}})",
                            R"({"unified":{"cpuset.cpus":"x"}})"}) {
        std::string e = error_of([&] { properties(with(bad)); });
        EXPECT_EQ(e.rfind("linux.resources.unified[\"", 0), 0u) << bad << ": " << e;
    }
}

TEST(SystemdProperties, FromResources) {
    EXPECT_TRUE(properties(Resources{}).empty());

    Resources r = with(R"({"cpu":{"cpus":"0-1","mems":"0"}})");
    r.memory = berth::MemoryResources{};
    r.memory->limit = 64 << 20;
    r.memory->reservation = 32 << 20;
    r.memory->swap = 96 << 20;
    r.cpu = berth::CpuResources{};
    r.cpu->shares = 1024;
    r.cpu->quota = 50000;
    r.cpu->period = 100000;
    r.pids = berth::PidsResources{};
    r.pids->limit = 42;
    EXPECT_EQ(properties(r), (std::vector<Property>{
                                 {"CPUWeight", uint64_t{100}},
                                 {"CPUQuotaPeriodUSec", uint64_t{100000}},
                                 {"CPUQuotaPerSecUSec", uint64_t{500000}},
                                 {"MemoryMax", uint64_t{64 << 20}},
                                 {"MemoryLow", uint64_t{32 << 20}},
                                 {"MemorySwapMax", uint64_t{32 << 20}},
                                 {"TasksMax", uint64_t{42}},
                                 {"AllowedCPUs", std::vector<uint8_t>{0x03}},
                                 {"AllowedMemoryNodes", std::vector<uint8_t>{0x01}},
                             }));
}

TEST(SystemdProperties, UnlimitedAndRounding) {
    Resources r;
    r.memory = berth::MemoryResources{};
    r.memory->limit = -1;
    r.memory->swap = -1;
    r.cpu = berth::CpuResources{};
    r.cpu->quota = 12345;  // per period 100000: 123450 us/s, systemd keeps 10 ms steps
    r.pids = berth::PidsResources{};
    r.pids->limit = -1;
    EXPECT_EQ(properties(r), (std::vector<Property>{
                                 {"CPUQuotaPerSecUSec", uint64_t{130000}},
                                 {"MemoryMax", kInf},
                                 {"MemorySwapMax", kInf},
                                 {"TasksMax", kInf},
                             }));
    // A period alone: no quota (infinity) with that period; pids 0 is unset.
    Resources p;
    p.cpu = berth::CpuResources{};
    p.cpu->period = 50000;
    p.pids = berth::PidsResources{};
    p.pids->limit = 0;
    EXPECT_EQ(properties(p), (std::vector<Property>{
                                 {"CPUQuotaPeriodUSec", uint64_t{50000}},
                                 {"CPUQuotaPerSecUSec", kInf},
                             }));
    EXPECT_NE(error_of([&] { properties(with(R"({"cpu":{"cpus":"x"}})")); }).find("linux.resources.cpu.cpus"),
              std::string::npos);
}

// A plugin's refusal stops the driver with the plugin's message; a plugin
// without unit properties (the adapter's default) adds none.
TEST(SystemdProperties, PluginRefusalAndDefault) {
    Resources r;
    r.memory = berth::MemoryResources{};
    r.memory->swap = 100;  // swap without a limit: the memory plugin refuses it
    EXPECT_EQ(error_of([&] { properties(r); }),
              "linux.resources.memory.swap: cannot be set without linux.resources.memory.limit");
}

}  // namespace
