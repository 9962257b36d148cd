// The pure parts of process setup: capability names and what is missing.
#include <gtest/gtest.h>
#include <linux/capability.h>

#include "process/process_setup.hpp"

namespace berth {
namespace {

TEST(CapabilityName, Table) {
    EXPECT_EQ(capability_name(CAP_CHOWN), "CAP_CHOWN");
    EXPECT_EQ(capability_name(CAP_SYS_RESOURCE), "CAP_SYS_RESOURCE");
    EXPECT_EQ(capability_name(CAP_NET_BIND_SERVICE), "CAP_NET_BIND_SERVICE");
    EXPECT_EQ(capability_name(63), "capability 63");
    EXPECT_EQ(capability_name(-1), "capability -1");
}

TEST(MissingCapabilities, Table) {
    const uint64_t all_but_sys_resource = ~(uint64_t{1} << CAP_SYS_RESOURCE);
    struct Case {
        std::vector<int> wanted;
        uint64_t have;
        std::vector<std::string> missing;
    } cases[] = {
        {{}, 0, {}},
        {{CAP_KILL, CAP_CHOWN}, ~uint64_t{0}, {}},
        // docker --privileged on a host without CAP_SYS_RESOURCE in the bounding set
        {{CAP_CHOWN, CAP_SYS_RESOURCE, CAP_SYS_ADMIN}, all_but_sys_resource, {"CAP_SYS_RESOURCE"}},
        // effective and permitted are both checked: each name once, in order
        {{CAP_SYS_RESOURCE, CAP_KILL, CAP_SYS_RESOURCE, CAP_CHOWN},
         uint64_t{1} << CAP_KILL,
         {"CAP_SYS_RESOURCE", "CAP_CHOWN"}},
        {{-1, 64, CAP_KILL}, 0, {"CAP_KILL"}},
    };
    for (const auto& c : cases) EXPECT_EQ(missing_capabilities(c.wanted, c.have), c.missing);
}

}  // namespace
}  // namespace berth
