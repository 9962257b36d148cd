// Plugin loading: ownership and mode checks, the exported descriptor, ABI
// versions, the YAML config and the registry's refusals. The test plugins are
// built from tests/plugins/ into TEST_PLUGIN_DIR and copied into a private
// root-owned temp dir for each test.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "error_of.hpp"
#include "berth/abi.hpp"
#include "berth/plugin_settings.hpp"
#include "errors/error.hpp"
#include "plugins/plugin_config.hpp"
#include "plugins/plugin_demand.hpp"
#include "plugins/plugin_info.hpp"
#include "plugins/registry.hpp"

#ifndef TEST_PLUGIN_DIR
#error "TEST_PLUGIN_DIR must name the directory with the built test plugins"
#endif

namespace fs = std::filesystem;

namespace {

using berth::PluginConfig;
using berth::PluginEntry;
using berth::PluginRegistry;

using berth::test::error_of;

std::string abi(unsigned major, unsigned minor) { return std::to_string(major) + "." + std::to_string(minor); }

class Plugins : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "the plugin ownership checks need the test to run as root";
        char pattern[] = "/tmp/berth-plugin-test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        tmp_ = pattern;
        ASSERT_EQ(::chmod(tmp_.c_str(), 0755), 0);
        dir_ = tmp_ + "/lib";
        ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0);
        ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
        for (const char* p : {"good", "no_symbol", "abi_major", "abi_minor", "abi_old", "dup_name", "dup_controller",
                              "mount_handler", "mount_handler_dup", "sdk_helper", "sdk_helper_mount", "cxx_debug",
                              "checkpointer", "checkpointer_old", "checkpointer_two"})
            install(std::string(TEST_PLUGIN_DIR) + "/" + p + ".so", dir_ + "/" + p + ".so");
        ::unsetenv("BERTH_PLUGIN_PATH");
    }
    void TearDown() override {
        ::unsetenv("BERTH_PLUGIN_PATH");
        if (!tmp_.empty()) fs::remove_all(tmp_);
    }
    static void install(const std::string& from, const std::string& to, mode_t mode = 0755) {
        ASSERT_TRUE(fs::exists(from)) << from << " was not built";
        fs::copy_file(from, to, fs::copy_options::overwrite_existing);
        ASSERT_EQ(::chmod(to.c_str(), mode), 0);
    }
    std::string make_dir(const std::string& name, mode_t mode) {
        std::string d = tmp_ + "/" + name;
        EXPECT_EQ(::mkdir(d.c_str(), 0700), 0);
        EXPECT_EQ(::chmod(d.c_str(), mode), 0);  // not subject to the umask
        return d;
    }
    std::string so(const char* name) const { return dir_ + "/" + name + ".so"; }

    static PluginConfig config(std::vector<PluginEntry> entries, std::vector<std::string> dirs = {}) {
        PluginConfig c;
        c.source = "/etc/berth/test-plugins.yaml";
        c.plugins = std::move(entries);
        c.dirs = std::move(dirs);
        return c;
    }
    static PluginEntry entry(std::string name, std::string file, berth::PluginSettings settings = {}) {
        PluginEntry e;
        e.name = std::move(name);
        e.file = std::move(file);
        e.settings = std::move(settings);
        return e;
    }
    // stats() of a test subsystem: {"live", n}, {"level", l}.
    static uint64_t stat(berth::CgroupSubsystem* s, const std::string& key) {
        berth::CgroupStats st;
        EXPECT_TRUE(s->stats(berth::CgroupDir("/nonexistent"), true, &st).ok());
        for (auto& [k, v] : st.values)
            if (k == key) return v;
        ADD_FAILURE() << "no stat " << key;
        return ~0ull;
    }
    // Live subsystems of a library, counted through a probe subsystem made by
    // our own handle on it (the probe itself not counted).
    static uint64_t live_in(const berth::LoadedPlugin& lib) {
        berth::CgroupSubsystem* probe = lib.descriptor->create_cgroup_subsystem();
        uint64_t n = stat(probe, "live") - 1;
        lib.descriptor->destroy_cgroup_subsystem(probe);
        return n;
    }

    std::string tmp_, dir_;
};

// ---- open_plugin ----

TEST_F(Plugins, GoodDescriptor) {
    auto p = berth::open_plugin(so("good"));
    EXPECT_EQ(p.name, "good");
    EXPECT_EQ(p.path, fs::canonical(so("good")).string());
    ASSERT_NE(p.descriptor, nullptr);
    ASSERT_NE(p.library, nullptr);
    EXPECT_EQ(p.descriptor->abi_major, unsigned(BERTH_ABI_MAJOR));
    EXPECT_EQ(p.descriptor->abi_minor, unsigned(BERTH_ABI_MINOR));
    EXPECT_STREQ(p.descriptor->version, "9.8.7");
    EXPECT_STREQ(p.descriptor->license, "MIT");
    EXPECT_STREQ(p.descriptor->description, "berth unit-test plugin");
    EXPECT_EQ(p.descriptor->kinds, uint32_t(berth::kCgroupSubsystem));
    EXPECT_NE(p.descriptor->configure, nullptr);
    EXPECT_EQ(p.descriptor->create_mount_handler, nullptr);
}

TEST_F(Plugins, MissingSymbol) {
    std::string path = fs::canonical(so("no_symbol"));
    EXPECT_EQ(error_of([&] { berth::open_plugin(so("no_symbol")); }),
              "plugin " + path + ": no berth_plugin_descriptor symbol (not built with BERTH_PLUGIN?)");
}

TEST_F(Plugins, AbiMajorMismatch) {
    std::string path = fs::canonical(so("abi_major"));
    EXPECT_EQ(error_of([&] { berth::open_plugin(so("abi_major")); }),
              "plugin \"abi-major\" (" + path + "): plugin ABI " + abi(BERTH_ABI_MAJOR + 1, BERTH_ABI_MINOR) +
                  " is not supported by berth ABI " + abi(BERTH_ABI_MAJOR, BERTH_ABI_MINOR));
}

TEST_F(Plugins, AbiMinorTooNew) {
    std::string path = fs::canonical(so("abi_minor"));
    EXPECT_EQ(error_of([&] { berth::open_plugin(so("abi_minor")); }),
              "plugin \"abi-minor\" (" + path + "): plugin ABI " + abi(BERTH_ABI_MAJOR, BERTH_ABI_MINOR + 1) +
                  " is not supported by berth ABI " + abi(BERTH_ABI_MAJOR, BERTH_ABI_MINOR));
}

// A plugin of the same ABI version built in libstdc++'s debug mode: its
// std::vector and std::map have another layout, so it is refused at load,
// naming both tags, before any of its functions is called.
TEST_F(Plugins, CxxAbiMismatch) {
    std::string path = fs::canonical(so("cxx_debug"));
    EXPECT_EQ(error_of([&] { berth::open_plugin(so("cxx_debug")); }),
              "plugin \"cxx-debug\" (" + path +
                  "): built for the C++ ABI \"" BERTH_CXX_ABI_TAG "/debug\", berth for \"" BERTH_CXX_ABI_TAG
                  "\" (the standard library, its string ABI and debug mode "
                  "must match: docs/plugin-abi.md)");
    EXPECT_STREQ(BERTH_CXX_ABI_TAG, "libstdc++/cxx11-abi=1");
}

// Before ABI 1.2 a descriptor had no tag: the host does not read one.
TEST_F(Plugins, CxxAbiNotReadBeforeMinor2) {
    auto p = berth::open_plugin(so("abi_old"));
    EXPECT_EQ(p.descriptor->abi_minor, 1u);
    EXPECT_EQ(p.name, "abi-old");
}

TEST_F(Plugins, MissingFile) {
    EXPECT_EQ(error_of([&] { berth::open_plugin(dir_ + "/nope.so"); }),
              "plugin " + dir_ + "/nope.so: no such file or directory");
}

TEST_F(Plugins, NotALibrary) {
    std::ofstream(dir_ + "/text.so") << "not an ELF file\n";
    ::chmod((dir_ + "/text.so").c_str(), 0644);
    std::string msg = error_of([&] { berth::open_plugin(dir_ + "/text.so"); });
    EXPECT_EQ(msg.rfind("cannot load plugin " + dir_ + "/text.so: ", 0), 0u) << msg;
}

TEST_F(Plugins, WorldWritableFileRefused) {
    std::string d = make_dir("ww", 0755);
    install(so("good"), d + "/good.so", 0666);
    EXPECT_EQ(error_of([&] { berth::open_plugin(d + "/good.so"); }),
              "refusing plugin file " + d + "/good.so: writable by group or others (mode 0666)");
    ASSERT_EQ(::chmod((d + "/good.so").c_str(), 0775), 0);
    EXPECT_EQ(error_of([&] { berth::open_plugin(d + "/good.so"); }),
              "refusing plugin file " + d + "/good.so: writable by group or others (mode 0775)");
    ASSERT_EQ(::chmod((d + "/good.so").c_str(), 0555), 0);
    EXPECT_EQ(error_of([&] { berth::open_plugin(d + "/good.so"); }), "<no error>");
}

TEST_F(Plugins, WorldWritableDirectoryRefused) {
    std::string d = make_dir("wwdir", 0777);
    install(so("good"), d + "/good.so", 0755);
    EXPECT_EQ(error_of([&] { berth::open_plugin(d + "/good.so"); }),
              "refusing plugin directory " + d + ": writable by group or others (mode 0777)");
    std::string s = make_dir("sticky", 01777);
    install(so("good"), s + "/good.so", 0755);
    EXPECT_EQ(error_of([&] { berth::open_plugin(s + "/good.so"); }),
              "refusing plugin directory " + s + ": writable by group or others (mode 1777)");
}

TEST_F(Plugins, SymlinkIsResolvedBeforeTheCheck) {
    std::string bad = make_dir("ww", 0755);
    install(so("good"), bad + "/good.so", 0666);
    std::string links = make_dir("links", 0755);
    fs::create_symlink(bad + "/good.so", links + "/good.so");
    EXPECT_EQ(error_of([&] { berth::open_plugin(links + "/good.so"); }),
              "refusing plugin file " + bad + "/good.so: writable by group or others (mode 0666)");
    // A symlinked directory is resolved too.
    std::string wwdir = make_dir("wwdir", 0777);
    install(so("good"), wwdir + "/good.so", 0755);
    fs::create_directory_symlink(wwdir, links + "/dir");
    EXPECT_EQ(error_of([&] { berth::open_plugin(links + "/dir/good.so"); }),
              "refusing plugin directory " + wwdir + ": writable by group or others (mode 0777)");
}

TEST_F(Plugins, NotOwnedByRoot) {
    std::string d = make_dir("other", 0755);
    install(so("good"), d + "/good.so", 0755);
    ASSERT_EQ(::chown((d + "/good.so").c_str(), 65534, 65534), 0);
    EXPECT_EQ(error_of([&] { berth::open_plugin(d + "/good.so"); }),
              "refusing plugin file " + d + "/good.so: not owned by root (uid 65534)");
    std::string od = make_dir("otherdir", 0755);
    install(so("good"), od + "/good.so", 0755);
    ASSERT_EQ(::chown(od.c_str(), 65534, 65534), 0);
    EXPECT_EQ(error_of([&] { berth::open_plugin(od + "/good.so"); }),
              "refusing plugin directory " + od + ": not owned by root (uid 65534)");
}

TEST_F(Plugins, CheckTrustedPathAlone) {
    EXPECT_EQ(error_of([&] { berth::check_trusted_path(so("good")); }), "<no error>");
    ASSERT_EQ(::chmod(so("good").c_str(), 0646), 0);
    EXPECT_EQ(error_of([&] { berth::check_trusted_path(so("good")); }),
              "refusing plugin file " + so("good") + ": writable by group or others (mode 0646)");
}

// ---- YAML config ----

std::string yaml_error(const std::string& text) {
    return error_of([&] { berth::parse_plugin_config(text, "/etc/berth/plugins.yaml"); });
}

TEST(PluginConfig, Parses) {
    auto c = berth::parse_plugin_config(
        "plugin_dirs: [/opt/a, /opt/b]\n"
        "plugins:\n"
        "  - name: cgroup-pids\n"
        "    file: berth-cgroup-pids.so\n"
        "  - name: x\n"
        "    file: /abs/x.so\n"
        "    enabled: false\n"
        "    settings: {level: 2, mode: \"fast\"}\n",
        "src.yaml");
    EXPECT_EQ(c.source, "src.yaml");
    EXPECT_EQ(c.dirs, (std::vector<std::string>{"/opt/a", "/opt/b"}));
    ASSERT_EQ(c.plugins.size(), 2u);
    EXPECT_EQ(c.plugins[0].name, "cgroup-pids");
    EXPECT_EQ(c.plugins[0].file, "berth-cgroup-pids.so");
    EXPECT_TRUE(c.plugins[0].enabled);
    EXPECT_TRUE(c.plugins[0].settings.empty());
    EXPECT_FALSE(c.plugins[1].enabled);
    EXPECT_EQ(c.plugins[1].settings, (berth::PluginSettings{{"level", "2"}, {"mode", "fast"}}));
}

TEST(PluginConfig, EmptyIsNoPlugins) {
    auto c = berth::parse_plugin_config("", "src.yaml");
    EXPECT_TRUE(c.plugins.empty());
    EXPECT_TRUE(c.dirs.empty());
    auto d = berth::parse_plugin_config("# nothing\nplugins: []\n", "src.yaml");
    EXPECT_TRUE(d.plugins.empty());
}

TEST(PluginConfig, BadYamlNamesFileAndLine) {
    std::string msg = yaml_error("plugins:\n  - name: a\n    file: [unclosed\n  - name: b\n");
    EXPECT_EQ(msg.rfind("/etc/berth/plugins.yaml: invalid YAML at line ", 0), 0u) << msg;
    msg = yaml_error("plugins:\n  - name: a\n    file: a.so\n  bad: [\n");
    EXPECT_EQ(msg.rfind("/etc/berth/plugins.yaml: invalid YAML at line 4: ", 0), 0u) << msg;
    msg = yaml_error("# comment\n\nplugins: [a, b\n");
    EXPECT_EQ(msg.rfind("/etc/berth/plugins.yaml: invalid YAML at line ", 0), 0u) << msg;
}

// yaml-cpp accepts a key given twice in one mapping; the config must not
// silently pick one of the values.
TEST(PluginConfig, DuplicateKeyInAMapping) {
    const std::string text = "plugins:\n  - name: a\n    file: a.so\n    enabled: true\n    enabled: false\n";
    std::string msg = yaml_error(text);
    EXPECT_NE(msg.find("plugins[0].enabled"), std::string::npos) << msg;
}

TEST(PluginConfig, Refusals) {
    EXPECT_EQ(yaml_error("plugin_dir: [/x]\n"),
              "/etc/berth/plugins.yaml: plugin_dir: unknown key (expected plugin_dirs, plugins)");
    EXPECT_EQ(yaml_error("- a\n- b\n"), "/etc/berth/plugins.yaml: must be a YAML mapping");
    EXPECT_EQ(yaml_error("plugin_dirs: /x\n"), "/etc/berth/plugins.yaml: plugin_dirs: must be a list of directories");
    EXPECT_EQ(yaml_error("plugin_dirs: [[/x]]\n"), "/etc/berth/plugins.yaml: plugin_dirs[0]: must be a string");
    EXPECT_EQ(yaml_error("plugins: {a: b}\n"), "/etc/berth/plugins.yaml: plugins: must be a list");
    EXPECT_EQ(yaml_error("plugins: [x.so]\n"),
              "/etc/berth/plugins.yaml: plugins[0]: must be a mapping with name and file");
    EXPECT_EQ(yaml_error("plugins:\n  - name: a\n"), "/etc/berth/plugins.yaml: plugins[0].file: is required");
    EXPECT_EQ(yaml_error("plugins:\n  - file: a.so\n"), "/etc/berth/plugins.yaml: plugins[0].name: is required");
    EXPECT_EQ(yaml_error("plugins:\n  - {name: a, file: a.so}\n  - {name: a, file: b.so}\n"),
              "/etc/berth/plugins.yaml: plugins[1].name: duplicate plugin \"a\"");
    EXPECT_EQ(yaml_error("plugins:\n  - {name: a, file: a.so, enable: true}\n"),
              "/etc/berth/plugins.yaml: plugins[0].enable: unknown key (expected name, file, enabled, settings)");
    EXPECT_EQ(yaml_error("plugins:\n  - {name: a, file: a.so, enabled: maybe}\n"),
              "/etc/berth/plugins.yaml: plugins[0].enabled: must be true or false");
    EXPECT_EQ(yaml_error("plugins:\n  - {name: a, file: a.so, settings: [1]}\n"),
              "/etc/berth/plugins.yaml: plugins[0].settings: must be a mapping");
    EXPECT_EQ(yaml_error("plugins:\n  - {name: a, file: a.so, settings: {level: [1]}}\n"),
              "/etc/berth/plugins.yaml: plugins[0].settings.level: must be a string");
    EXPECT_EQ(yaml_error("plugins:\n  - {name: [a], file: a.so}\n"),
              "/etc/berth/plugins.yaml: plugins[0].name: must be a string");
}

TEST(PluginConfig, LoadMissingFile) {
    EXPECT_EQ(error_of([] { berth::load_plugin_config("/nonexistent/plugins.yaml"); }),
              "plugin config: open /nonexistent/plugins.yaml: no such file or directory");
}

TEST(PluginConfig, ConfigPath) {
    ::unsetenv("BERTH_PLUGIN_CONFIG");
    EXPECT_EQ(berth::plugin_config_path("/flag.yaml"), "/flag.yaml");
    std::string def = berth::plugin_config_path("");
    EXPECT_EQ(def.substr(def.size() - std::string("/berth/plugins.yaml").size()), "/berth/plugins.yaml");
    ::setenv("BERTH_PLUGIN_CONFIG", "/env.yaml", 1);
    EXPECT_EQ(berth::plugin_config_path(""), "/env.yaml");
    EXPECT_EQ(berth::plugin_config_path("/flag.yaml"), "/flag.yaml");
    ::unsetenv("BERTH_PLUGIN_CONFIG");
}

// ---- registry ----

TEST_F(Plugins, LoadConfiguresAndCreates) {
    auto probe = berth::open_plugin(so("good"));  // keeps the library and its counters
    {
        auto reg = PluginRegistry::load(config({entry("good", so("good"), {{"level", "2"}})}));
        ASSERT_EQ(reg.plugins().size(), 1u);
        EXPECT_EQ(reg.plugins()[0].name, "good");
        EXPECT_EQ(reg.plugins()[0].path, fs::canonical(so("good")).string());
        auto subs = reg.cgroup_subsystems();
        ASSERT_EQ(subs.size(), 1u);
        EXPECT_STREQ(subs[0]->controller(), "testctl");
        EXPECT_STREQ(subs[0]->v1_controller(), "testctl");
        EXPECT_EQ(stat(subs[0], "level"), 2u);
        EXPECT_EQ(stat(subs[0], "live"), 1u);
        EXPECT_EQ(reg.mount_handler("testfs"), nullptr);
        EXPECT_EQ(live_in(probe), 1u);
    }
    EXPECT_EQ(live_in(probe), 0u) << "the registry did not destroy its subsystem";
}

TEST_F(Plugins, FileFromYaml) {
    std::string yaml = "plugins:\n  - name: good\n    file: " + so("good") + "\n    settings:\n      level: 3\n";
    std::ofstream(tmp_ + "/plugins.yaml") << yaml;
    auto reg = PluginRegistry::load(berth::load_plugin_config(tmp_ + "/plugins.yaml"));
    ASSERT_EQ(reg.cgroup_subsystems().size(), 1u);
    EXPECT_EQ(stat(reg.cgroup_subsystems()[0], "level"), 3u);
}

TEST_F(Plugins, NameMustMatchDescriptor) {
    EXPECT_EQ(error_of([&] { PluginRegistry::load(config({entry("cgroup-good", so("good"))})); }),
              "/etc/berth/test-plugins.yaml: plugin \"cgroup-good\" names " + fs::canonical(so("good")).string() +
                  ", whose descriptor says \"good\"");
}

TEST_F(Plugins, SettingsRefusedNameTheKey) {
    EXPECT_EQ(error_of([&] {
                  PluginRegistry::load(config({entry("good", so("good"), {{"speed", "1"}})}));
              }),
              "/etc/berth/test-plugins.yaml: plugin \"good\" settings: good: unknown setting \"speed\"");
    EXPECT_EQ(error_of([&] {
                  PluginRegistry::load(config({entry("good", so("good"), {{"level", "7"}})}));
              }),
              "/etc/berth/test-plugins.yaml: plugin \"good\" settings: good: setting \"level\" must be 1, 2 or 3, not "
              "\"7\"");
}

TEST_F(Plugins, SettingsForAPluginWithoutConfigure) {
    EXPECT_EQ(error_of([&] {
                  PluginRegistry::load(config({entry("mount-handler", so("mount_handler"), {{"x", "1"}})}));
              }),
              "/etc/berth/test-plugins.yaml: plugin \"mount-handler\" settings: the plugin takes no settings (got "
              "\"x\")");
}

TEST_F(Plugins, DisabledIsNotLoaded) {
    auto e = entry("good", dir_ + "/does-not-exist.so");
    e.enabled = false;
    auto reg = PluginRegistry::load(config({e}));
    EXPECT_TRUE(reg.plugins().empty());
    EXPECT_TRUE(reg.cgroup_subsystems().empty());
}

TEST_F(Plugins, AbiErrorThroughRegistry) {
    std::string msg = error_of([&] { PluginRegistry::load(config({entry("abi-major", so("abi_major"))})); });
    EXPECT_NE(msg.find("plugin \"abi-major\""), std::string::npos) << msg;
    EXPECT_NE(msg.find(abi(BERTH_ABI_MAJOR + 1, BERTH_ABI_MINOR)), std::string::npos) << msg;
}

TEST_F(Plugins, RelativeFileSearch) {
    std::string a = make_dir("envA", 0755), b = make_dir("envB", 0755), c = make_dir("cfg", 0755);
    install(so("good"), b + "/good.so");
    install(so("good"), c + "/good.so");
    ::setenv("BERTH_PLUGIN_PATH", (a + "::" + b).c_str(), 1);
    auto reg = PluginRegistry::load(config({entry("good", "good.so")}, {c}));
    ASSERT_EQ(reg.plugins().size(), 1u);
    EXPECT_EQ(reg.plugins()[0].path, b + "/good.so") << "BERTH_PLUGIN_PATH is searched before plugin_dirs";
    ::unsetenv("BERTH_PLUGIN_PATH");
    auto reg2 = PluginRegistry::load(config({entry("good", "good.so")}, {a, c}));
    EXPECT_EQ(reg2.plugins()[0].path, c + "/good.so");
    ::setenv("BERTH_PLUGIN_PATH", a.c_str(), 1);
    EXPECT_EQ(error_of([&] { PluginRegistry::load(config({entry("good", "nope.so")}, {c})); }),
              "plugin \"good\": nope.so not found in plugin directories [" + a + ", " + c + "]");
}

TEST_F(Plugins, RelativeFileSearchStillChecksOwnership) {
    std::string ww = make_dir("ww", 0777);
    install(so("good"), ww + "/good.so");
    ::setenv("BERTH_PLUGIN_PATH", ww.c_str(), 1);
    EXPECT_EQ(error_of([&] { PluginRegistry::load(config({entry("good", "good.so")}, {dir_})); }),
              "refusing plugin directory " + ww + ": writable by group or others (mode 0777)");
}

TEST_F(Plugins, DuplicateControllerRefusedAndCleanedUp) {
    auto probe_good = berth::open_plugin(so("good"));
    auto probe_dup = berth::open_plugin(so("dup_controller"));
    EXPECT_EQ(
        error_of([&] {
            PluginRegistry::load(config({entry("good", so("good")), entry("dup-controller", so("dup_controller"))}));
        }),
        "plugin \"dup-controller\": a plugin for cgroup controller \"testctl\" is already loaded");
    EXPECT_EQ(live_in(probe_good), 0u);
    EXPECT_EQ(live_in(probe_dup), 0u) << "the refused plugin's subsystem leaked";
}

// Two entries with the same name, each matching its own descriptor: the YAML
// parser refuses this, but PluginRegistry::load takes a PluginConfig.
TEST_F(Plugins, DuplicateNameRefusedByRegistry) {
    std::string msg = error_of([&] {
        PluginRegistry::load(config({entry("good", so("good")), entry("good", so("dup_name"))}));
    });
    EXPECT_NE(msg.find("\"good\""), std::string::npos) << msg;
}

TEST_F(Plugins, MountHandlers) {
    auto reg = PluginRegistry::load(config({entry("mount-handler", so("mount_handler"))}));
    berth::MountHandler* h = reg.mount_handler("testfs");
    ASSERT_NE(h, nullptr);
    EXPECT_EQ(h->types(), std::vector<std::string>{"testfs"});
    berth::MountRequest req;
    req.source = "bad";
    EXPECT_EQ(h->validate(req).message, "mount-handler: bad source");
    EXPECT_EQ(reg.mount_handler("otherfs"), nullptr);
    EXPECT_TRUE(reg.cgroup_subsystems().empty());
    // What the host may hand the handler follows the plugin's ABI minor.
    EXPECT_EQ(reg.mount_handler_abi_minor("testfs"), unsigned(BERTH_ABI_MINOR));
    EXPECT_EQ(reg.mount_handler_abi_minor("otherfs"), 0u);
}

TEST_F(Plugins, DuplicateMountTypeRefused) {
    EXPECT_EQ(error_of([&] {
                  PluginRegistry::load(config({entry("mount-handler", so("mount_handler")),
                                               entry("mount-handler-dup", so("mount_handler_dup"))}));
              }),
              "plugin \"mount-handler-dup\": mount type \"testfs\" is already handled by another plugin");
}

// Objects outlive nothing they need: a registry moved around and dropped with
// live subsystems and handlers unloads cleanly, and a library another handle
// still holds keeps working.
TEST_F(Plugins, LifetimeAcrossMovesAndScope) {
    auto probe = berth::open_plugin(so("good"));
    std::optional<PluginRegistry> outer;
    {
        auto reg = PluginRegistry::load(
            config({entry("good", so("good"), {{"level", "1"}}), entry("mount-handler", so("mount_handler"))}));
        outer.emplace(std::move(reg));
    }
    ASSERT_EQ(outer->cgroup_subsystems().size(), 1u);
    EXPECT_EQ(stat(outer->cgroup_subsystems()[0], "live"), 1u);
    ASSERT_NE(outer->mount_handler("testfs"), nullptr);
    EXPECT_EQ(outer->mount_handler("testfs")->types().size(), 1u);
    outer.reset();
    EXPECT_EQ(live_in(probe), 0u);
    // Load again after a full unload of mount_handler.so.
    auto again = PluginRegistry::load(config({entry("mount-handler", so("mount_handler"))}));
    EXPECT_NE(again.mount_handler("testfs"), nullptr);
}

// ---- loading only what a container needs (PluginLoadOptions) ----

TEST(PluginDemand, FromResources) {
    auto d = berth::plugin_demand("{}", false);
    EXPECT_FALSE(d.everything);
    EXPECT_TRUE(d.fields.empty());
    EXPECT_TRUE(d.controllers.empty());
    EXPECT_FALSE(d.mounts);
    EXPECT_TRUE(berth::plugin_demand("", true).mounts);
    d = berth::plugin_demand(R"({"memory":{"limit":1,"swap":null},"pids":{"limit":5},"devices":[{"allow":false}]})",
                             false);
    EXPECT_EQ(d.fields, (std::set<std::string>{"memory.limit", "pids.limit", "devices"}));
    // Present but empty asks for nothing (docker sends empty objects).
    d = berth::plugin_demand(R"({"memory":{},"devices":[],"hugepageLimits":null})", false);
    EXPECT_TRUE(d.fields.empty());
    EXPECT_FALSE(d.everything);
    // unified: each key's controller, none for the runtime's cgroup.* files.
    d = berth::plugin_demand(R"({"unified":{"io.max":"8:0 rbps=1","misc.max":"sev 1","cgroup.max.depth":"3"}})", false);
    EXPECT_FALSE(d.everything);
    EXPECT_EQ(d.controllers, (std::set<std::string>{"io", "misc"}));
    // What berth cannot map loads every plugin.
    EXPECT_TRUE(berth::plugin_demand(R"({"unified":{"nodot":"1"}})", false).everything);
    EXPECT_TRUE(berth::plugin_demand(R"({"unified":{".max":"1"}})", false).everything);
    EXPECT_TRUE(berth::plugin_demand("[1]", false).everything);
    EXPECT_TRUE(berth::plugin_demand("{not json", false).everything);
}

// The plugins' declarations decide, not a table of berth's.
TEST(PluginDemand, DeclaredFieldsDecide) {
    const auto d = berth::plugin_demand(R"({"cpu":{"cpus":"0-1"},"blockIO":{"weight":10},"newField":{"x":1}})", false);
    const std::vector<std::string> cpu = {"cpu.shares", "cpu.quota"}, cpuset = {"cpu.cpus", "cpu.mems"};
    const std::vector<std::string> io = {"blockIO"}, memory = {"memory"};
    EXPECT_FALSE(berth::demand_needs(d, &cpu, "cpu", "cpu"));
    EXPECT_TRUE(berth::demand_needs(d, &cpuset, "cpuset", "cpuset"));
    EXPECT_TRUE(berth::demand_needs(d, &io, "io", "blkio"));
    EXPECT_FALSE(berth::demand_needs(d, &memory, "memory", "memory"));
    EXPECT_TRUE(berth::demand_needs(d, nullptr, "testctl", "testctl")) << "no declaration: any resources";
    // A unified key of its controller needs a plugin that declares no field of it.
    const auto u = berth::plugin_demand(R"({"unified":{"memory.high":"1"}})", false);
    EXPECT_TRUE(berth::demand_needs(u, &memory, "memory", "memory"));
    EXPECT_FALSE(berth::demand_needs(u, &io, "io", "blkio"));
    // A field no plugin declares: every plugin is loaded.
    EXPECT_EQ(berth::unserved_fields(d, {"cpu.cpus", "blockIO"}), std::set<std::string>{"newField.x"});
    // A malformed object still reaches the plugin of its members.
    EXPECT_TRUE(berth::field_serves("cpu.cpus", "cpu"));
    EXPECT_TRUE(berth::field_serves("memory", "memory.limit"));
    EXPECT_FALSE(berth::field_serves("memory", "memoryx.limit"));
    EXPECT_FALSE(berth::field_serves("cpu.cpus", "cpu.mems"));
}

// ---- checkpoint engines (ABI 1.3) ----

// A checkpoint engine serves checkpoint and restore only: any other load
// leaves it out entirely (not configured, not active, so never in state.json).
TEST_F(Plugins, CheckpointEngineOnlyWhenAsked) {
    const auto cfg = config({entry("good", so("good")), entry("checkpointer", so("checkpointer"), {{"tool", "x 2"}})});
    {
        auto reg = PluginRegistry::load(cfg);
        ASSERT_EQ(reg.plugins().size(), 1u);
        EXPECT_EQ(reg.plugins()[0].name, "good");
        EXPECT_EQ(reg.checkpoint_engine(), nullptr);
        EXPECT_EQ(reg.checkpoint_plugin(), "");
    }
    berth::PluginLoadOptions opts;
    opts.checkpointer = true;
    auto reg = PluginRegistry::load(cfg, {}, opts);
    ASSERT_NE(reg.checkpoint_engine(), nullptr);
    EXPECT_EQ(reg.checkpoint_plugin(), "checkpointer");
    std::string what;
    ASSERT_TRUE(reg.checkpoint_engine()->describe(&what).ok());
    EXPECT_EQ(what, "x 2") << "its settings reached the engine";
    // An exception in the engine is a Status naming the plugin.
    berth::DumpRequest req;
    req.pid = 7;
    struct Events final : berth::CheckpointEvents {
        int calls = 0;
        berth::Status notify(const berth::CheckpointNotice& n) noexcept override {
            ++calls;
            return n.pid == 42 ? berth::Status::Error(EPERM, "hook failed") : berth::Status::Ok();
        }
    } events;
    const berth::Status st = reg.checkpoint_engine()->dump(req, events);
    EXPECT_EQ(st.err, EIO);
    EXPECT_EQ(st.message, "checkpointer: cannot dump pid 7");
    pid_t pid = 0;
    const berth::Status r = reg.checkpoint_engine()->restore(berth::RestoreRequest{}, events, &pid);
    EXPECT_EQ(events.calls, 1);
    EXPECT_EQ(r.message, "hook failed") << "the host's answer to a notification reaches the engine";
}

TEST_F(Plugins, CheckpointEngineSkippedByDemandWithoutBeingOpened) {
    const auto nothing = berth::plugin_demand("{}", false);
    const std::string index = tmp_ + "/index.json";
    const auto cfg = config({entry("checkpointer", so("checkpointer"), {{"tool", "bad"}})});
    EXPECT_TRUE(PluginRegistry::load(cfg, {}, {&nothing, index}).plugins().empty());
    EXPECT_TRUE(PluginRegistry::load(cfg, {}, {&nothing, index}).plugins().empty()) << "from its record";
    auto reg = PluginRegistry::load(cfg, {}, {&nothing, index, true});
    ASSERT_NE(reg.checkpoint_engine(), nullptr) << "a restore loads it";
}

TEST_F(Plugins, TwoCheckpointEnginesRefused) {
    berth::PluginLoadOptions opts;
    opts.checkpointer = true;
    EXPECT_EQ(error_of([&] {
                  PluginRegistry::load(config({entry("checkpointer", so("checkpointer")),
                                               entry("checkpointer-two", so("checkpointer_two"))}),
                                       {}, opts);
              }),
              "plugin \"checkpointer-two\": a checkpoint plugin (\"checkpointer\") is already loaded: enable one");
}

TEST_F(Plugins, CheckpointKindNeedsAbi13) {
    EXPECT_EQ(error_of([&] { berth::open_plugin(so("checkpointer_old")); }),
              "plugin \"checkpointer-old\" (" + fs::canonical(so("checkpointer_old")).string() +
                  "): a checkpoint plugin needs plugin ABI 1.3 or newer (it says " + abi(BERTH_ABI_MAJOR, 2) + ")");
}

TEST_F(Plugins, InspectDescribesTheCheckpointEngine) {
    const auto info = berth::inspect_plugin(config({entry("checkpointer", so("checkpointer"))}), "checkpointer");
    EXPECT_EQ(info.kinds, std::vector<std::string>{"checkpoint"});
    EXPECT_EQ(info.checkpoint_engine, "fake 1.0") << "inspect does not configure: the defaults";
    EXPECT_EQ(info.error, "");
}

class PluginsOnDemand : public Plugins {
protected:
    void SetUp() override {
        Plugins::SetUp();
        if (IsSkipped()) return;
        pids_ = dir_ + "/pids.so";
        index_ = tmp_ + "/index.json";
        install(std::string(TEST_PLUGIN_DIR) + "/../../plugins/cgroup-pids/berth-cgroup-pids.so", pids_);
    }
    PluginRegistry load(const berth::PluginDemand& d) {
        return PluginRegistry::load(config({entry("cgroup-pids", pids_), entry("mount-handler", so("mount_handler")),
                                            entry("good", so("good"), {{"level", "1"}})}),
                                    {}, {&d, index_});
    }
    static bool loaded(const PluginRegistry& r, const std::string& name) {
        for (auto& p : r.plugins())
            if (p.name == name) return p.descriptor != nullptr;
        ADD_FAILURE() << name << " is not active";
        return false;
    }
    std::string pids_, index_;
};

TEST_F(PluginsOnDemand, LoadsOnlyWhatTheContainerNeeds) {
    const auto nothing = berth::plugin_demand("{}", false);
    {
        // No record yet: every plugin is loaded once, and recorded.
        auto r = load(nothing);
        EXPECT_TRUE(loaded(r, "cgroup-pids"));
        EXPECT_TRUE(loaded(r, "mount-handler"));
        EXPECT_TRUE(fs::exists(index_));
    }
    {
        auto r = load(nothing);
        ASSERT_EQ(r.plugins().size(), 3u) << "skipped plugins stay active (state.json records them)";
        EXPECT_FALSE(loaded(r, "cgroup-pids"));
        EXPECT_FALSE(loaded(r, "mount-handler"));
        EXPECT_TRUE(loaded(r, "good")) << "a controller berth cannot map is always loaded";
        EXPECT_EQ(r.mount_handler("testfs"), nullptr);
        // The pids hierarchy is still planned, by a subsystem that wants nothing.
        bool inert_pids = false;
        for (auto* s : r.cgroup_subsystems())
            if (std::string(s->controller()) == "pids") inert_pids = !s->wants(berth::Resources{});
        EXPECT_TRUE(inert_pids);
    }
    {
        auto r = load(berth::plugin_demand(R"({"pids":{"limit":5}})", true));
        EXPECT_TRUE(loaded(r, "cgroup-pids"));
        EXPECT_TRUE(loaded(r, "mount-handler"));
        EXPECT_NE(r.mount_handler("testfs"), nullptr);
    }
    // A changed file is loaded again before it may be skipped.
    install(std::string(TEST_PLUGIN_DIR) + "/../../plugins/cgroup-pids/berth-cgroup-pids.so", pids_);
    EXPECT_TRUE(loaded(load(nothing), "cgroup-pids"));
    EXPECT_FALSE(loaded(load(nothing), "cgroup-pids"));
    // A corrupt record is only a cost.
    std::ofstream(index_) << "{garbage";
    EXPECT_TRUE(loaded(load(nothing), "cgroup-pids"));
}

// A create killed between writing its copy of the index and the rename
// leaves INDEX.PID (or INDEX.PID.tmp): the next save removes those of
// processes that are gone, never a live one's.
TEST_F(PluginsOnDemand, StaleIndexTempFilesAreRemoved) {
    const pid_t child = ::fork();
    if (child == 0) _exit(0);
    ASSERT_GT(child, 0);
    ASSERT_EQ(::waitpid(child, nullptr, 0), child);
    const std::string dead = index_ + "." + std::to_string(child);
    const std::string live = index_ + ".1";
    for (const std::string& f : {dead, dead + ".tmp", live}) std::ofstream(f) << "{}";
    load(berth::plugin_demand("{}", false));  // no index yet: records, saves
    EXPECT_TRUE(fs::exists(index_));
    EXPECT_FALSE(fs::exists(dead));
    EXPECT_FALSE(fs::exists(dead + ".tmp"));
    EXPECT_TRUE(fs::exists(live)) << "pid 1 is alive: its file is not ours to remove";
}

// Every create parses the whole index, so it may not grow with every build
// tree that ever ran: records of files that are gone are dropped when the
// index is saved, and past 64 records only those this create used are kept.
TEST_F(PluginsOnDemand, IndexForgetsGoneFilesAndStaysBounded) {
    const auto nothing = berth::plugin_demand("{}", false);
    load(nothing);
    auto read_index = [&] { return nlohmann::json::parse(std::ifstream(index_)); };
    auto record_of = [](const std::string& file) {
        struct stat sb;
        EXPECT_EQ(::stat(file.c_str(), &sb), 0) << file;
        return nlohmann::json{{"identity", {{"dev", sb.st_dev}, {"ino", sb.st_ino}}}, {"kinds", 1}};
    };
    nlohmann::json idx = read_index();
    ASSERT_EQ(idx.size(), 3u);
    const std::string other = tmp_ + "/other.so";
    std::ofstream(other) << "x";
    idx[tmp_ + "/gone.so"] = {{"identity", {{"dev", 1}, {"ino", 1}}}, {"kinds", 1}};
    idx[other] = record_of(other);
    std::ofstream(index_) << idx.dump();
    // A changed plugin makes this create save the index.
    install(std::string(TEST_PLUGIN_DIR) + "/../../plugins/cgroup-pids/berth-cgroup-pids.so", pids_);
    load(nothing);
    idx = read_index();
    EXPECT_EQ(idx.size(), 4u) << idx.dump();
    EXPECT_FALSE(idx.contains(tmp_ + "/gone.so"));
    EXPECT_TRUE(idx.contains(other)) << "another config's record, under the bound, is kept";

    for (int i = 0; i < 70; ++i) {
        const std::string f = tmp_ + "/other" + std::to_string(i) + ".so";
        std::ofstream(f) << "x";
        idx[f] = record_of(f);
    }
    std::ofstream(index_) << idx.dump();
    load(nothing);  // nothing changed, but the index is over its bound
    idx = read_index();
    EXPECT_EQ(idx.size(), 3u) << "only the records this create used";
    EXPECT_FALSE(loaded(load(nothing), "cgroup-pids")) << "the kept records still let a plugin be skipped";
}

TEST_F(PluginsOnDemand, SkippedPluginsAreStillChecked) {
    const auto nothing = berth::plugin_demand("{}", false);
    load(nothing);
    ASSERT_EQ(::chmod(pids_.c_str(), 0666), 0);
    std::string msg = error_of([&] { load(nothing); });
    EXPECT_NE(msg.find("refusing plugin file"), std::string::npos) << msg;
    EXPECT_NE(msg.find("writable by group or others"), std::string::npos) << msg;
}

TEST_F(PluginsOnDemand, ChangedSettingsAreCheckedAgain) {
    const auto nothing = berth::plugin_demand("{}", false);
    auto cfg = [&](const std::string& level) {
        return config({entry("cgroup-pids", pids_), entry("mount-handler", so("mount_handler"), {{"x", level}})});
    };
    // mount_handler.so takes no settings: recorded while it had none, then
    // given one, it must be loaded (and refuse it), not skipped.
    PluginRegistry::load(config({entry("cgroup-pids", pids_), entry("mount-handler", so("mount_handler"))}), {},
                         {&nothing, index_});
    std::string msg = error_of([&] { PluginRegistry::load(cfg("1"), {}, {&nothing, index_}); });
    EXPECT_NE(msg.find("takes no settings"), std::string::npos) << msg;
}

// ---- found by fuzzing (tests/fuzz/regressions/plugin_config) ----

TEST(PluginConfig, NonScalarKeysAreRefused) {
    // yaml-cpp's as<std::string>() threw YAML::BadConversion, not berth::Error.
    EXPECT_EQ(yaml_error("[a]: b\n"), "/etc/berth/plugins.yaml: top level: keys must be strings");
    EXPECT_EQ(yaml_error("plugins:\n  - {name: a, file: a.so, {x: 1}: 2}\n"),
              "/etc/berth/plugins.yaml: plugins[0]: keys must be strings");
    EXPECT_EQ(yaml_error("plugins:\n  - name: a\n    file: a.so\n    settings: {[k]: v}\n"),
              "/etc/berth/plugins.yaml: plugins[0].settings: keys must be strings");
}

}  // namespace

// ---- plugin_export.hpp: descriptors built from a class ----

namespace {

// The dynamic symbols a library defines that are not C++ (libstdc++'s
// default-visible template instances are all _Z...): with -fvisibility=hidden
// only the descriptor alias should be left.
std::vector<std::string> exported_c_symbols(const std::string& path) {
    std::vector<std::string> out;
    FILE* f = ::popen(("nm -D --defined-only '" + path + "'").c_str(), "r");
    if (!f) return {"<popen failed>"};
    char line[1024];
    while (std::fgets(line, sizeof line, f)) {
        std::string l(line);
        while (!l.empty() && l.back() == '\n') l.pop_back();
        const auto name = l.substr(l.rfind(' ') + 1);
        if (name.rfind("_Z", 0) != 0) out.push_back(name);
    }
    if (::pclose(f) != 0) out.push_back("<nm failed>");
    return out;
}

}  // namespace

TEST_F(Plugins, SdkHelperDescriptor) {
    auto p = berth::open_plugin(so("sdk_helper"));
    ASSERT_NE(p.descriptor, nullptr);
    EXPECT_EQ(p.name, "sdk-helper");
    EXPECT_EQ(p.descriptor->abi_major, unsigned(BERTH_ABI_MAJOR));
    EXPECT_EQ(p.descriptor->abi_minor, unsigned(BERTH_ABI_MINOR));
    EXPECT_STREQ(p.descriptor->version, "2.0.0");
    EXPECT_STREQ(p.descriptor->license, "MIT");
    EXPECT_STREQ(p.descriptor->description, "berth unit-test plugin built with plugin_export.hpp");
    EXPECT_EQ(p.descriptor->kinds, uint32_t(berth::kCgroupSubsystem));
    EXPECT_NE(p.descriptor->configure, nullptr);
    EXPECT_NE(p.descriptor->create_cgroup_subsystem, nullptr);
    EXPECT_NE(p.descriptor->destroy_cgroup_subsystem, nullptr);
    EXPECT_EQ(p.descriptor->create_mount_handler, nullptr);
    EXPECT_EQ(p.descriptor->destroy_mount_handler, nullptr);

    auto m = berth::open_plugin(so("sdk_helper_mount"));
    EXPECT_EQ(m.name, "sdk-helper-mount");
    EXPECT_EQ(m.descriptor->kinds, uint32_t(berth::kMountHandler));
    EXPECT_NE(m.descriptor->configure, nullptr);
    EXPECT_EQ(m.descriptor->create_cgroup_subsystem, nullptr);
    EXPECT_NE(m.descriptor->create_mount_handler, nullptr);
    EXPECT_NE(m.descriptor->destroy_mount_handler, nullptr);
}

TEST_F(Plugins, SdkHelperExportsOnlyTheDescriptor) {
    for (const char* p : {"sdk_helper", "sdk_helper_mount"})
        EXPECT_EQ(exported_c_symbols(so(p)), std::vector<std::string>{"berth_plugin_descriptor"}) << p;
}

TEST_F(Plugins, SdkHelperSettingsReachTheObject) {
    auto reg = PluginRegistry::load(
        config({entry("sdk-helper", so("sdk_helper"), {{"level", "3"}, {"mode", "1777"}, {"strict", "true"}})}));
    ASSERT_EQ(reg.cgroup_subsystems().size(), 1u);
    auto* s = reg.cgroup_subsystems()[0];
    EXPECT_STREQ(s->controller(), "sdkctl");
    EXPECT_EQ(stat(s, "level"), 3u);
    EXPECT_EQ(stat(s, "mode"), 01777u);
    EXPECT_EQ(stat(s, "strict"), 1u);
    EXPECT_EQ(stat(s, "live"), 1u);
}

TEST_F(Plugins, SdkHelperDefaults) {
    auto reg = PluginRegistry::load(config({entry("sdk-helper", so("sdk_helper"))}));
    ASSERT_EQ(reg.cgroup_subsystems().size(), 1u);
    auto* s = reg.cgroup_subsystems()[0];
    EXPECT_EQ(stat(s, "level"), 1u);
    EXPECT_EQ(stat(s, "mode"), 0755u);
    EXPECT_EQ(stat(s, "strict"), 0u);
}

TEST_F(Plugins, SdkHelperRefusesUnknownSettings) {
    const std::string prefix = "/etc/berth/test-plugins.yaml: plugin \"sdk-helper\" settings: sdk-helper: ";
    EXPECT_EQ(error_of([&] {
                  PluginRegistry::load(config(
                      {entry("sdk-helper", so("sdk_helper"), {{"speed", "1"}, {"level", "2"}, {"colour", "x"}})}));
              }),
              prefix + "unknown setting(s) \"colour\", \"speed\" (known: level, mode, strict, throw_in)");
    // Without a Settings type every key is unknown.
    EXPECT_EQ(
        error_of([&] {
            PluginRegistry::load(config({entry("sdk-helper-mount", so("sdk_helper_mount"), {{"x", "1"}})}));
        }),
        "/etc/berth/test-plugins.yaml: plugin \"sdk-helper-mount\" settings: sdk-helper-mount: unknown setting \"x\"");
}

TEST_F(Plugins, SdkHelperBadSettingValues) {
    const std::string prefix = "/etc/berth/test-plugins.yaml: plugin \"sdk-helper\" settings: sdk-helper: ";
    auto load = [&](std::string key, std::string value) {
        return error_of([&] { PluginRegistry::load(config({entry("sdk-helper", so("sdk_helper"), {{key, value}})})); });
    };
    EXPECT_EQ(load("level", "7"), prefix + "setting \"level\" must be a whole number from 1 to 3, not \"7\"");
    EXPECT_EQ(load("level", "2x"), prefix + "setting \"level\" must be a whole number from 1 to 3, not \"2x\"");
    EXPECT_EQ(load("level", ""), prefix + "setting \"level\" must be a whole number from 1 to 3, not \"\"");
    EXPECT_EQ(load("mode", "0999"), prefix + "setting \"mode\" must be an octal number from 0 to 07777, not \"0999\"");
    EXPECT_EQ(load("strict", "yes"), prefix + "setting \"strict\" must be \"true\" or \"false\", not \"yes\"");
    try {
        PluginRegistry::load(config({entry("sdk-helper", so("sdk_helper"), {{"strict", "1"}})}));
        ADD_FAILURE() << "no error";
    } catch (const berth::Error& e) {
        EXPECT_EQ(e.err(), EINVAL);
    }
}

// Exceptions thrown by the plugin's own code come back as errors; the test
// process surviving them is half the check.
TEST_F(Plugins, SdkHelperThrowInSettings) {
    EXPECT_EQ(error_of([&] {
                  PluginRegistry::load(config({entry("sdk-helper", so("sdk_helper"), {{"throw_in", "settings"}})}));
              }),
              "/etc/berth/test-plugins.yaml: plugin \"sdk-helper\" settings: sdk-helper: settings threw");
}

TEST_F(Plugins, SdkHelperThrowInConstructor) {
    for (const char* where : {"constructor", "constructor-oom"}) {
        EXPECT_EQ(
            error_of([&] {
                PluginRegistry::load(config({entry("sdk-helper", so("sdk_helper"), {{"throw_in", where}})}));
            }),
            "plugin \"sdk-helper\": create_cgroup_subsystem returned null (its constructor failed or memory ran out)")
            << where;
    }
    // Nothing half-made was left alive.
    auto probe = berth::open_plugin(so("sdk_helper"));
    EXPECT_EQ(live_in(probe), 0u);
}

// `berth plugins inspect` makes an object without configure: a constructor
// that throws is an error in the listing, not a crash.
TEST_F(Plugins, SdkHelperInspect) {
    auto info = berth::inspect_plugin(config({}), so("sdk_helper"));
    EXPECT_EQ(info.error, "");
    EXPECT_EQ(info.cgroup_controllers, std::vector<std::string>{"sdkctl"});
    ::setenv("SDK_HELPER_THROW_IN", "constructor", 1);
    info = berth::inspect_plugin(config({}), so("sdk_helper"));
    ::unsetenv("SDK_HELPER_THROW_IN");
    EXPECT_EQ(info.error, fs::canonical(so("sdk_helper")).string() +
                              ": create_cgroup_subsystem returned null (its constructor failed or memory ran out)");
    EXPECT_TRUE(info.cgroup_controllers.empty());
    auto m = berth::inspect_plugin(config({}), so("sdk_helper_mount"));
    EXPECT_EQ(m.error, "");
    EXPECT_EQ(m.mount_types, std::vector<std::string>{"sdkfs"});
}

TEST_F(Plugins, SdkHelperThrowInAMethod) {
    auto reg = PluginRegistry::load(
        config({entry("sdk-helper", so("sdk_helper")), entry("sdk-helper-mount", so("sdk_helper_mount"))}));
    ASSERT_EQ(reg.cgroup_subsystems().size(), 1u);
    auto* s = reg.cgroup_subsystems()[0];
    berth::Resources r;
    EXPECT_TRUE(s->validate(r).ok());
    r.json = R"({"sdkctl": "throw"})";
    berth::Status st = s->validate(r);
    EXPECT_EQ(st.err, EIO);
    EXPECT_EQ(st.message, "sdk-helper: validate threw");
    r.json = R"({"sdkctl": "oom"})";
    st = s->validate(r);
    EXPECT_EQ(st.err, ENOMEM);
    EXPECT_EQ(st.message, "sdk-helper: out of memory");
    r.json = R"({"sdkctl": "int"})";
    st = s->validate(r);
    EXPECT_EQ(st.err, EIO);
    EXPECT_EQ(st.message, "sdk-helper: unexpected exception");

    berth::MountHandler* h = reg.mount_handler("sdkfs");
    ASSERT_NE(h, nullptr);
    berth::MountRequest req;
    req.destination = "/data";
    st = h->mount(req);
    EXPECT_EQ(st.err, EIO);
    EXPECT_EQ(st.message, "sdk-helper-mount: cannot mount /data");
    EXPECT_EQ(h->options(), std::vector<std::string>{"sdkopt"});
}

// What the macro's adapter adds to a plain class: apply_v1 served by
// apply_v2 (the class has none), no resource fields (loaded for any
// resources), no unit properties.
TEST_F(Plugins, SdkHelperAdapterDefaults) {
    auto reg = PluginRegistry::load(config({entry("sdk-helper", so("sdk_helper"))}));
    ASSERT_EQ(reg.cgroup_subsystems().size(), 1u);
    auto* s = reg.cgroup_subsystems()[0];
    berth::Resources r;
    r.json = R"({"sdkctl": "throw"})";
    berth::Status st = s->apply_v1(berth::CgroupDir("/nonexistent"), r);
    EXPECT_TRUE(st.ok()) << st.message;
    EXPECT_STREQ(s->v1_controller(), "sdkctl");
    EXPECT_EQ(s->resource_fields(), nullptr);
    berth::UnitProperties props;
    EXPECT_TRUE(s->unit_properties(r, &props).ok());
    EXPECT_TRUE(props.values.empty());
}

TEST_F(Plugins, SdkHelperDestroysWhatItCreated) {
    auto probe = berth::open_plugin(so("sdk_helper"));
    {
        auto reg = PluginRegistry::load(config({entry("sdk-helper", so("sdk_helper"))}));
        EXPECT_EQ(live_in(probe), 1u);
    }
    EXPECT_EQ(live_in(probe), 0u);
}

// SettingsReader alone (no plugin, no root).
TEST(SettingsReader, ReadsAndRemembersKeys) {
    const berth::PluginSettings s = {{"a", "true"}, {"n", "12"}, {"m", "0750"}, {"t", "x"}, {"extra", "1"}};
    berth::SettingsReader r(s);
    EXPECT_TRUE(r.boolean("a", false));
    EXPECT_FALSE(r.boolean("absent", false));
    EXPECT_EQ(r.integer("n", 0, -5, 20), 12);
    EXPECT_EQ(r.integer("m", 0, 0, 07777, 8), 0750);
    EXPECT_EQ(r.integer("none", 9, 0, 10), 9);
    EXPECT_EQ(r.text("t", ""), "x");
    EXPECT_EQ(r.text("u"), std::nullopt);
    EXPECT_EQ(r.unknown_keys(), "\"extra\"");
    EXPECT_EQ(r.known_keys(), "a, absent, m, n, none, t, u");
    EXPECT_THROW(r.integer("t", 0, 0, 10), berth::SettingError);
    EXPECT_THROW(r.boolean("n", false), berth::SettingError);
    try {
        r.integer("n", 0, -5, 10);
    } catch (const berth::SettingError& e) {
        EXPECT_STREQ(e.what(), "setting \"n\" must be a whole number from -5 to 10, not \"12\"");
    }
}
