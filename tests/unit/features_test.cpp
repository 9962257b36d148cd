// `features`: the document's shape, and every item it lists checked against
// the code that would have to accept it (so a listed feature is a real one).
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "features/features.hpp"
#include "plugins/mounts/mount_options.hpp"
#include "error_of.hpp"
#include "seccomp/seccomp_filter.hpp"
#include "spec/spec.hpp"

namespace {

using ojson = nlohmann::ordered_json;

berth::FeaturesInputs inputs() {
    berth::FeaturesInputs in;
    in.oci_version_max = "1.0.2";
    berth::PluginInfo cpu, mem, mounts, ramfs, disabled, broken;
    cpu.name = "cgroup-cpu", cpu.enabled = true, cpu.cgroup_controllers = {"cpu", "cpuacct (v1)"};
    mem.name = "cgroup-memory", mem.enabled = true, mem.cgroup_controllers = {"memory"};
    mounts.name = "mounts", mounts.enabled = true, mounts.mount_types = {"proc", "bind", "tmpfs"};
    for (const auto& e : berth::mounts::mount_option_table()) mounts.mount_options.emplace_back(e.name);
    // Another handler's options are listed too, once: "ro" is in both.
    ramfs.name = "mount-ramfs", ramfs.enabled = true, ramfs.mount_types = {"ramfs"},
    ramfs.mount_options = {"ro", "mode"};
    disabled.name = "cgroup-io", disabled.enabled = false, disabled.cgroup_controllers = {"io", "blkio (v1)"};
    disabled.mount_options = {"disabled-option"};
    broken.name = "cgroup-rdma", broken.enabled = true, broken.cgroup_controllers = {"rdma"}, broken.error = "ABI";
    in.plugins = {cpu, mem, mounts, ramfs, disabled, broken};
    return in;
}

const ojson& doc() {
    static const ojson d = berth::features_document(inputs());
    return d;
}

std::vector<std::string> strings(const ojson& a) { return a.get<std::vector<std::string>>(); }

// runtime-spec schema/features-schema.json (and features-linux.json): the
// required keys and the type of every key berth writes.
TEST(Features, Shape) {
    const ojson& d = doc();
    ASSERT_TRUE(d.is_object());
    ASSERT_TRUE(d.contains("ociVersionMin") && d["ociVersionMin"].is_string());
    ASSERT_TRUE(d.contains("ociVersionMax") && d["ociVersionMax"].is_string());
    EXPECT_EQ(d["ociVersionMax"], "1.0.2");
    for (const char* k : {"hooks", "mountOptions"}) {
        ASSERT_TRUE(d[k].is_array()) << k;
        for (auto& x : d[k]) EXPECT_TRUE(x.is_string()) << k;
    }
    const ojson& l = d["linux"];
    ASSERT_TRUE(l.is_object());
    for (const char* k : {"namespaces", "capabilities"}) ASSERT_TRUE(l[k].is_array()) << k;
    for (const char* k : {"v1", "v2", "systemd", "systemdUser", "rdma"}) EXPECT_TRUE(l["cgroup"][k].is_boolean()) << k;
    EXPECT_EQ(l["cgroup"]["systemd"], true);
    EXPECT_EQ(l["cgroup"]["systemdUser"], false);
    EXPECT_TRUE(l["seccomp"]["enabled"].is_boolean());
    for (const char* k : {"actions", "operators", "archs", "knownFlags", "supportedFlags"})
        EXPECT_TRUE(l["seccomp"][k].is_array()) << k;
    // Support compiled in (features-linux.md), whatever the host has: berth
    // applies a profile or label where the module is on, refuses it elsewhere.
    for (const char* k : {"apparmor", "selinux"}) EXPECT_EQ(l[k]["enabled"], true) << k;
    EXPECT_EQ(l["intelRdt"]["enabled"], false);
    EXPECT_EQ(l["mountExtensions"]["idmap"]["enabled"], true);
    ASSERT_TRUE(d["annotations"].is_object());
    for (auto& [k, v] : d["annotations"].items()) EXPECT_TRUE(v.is_string()) << k;
    // Keys outside the spec's are not allowed at the top level or in linux.
    const std::set<std::string> top = {"ociVersionMin", "ociVersionMax", "hooks",
                                       "mountOptions",  "linux",         "annotations"};
    for (auto& [k, v] : d.items()) EXPECT_TRUE(top.count(k)) << k;
}

TEST(Features, HooksAreTheOnesRun) {
    EXPECT_EQ(strings(doc()["hooks"]), (std::vector<std::string>{"prestart", "createRuntime", "createContainer",
                                                                 "startContainer", "poststart", "poststop"}));
}

// The options are what the enabled handlers say they know, not a table of
// berth's own: another mount plugin's show, a disabled one's do not.
TEST(Features, MountOptionsComeFromTheEnabledHandlers) {
    const auto options = strings(doc()["mountOptions"]);
    EXPECT_EQ(std::count(options.begin(), options.end(), "ro"), 1);
    EXPECT_EQ(std::count(options.begin(), options.end(), "mode"), 1);
    EXPECT_EQ(std::count(options.begin(), options.end(), "disabled-option"), 0);
    berth::FeaturesInputs none = inputs();
    none.plugins.clear();
    EXPECT_TRUE(berth::features_document(none)["mountOptions"].empty());
}

TEST(Features, EveryMountOptionOfTheMountsPluginIsParsedAsAnOption) {
    const auto options = strings(doc()["mountOptions"]);
    EXPECT_GE(options.size(), 30u);
    for (const auto& o : options) {
        if (o == "mode") continue;  // mount-ramfs's
        const auto parsed = berth::mounts::parse_mount_options({o});
        EXPECT_EQ(parsed.data, "") << o << " would reach the filesystem as data";
    }
    EXPECT_NE(std::find(options.begin(), options.end(), "rbind"), options.end());
}

// The recursive attributes runc and crun list (applied with AT_RECURSIVE).
TEST(Features, RecursiveMountAttributesAreListed) {
    const auto options = strings(doc()["mountOptions"]);
    for (const char* o :
         {"rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec", "rnoatime", "ratime", "rrelatime",
          "rnorelatime", "rstrictatime", "rnostrictatime", "rnodiratime", "rdiratime", "rnosymfollow", "rsymfollow"}) {
        EXPECT_NE(std::find(options.begin(), options.end(), o), options.end()) << o;
        const auto parsed = berth::mounts::parse_mount_options({o});
        EXPECT_NE(parsed.recursive_flags | parsed.recursive_clear, 0u) << o << " is listed but changes nothing";
    }
}

TEST(Features, EveryNamespaceIsAccepted) {
    const auto ns = strings(doc()["linux"]["namespaces"]);
    EXPECT_EQ(ns.size(), 8u);
    for (const auto& n : ns) EXPECT_NE(berth::spec::namespace_flag(n), 0) << n;
}

TEST(Features, EveryCapabilityParses) {
    const auto caps = strings(doc()["linux"]["capabilities"]);
    EXPECT_GE(caps.size(), 38u);  // CAP_CHOWN .. CAP_AUDIT_READ at least
    for (const auto& c : caps) EXPECT_GE(berth::spec::capability_number(c), 0) << c;
    for (const char* c : {"CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_NET_RAW", "CAP_AUDIT_READ"})
        EXPECT_NE(std::find(caps.begin(), caps.end(), c), caps.end()) << c;
}

berth::SeccompFilter build(const std::string& text) {
    return berth::build_seccomp_filter(berth::spec::parse_seccomp(text));
}

TEST(Features, EverySeccompActionBuildsAFilter) {
    const ojson& s = doc()["linux"]["seccomp"];
    EXPECT_EQ(s["enabled"], true);
    const auto actions = strings(s["actions"]);
    EXPECT_NE(std::find(actions.begin(), actions.end(), "SCMP_ACT_NOTIFY"), actions.end());
    for (const auto& a : actions) {
        // A notify rule needs a listener, and notify cannot be the default
        // (berth's own syscalls before the listener has the fd would hang).
        const std::string listener = a == "SCMP_ACT_NOTIFY" ? R"("listenerPath":"/run/agent.sock",)" : "";
        if (a == "SCMP_ACT_NOTIFY")
            EXPECT_EQ(berth::test::error_of([&] { build(R"({"defaultAction":")" + a + R"("})"); }),
                      "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");
        else EXPECT_NO_THROW(build(R"({"defaultAction":")" + a + R"("})")) << a;
        // A rule with the default's action is skipped: pick another default.
        const std::string def = a == "SCMP_ACT_ALLOW" ? "SCMP_ACT_ERRNO" : "SCMP_ACT_ALLOW";
        EXPECT_NO_THROW(build("{" + listener + R"("defaultAction":")" + def +
                              R"(","syscalls":[{"names":["getcwd"],"action":")" + a + R"("}]})"))
            << a;
    }
}

// Known: the runtime-spec's four; supported: what this libseccomp and kernel
// can set, each of which builds a filter.
TEST(Features, SeccompFlagsAreTheOnesThatWork) {
    const ojson& s = doc()["linux"]["seccomp"];
    EXPECT_EQ(strings(s["knownFlags"]),
              (std::vector<std::string>{"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                        "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"}));
    const auto supported = strings(s["supportedFlags"]);
    for (const char* f : {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"})
        EXPECT_NE(std::find(supported.begin(), supported.end(), f), supported.end()) << f;
    for (const auto& f : strings(s["knownFlags"])) {
        const bool listed = std::find(supported.begin(), supported.end(), f) != supported.end();
        const std::string err =
            berth::test::error_of([&] { build(R"({"defaultAction":"SCMP_ACT_ALLOW","flags":[")" + f + R"("]})"); });
        EXPECT_EQ(err == "<no error>", listed) << f << ": " << err;
    }
}

TEST(Features, EverySeccompOperatorBuildsAFilter) {
    for (const auto& op : strings(doc()["linux"]["seccomp"]["operators"]))
        EXPECT_NO_THROW(build(R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["personality"],)"
                              R"("action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":8,"valueTwo":8,"op":")" +
                              op + R"("}]}]})"))
            << op;
}

TEST(Features, EverySeccompArchBuildsAFilter) {
    const auto archs = strings(doc()["linux"]["seccomp"]["archs"]);
#if defined(__x86_64__)
    EXPECT_NE(std::find(archs.begin(), archs.end(), "SCMP_ARCH_X86_64"), archs.end());
    // libseccomp cannot mix endiannesses: a big-endian arch would fail create.
    EXPECT_EQ(std::find(archs.begin(), archs.end(), "SCMP_ARCH_S390X"), archs.end());
#endif
    for (const auto& arch : archs)
        EXPECT_NO_THROW(build(R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":[")" + arch + R"("]})")) << arch;
}

TEST(Features, PluginAnnotationsOnlyFromEnabledLoadablePlugins) {
    const ojson& a = doc()["annotations"];
    EXPECT_EQ(a[berth::kControllersAnnotation], "cpu,memory");
    EXPECT_EQ(a[berth::kMountTypesAnnotation], "bind,proc,ramfs,tmpfs");
    EXPECT_EQ(doc()["linux"]["cgroup"]["rdma"], false);  // only the broken plugin offers it
    EXPECT_TRUE(a.contains("io.github.seccomp.libseccomp.version"));
}

}  // namespace
