// Every config.json a real client generated (tests/fixtures/clients/<client>/
// *.json, kept by tests/clients/<client>.sh) parses and validates: berth must
// accept what podman, docker and containerd send. The directory is globbed at
// run time, so a fixture dropped there is checked without touching this file.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../client_fixture_files.hpp"

#include "errors/error.hpp"
#include "plugins/mounts/handlers.hpp"
#include "plugins/mounts/mount_options.hpp"
#include "seccomp/seccomp_filter.hpp"
#include "spec/spec.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path& kFixtures = berth::test::client_fixtures_dir();

// The parameters each filesystem's fs_context parser accepts (Linux 6.1+:
// mm/shmem.c, fs/devpts/inode.c, fs/proc/root.c; sysfs and mqueue take none).
const std::map<std::string, std::set<std::string>> kFilesystemParams = {
    {"tmpfs",
     {"size", "nr_blocks", "nr_inodes", "mode", "uid", "gid", "huge", "mpol", "inode32", "inode64", "noswap", "quota",
      "usrquota", "grpquota"}},
    {"devpts", {"newinstance", "ptmxmode", "mode", "gid", "uid", "max"}},
    {"proc", {"hidepid", "gid", "subset"}},
    {"sysfs", {}},
    {"mqueue", {}},
};

std::vector<std::string> fixture_files() { return berth::test::client_fixture_files(); }

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(ClientFixtures, TheDirectoryHasFixtures) {
    // An empty glob must not pass as "everything validated".
    EXPECT_FALSE(fixture_files().empty()) << "no fixtures under " << kFixtures;
}

class ClientFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(ClientFixture, ParsesAndValidates) {
    const std::string text = read_file(GetParam());
    ASSERT_FALSE(text.empty()) << GetParam();
    berth::spec::Spec s;
    try {
        s = berth::spec::parse_spec(text);
    } catch (const berth::Error& e) {
        FAIL() << GetParam() << ": " << e.what();
    }
    ASSERT_TRUE(s.process.has_value()) << "clients always send a process";
    EXPECT_FALSE(s.process->args.empty());
    EXPECT_EQ(s.root_path, "rootfs") << "keep_fixture rewrites root.path";
    EXPECT_FALSE(s.linux.namespaces.empty());
    // The filter is built as create builds it (not loaded): every syscall name,
    // action and argument of the client's profile is understood.
    if (s.linux.seccomp) {
        try {
            berth::SeccompFilter f = berth::build_seccomp_filter(*s.linux.seccomp);
            EXPECT_TRUE(f);
        } catch (const berth::Error& e) {
            ADD_FAILURE() << "linux.seccomp: " << e.what();
        }
    }
    // Every mount has a handler in the in-tree mounts plugin, and the
    // filesystem mounts' options are accepted (binds need their host source,
    // which belonged to the client's container: not checked here).
    berth::mounts::MountsHandler mounts;
    const std::vector<std::string> types = mounts.types();
    for (const auto& m : s.mounts) {
        berth::MountRequest req{m.type, m.source, m.destination, "", m.options};
        berth::mounts::ParsedMountOptions parsed = berth::mounts::parse_mount_options(m.options);
        if (parsed.bind) continue;
        EXPECT_NE(std::find(types.begin(), types.end(), m.type), types.end())
            << m.destination << ": no handler for type " << m.type;
        berth::Status st = mounts.validate(req);
        EXPECT_TRUE(st.ok()) << m.destination << ": " << st.message;
        // Only parameters the filesystem knows may reach fsconfig (an option
        // berth does not handle, such as "tmpcopyup" once, would end up there
        // and the kernel refuses it with EINVAL).
        auto known = kFilesystemParams.find(m.type);
        if (known == kFilesystemParams.end()) continue;
        for (const auto& p : berth::mounts::split_mount_data(parsed.data))
            EXPECT_TRUE(known->second.count(p.key))
                << m.destination << ": \"" << p.key << "\" is not a " << m.type << " parameter";
    }
}

INSTANTIATE_TEST_SUITE_P(EveryClientFixture, ClientFixture, ::testing::ValuesIn(fixture_files()),
                         berth::test::client_fixture_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ClientFixture);

}  // namespace
