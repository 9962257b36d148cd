// The pure conversions of core/process/kernel_policies: CPU and node lists
// as the kernel's masks.
#include "process/kernel_policies.hpp"

#include <gtest/gtest.h>

#include "error_of.hpp"

namespace berth {
namespace {

TEST(KernelPolicies, IdLists) {
    EXPECT_EQ(parse_id_list("0", "f", 7), (std::vector<unsigned>{0}));
    EXPECT_EQ(parse_id_list("0-2,5", "f", 7), (std::vector<unsigned>{0, 1, 2, 5}));
    EXPECT_EQ(parse_id_list("3,3", "f", 7), (std::vector<unsigned>{3, 3}));
    EXPECT_EQ(parse_id_list("0, 2-3", "f", 7), (std::vector<unsigned>{0, 2, 3}));  // the schema allows spaces
    for (const char* bad : {"", " ", ",", "1,", "a", "1-", "-1", "2-1", "8"}) {
        SCOPED_TRACE(bad);
        EXPECT_THROW(parse_id_list(bad, "f", 7), Error);
    }
}

TEST(KernelPolicies, NodeMaskIsOneBitANode) {
    EXPECT_EQ(node_mask_of("0", "f"), (std::vector<unsigned long>{1}));
    EXPECT_EQ(node_mask_of("0,2-3", "f"), (std::vector<unsigned long>{0b1101}));
    const std::vector<unsigned long> high = node_mask_of("64", "f");
    ASSERT_EQ(high.size(), 2u);
    EXPECT_EQ(high[0], 0u);
    EXPECT_EQ(high[1], 1u);
}

TEST(KernelPolicies, CpuSet) {
    const cpu_set_t set = cpu_set_of("1,3", "f");
    EXPECT_EQ(CPU_COUNT(&set), 2);
    EXPECT_TRUE(CPU_ISSET(1, &set));
    EXPECT_TRUE(CPU_ISSET(3, &set));
}

}  // namespace
}  // namespace berth
