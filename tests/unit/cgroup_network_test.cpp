// cgroup-network: parsing and validation naming the field, the lines written,
// and the v1 writer against a fake cgroupfs tree (net_cls,net_prio co-mounted,
// and net_cls alone).
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "plugins/cgroup-network/network_settings.hpp"
#include "plugins/cgroup-network/network_subsystem.hpp"
#include "fake_cgroup.hpp"

namespace {

using berth::CgroupStats;
using berth::Resources;
using namespace berth::plugins::network;

TEST(NetworkSettings, Lines) {
    EXPECT_EQ(classid_text(0x100001), "1048577");
    EXPECT_EQ(classid_text(0), "0");
    EXPECT_EQ(classid_text(4294967295u), "4294967295");
    EXPECT_EQ(ifpriomap_line({"eth0", 5}), "eth0 5");
    EXPECT_EQ(ifpriomap_line({"lo", 0}), "lo 0");
}

TEST(NetworkSettings, HostParses) {
    Resources r = with_json(
        R"({"network":{"classID":1048577,"priorities":[{"name":"lo","priority":2},{"name":"eth0","priority":5}]}})");
    ASSERT_TRUE(r.network);
    ASSERT_TRUE(r.network->class_id);
    EXPECT_EQ(*r.network->class_id, 1048577u);
    ASSERT_EQ(r.network->priorities.size(), 2u);
    EXPECT_EQ(r.network->priorities[1].name, "eth0");
    EXPECT_EQ(r.network->priorities[1].priority, 5u);
    r = with_json(R"({"network":{"priorities":[]}})");
    ASSERT_TRUE(r.network) << "a member, even one asking for nothing, wants the plugin";
    EXPECT_FALSE(r.network->class_id);
    EXPECT_TRUE(r.network->priorities.empty());
    r = with_json(R"({"network":{"classID":null,"priorities":null}})");
    ASSERT_TRUE(r.network);
    EXPECT_FALSE(r.network->class_id);
    EXPECT_FALSE(with_json(R"({"memory":{}})").network);
}

TEST(NetworkSettings, ValidateNamesTheField) {
    AsPlugin<NetworkSubsystem> s;
    EXPECT_STREQ(s.controller(), "net_cls");
    EXPECT_STREQ(s.v1_controller(), "net_cls");
    EXPECT_FALSE(s.wants(with_json("{}")));
    EXPECT_FALSE(s.wants(with_json(R"({"network":{}})")));
    EXPECT_FALSE(s.wants(with_json(R"({"network":null})")));
    EXPECT_TRUE(s.wants(with_json(R"({"network":{"classID":1}})")));
    // The host refuses what is malformed, naming the field.
    struct Case {
        const char* json;
        const char* message;
    };
    const Case cases[] = {
        {R"({"network":[]})", "linux.resources.network: must be an object, not an array"},
        {R"({"network":{"classID":-1}})", "linux.resources.network.classID: must not be negative"},
        {R"({"network":{"classID":4294967296}})", "linux.resources.network.classID: is out of range"},
        {R"({"network":{"classID":"0x100001"}})", "linux.resources.network.classID: must be an integer, not a string"},
        {R"({"network":{"classid":1}})", "linux.resources.network.classid: unknown field (known: classID, priorities)"},
        {R"({"network":{"priorities":{}}})", "linux.resources.network.priorities: must be an array, not an object"},
        {R"({"network":{"priorities":[3]}})", "linux.resources.network.priorities[0]: must be an object, not a number"},
        {R"({"network":{"priorities":[{"name":"lo","priority":1},{"priority":1}]}})",
         "linux.resources.network.priorities[1].name: is required"},
        {R"({"network":{"priorities":[{"name":"lo"}]}})",
         "linux.resources.network.priorities[0].priority: is required"},
        {R"({"network":{"priorities":[{"name":"lo","priority":-2}]}})",
         "linux.resources.network.priorities[0].priority: must not be negative"},
        {R"({"network":{"priorities":[{"name":"lo","priority":1,"prio":1}]}})",
         "linux.resources.network.priorities[0].prio: unknown field (known: name, priority)"},
        {R"({"network":{"priorities":[{"name":"","priority":1}]}})",
         "linux.resources.network.priorities[0].name: \"\" is not a network interface name (1 to 15 bytes, no "
         "whitespace, '/' or ':')"},
        {R"({"network":{"priorities":[{"name":"eth0 7\nlo","priority":1}]}})",
         "linux.resources.network.priorities[0].name: \"eth0 7\nlo\" is not a network interface name (1 to 15 bytes, "
         "no whitespace, '/' or ':')"},
        {R"({"network":{"priorities":[{"name":"abcdefghijklmnop","priority":1}]}})",
         "linux.resources.network.priorities[0].name: \"abcdefghijklmnop\" is not a network interface name (1 to 15 "
         "bytes, no whitespace, '/' or ':')"},
    };
    for (const auto& c : cases) EXPECT_EQ(host_error(c.json), c.message) << c.json;
    EXPECT_TRUE(s.validate(with_json(R"({"network":{"priorities":[{"name":"abcdefghijklmno","priority":1}]}})")).ok())
        << "15 bytes fit";
}

class NetworkFakeCgroup : public FakeCgroup {};

TEST_F(NetworkFakeCgroup, CoMountedWritesBoth) {
    offer("net_cls.classid", "0\n");
    offer("net_prio.ifpriomap", "lo 0\n");
    NetworkSubsystem s;
    auto st = s.apply_v1(dir(), with_json(R"({"network":{"classID":1048577,"priorities":[{"name":"lo",)"
                                          R"("priority":2},{"name":"eth0","priority":5}]}})"));
    ASSERT_TRUE(st.ok()) << st.message;
    EXPECT_EQ(content("net_cls.classid"), "1048577");
    // Each write replaces the fake file's content: the last line written.
    EXPECT_EQ(content("net_prio.ifpriomap"), "eth0 5");
}

TEST_F(NetworkFakeCgroup, ClassIdAloneNeedsNoNetPrio) {
    offer("net_cls.classid", "0\n");
    NetworkSubsystem s;
    auto st = s.apply_v1(dir(), with_json(R"({"network":{"classID":7}})"));
    ASSERT_TRUE(st.ok()) << st.message;
    EXPECT_EQ(content("net_cls.classid"), "7");
}

TEST_F(NetworkFakeCgroup, PrioritiesWithoutNetPrioAreRefusedBeforeAnyWrite) {
    offer("net_cls.classid", "0\n");
    NetworkSubsystem s;
    auto st = s.apply_v1(dir(), with_json(R"({"network":{"classID":7,"priorities":[{"name":"lo","priority":2}]}})"));
    EXPECT_EQ(st.err, EOPNOTSUPP);
    EXPECT_EQ(st.message.rfind("linux.resources.network.priorities: net_prio is not mounted together with net_cls", 0),
              0u)
        << st.message;
    EXPECT_EQ(content("net_cls.classid"), "0\n") << "nothing half applied";
}

TEST_F(NetworkFakeCgroup, MissingClassidFileNamesTheField) {
    NetworkSubsystem s;
    auto st = s.apply_v1(dir(), with_json(R"({"network":{"classID":7}})"));
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(st.message.rfind("linux.resources.network.classID: ", 0), 0u) << st.message;
    EXPECT_NE(st.message.find("net_cls.classid"), std::string::npos) << st.message;
}

TEST_F(NetworkFakeCgroup, V2IsRefusedAndStatsAreEmpty) {
    NetworkSubsystem s;
    auto st = s.apply_v2(dir(), with_json(R"({"network":{"classID":7}})"));
    EXPECT_EQ(st.err, EOPNOTSUPP);
    EXPECT_EQ(st.message, "linux.resources.network: cgroup v2 has no net_cls nor net_prio controller");
    CgroupStats out;
    EXPECT_TRUE(s.stats(dir(), false, &out).ok());
    EXPECT_TRUE(out.values.empty());
}

}  // namespace
