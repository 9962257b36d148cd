// The containers-common profile format converted to OCI linux.seccomp
// (tests/containers_seccomp.hpp) as podman converts it, and Debian's real
// profile, converted for `runc spec`'s config, parses, validates and builds.
#include <sys/utsname.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../containers_seccomp.hpp"
#include "../source_tree.hpp"

#include "errors/error.hpp"
#include "seccomp/seccomp_filter.hpp"
#include "spec/spec.hpp"

using berth::test::containers_seccomp_to_oci;
using nlohmann::json;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The names of the rules kept, in order.
std::vector<std::string> kept(const json& oci) {
    std::vector<std::string> out;
    for (const auto& r : oci["syscalls"]) out.push_back(r["names"][0]);
    return out;
}

const json kProfile = json::parse(R"({
  "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "defaultErrno": "ENOSYS",
  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
              {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
  "syscalls": [
    {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [], "comment": "", "includes": {}, "excludes": {}},
    {"name": "arch_prctl", "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
    {"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}},
    {"names": ["chroot_denied"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "excludes": {"caps": ["CAP_SYS_CHROOT"]}},
    {"names": ["both_caps"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT", "CAP_SYS_ADMIN"]}},
    {"names": ["not_on_amd64"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
    {"names": ["new_kernel"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "5.8"}},
    {"names": ["old_kernel"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.8"}},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]}
  ]})");

TEST(ContainersSeccomp, DefaultsAndNativeArchitectures) {
    json oci = containers_seccomp_to_oci(kProfile, {}, "amd64", "6.1.0");
    EXPECT_EQ(oci["defaultAction"], "SCMP_ACT_ERRNO");
    EXPECT_EQ(oci["defaultErrnoRet"], 38);
    EXPECT_FALSE(oci.contains("defaultErrno")) << "not an OCI field";
    EXPECT_EQ(oci["architectures"], json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
    EXPECT_EQ(containers_seccomp_to_oci(kProfile, {}, "arm64", "6.1.0")["architectures"],
              json({"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
}

TEST(ContainersSeccomp, IncludesAndExcludesFollowCapsArchAndKernel) {
    struct Case {
        std::vector<std::string> caps;
        std::string arch, kernel;
        std::vector<std::string> want;
    };
    const std::vector<Case> cases = {
        {{}, "amd64", "6.1.0", {"read", "arch_prctl", "chroot_denied", "new_kernel", "personality"}},
        {{"CAP_SYS_CHROOT"}, "amd64", "6.1.0", {"read", "arch_prctl", "chroot", "new_kernel", "personality"}},
        {{"CAP_SYS_CHROOT", "CAP_SYS_ADMIN"},
         "amd64",
         "6.1.0",
         {"read", "arch_prctl", "chroot", "both_caps", "new_kernel", "personality"}},
        {{}, "arm64", "5.4.0-42-generic", {"read", "chroot_denied", "not_on_amd64", "old_kernel", "personality"}},
        {{}, "amd64", "5.8", {"read", "arch_prctl", "chroot_denied", "new_kernel", "personality"}},
    };
    for (const auto& c : cases)
        EXPECT_EQ(kept(containers_seccomp_to_oci(kProfile, c.caps, c.arch, c.kernel)), c.want)
            << c.arch << " " << c.kernel << " caps " << c.caps.size();
}

TEST(ContainersSeccomp, RulesKeepArgsAndErrnoInOciForm) {
    json oci = containers_seccomp_to_oci(kProfile, {}, "amd64", "6.1.0");
    for (const auto& r : oci["syscalls"]) {
        EXPECT_FALSE(r.contains("includes") || r.contains("excludes") || r.contains("comment") || r.contains("name"));
        if (r["names"][0] == "personality")
            EXPECT_EQ(r["args"], json::parse(R"([{"index":0,"value":8,"valueTwo":0,"op":"SCMP_CMP_EQ"}])"));
        else EXPECT_FALSE(r.contains("args")) << r;
        if (r["names"][0] == "chroot_denied") {
            EXPECT_EQ(r["errnoRet"], 1);
        }
    }
}

TEST(ContainersSeccomp, DebiansProfileOnRuncSpecValidatesAndBuilds) {
    const std::string profile = "/usr/share/containers/seccomp.json";
    ASSERT_FALSE(read_file(profile).empty()) << profile << ": install containers-common";
    json cfg = json::parse(read_file(berth::test::source_path("tests/fixtures/clients/runc/spec.json").string()));
    struct utsname u {};
    uname(&u);
    cfg["linux"]["seccomp"] =
        containers_seccomp_to_oci(json::parse(read_file(profile)), cfg["process"]["capabilities"]["bounding"],
                                  berth::test::go_arch_of(u.machine), u.release);
    EXPECT_GT(cfg["linux"]["seccomp"]["syscalls"].size(), 10u);
    try {
        berth::spec::Spec s = berth::spec::parse_spec(cfg.dump());
        ASSERT_TRUE(s.linux.seccomp.has_value());
        berth::SeccompFilter f = berth::build_seccomp_filter(*s.linux.seccomp);
        EXPECT_TRUE(f);
    } catch (const berth::Error& e) {
        FAIL() << e.what();
    }
}

}  // namespace
