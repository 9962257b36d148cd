// linux.resources.unified: the key rules, validation naming the field on v2,
// hybrid and legacy layouts, and the routing through CgroupManager create and
// update on a fake cgroup2 tree (a plain directory with the files the kernel
// would offer).
#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cgroups/cgroup_manager.hpp"
#include "cgroups/unified_resources.hpp"
#include "error_of.hpp"
#include "errors/error.hpp"

namespace {

using berth::CgroupLayout;
using berth::CgroupManager;
using berth::CgroupMode;
using berth::Resources;
using berth::test::error_of;
using nlohmann::json;

// Wants only what its flag says; apply_v2 writes a structured value into
// <controller>.structured, or into `file` when set, to check the order.
class Recorder : public berth::CgroupSubsystem {
public:
    Recorder(std::string ctrl, bool wants = false) : ctrl_(std::move(ctrl)), wants_(wants) {}
    const char* controller() const noexcept override { return ctrl_.c_str(); }
    bool wants(const Resources&) const noexcept override { return wants_; }
    berth::Status validate(const Resources&) const noexcept override { return {}; }
    berth::Status apply_v2(const berth::CgroupDir& d, const Resources&) noexcept override {
        ++applied;
        return file.empty() ? berth::Status{} : d.write(file, "structured");
    }
    berth::Status apply_v1(const berth::CgroupDir&, const Resources&) noexcept override { return {}; }
    berth::Status stats(const berth::CgroupDir&, bool, berth::CgroupStats*) const noexcept override { return {}; }
    std::string file;
    int applied = 0;

private:
    std::string ctrl_;
    bool wants_;
};

Resources with_json(const std::string& j) {
    Resources r;
    r.json = j;
    return r;
}

TEST(UnifiedKeys, ControllerIsThePartBeforeTheFirstDot) {
    EXPECT_EQ(berth::unified_key_controller("memory.high"), "memory");
    EXPECT_EQ(berth::unified_key_controller("hugetlb.2MB.max"), "hugetlb");
    EXPECT_EQ(berth::unified_key_controller("misc.max"), "misc");
    EXPECT_EQ(berth::unified_key_controller("cgroup.max.depth"), "cgroup");
    EXPECT_EQ(berth::unified_key_controller("cgroup.max.descendants"), "cgroup");
}

TEST(UnifiedKeys, RefusedKeysNameTheField) {
    EXPECT_EQ(error_of([] { berth::unified_key_controller("../memory.max"); }),
              "linux.resources.unified[\"../memory.max\"]: must be a file name in the container's cgroup (no '/')");
    EXPECT_EQ(error_of([] { berth::unified_key_controller("memory.max/x"); }),
              "linux.resources.unified[\"memory.max/x\"]: must be a file name in the container's cgroup (no '/')");
    for (const char* bad : {".memory", "memory", "memory.", ""})
        EXPECT_EQ(error_of([&] { berth::unified_key_controller(bad); }),
                  "linux.resources.unified[\"" + std::string(bad) +
                      "\"]: must be a CONTROLLER.FILE name, e.g. \"memory.high\"");
    for (const char* core :
         {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.type", "cgroup.freeze", "cgroup.kill"})
        EXPECT_EQ(error_of([&] { berth::unified_key_controller(core); }),
                  "linux.resources.unified[\"" + std::string(core) +
                      "\"]: the runtime owns this core file (of the cgroup.* files only cgroup.max.depth and "
                      "cgroup.max.descendants may be set)");
}

TEST(UnifiedKeys, Entries) {
    EXPECT_TRUE(berth::unified_entries(json::object()).empty());
    EXPECT_TRUE(berth::unified_entries(json{{"unified", nullptr}}).empty());
    auto e = berth::unified_entries(json{{"unified", {{"pids.max", "7"}, {"memory.high", "max"}}}});
    EXPECT_EQ(e.size(), 2u);
    EXPECT_EQ(e["pids.max"], "7");
    EXPECT_EQ(error_of([] {
                  berth::unified_entries(json{{"unified", json::array()}});
              }),
              "linux.resources.unified: must be an object (cgroup v2 file name -> value)");
    EXPECT_EQ(error_of([] {
                  berth::unified_entries(json{{"unified", {{"pids.max", 7}}}});
              }),
              "linux.resources.unified[\"pids.max\"]: must be a string");
}

// A plain directory stands in for a cgroup2 mount (and v1 mounts).
class UnifiedTree : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/berth-unified-test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        mount_ = pattern;
        layout_.mode = CgroupMode::Unified;
        layout_.unified_mount = mount_;
        put("cgroup.controllers", "cpu io memory pids misc hugetlb\n");
        put("cgroup.subtree_control", "");
    }
    void TearDown() override { std::filesystem::remove_all(mount_); }
    void put(const std::string& rel, const std::string& content) { std::ofstream(mount_ + "/" + rel) << content; }
    std::string get(const std::string& rel) const {
        std::ifstream in(mount_ + "/" + rel);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    // The container's directory, with the files the kernel would offer.
    void container_dir(std::initializer_list<const char*> files) {
        ASSERT_EQ(::mkdir((mount_ + "/c").c_str(), 0755), 0);
        for (const char* f : files) put(std::string("c/") + f, "");
    }
    std::string mount_;
    CgroupLayout layout_;
};

TEST_F(UnifiedTree, V2KeyWithoutItsPluginIsRefused) {
    Recorder memory("memory");
    CgroupManager m(layout_, {&memory});
    EXPECT_EQ(error_of([&] { m.validate(with_json(R"({"unified": {"foo.bar": "1"}})")); }),
              "linux.resources.unified[\"foo.bar\"]: no active plugin serves controller \"foo\" (the cgroup-foo plugin "
              "does: enable it in the plugin config or --plugins)");
    EXPECT_EQ(
        error_of([&] { m.validate(with_json(R"({"unified": {"misc.max": "sev 1"}})")); }),
        "linux.resources.unified[\"misc.max\"]: no active plugin serves controller \"misc\" (the cgroup-misc plugin "
        "does: enable it in the plugin config or --plugins)");
    EXPECT_EQ(error_of([&] { m.validate(with_json(R"({"unified": {"devices.allow": "a *:* rwm"}})")); }),
              "linux.resources.unified[\"devices.allow\"]: cgroup v2 has no devices controller files (use "
              "linux.resources.devices)");
    EXPECT_EQ(error_of([&] { m.validate(with_json(R"({"unified": {"cgroup.procs": "1"}})")); }),
              "linux.resources.unified[\"cgroup.procs\"]: the runtime owns this core file (of the cgroup.* files only "
              "cgroup.max.depth and cgroup.max.descendants may be set)");
    EXPECT_EQ(
        error_of([&] { m.validate(with_json(R"({"unified": {"memory.high": "1G", "cgroup.max.depth": "3"}})")); }),
        "<no error>");
    EXPECT_EQ(error_of([&] { m.validate(with_json(R"({"unified": {}})")); }), "<no error>");
}

TEST_F(UnifiedTree, HybridRefusesV1ControllersAndTakesThoseOnTheCgroup2Mount) {
    layout_.mode = CgroupMode::Hybrid;
    layout_.v1_mounts = {{"memory", "/sys/fs/cgroup/memory"}, {"pids", "/sys/fs/cgroup/pids"}};
    Recorder memory("memory"), hugetlb("hugetlb"), misc("misc");
    CgroupManager m(layout_, {&memory, &hugetlb, &misc});
    EXPECT_EQ(
        error_of([&] { m.validate(with_json(R"({"unified": {"memory.high": "1G"}})")); }),
        "linux.resources.unified[\"memory.high\"]: invalid configuration: cannot use unified on cgroup v1 (the host's "
        "cgroups are hybrid and \"memory\" is not on its cgroup2 mount)");
    EXPECT_EQ(
        error_of([&] { m.validate(with_json(R"({"unified": {"cgroup.max.depth": "2"}})")); }),
        "linux.resources.unified[\"cgroup.max.depth\"]: invalid configuration: cannot use unified on cgroup v1 (the "
        "host's cgroups are hybrid)");
    EXPECT_EQ(error_of([&] { m.validate(with_json(R"({"unified": {"hugetlb.2MB.max": "0", "misc.max": "sev 1"}})")); }),
              "<no error>");
    // This project's host: the cgroup2 mount offers hugetlb only.
    put("cgroup.controllers", "hugetlb\n");
    EXPECT_EQ(
        error_of([&] { m.validate(with_json(R"({"unified": {"misc.max": "sev 1"}})")); }),
        "linux.resources.unified[\"misc.max\"]: invalid configuration: cannot use unified on cgroup v1 (the host's "
        "cgroups are hybrid and \"misc\" is not on its cgroup2 mount)");
}

TEST_F(UnifiedTree, CreateWritesEachKeyAfterItsPluginAndEnablesTheController) {
    container_dir({"memory.high", "pids.max", "io.max", "cgroup.max.depth"});
    Recorder memory("memory", true), pids("pids"), io("io"), cpu("cpu");
    memory.file = "memory.high";
    CgroupManager m(layout_, {&memory, &pids, &io, &cpu});
    auto r = with_json(R"({"unified": {"memory.high": "1048576", "pids.max": "7", "io.max": "8:0 rbps=1\n8:16 wbps=2\n",
                                      "cgroup.max.depth": "3"}})");
    m.validate(r);
    auto paths = m.plan("/c", "id");
    m.create(paths, r);
    EXPECT_EQ(get("c/memory.high"), "1048576") << "the unified value wins over the plugin's";
    EXPECT_EQ(get("c/pids.max"), "7");
    EXPECT_EQ(get("c/io.max"), "8:16 wbps=2") << "one line per write";
    EXPECT_EQ(get("c/cgroup.max.depth"), "3");
    // pids and io want nothing structured, yet their controllers are enabled
    // for the unified keys; cpu is named by no key.
    EXPECT_EQ(get("cgroup.subtree_control"), "+memory +pids +io");
    EXPECT_EQ(pids.applied, 1);
    EXPECT_EQ(cpu.applied, 0);
}

TEST_F(UnifiedTree, MissingFileNamesTheField) {
    container_dir({});
    Recorder memory("memory");
    CgroupManager m(layout_, {&memory});
    auto r = with_json(R"({"unified": {"memory.nosuch": "1"}})");
    m.validate(r);
    auto paths = m.plan("/c", "id");
    EXPECT_EQ(error_of([&] { m.create(paths, r); }),
              "linux.resources.unified[\"memory.nosuch\"]: " + mount_ +
                  "/c/memory.nosuch does not exist (the kernel has no such file, or its controller is not enabled)");
}

TEST_F(UnifiedTree, UpdateTakesTheSamePath) {
    container_dir({"memory.high", "pids.max"});
    Recorder memory("memory"), pids("pids", true);
    pids.file = "pids.max";
    CgroupManager m(layout_, {&memory, &pids});
    auto paths = m.plan("/c", "id");
    auto r = with_json(R"({"unified": {"memory.high": "max", "pids.max": "9"}})");
    m.validate(r);
    m.update(paths, r);
    EXPECT_EQ(get("c/memory.high"), "max");
    EXPECT_EQ(get("c/pids.max"), "9");
    EXPECT_EQ(get("cgroup.subtree_control"), "+memory +pids");
}

TEST_F(UnifiedTree, HybridWritesIntoTheUnifiedDirectory) {
    layout_.mode = CgroupMode::Hybrid;
    layout_.v1_mounts = {{"pids", mount_ + "/v1pids"}};
    ASSERT_EQ(::mkdir((mount_ + "/v1pids").c_str(), 0755), 0);
    container_dir({"misc.max"});
    Recorder pids("pids"), misc("misc");
    CgroupManager m(layout_, {&pids, &misc});
    auto r = with_json(R"({"unified": {"misc.max": "sev 2"}})");
    m.validate(r);
    auto paths = m.plan("/c", "id");
    paths.v1.clear();  // only the unified side is under test
    m.create(paths, r);
    EXPECT_EQ(get("c/misc.max"), "sev 2");
    EXPECT_EQ(get("cgroup.subtree_control"), "+misc");
}

}  // namespace
