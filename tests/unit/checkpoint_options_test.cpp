// The checkpoint and restore verbs' flag parsers and the config's external
// mounts for CRIU (core/checkpoint/checkpoint_options.hpp).
#include <gtest/gtest.h>

#include <sched.h>

#include "checkpoint/checkpoint_options.hpp"
#include "error_of.hpp"

namespace berth {
namespace {

using test::error_of;

TEST(CheckpointOptions, CgroupsMode) {
    EXPECT_EQ(parse_cgroups_mode(""), CheckpointCgroupsMode::kDefault);
    EXPECT_EQ(parse_cgroups_mode("soft"), CheckpointCgroupsMode::kSoft);
    EXPECT_EQ(parse_cgroups_mode("full"), CheckpointCgroupsMode::kFull);
    EXPECT_EQ(parse_cgroups_mode("strict"), CheckpointCgroupsMode::kStrict);
    EXPECT_EQ(parse_cgroups_mode("ignore"), CheckpointCgroupsMode::kIgnore);
    EXPECT_EQ(error_of([] { parse_cgroups_mode("props"); }),
              "--manage-cgroups-mode: \"props\" is not one of soft, full, strict, ignore");
}

TEST(CheckpointOptions, EmptyNs) {
    // The network namespace's devices are never restored, as with runc.
    EXPECT_EQ(parse_empty_ns({}), unsigned(CLONE_NEWNET));
    EXPECT_EQ(parse_empty_ns({"network"}), unsigned(CLONE_NEWNET));
    EXPECT_EQ(error_of([] {
                  parse_empty_ns({"network", "ipc"});
              }),
              "--empty-ns: namespace \"ipc\" is not supported (only \"network\")");
}

TEST(CheckpointOptions, PageServer) {
    struct Case {
        const char* in;
        const char* address;
        int port;
        const char* error;
    };
    const Case cases[] = {
        {"127.0.0.1:27", "127.0.0.1", 27, nullptr},
        {"host.example:65535", "host.example", 65535, nullptr},
        {"[::1]:1234", "::1", 1234, nullptr},
        {"127.0.0.1", nullptr, 0, "--page-server: \"127.0.0.1\": no port (use ADDRESS:PORT)"},
        {":27", nullptr, 0, "--page-server: \":27\": no address (use ADDRESS:PORT)"},
        {"h:", nullptr, 0, "--page-server: \"h:\": no port (use ADDRESS:PORT)"},
        {"h:x1", nullptr, 0, "--page-server: \"h:x1\": port \"x1\" is not a number (use ADDRESS:PORT)"},
        {"h:0", nullptr, 0, "--page-server: \"h:0\": port 0 is out of range (use ADDRESS:PORT)"},
        {"h:65536", nullptr, 0, "--page-server: \"h:65536\": port 65536 is out of range (use ADDRESS:PORT)"},
        {"::1:80", nullptr, 0, "--page-server: \"::1:80\": an IPv6 address needs [brackets] (use ADDRESS:PORT)"},
    };
    for (const auto& t : cases) {
        if (t.error) {
            EXPECT_EQ(error_of([&] { parse_page_server(t.in); }), t.error) << t.in;
            continue;
        }
        const auto [address, port] = parse_page_server(t.in);
        EXPECT_EQ(address, t.address) << t.in;
        EXPECT_EQ(port, t.port) << t.in;
    }
}

TEST(CheckpointOptions, ParentPath) {
    EXPECT_EQ(error_of([] { check_parent_path(""); }), "<no error>");
    EXPECT_EQ(error_of([] { check_parent_path("../pre"); }), "<no error>");
    EXPECT_EQ(error_of([] { check_parent_path("/tmp/pre"); }),
              "--parent-path: must be relative to --image-path, not \"/tmp/pre\"");
}

spec::Spec config_with_mounts() {
    return spec::parse_spec(R"({
        "ociVersion": "1.0.2",
        "process": {"args": ["sh"], "cwd": "/"},
        "root": {"path": "rootfs"},
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/data/", "type": "bind", "source": "/srv/data", "options": ["rbind"]},
            {"destination": "/etc/hosts", "source": "hosts", "options": ["bind", "ro"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}
        ],
        "linux": {
            "namespaces": [{"type": "mount"}],
            "maskedPaths": ["/proc/kcore", "/proc/acpi"],
            "devices": [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]
        }
    })");
}

TEST(CheckpointOptions, DumpExternalMounts) {
    const auto got =
        dump_external_mounts(config_with_mounts(), [](const std::string& p) { return p == "/proc/kcore"; });
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& m : got) pairs.emplace_back(m.key, m.value);
    const std::vector<std::pair<std::string, std::string>> want = {
        {"/data", "/data"},
        {"/etc/hosts", "/etc/hosts"},
        {"/proc/kcore", "/dev/null"},
        {"/dev/null", "/dev/null"},
        {"/dev/zero", "/dev/zero"},
        {"/dev/full", "/dev/full"},
        {"/dev/random", "/dev/random"},
        {"/dev/urandom", "/dev/urandom"},
        {"/dev/tty", "/dev/tty"},
        {"/dev/fuse", "/dev/fuse"},
    };
    EXPECT_EQ(pairs, want);
}

TEST(CheckpointOptions, RestoreExternalMounts) {
    const auto got = restore_external_mounts(config_with_mounts(), "/bundle");
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& m : got) pairs.emplace_back(m.key, m.value);
    ASSERT_GE(pairs.size(), 3u);
    EXPECT_EQ(pairs[0], std::make_pair(std::string("/data"), std::string("/srv/data")));
    // A relative bind source is the bundle's.
    EXPECT_EQ(pairs[1], std::make_pair(std::string("/etc/hosts"), std::string("/bundle/hosts")));
    // Masked files were saved as "/dev/null": the host's.
    EXPECT_EQ(pairs[2], std::make_pair(std::string("/dev/null"), std::string("/dev/null")));
    EXPECT_EQ(pairs.back(), std::make_pair(std::string("/dev/fuse"), std::string("/dev/fuse")));
}

TEST(CheckpointOptions, Namespaces) {
    EXPECT_EQ(external_namespace_key("network"), "extRootNetNS");
    EXPECT_EQ(external_namespace_key("pid"), "extRootPidNS");
    EXPECT_EQ(external_namespace_key("ipc"), "");
    EXPECT_EQ(criu_namespace_name("mount"), "mnt");
    EXPECT_EQ(criu_namespace_name("uts"), "uts");
    EXPECT_EQ(error_of([] { criu_namespace_name("cgroup"); }),
              "linux.namespaces: a cgroup namespace joined by path cannot be restored (CRIU cannot join it)");
}

TEST(CheckpointOptions, ExternalFiles) {
    EXPECT_EQ(external_file_key(24, 5), "file[18:5]");
    EXPECT_EQ(external_file_key(1000, 0x1234abcdULL), "file[3e8:1234abcd]");
    EXPECT_EQ(mount_ids("22 1 0:21 / / rw - overlay overlay rw\n"
                        "24 22 0:5 / /dev rw - devtmpfs udev rw\n"
                        "garbage\n"),
              (std::vector<int>{22, 24}));
    EXPECT_EQ(fdinfo_mount_id("pos:\t0\nflags:\t0100002\nmnt_id:\t24\nino:\t5\n"), 24);
    EXPECT_EQ(fdinfo_mount_id("pos:\t0\n"), -1);
}

}  // namespace
}  // namespace berth
