// cgroup-rdma: parsing and validation naming the field, the rdma.max lines,
// and the writer against a fake cgroupfs tree.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "plugins/cgroup-rdma/rdma_limits.hpp"
#include "plugins/cgroup-rdma/rdma_subsystem.hpp"
#include "fake_cgroup.hpp"

namespace {

using berth::CgroupDir;
using berth::CgroupStats;
using berth::Resources;
using namespace berth::plugins::rdma;

TEST(RdmaLimits, Lines) {
    using berth::RdmaLimit;
    EXPECT_EQ(rdma_max_line("mlx5_1", RdmaLimit{3, 10000}), "mlx5_1 hca_handle=3 hca_object=10000");
    EXPECT_EQ(rdma_max_line("mlx4_0", RdmaLimit{std::nullopt, 5}), "mlx4_0 hca_object=5");
    EXPECT_EQ(rdma_max_line("mlx4_0", RdmaLimit{0, std::nullopt}), "mlx4_0 hca_handle=0");
    EXPECT_EQ(rdma_max_line("mlx4_0", RdmaLimit{}), std::nullopt) << "a device with no value is left out";
}

TEST(RdmaLimits, HostParsesAndNamesTheField) {
    const Resources r = with_json(R"({"rdma":{"mlx5_1":{"hcaHandles":3,"hcaObjects":10000},"mlx4_0":{}}})");
    ASSERT_EQ(r.rdma.size(), 2u);
    EXPECT_EQ(r.rdma.at("mlx5_1").hca_handles, 3u);
    EXPECT_EQ(r.rdma.at("mlx5_1").hca_objects, 10000u);
    EXPECT_FALSE(r.rdma.at("mlx4_0").hca_handles);
    AsPlugin<RdmaSubsystem> s;
    EXPECT_STREQ(s.controller(), "rdma");
    EXPECT_FALSE(s.wants(with_json("{}")));
    EXPECT_FALSE(s.wants(with_json(R"({"rdma":{}})")));
    EXPECT_TRUE(s.wants(with_json(R"({"rdma":{"mlx5_1":{"hcaHandles":3}}})")));
    struct Case {
        const char* json;
        const char* message;
    };
    const Case cases[] = {
        {R"({"rdma":[]})", "linux.resources.rdma: must be an object, not an array"},
        {R"({"rdma":{"mlx5_1":3}})", "linux.resources.rdma.mlx5_1: must be an object, not a number"},
        {R"({"rdma":{"a b":{"hcaHandles":1}}})", "linux.resources.rdma: \"a b\" is not an RDMA device name"},
        {R"({"rdma":{"mlx\nx":{"hcaHandles":1}}})", "linux.resources.rdma: \"mlx\nx\" is not an RDMA device name"},
        {R"({"rdma":{"mlx5_1":{"hcaHandles":-1}}})", "linux.resources.rdma.mlx5_1.hcaHandles: must not be negative"},
        {R"({"rdma":{"mlx5_1":{"hcaObjects":4294967296}}})", "linux.resources.rdma.mlx5_1.hcaObjects: is out of range"},
        {R"({"rdma":{"mlx5_1":{"handles":1}}})",
         "linux.resources.rdma.mlx5_1.handles: unknown field (known: hcaHandles, hcaObjects)"},
    };
    for (const auto& c : cases) EXPECT_EQ(host_error(c.json), c.message) << c.json;
}

class RdmaFakeCgroup : public FakeCgroup {};

TEST_F(RdmaFakeCgroup, WritesAndReads) {
    AsPlugin<RdmaSubsystem> s;
    const CgroupDir dir(root_);
    auto st = s.apply_v2(dir, with_json(R"({"rdma":{"mlx5_1":{"hcaHandles":3}}})"));
    EXPECT_EQ(st.err, ENOENT);
    EXPECT_NE(st.message.find(root_ + "/rdma.max"), std::string::npos) << st.message;
    std::ofstream(root_ + "/rdma.max") << "";
    ASSERT_TRUE(s.apply_v1(dir, with_json(R"({"rdma":{"mlx5_1":{"hcaHandles":3,"hcaObjects":7}}})")).ok());
    EXPECT_EQ(content("rdma.max"), "mlx5_1 hca_handle=3 hca_object=7");
    CgroupStats none;
    ASSERT_TRUE(s.stats(dir, true, &none).ok());
    EXPECT_TRUE(none.values.empty());
    std::ofstream(root_ + "/rdma.current") << "mlx5_1 hca_handle=2 hca_object=max\n";
    CgroupStats st2;
    ASSERT_TRUE(s.stats(dir, false, &st2).ok());
    EXPECT_EQ(st2.values, (std::vector<std::pair<std::string, uint64_t>>{{"rdma.current.mlx5_1.hca_handle", 2}}));
}

}  // namespace
