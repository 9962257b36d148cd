// The plugin tools and plugin selection, through the real binary.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "harness.hpp"

namespace berth::test {
namespace {

using json = nlohmann::json;

class PluginsCli : public ContainerTest {
protected:
    std::string id() { return ContainerTest::id("plug"); }
};

TEST_F(PluginsCli, ListShowsTheInTreePlugins) {
    Result r = run_berth(root_, {"plugins", "list", "--format", "json"});
    ASSERT_EQ(r.code, 0) << r.err;
    json list = json::parse(r.out);
    std::map<std::string, json> by_name;
    for (auto& p : list) by_name[p["name"]] = p;
    const std::string abi = BERTH_ABI_TEXT;  // include/berth/abi.hpp, as meson read it
    for (const char* name :
         {"cgroup-cpu", "cgroup-cpuset", "cgroup-devices", "cgroup-hugetlb", "cgroup-io", "cgroup-rdma", "cgroup-misc",
          "cgroup-network", "cgroup-memory", "cgroup-pids", "mounts"}) {
        ASSERT_TRUE(by_name.count(name)) << name << " missing: " << r.out;
        EXPECT_EQ(by_name[name]["abi"], abi) << "in-tree plugins are built against this tree's ABI";
        EXPECT_EQ(by_name[name]["version"], "0.1.0");
        EXPECT_EQ(by_name[name]["enabled"], true);
        EXPECT_NE(by_name[name]["file"].get<std::string>().find("berth-" + std::string(name) + ".so"),
                  std::string::npos);
        EXPECT_FALSE(by_name[name].contains("error")) << by_name[name];
    }
    EXPECT_EQ(by_name["mounts"]["kinds"], json({"mount-handler"}));
    EXPECT_EQ(by_name["cgroup-pids"]["kinds"], json({"cgroup-subsystem"}));
    r = run_berth(root_, {"plugins", "list"});
    ASSERT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("NAME"), std::string::npos);
    EXPECT_NE(r.out.find("cgroup-memory"), std::string::npos);
}

TEST_F(PluginsCli, InspectShowsWhatAPluginHandles) {
    Result r = run_berth(root_, {"plugins", "inspect", "cgroup-memory", "--format", "json"});
    ASSERT_EQ(r.code, 0) << r.err;
    json j = json::parse(r.out);
    EXPECT_EQ(j["cgroup_controllers"], json({"memory"}));
    EXPECT_EQ(j["license"], "Apache-2.0");
    r = run_berth(root_, {"plugins", "inspect", "mounts"});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("mount types: bind, rbind, proc"), std::string::npos) << r.out;
    // By file, outside the config.
    json list = json::parse(run_berth(root_, {"plugins", "list", "--format", "json"}).out);
    r = run_berth(root_, {"plugins", "inspect", list[0]["file"]});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("in config:   no"), std::string::npos) << r.out;
    r = run_berth(root_, {"plugins", "inspect", "nosuch"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("no plugin \"nosuch\""), std::string::npos) << r.err;
    r = run_berth(root_, {"plugins", "frob"});
    EXPECT_EQ(r.code, 1);
}

// runc's default config denies every device; with the devices plugin left
// out that rule would go unenforced, so create refuses it.
TEST_F(PluginsCli, DeviceRulesWithoutTheDevicesPluginAreRefused) {
    Bundle b(tmp_->path() + "/b", {"true"});
    b.config["linux"]["resources"] = {{"devices", {{{"allow", false}, {"access", "rwm"}}}}};
    b.save();
    const std::string c = id();
    Result r = run_berth(root_, {"create", "--plugins", "mounts,cgroup-pids", "--bundle", b.dir(), c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("linux.resources.devices: no loaded plugin handles it"), std::string::npos) << r.err;
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
    r = run_berth(root_, {"run", "--plugins", "mounts,cgroup-devices", "--bundle", b.dir(), id()});
    EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(PluginsCli, PluginsFlagSelectsTheActiveSet) {
    Bundle b(tmp_->path() + "/b", {"true"});
    b.config["linux"]["resources"] = {{"pids", {{"limit", 50}}}};
    b.save();
    std::string c = id();
    Result r = run_berth(root_, {"create", "--plugins", "mounts,cgroup-memory", "--bundle", b.dir(), c});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(
        r.err.find(
            "linux.resources.pids: no active plugin handles the \"pids\" controller (the cgroup-pids plugin does"),
        std::string::npos)
        << r.err;
    EXPECT_EQ(leftovers(root_, c), std::vector<std::string>{});
    r = run_berth(root_, {"run", "--plugins", "mounts,cgroup-pids", "--bundle", b.dir(), id()});
    EXPECT_EQ(r.code, 0) << r.err;
    r = run_berth(root_, {"create", "--plugins", "mounts,nosuch", "--bundle", b.dir(), id()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--plugins: unknown plugin \"nosuch\""), std::string::npos) << r.err;
}

TEST_F(PluginsCli, BadPluginConfigIsAClearError) {
    Bundle b(tmp_->path() + "/b", {"true"});
    const std::string cfg = tmp_->path() + "/bad.yaml";
    std::ofstream(cfg) << "plugins:\n  - name: mounts\n    file: [oops\n";
    Result r = run_berth(root_, {"--plugin-config", cfg, "create", "--bundle", b.dir(), id()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find(cfg + ": invalid YAML at line"), std::string::npos) << r.err;
    std::ofstream(cfg) << "plugins:\n  - name: mounts\n    file: /nonexistent/berth-mounts.so\n";
    r = run_berth(root_, {"--plugin-config", cfg, "create", "--bundle", b.dir(), id()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("/nonexistent/berth-mounts.so"), std::string::npos) << r.err;
    // BERTH_PLUGIN_CONFIG is read when --plugin-config is not given... but the
    // harness always passes --plugin-config, which wins.
    r = run_berth(root_, {"--plugin-config", tmp_->path() + "/missing.yaml", "plugins", "list"});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("plugin config: open " + tmp_->path() + "/missing.yaml: no such file or directory"),
              std::string::npos)
        << r.err;
}

}  // namespace
}  // namespace berth::test
