// cgroup-memory: the swap conversion, the v1 write order, validation, and the
// writers against fake cgroupfs trees.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "plugins/cgroup-memory/conversions.hpp"
#include "plugins/cgroup-memory/memory_subsystem.hpp"
#include "fake_cgroup.hpp"

namespace {

using berth::CgroupDir;
using berth::CgroupStats;
using berth::MemoryResources;
using berth::Resources;
using berth::plugins::memory::memory_swap_max;
using berth::plugins::memory::MemorySubsystem;
using berth::plugins::memory::parse_bytes;
using berth::plugins::memory::v2_limit_text;
using berth::plugins::memory::write_memsw_first;

constexpr int64_t kMiB = 1024 * 1024;
constexpr int64_t kGiB = 1024 * kMiB;
// What a fresh v1 memory cgroup reports as "unlimited" on x86-64.
const char* const kV1Unlimited = "9223372036854771712\n";
// A file that reads as a small number but refuses every write: used to make
// one step of a write sequence fail and so expose the order of the steps.
const char* const kUnwritable = "/proc/self/oom_score";

class MemoryFakeCgroup : public FakeCgroup {
protected:
    void offer_unwritable(const std::string& name) {
        if (::access(kUnwritable, R_OK) != 0) GTEST_SKIP() << kUnwritable << " is not available";
        std::filesystem::create_symlink(kUnwritable, root_ + "/" + name);
    }
    void offer_v1(bool swap_accounting = true) {
        offer("memory.limit_in_bytes", kV1Unlimited);
        offer("memory.soft_limit_in_bytes", kV1Unlimited);
        offer("memory.swappiness", "60\n");
        if (swap_accounting) offer("memory.memsw.limit_in_bytes", kV1Unlimited);
    }
    void offer_v2(bool swap = true) {
        offer("memory.max", "max\n");
        offer("memory.low", "0\n");
        if (swap) offer("memory.swap.max", "max\n");
    }
};

Resources memory(std::optional<int64_t> limit, std::optional<int64_t> reservation = std::nullopt,
                 std::optional<int64_t> swap = std::nullopt, std::optional<uint64_t> swappiness = std::nullopt) {
    Resources r;
    r.memory = MemoryResources{limit, reservation, swap, swappiness};
    return r;
}

TEST(MemoryConversion, V2LimitText) {
    EXPECT_EQ(v2_limit_text(-1), "max");
    EXPECT_EQ(v2_limit_text(4096), "4096");
}

TEST(MemoryConversion, SwapMax) {
    struct Case {
        std::optional<int64_t> swap, limit;
        std::optional<std::string> text;
        std::string error;
    };
    const std::string no_limit = "linux.resources.memory.swap: cannot be set without linux.resources.memory.limit";
    const Case cases[] = {
        {std::nullopt, std::nullopt, std::nullopt, ""},
        {0, 0, std::nullopt, ""},
        {std::nullopt, 1000, std::nullopt, ""},
        {0, 1000, std::nullopt, ""},
        {std::nullopt, -1, "max", ""},  // unlimited memory implies unlimited swap
        {0, -1, "max", ""},
        {-1, std::nullopt, "max", ""},
        {-1, 0, "max", ""},
        {-1, -1, "max", ""},
        {-1, 1000, "max", ""},
        {1000, 1000, "0", ""},  // equal: no swap at all
        {500, 200, "300", ""},
        {3 * kGiB, kGiB, std::to_string(2 * kGiB), ""},
        {5000, -1, "5000", ""},  // unlimited memory: swap taken as is
        {-2, std::nullopt, std::nullopt, "linux.resources.memory.swap: invalid value -2"},
        {-2, 1000, std::nullopt, "linux.resources.memory.swap: invalid value -2"},
        {1000, std::nullopt, std::nullopt, no_limit},
        {1000, 0, std::nullopt, no_limit},
        {1000, -2, std::nullopt, "linux.resources.memory.limit: invalid value -2"},
        {300, 500, std::nullopt, "linux.resources.memory.swap: 300 is less than linux.resources.memory.limit 500"},
        {1048576, 2097152, std::nullopt,
         "linux.resources.memory.swap: 1048576 is less than linux.resources.memory.limit 2097152"},
    };
    for (const auto& c : cases) {
        const auto got = memory_swap_max(c.swap, c.limit);
        EXPECT_EQ(got.text, c.text) << "swap " << c.swap.value_or(-99) << " limit " << c.limit.value_or(-99);
        EXPECT_EQ(got.error, c.error) << "swap " << c.swap.value_or(-99) << " limit " << c.limit.value_or(-99);
        EXPECT_EQ(got.ok(), c.error.empty());
    }
}

TEST(MemoryConversion, WriteMemswFirst) {
    struct Case {
        uint64_t current_limit;
        int64_t new_swap;
        bool memsw_first;
    };
    const Case cases[] = {
        {9223372036854771712u, 2 * kGiB, false},  // fresh cgroup: shrink memory first
        {kGiB, 3 * kGiB, true},                   // growth past the current limit
        {2 * kGiB, kGiB, false},                  // shrink
        {kGiB, kGiB, false},                      // equal: limit first is valid
        {kGiB, -1, true},                         // unlimited memsw can always go first
        {0, 1, true},
    };
    for (const auto& c : cases)
        EXPECT_EQ(write_memsw_first(c.current_limit, c.new_swap), c.memsw_first)
            << c.current_limit << " -> swap " << c.new_swap;
}

TEST(MemoryConversion, ParseBytes) {
    EXPECT_EQ(parse_bytes("4096\n"), 4096u);
    EXPECT_EQ(parse_bytes("max\n"), UINT64_MAX);
    EXPECT_EQ(parse_bytes(kV1Unlimited), 9223372036854771712u);
    EXPECT_EQ(parse_bytes(""), std::nullopt);
    EXPECT_EQ(parse_bytes("-1"), std::nullopt);
}

TEST(MemorySubsystemWants, AnyMemoryField) {
    MemorySubsystem sub;
    EXPECT_STREQ(sub.controller(), "memory");
    EXPECT_FALSE(sub.wants(Resources{}));
    EXPECT_FALSE(sub.wants(memory(std::nullopt)));
    EXPECT_TRUE(sub.wants(memory(kGiB)));
    EXPECT_TRUE(sub.wants(memory(std::nullopt, kGiB)));
    EXPECT_TRUE(sub.wants(memory(std::nullopt, std::nullopt, -1)));
    EXPECT_TRUE(sub.wants(memory(std::nullopt, std::nullopt, std::nullopt, 10)));
}

TEST(MemorySubsystemValidate, Rules) {
    MemorySubsystem sub;
    EXPECT_TRUE(sub.validate(Resources{}).ok());
    EXPECT_TRUE(sub.validate(memory(kGiB, kGiB / 2, 2 * kGiB, 100)).ok());
    EXPECT_TRUE(sub.validate(memory(-1, -1, -1, 0)).ok());
    EXPECT_TRUE(sub.validate(memory(kGiB, std::nullopt, kGiB)).ok());
    EXPECT_TRUE(sub.validate(memory(0, 0, 0)).ok());  // 0 is "not set", as in runc

    struct Case {
        Resources r;
        std::string message;
    };
    const Case bad[] = {
        {memory(-2), "linux.resources.memory.limit: invalid value -2 (-1 for unlimited, or a byte count)"},
        {memory(std::nullopt, -5),
         "linux.resources.memory.reservation: invalid value -5 (-1 for unlimited, or a byte count)"},
        {memory(2097152, std::nullopt, 1048576),
         "linux.resources.memory.swap: 1048576 is less than linux.resources.memory.limit 2097152"},
        {memory(std::nullopt, std::nullopt, kGiB),
         "linux.resources.memory.swap: cannot be set without linux.resources.memory.limit"},
        {memory(kGiB, std::nullopt, -3), "linux.resources.memory.swap: invalid value -3"},
        {memory(std::nullopt, std::nullopt, std::nullopt, 101),
         "linux.resources.memory.swappiness: 101 is out of range [0, 100]"},
    };
    for (const auto& c : bad) {
        const auto status = sub.validate(c.r);
        EXPECT_EQ(status.err, EINVAL);
        EXPECT_EQ(status.message, c.message);
    }
}

// ---- cgroup v2 ----

TEST_F(MemoryFakeCgroup, V2WritesAll) {
    offer_v2();
    MemorySubsystem sub;
    ASSERT_TRUE(sub.apply_v2(dir(), memory(kGiB, 256 * kMiB, 3 * kGiB, 60)).ok());
    EXPECT_EQ(content("memory.max"), std::to_string(kGiB));
    EXPECT_EQ(content("memory.low"), std::to_string(256 * kMiB));
    EXPECT_EQ(content("memory.swap.max"), std::to_string(2 * kGiB));
}

TEST_F(MemoryFakeCgroup, V2UnlimitedIsMax) {
    offer("memory.max", "1024\n");
    offer("memory.low", "1024\n");
    offer("memory.swap.max", "1024\n");
    MemorySubsystem sub;
    ASSERT_TRUE(sub.apply_v2(dir(), memory(-1, -1)).ok());
    EXPECT_EQ(content("memory.max"), "max");
    EXPECT_EQ(content("memory.low"), "max");
    EXPECT_EQ(content("memory.swap.max"), "max");  // implied by limit -1
}

TEST_F(MemoryFakeCgroup, V2SwapEqualToLimitDisablesSwap) {
    offer_v2();
    MemorySubsystem sub;
    ASSERT_TRUE(sub.apply_v2(dir(), memory(kGiB, std::nullopt, kGiB)).ok());
    EXPECT_EQ(content("memory.swap.max"), "0");
    EXPECT_EQ(content("memory.max"), std::to_string(kGiB));
}

TEST_F(MemoryFakeCgroup, V2UnsetLeavesFilesUntouched) {
    offer("memory.max", "s-max");
    offer("memory.low", "s-low");
    offer("memory.swap.max", "s-swap");
    MemorySubsystem sub;
    ASSERT_TRUE(sub.apply_v2(dir(), Resources{}).ok());
    ASSERT_TRUE(sub.apply_v2(dir(), memory(std::nullopt)).ok());
    ASSERT_TRUE(sub.apply_v2(dir(), memory(0, 0, 0)).ok());
    // swappiness alone: no v2 file, ignored as runc does.
    ASSERT_TRUE(sub.apply_v2(dir(), memory(std::nullopt, std::nullopt, std::nullopt, 30)).ok());
    EXPECT_EQ(content("memory.max"), "s-max");
    EXPECT_EQ(content("memory.low"), "s-low");
    EXPECT_EQ(content("memory.swap.max"), "s-swap");
}

TEST_F(MemoryFakeCgroup, V2LimitOnlyLeavesSwapUntouched) {
    offer_v2();
    offer("memory.swap.max", "sentinel");
    MemorySubsystem sub;
    ASSERT_TRUE(sub.apply_v2(dir(), memory(kGiB)).ok());
    EXPECT_EQ(content("memory.max"), std::to_string(kGiB));
    EXPECT_EQ(content("memory.swap.max"), "sentinel");
    EXPECT_EQ(content("memory.low"), "0\n");
}

TEST_F(MemoryFakeCgroup, V2WithoutSwapAccounting) {
    offer_v2(/*swap=*/false);
    MemorySubsystem sub;
    // "unlimited" and "no swap" hold already, so they are skipped.
    ASSERT_TRUE(sub.apply_v2(dir(), memory(kGiB, std::nullopt, -1)).ok());
    ASSERT_TRUE(sub.apply_v2(dir(), memory(kGiB, std::nullopt, kGiB)).ok());
    EXPECT_EQ(content("memory.max"), std::to_string(kGiB));
    // A real swap limit cannot be honoured: the error names the file.
    const auto status = sub.apply_v2(dir(), memory(kGiB, std::nullopt, 2 * kGiB));
    EXPECT_EQ(status.err, ENOENT);
    EXPECT_NE(status.message.find(root_ + "/memory.swap.max"), std::string::npos) << status.message;
}

TEST_F(MemoryFakeCgroup, V2BadSwapWritesNothing) {
    offer("memory.max", "s-max");
    offer("memory.swap.max", "s-swap");
    MemorySubsystem sub;
    const auto status = sub.apply_v2(dir(), memory(2 * kGiB, std::nullopt, kGiB));
    EXPECT_EQ(status.err, EINVAL);
    EXPECT_NE(status.message.find("linux.resources.memory.swap"), std::string::npos);
    EXPECT_EQ(content("memory.max"), "s-max");
    EXPECT_EQ(content("memory.swap.max"), "s-swap");
}

// ---- cgroup v1 ----

TEST_F(MemoryFakeCgroup, V1FreshCgroup) {
    offer_v1();
    MemorySubsystem sub;
    ASSERT_TRUE(sub.apply_v1(dir(), memory(kGiB, 512 * kMiB, 2 * kGiB, 10)).ok());
    EXPECT_EQ(content("memory.limit_in_bytes"), std::to_string(kGiB));
    EXPECT_EQ(content("memory.memsw.limit_in_bytes"), std::to_string(2 * kGiB));
    EXPECT_EQ(content("memory.soft_limit_in_bytes"), std::to_string(512 * kMiB));
    EXPECT_EQ(content("memory.swappiness"), "10");
}

TEST_F(MemoryFakeCgroup, V1UnlimitedWritesMinusOne) {
    offer_v1();
    offer("memory.limit_in_bytes", std::to_string(kGiB));
    offer("memory.memsw.limit_in_bytes", std::to_string(kGiB));
    MemorySubsystem sub;
    ASSERT_TRUE(sub.apply_v1(dir(), memory(-1, -1)).ok());
    EXPECT_EQ(content("memory.limit_in_bytes"), "-1");
    EXPECT_EQ(content("memory.memsw.limit_in_bytes"), "-1");  // implied by limit -1
    EXPECT_EQ(content("memory.soft_limit_in_bytes"), "-1");
}

TEST_F(MemoryFakeCgroup, V1UnsetLeavesFilesUntouched) {
    offer("memory.limit_in_bytes", "s1");
    offer("memory.soft_limit_in_bytes", "s2");
    offer("memory.memsw.limit_in_bytes", "s3");
    offer("memory.swappiness", "s4");
    MemorySubsystem sub;
    ASSERT_TRUE(sub.apply_v1(dir(), Resources{}).ok());
    ASSERT_TRUE(sub.apply_v1(dir(), memory(std::nullopt)).ok());
    ASSERT_TRUE(sub.apply_v1(dir(), memory(0, 0, 0)).ok());
    EXPECT_EQ(content("memory.limit_in_bytes"), "s1");
    EXPECT_EQ(content("memory.soft_limit_in_bytes"), "s2");
    EXPECT_EQ(content("memory.memsw.limit_in_bytes"), "s3");
    EXPECT_EQ(content("memory.swappiness"), "s4");
}

TEST_F(MemoryFakeCgroup, V1GrowthFinalContents) {
    offer_v1();
    offer("memory.limit_in_bytes", std::to_string(kGiB));
    offer("memory.memsw.limit_in_bytes", std::to_string(kGiB));
    MemorySubsystem sub;
    ASSERT_TRUE(sub.apply_v1(dir(), memory(2 * kGiB, std::nullopt, 3 * kGiB)).ok());
    EXPECT_EQ(content("memory.limit_in_bytes"), std::to_string(2 * kGiB));
    EXPECT_EQ(content("memory.memsw.limit_in_bytes"), std::to_string(3 * kGiB));
}

TEST_F(MemoryFakeCgroup, V1ShrinkFinalContents) {
    offer_v1();
    offer("memory.limit_in_bytes", std::to_string(2 * kGiB));
    offer("memory.memsw.limit_in_bytes", std::to_string(3 * kGiB));
    MemorySubsystem sub;
    ASSERT_TRUE(sub.apply_v1(dir(), memory(512 * kMiB, std::nullopt, kGiB)).ok());
    EXPECT_EQ(content("memory.limit_in_bytes"), std::to_string(512 * kMiB));
    EXPECT_EQ(content("memory.memsw.limit_in_bytes"), std::to_string(kGiB));
}

// Growth: memsw must be written before the limit. The limit file reads as a
// small number (below the new memsw) but refuses writes, so the memsw write
// must already have happened when the limit write fails.
TEST_F(MemoryFakeCgroup, V1GrowthWritesMemswFirst) {
    offer_unwritable("memory.limit_in_bytes");
    offer("memory.memsw.limit_in_bytes", std::to_string(kGiB));
    MemorySubsystem sub;
    const auto status = sub.apply_v1(dir(), memory(2 * kGiB, std::nullopt, 3 * kGiB));
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.message.find(root_ + "/memory.limit_in_bytes"), std::string::npos) << status.message;
    EXPECT_EQ(content("memory.memsw.limit_in_bytes"), std::to_string(3 * kGiB));
}

// Shrink: the limit must go first; the memsw file refuses writes, so the limit
// must already be written when that fails.
TEST_F(MemoryFakeCgroup, V1ShrinkWritesLimitFirst) {
    offer("memory.limit_in_bytes", std::to_string(2 * kGiB));
    offer_unwritable("memory.memsw.limit_in_bytes");
    MemorySubsystem sub;
    const auto status = sub.apply_v1(dir(), memory(512 * kMiB, std::nullopt, kGiB));
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.message.find(root_ + "/memory.memsw.limit_in_bytes"), std::string::npos) << status.message;
    EXPECT_EQ(content("memory.limit_in_bytes"), std::to_string(512 * kMiB));
}

TEST_F(MemoryFakeCgroup, V1WithoutSwapAccounting) {
    offer_v1(/*swap_accounting=*/false);
    MemorySubsystem sub;
    // Unlimited swap is a no-op without memsw.
    ASSERT_TRUE(sub.apply_v1(dir(), memory(kGiB, std::nullopt, -1)).ok());
    EXPECT_EQ(content("memory.limit_in_bytes"), std::to_string(kGiB));
    ASSERT_TRUE(sub.apply_v1(dir(), memory(-1)).ok());
    EXPECT_EQ(content("memory.limit_in_bytes"), "-1");

    offer("memory.limit_in_bytes", "sentinel");
    const auto status = sub.apply_v1(dir(), memory(kGiB, std::nullopt, 2 * kGiB));
    EXPECT_EQ(status.err, ENOENT);
    EXPECT_NE(status.message.find(root_ + "/memory.memsw.limit_in_bytes"), std::string::npos) << status.message;
    EXPECT_NE(status.message.find("linux.resources.memory.swap"), std::string::npos) << status.message;
    EXPECT_EQ(content("memory.limit_in_bytes"), "sentinel");  // refused before writing anything
}

TEST_F(MemoryFakeCgroup, V1SwappinessOverHundredIsRefused) {
    offer_v1();
    MemorySubsystem sub;
    const auto status = sub.apply_v1(dir(), memory(std::nullopt, std::nullopt, std::nullopt, 101));
    EXPECT_EQ(status.err, EINVAL);
    EXPECT_NE(status.message.find("linux.resources.memory.swappiness"), std::string::npos);
    EXPECT_EQ(content("memory.swappiness"), "60\n");
}

// ---- fields outside the SDK's model: disableOOMKiller, useHierarchy, kernelTCP ----

TEST(MemoryOptions, WantsAndValidate) {
    MemorySubsystem sub;
    EXPECT_TRUE(sub.wants(with_json(R"({"memory":{"disableOOMKiller":true}})")));
    EXPECT_TRUE(sub.wants(with_json(R"({"memory":{"useHierarchy":true}})")));
    EXPECT_TRUE(sub.wants(with_json(R"({"memory":{"useHierarchy":false}})")));
    EXPECT_FALSE(sub.wants(with_json(R"({"memory":{"disableOOMKiller":false}})")));
    EXPECT_FALSE(sub.wants(with_json(R"({"memory":{"kernel":1048576}})")));    // ignored with a warning, as runc 1.1
    EXPECT_TRUE(sub.wants(with_json(R"({"memory":{"kernelTCP":1048576}})")));  // v1 memory.kmem.tcp, as crun
    EXPECT_FALSE(sub.wants(with_json(R"({"memory":{"kernelTCP":0}})")));
    EXPECT_TRUE(sub.validate(with_json(R"({"memory":{"disableOOMKiller":true,"useHierarchy":true}})")).ok());
    // Their types are the host's to refuse (spec_test's table).
}

TEST_F(MemoryFakeCgroup, V1DisableOomKillerAndUseHierarchy) {
    offer_v1();
    offer("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
    offer("memory.use_hierarchy", "1\n");
    MemorySubsystem sub;
    ASSERT_TRUE(
        sub.apply_v1(dir(), with_json(R"({"memory":{"limit":1073741824,"disableOOMKiller":true,"useHierarchy":true}})"))
            .ok());
    EXPECT_EQ(content("memory.oom_control"), "1");
    EXPECT_EQ(content("memory.use_hierarchy"), "1");
    EXPECT_EQ(content("memory.limit_in_bytes"), std::to_string(kGiB));
    // Without a limit they are still written.
    offer("memory.oom_control", "x");
    ASSERT_TRUE(sub.apply_v1(dir(), with_json(R"({"memory":{"disableOOMKiller":true}})")).ok());
    EXPECT_EQ(content("memory.oom_control"), "1");
}

TEST_F(MemoryFakeCgroup, V1KernelTcpLimit) {
    offer_v1();
    offer("memory.kmem.tcp.limit_in_bytes", "9223372036854771712\n");
    MemorySubsystem sub;
    ASSERT_TRUE(sub.apply_v1(dir(), with_json(R"({"memory":{"kernelTCP":16777216}})")).ok());
    EXPECT_EQ(content("memory.kmem.tcp.limit_in_bytes"), "16777216");
    ASSERT_TRUE(sub.apply_v1(dir(), with_json(R"({"memory":{"kernelTCP":-1}})")).ok());
    EXPECT_EQ(content("memory.kmem.tcp.limit_in_bytes"), "-1");
}

TEST_F(MemoryFakeCgroup, V1OptionsUnsetLeaveFilesUntouched) {
    offer("memory.oom_control", "s1");
    offer("memory.use_hierarchy", "s2");
    MemorySubsystem sub;
    ASSERT_TRUE(sub.apply_v1(dir(), with_json(R"({"memory":{"disableOOMKiller":false,"useHierarchy":null}})")).ok());
    EXPECT_EQ(content("memory.oom_control"), "s1");
    EXPECT_EQ(content("memory.use_hierarchy"), "s2");
}

TEST_F(MemoryFakeCgroup, V1OptionFailureNamesField) {
    MemorySubsystem sub;  // no files: the kernel offers neither
    auto status = sub.apply_v1(dir(), with_json(R"({"memory":{"disableOOMKiller":true}})"));
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.message.find(root_ + "/memory.oom_control"), std::string::npos) << status.message;
    EXPECT_NE(status.message.find("linux.resources.memory.disableOOMKiller"), std::string::npos) << status.message;
    status = sub.apply_v1(dir(), with_json(R"({"memory":{"useHierarchy":false}})"));
    EXPECT_NE(status.message.find("linux.resources.memory.useHierarchy"), std::string::npos) << status.message;
}

TEST_F(MemoryFakeCgroup, V2RefusesWhatItCannotHonour) {
    offer_v2();
    MemorySubsystem sub;
    auto status = sub.apply_v2(dir(), with_json(R"({"memory":{"disableOOMKiller":true}})"));
    EXPECT_EQ(status.err, EINVAL);
    EXPECT_EQ(status.message.rfind("linux.resources.memory.disableOOMKiller: cgroup v2 has no way", 0), 0u)
        << status.message;
    status = sub.apply_v2(dir(), with_json(R"({"memory":{"useHierarchy":false}})"));
    EXPECT_EQ(status.err, EINVAL);
    EXPECT_EQ(status.message.rfind("linux.resources.memory.useHierarchy: false cannot be honoured", 0), 0u)
        << status.message;
    status = sub.apply_v2(dir(), with_json(R"({"memory":{"kernelTCP":16777216}})"));
    EXPECT_EQ(status.err, EINVAL);
    EXPECT_EQ(status.message.rfind("linux.resources.memory.kernelTCP: cgroup v2 has no separate TCP", 0), 0u)
        << status.message;
    // Refused before anything is written.
    EXPECT_FALSE(sub.apply_v2(dir(), with_json(R"({"memory":{"limit":1073741824,"disableOOMKiller":true}})")).ok());
    EXPECT_EQ(content("memory.max"), "max\n");
    // useHierarchy true is v2's only mode; swappiness has no v2 file (ignored, as runc).
    ASSERT_TRUE(sub.apply_v2(dir(), with_json(R"({"memory":{"limit":1073741824,"useHierarchy":true,)"
                                              R"("disableOOMKiller":false,"swappiness":10}})"))
                    .ok());
    EXPECT_EQ(content("memory.max"), std::to_string(kGiB));
}

TEST_F(MemoryFakeCgroup, StatsV2) {
    offer("memory.current", "4096\n");
    offer("memory.max", "max\n");
    offer("memory.swap.current", "0\n");
    offer("memory.swap.max", "max\n");
    offer("memory.stat", "anon 1024\nfile 2048\n");
    offer("memory.events", "low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\n");
    MemorySubsystem sub;
    CgroupStats stats;
    ASSERT_TRUE(sub.stats(dir(), true, &stats).ok());
    const std::vector<std::pair<std::string, uint64_t>> want = {
        {"memory.current", 4096},        {"memory.max", UINT64_MAX},   {"memory.swap.current", 0},
        {"memory.swap.max", UINT64_MAX}, {"memory.stat.anon", 1024},   {"memory.stat.file", 2048},
        {"memory.events.low", 0},        {"memory.events.high", 0},    {"memory.events.max", 7},
        {"memory.events.oom", 2},        {"memory.events.oom_kill", 1}};
    EXPECT_EQ(stats.values, want);
}

// Swap accounting off, no stat files: only the required counters.
TEST_F(MemoryFakeCgroup, StatsV2Minimal) {
    offer("memory.current", "4096\n");
    offer("memory.max", "1048576\n");
    MemorySubsystem sub;
    CgroupStats stats;
    ASSERT_TRUE(sub.stats(dir(), true, &stats).ok());
    ASSERT_EQ(stats.values.size(), 2u);
    EXPECT_EQ(stats.values[1], (std::pair<std::string, uint64_t>{"memory.max", 1048576}));
}

TEST_F(MemoryFakeCgroup, StatsV1) {
    offer("memory.usage_in_bytes", "8192\n");
    offer("memory.limit_in_bytes", "1073741824\n");
    offer("memory.max_usage_in_bytes", "16384\n");
    offer("memory.failcnt", "3\n");
    offer("memory.memsw.usage_in_bytes", "8192\n");
    offer("memory.memsw.limit_in_bytes", kV1Unlimited);
    offer("memory.stat", "cache 4096\nrss 4096\n");
    offer("memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
    MemorySubsystem sub;
    CgroupStats stats;
    ASSERT_TRUE(sub.stats(dir(), false, &stats).ok());
    const std::vector<std::pair<std::string, uint64_t>> want = {{"memory.usage_in_bytes", 8192},
                                                                {"memory.limit_in_bytes", 1073741824},
                                                                {"memory.max_usage_in_bytes", 16384},
                                                                {"memory.failcnt", 3},
                                                                {"memory.memsw.usage_in_bytes", 8192},
                                                                {"memory.memsw.limit_in_bytes", 9223372036854771712ull},
                                                                {"memory.stat.cache", 4096},
                                                                {"memory.stat.rss", 4096},
                                                                {"memory.oom_control.oom_kill_disable", 0},
                                                                {"memory.oom_control.under_oom", 0},
                                                                {"memory.oom_control.oom_kill", 2}};
    EXPECT_EQ(stats.values, want);
}

// v2 without the memory controller enabled for the directory: no files.
TEST_F(MemoryFakeCgroup, StatsV2ControllerNotEnabled) {
    offer("cpu.stat", "usage_usec 1\n");
    MemorySubsystem sub;
    CgroupStats stats;
    ASSERT_TRUE(sub.stats(dir(), true, &stats).ok());
    EXPECT_TRUE(stats.values.empty());
}

TEST_F(MemoryFakeCgroup, StatsMissingFileIsNamed) {
    MemorySubsystem sub;
    CgroupStats stats;
    auto status = sub.stats(dir(), false, &stats);
    EXPECT_EQ(status.err, ENOENT);
    EXPECT_NE(status.message.find(root_ + "/memory.usage_in_bytes"), std::string::npos) << status.message;
    offer("memory.current", "1\n");
    status = sub.stats(dir(), true, &stats);
    EXPECT_EQ(status.err, ENOENT);
    EXPECT_NE(status.message.find(root_ + "/memory.max"), std::string::npos) << status.message;
    offer("memory.usage_in_bytes", "1\n");
    status = sub.stats(dir(), false, &stats);
    EXPECT_EQ(status.err, ENOENT);
    EXPECT_NE(status.message.find(root_ + "/memory.limit_in_bytes"), std::string::npos) << status.message;
}

TEST_F(MemoryFakeCgroup, StatsBadStatLineNamesFile) {
    offer("memory.current", "1\n");
    offer("memory.max", "max\n");
    offer("memory.stat", "anon lots\n");
    MemorySubsystem sub;
    CgroupStats stats;
    const auto status = sub.stats(dir(), true, &stats);
    EXPECT_EQ(status.err, EINVAL);
    EXPECT_NE(status.message.find(root_ + "/memory.stat"), std::string::npos) << status.message;
}

}  // namespace
