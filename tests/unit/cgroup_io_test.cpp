// cgroup-io: blockIO parsing and validation naming the field, the weight
// conversion, and the v1/v2 writers against fake cgroupfs trees.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "plugins/cgroup-io/block_io.hpp"
#include "plugins/cgroup-io/io_subsystem.hpp"
#include "fake_cgroup.hpp"

namespace {

using berth::CgroupDir;
using berth::CgroupStats;
using berth::Resources;
using namespace berth::plugins::io;

class IoFakeCgroup : public FakeCgroup {};

TEST(IoConversion, BlkioWeightToIoWeight) {
    const std::pair<uint64_t, uint64_t> cases[] = {{0, 0}, {10, 1}, {100, 910}, {500, 4950}, {1000, 10000}, {11, 11}};
    for (auto [in, out] : cases) EXPECT_EQ(blkio_weight_to_io_weight(in), out) << in;
}

TEST(IoConversion, Lines) {
    EXPECT_EQ(device_line(8, 0, 1048576), "8:0 1048576");
    EXPECT_EQ(io_max_line(Throttle::ReadBps, {8, 16, 100}), "8:16 rbps=100");
    EXPECT_EQ(io_max_line(Throttle::WriteIops, {253, 0, 7}), "253:0 wiops=7");
    EXPECT_STREQ(v1_throttle_file(Throttle::ReadIops), "blkio.throttle.read_iops_device");
}

TEST(IoParse, WantsOnlyWhatAsksForSomething) {
    IoSubsystem s;
    EXPECT_STREQ(s.controller(), "io");
    EXPECT_STREQ(s.v1_controller(), "blkio");
    EXPECT_FALSE(s.wants(with_json("{}")));
    EXPECT_FALSE(s.wants(with_json(R"({"blockIO":{"weight":0}})"))) << "docker's default";
    EXPECT_FALSE(s.wants(with_json(R"({"blockIO":{"weightDevice":[{"major":8,"minor":0,"weight":0}]}})")));
    EXPECT_TRUE(s.wants(with_json(R"({"blockIO":{"weight":500}})")));
    EXPECT_TRUE(s.wants(with_json(R"({"blockIO":{"throttleReadBpsDevice":[{"major":8,"minor":0,"rate":0}]}})")));
    EXPECT_EQ(host_error(R"({"blockIO":{"weight":5}})"),
              "linux.resources.blockIO.weight: 5 is outside [10, 1000] (0 or absent: unset)");
}

// The host parses blockIO for the plugin; its refusals name the field.
TEST(IoParse, HostNamesTheField) {
    IoSubsystem s;
    EXPECT_TRUE(s.validate(with_json(R"({"blockIO":{"weight":10,"leafWeight":1000,
        "weightDevice":[{"major":8,"minor":0,"weight":100}],
        "throttleWriteIOPSDevice":[{"major":8,"minor":0,"rate":10}]}})"))
                    .ok());
    struct Case {
        const char* json;
        const char* message;
    };
    const Case cases[] = {
        {R"({"blockIO":[]})", "linux.resources.blockIO: must be an object, not an array"},
        {R"({"blockIO":{"weight":5}})", "linux.resources.blockIO.weight: 5 is outside [10, 1000] (0 or absent: unset)"},
        {R"({"blockIO":{"weight":-1}})",
         "linux.resources.blockIO.weight: -1 is outside [10, 1000] (0 or absent: unset)"},
        {R"({"blockIO":{"leafWeight":"x"}})", "linux.resources.blockIO.leafWeight: must be an integer, not a string"},
        {R"({"blockIO":{"wieght":100}})", "linux.resources.blockIO.wieght: unknown field"},
        {R"({"blockIO":{"weightDevice":{}}})", "linux.resources.blockIO.weightDevice: must be an array"},
        {R"({"blockIO":{"weightDevice":[{"minor":0,"weight":100}]}})",
         "linux.resources.blockIO.weightDevice[0].major: is required"},
        {R"({"blockIO":{"weightDevice":[{"major":8,"minor":0,"weight":1001}]}})",
         "linux.resources.blockIO.weightDevice[0].weight: 1001 is outside [10, 1000] (0 or absent: unset)"},
        {R"({"blockIO":{"throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1},{"major":-8,"minor":0,"rate":1}]}})",
         "linux.resources.blockIO.throttleReadBpsDevice[1].major: -8 is outside [0, 4294967295]"},
        {R"({"blockIO":{"throttleWriteBpsDevice":[{"major":8,"minor":0}]}})",
         "linux.resources.blockIO.throttleWriteBpsDevice[0].rate: is required"},
        {R"({"blockIO":{"throttleReadIOPSDevice":[{"major":8,"minor":0,"rate":-1}]}})",
         "linux.resources.blockIO.throttleReadIOPSDevice[0].rate: must not be negative"},
    };
    for (const auto& c : cases) {
        const std::string message = host_error(c.json);
        EXPECT_EQ(message.rfind(c.message, 0), 0u) << c.json << " → " << message;
    }
}

const char* kFull = R"({"blockIO":{"weight":500,
    "weightDevice":[{"major":8,"minor":0,"weight":200}],
    "throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1048576}],
    "throttleWriteBpsDevice":[{"major":8,"minor":0,"rate":2097152}],
    "throttleReadIOPSDevice":[{"major":8,"minor":16,"rate":100}],
    "throttleWriteIOPSDevice":[{"major":8,"minor":16,"rate":200}]}})";

TEST_F(IoFakeCgroup, V1CfqFiles) {
    for (const char* f :
         {"blkio.weight", "blkio.weight_device", "blkio.leaf_weight", "blkio.throttle.read_bps_device",
          "blkio.throttle.write_bps_device", "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"})
        offer(f);
    IoSubsystem s;
    ASSERT_TRUE(s.apply_v1(dir(), with_json(kFull)).ok());
    EXPECT_EQ(content("blkio.weight"), "500");
    EXPECT_EQ(content("blkio.weight_device"), "8:0 200");
    EXPECT_EQ(content("blkio.leaf_weight"), "") << "unset: not written";
    EXPECT_EQ(content("blkio.throttle.read_bps_device"), "8:0 1048576");
    EXPECT_EQ(content("blkio.throttle.write_bps_device"), "8:0 2097152");
    EXPECT_EQ(content("blkio.throttle.read_iops_device"), "8:16 100");
    EXPECT_EQ(content("blkio.throttle.write_iops_device"), "8:16 200");
}

TEST_F(IoFakeCgroup, V1BfqWhenCfqIsGone) {
    offer("blkio.bfq.weight");
    offer("blkio.bfq.weight_device");
    IoSubsystem s;
    ASSERT_TRUE(
        s.apply_v1(dir(), with_json(R"({"blockIO":{"weight":300,"weightDevice":[{"major":8,"minor":0,"weight":20}]}})"))
            .ok());
    EXPECT_EQ(content("blkio.bfq.weight"), "300");
    EXPECT_EQ(content("blkio.bfq.weight_device"), "8:0 20");
}

TEST_F(IoFakeCgroup, V1WithoutWeightFilesSaysWhy) {
    offer("blkio.throttle.read_bps_device");
    IoSubsystem s;
    auto st = s.apply_v1(dir(), with_json(R"({"blockIO":{"weight":300}})"));
    EXPECT_EQ(st.err, ENOENT);
    EXPECT_EQ(st.message, "linux.resources.blockIO.weight: the kernel offers no blkio.weight or blkio.bfq.weight in " +
                              root_ + " (no CFQ or BFQ I/O scheduler: weights are not supported)");
    st = s.apply_v1(dir(), with_json(R"({"blockIO":{"leafWeight":300}})"));
    EXPECT_NE(st.message.find("linux.resources.blockIO.leafWeight: the kernel offers no blkio.leaf_weight"),
              std::string::npos)
        << st.message;
    EXPECT_TRUE(
        s.apply_v1(dir(), with_json(R"({"blockIO":{"throttleReadBpsDevice":[{"major":7,"minor":0,"rate":5}]}})")).ok());
    EXPECT_EQ(content("blkio.throttle.read_bps_device"), "7:0 5");
}

TEST_F(IoFakeCgroup, V2IoWeightConvertedAndIoMax) {
    offer("io.weight");
    offer("io.max");
    IoSubsystem s;
    ASSERT_TRUE(s.apply_v2(dir(), with_json(R"({"blockIO":{"weight":500,
        "throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1048576}]}})"))
                    .ok());
    EXPECT_EQ(content("io.weight"), "4950");
    EXPECT_EQ(content("io.max"), "8:0 rbps=1048576");
    auto st = s.apply_v2(dir(), with_json(kFull));
    EXPECT_EQ(st.err, ENOENT);
    EXPECT_NE(st.message.find("linux.resources.blockIO.weightDevice: the kernel offers no io.bfq.weight"),
              std::string::npos)
        << st.message;
    st = s.apply_v2(dir(), with_json(R"({"blockIO":{"leafWeight":100}})"));
    EXPECT_EQ(st.message, "linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weight (a v1 CFQ feature)");
}

TEST_F(IoFakeCgroup, V2BfqWeightAsIs) {
    offer("io.bfq.weight");
    offer("io.weight");
    IoSubsystem s;
    ASSERT_TRUE(s.apply_v2(dir(), with_json(R"({"blockIO":{"weight":500}})")).ok());
    EXPECT_EQ(content("io.bfq.weight"), "500");
    EXPECT_EQ(content("io.weight"), "") << "BFQ's file wins, as in runc";
    ASSERT_TRUE(
        s.apply_v2(dir(), with_json(R"({"blockIO":{"weightDevice":[{"major":8,"minor":0,"weight":20}]}})")).ok());
    EXPECT_EQ(content("io.bfq.weight"), "8:0 20");
}

TEST_F(IoFakeCgroup, MissingIoMaxIsNamed) {
    IoSubsystem s;
    auto st =
        s.apply_v2(dir(), with_json(R"({"blockIO":{"throttleWriteBpsDevice":[{"major":8,"minor":0,"rate":1}]}})"));
    EXPECT_EQ(st.err, ENOENT);
    EXPECT_NE(st.message.find(root_ + "/io.max"), std::string::npos) << st.message;
}

TEST_F(IoFakeCgroup, Stats) {
    IoSubsystem s;
    std::ofstream(root_ + "/io.stat") << "8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n";
    CgroupStats v2;
    ASSERT_TRUE(s.stats(dir(), true, &v2).ok());
    ASSERT_EQ(v2.values.size(), 6u);
    EXPECT_EQ(v2.values[0], (std::pair<std::string, uint64_t>{"io.stat.8:0.rbytes", 4096}));
    std::ofstream(root_ + "/blkio.throttle.io_service_bytes_recursive") << "8:0 Read 4096\n8:0 Write 0\nTotal 4096\n";
    std::ofstream(root_ + "/blkio.throttle.io_serviced_recursive") << "8:0 Read 1\nTotal 1\n";
    CgroupStats v1;
    ASSERT_TRUE(s.stats(dir(), false, &v1).ok());
    const std::vector<std::pair<std::string, uint64_t>> want = {{"blkio.throttle.io_service_bytes.8:0.Read", 4096},
                                                                {"blkio.throttle.io_service_bytes.8:0.Write", 0},
                                                                {"blkio.throttle.io_serviced.8:0.Read", 1}};
    EXPECT_EQ(v1.values, want);
    std::ofstream(root_ + "/io.stat") << "8:0 rbytes=x\n";
    EXPECT_EQ(s.stats(dir(), true, &v2).err, EINVAL);
}

}  // namespace
