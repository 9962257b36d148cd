// The checkpoint-criu plugin's hand-written CRIU RPC codec
// (plugins/checkpoint-criu/rpc_codec.hpp): exact bytes of requests, decoding
// of responses and of malformed input, and every field number it uses
// against the rpc.proto the installed criu package ships.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "plugins/checkpoint-criu/criu_engine.hpp"
#include "plugins/checkpoint-criu/rpc_codec.hpp"

namespace c = berth::criu;
namespace {

std::string hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        if (!out.empty()) out += ' ';
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

std::string bytes(std::initializer_list<int> b) {
    std::string out;
    for (int x : b) out += static_cast<char>(x);
    return out;
}

TEST(CriuRpc, EncodesRequests) {
    struct Case {
        const char* name;
        c::Request req;
        const char* hex;
    };
    c::Request version;
    version.type = c::ReqType::kVersion;
    c::Request ack;
    ack.type = c::ReqType::kNotify;
    ack.notify_success = true;
    c::Request features;
    features.type = c::ReqType::kFeatureCheck;
    features.features_mem_track = true;
    c::Request dump;
    dump.type = c::ReqType::kDump;
    dump.opts.emplace();
    dump.opts->images_dir_fd = 5;
    dump.opts->pid = 300;
    dump.opts->leave_running = true;
    dump.opts->root = "/r";
    c::Request restore;
    restore.type = c::ReqType::kRestore;
    restore.opts.emplace();
    restore.opts->images_dir_fd = 3;
    restore.opts->ext_mnt = {{"/a", "/b"}};
    restore.opts->inherit_fd = {{"k", 4}};
    restore.opts->cg_root = {{"", "/c"}};
    restore.opts->manage_cgroups_mode = c::CgMode::kSoft;
    restore.opts->empty_ns = 0x40000000;
    c::Request negative;  // int32 -1 is ten bytes on the wire
    negative.type = c::ReqType::kDump;
    negative.opts.emplace();
    negative.opts->images_dir_fd = -1;
    const Case cases[] = {
        {"VERSION", version, "08 0a"},
        {"notify ack", ack, "08 06 18 01"},
        {"feature check", features, "08 09 2a 02 08 01"},
        // opts: images_dir_fd 5, pid 300 (ac 02), leave_running, root "/r"
        {"dump", dump, "08 01 12 0b 08 05 10 ac 02 18 01 6a 02 2f 72"},
        // ext_mnt {1:"/a" 2:"/b"}, cg_root {2:"/c"} (no ctrl), inherit_fd {1:"k" 2:4},
        // manage_cgroups_mode SOFT (34 → a0 02), empty_ns (38 → b0 02)
        {"restore", restore,
         "08 02 12 26 08 03 ba 01 08 0a 02 2f 61 12 02 2f 62 ca 01 04 12 02 2f 63 da 01 05 0a 01 6b 10 04 "
         "90 02 03 b0 02 80 80 80 80 04"},
        {"negative int32", negative, "08 01 12 0b 08 ff ff ff ff ff ff ff ff ff 01"},
    };
    for (const auto& t : cases) EXPECT_EQ(hex(c::encode(t.req)), t.hex) << t.name;
}

TEST(CriuRpc, DecodesResponses) {
    // type RESTORE, success, restore {pid 4242}
    c::Response r = c::decode_response(bytes({0x08, 0x02, 0x10, 0x01, 0x22, 0x03, 0x08, 0x92, 0x21}));
    EXPECT_EQ(r.type, c::ReqType::kRestore);
    EXPECT_TRUE(r.success);
    ASSERT_TRUE(r.restore_pid);
    EXPECT_EQ(*r.restore_pid, 4242);

    // NOTIFY, success, notify {script "post-dump", pid 7}
    std::string notify = bytes({0x08, 0x06, 0x10, 0x01, 0x2a, 0x0d, 0x0a, 0x09});
    notify += "post-dump";
    notify += bytes({0x10, 0x07});
    r = c::decode_response(notify);
    EXPECT_EQ(r.type, c::ReqType::kNotify);
    EXPECT_EQ(r.notify_script, "post-dump");
    EXPECT_EQ(r.notify_pid, 7);

    // DUMP failed: cr_errno 2, cr_errmsg "no"; an unknown field 11 (status) skipped
    r = c::decode_response(bytes({0x08, 0x01, 0x10, 0x00, 0x38, 0x02, 0x4a, 0x02, 'n', 'o', 0x58, 0x05}));
    EXPECT_FALSE(r.success);
    EXPECT_EQ(r.cr_errno, 2);
    EXPECT_EQ(r.cr_errmsg, "no");

    // What criu 3.17.1 answers a VERSION request, as read from `criu swrk`
    r = c::decode_response(bytes({0x08, 0x0a, 0x10, 0x01, 0x52, 0x06, 0x08, 0x03, 0x10, 0x11, 0x20, 0x01}));
    ASSERT_TRUE(r.version);
    EXPECT_EQ(r.version->major, 3);
    EXPECT_EQ(r.version->minor, 17);
    EXPECT_EQ(r.version->sublevel, 1);

    // FEATURE_CHECK: features {mem_track false}
    r = c::decode_response(bytes({0x08, 0x09, 0x10, 0x01, 0x42, 0x02, 0x08, 0x00}));
    ASSERT_TRUE(r.features_mem_track);
    EXPECT_FALSE(*r.features_mem_track);
}

TEST(CriuRpc, RefusesMalformedResponses) {
    struct Case {
        std::string in;
        const char* error;
    };
    const Case cases[] = {
        {"", "criu_resp: no type (field 1) (at byte 0)"},
        {bytes({0x08, 0x02}), "criu_resp: no success (field 2) (at byte 2)"},
        {bytes({0x08}), "criu_resp: truncated varint (at byte 1)"},
        {bytes({0x08, 0x02, 0x10, 0x01, 0x22, 0x05, 0x08}), "criu_resp: field 4 runs past the end (at byte 6)"},
        {bytes({0x08, 0x02, 0x10, 0x01, 0x22, 0x01, 0x0a}), "criu_resp.restore: truncated varint (at byte 1)"},
        {bytes({0x0b}), "criu_resp: field 1 has wire type 3 (at byte 1)"},
        {bytes({0x0a, 0x00}), "criu_resp: field 1 is not a varint (at byte 2)"},
        {bytes({0x00}), "criu_resp: field number 0 (at byte 1)"},
        {bytes({0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}),
         "criu_resp: varint longer than ten bytes (at byte 11)"},
    };
    for (const auto& t : cases) {
        std::string got = "<no error>";
        try {
            c::decode_response(t.in);
        } catch (const c::DecodeError& e) {
            got = e.what();
        }
        EXPECT_EQ(got, t.error) << hex(t.in);
    }
}

// rpc.proto as the criu package installs it; CI installs criu
// (scripts/install-deps.sh), so its absence is a failure, not a skip.
TEST(CriuRpc, FieldNumbersMatchTheInstalledRpcProto) {
    const char* path = "/usr/include/criu/rpc.proto";
    std::ifstream in(path);
    ASSERT_TRUE(in) << path << " is missing: apt-get install criu (scripts/install-deps.sh --tests does)";
    std::map<std::string, int> proto;
    const std::regex message(R"(^\s*message\s+(\w+))"),
        field(R"(^\s*(optional|required|repeated)\s+\w+\s+(\w+)\s*=\s*(\d+))");
    std::string line, current;
    std::smatch m;
    while (std::getline(in, line)) {
        if (std::regex_search(line, m, message)) current = m[1];
        else if (std::regex_search(line, m, field)) proto[current + "." + m[2].str()] = std::stoi(m[3]);
    }
    ASSERT_GT(proto.size(), 50u) << "could not read the fields of " << path;
    for (const auto& [name, number] : c::field_numbers()) {
        auto it = proto.find(name);
        ASSERT_NE(it, proto.end()) << name << " is not in " << path;
        EXPECT_EQ(it->second, number) << name;
    }
}

TEST(CriuEngine, DumpOptions) {
    namespace e = berth::plugins::criu;
    berth::DumpRequest req;
    req.pid = 42;
    req.root = "/rootfs";
    req.freeze_cgroup = "/sys/fs/cgroup/berth/c1";
    req.external_mounts = {{"/data", "/data"}};
    req.external = {"net[123]:extRootNetNS"};
    req.options.parent_dir = "../pre";
    req.options.leave_running = true;
    req.options.tcp_established = true;
    req.options.cgroups_mode = berth::CheckpointCgroupsMode::kStrict;
    req.options.page_server_address = "10.0.0.1";
    req.options.page_server_port = 1234;
    e::Settings s;
    s.config_file = "/etc/criu/berth.conf";
    const c::Opts o = e::dump_options(req, s, 7, -1);
    EXPECT_EQ(o.images_dir_fd, 7);
    EXPECT_FALSE(o.work_dir_fd);
    EXPECT_EQ(o.pid, 42);
    EXPECT_EQ(o.root, "/rootfs");
    EXPECT_EQ(o.log_file, "dump.log");
    EXPECT_EQ(o.log_level, 4);
    EXPECT_TRUE(o.leave_running && o.tcp_established && o.notify_scripts && o.manage_cgroups && o.orphan_pts_master);
    EXPECT_FALSE(o.rst_sibling);
    EXPECT_EQ(o.manage_cgroups_mode, c::CgMode::kStrict);
    EXPECT_EQ(o.parent_img, "../pre");
    EXPECT_TRUE(o.track_mem);
    EXPECT_EQ(o.freeze_cgroup, "/sys/fs/cgroup/berth/c1");
    ASSERT_TRUE(o.page_server);
    EXPECT_EQ(o.page_server->first, "10.0.0.1");
    EXPECT_EQ(o.page_server->second, 1234);
    EXPECT_EQ(o.ext_mnt, (std::vector<std::pair<std::string, std::string>>{{"/data", "/data"}}));
    EXPECT_EQ(o.external, req.external);
    EXPECT_EQ(o.config_file, "/etc/criu/berth.conf");
    // A pre-dump saves memory only: no mounts.
    req.options.pre_dump = true;
    EXPECT_TRUE(e::dump_options(req, s, 7, 8).ext_mnt.empty());
    EXPECT_EQ(e::dump_options(req, s, 7, 8).work_dir_fd, 8);
}

TEST(CriuEngine, RestoreOptions) {
    namespace e = berth::plugins::criu;
    berth::RestoreRequest req;
    req.root = "/run/berth/c1/criu-root";
    req.external_mounts = {{"/data", "/srv/data"}, {"/dev/null", "/dev/null"}};
    // stdio keeps its number; others are numbered from 4 as CRIU gets them
    req.inherit_fds = {{"pipe:[9]", 1}, {"extRootNetNS", 17}, {"extRootPidNS", 12}};
    req.join_namespaces = {{"ipc", "/proc/1/ns/ipc"}};
    req.cgroup_roots = {{"", "/berth/c1"}};
    req.options.shell_job = true;
    const c::Opts o = e::restore_options(req, e::Settings(), 3, 9);
    EXPECT_EQ(o.log_file, "restore.log");
    EXPECT_TRUE(o.rst_sibling && o.evasive_devices && o.shell_job && o.orphan_pts_master);
    EXPECT_FALSE(o.pid);
    EXPECT_EQ(o.work_dir_fd, 9);
    EXPECT_EQ(o.inherit_fd, (std::vector<std::pair<std::string, int32_t>>{
                                {"pipe:[9]", 1}, {"extRootNetNS", 4}, {"extRootPidNS", 5}}));
    ASSERT_EQ(o.join_ns.size(), 1u);
    EXPECT_EQ(o.join_ns[0].ns, "ipc");
    EXPECT_EQ(o.cg_root, req.cgroup_roots);
    EXPECT_EQ(o.ext_mnt.size(), 2u);
    EXPECT_FALSE(o.manage_cgroups_mode);
}

TEST(CriuEngine, EventNames) {
    namespace e = berth::plugins::criu;
    EXPECT_EQ(e::event_of("setup-namespaces"), berth::CheckpointEvent::kSetupNamespaces);
    EXPECT_EQ(e::event_of("orphan-pts-master"), berth::CheckpointEvent::kConsoleMaster);
    EXPECT_EQ(e::event_of("post-restore"), berth::CheckpointEvent::kPostRestore);
    EXPECT_EQ(e::event_of("network-lock"), berth::CheckpointEvent::kNetworkLock);
    EXPECT_EQ(e::event_of("pre-dump"), berth::CheckpointEvent::kOther);
}

}  // namespace
