// CRIU's RPC messages (criu_req, criu_resp of rpc.proto) in the protobuf wire
// format, by hand: the plugin sends one request and reads a few responses,
// and a codec of pure functions over plain structs is smaller than protoc's
// output plus libprotobuf, links nothing into the plugin and is table-tested
// (tests/unit/criu_rpc_test.cpp, which also checks every field number below
// against the rpc.proto that the installed criu ships).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::criu {

// criu_req_type
enum class ReqType : int32_t {
    kEmpty = 0,
    kDump = 1,
    kRestore = 2,
    kCheck = 3,
    kPreDump = 4,
    kNotify = 6,
    kFeatureCheck = 9,
    kVersion = 10,
};

// criu_cg_mode
enum class CgMode : int32_t { kIgnore = 0, kNone = 1, kProps = 2, kSoft = 3, kFull = 4, kStrict = 5, kDefault = 6 };

struct JoinNamespace {
    std::string ns, ns_file;
};

// criu_opts: the fields berth sets. Optional scalars are sent only when set;
// booleans only when true (false is CRIU's default for every one of them).
struct Opts {
    int32_t images_dir_fd = -1;  // required
    std::optional<int32_t> pid;
    bool leave_running = false, ext_unix_sk = false, tcp_established = false, evasive_devices = false,
         shell_job = false, file_locks = false;
    std::optional<int32_t> log_level;
    std::string log_file;
    std::optional<std::pair<std::string, int32_t>> page_server;  // address, port
    bool notify_scripts = false;
    std::string root, parent_img;
    bool track_mem = false, auto_dedup = false;
    std::optional<int32_t> work_dir_fd;
    std::vector<std::pair<std::string, std::string>> ext_mnt;  // key, val
    bool manage_cgroups = false;
    std::vector<std::pair<std::string, std::string>> cg_root;  // ctrl ("" → none), path
    bool rst_sibling = false;
    std::vector<std::pair<std::string, int32_t>> inherit_fd;  // key, fd
    std::optional<CgMode> manage_cgroups_mode;
    std::vector<std::string> external;
    std::optional<uint32_t> empty_ns;
    std::vector<JoinNamespace> join_ns;
    std::string freeze_cgroup;
    bool orphan_pts_master = false;
    std::string config_file;
};

struct Request {
    ReqType type = ReqType::kEmpty;
    std::optional<Opts> opts;
    bool notify_success = false;
    // criu_features for kFeatureCheck: the features asked about.
    bool features_mem_track = false;
};

struct Version {
    int32_t major = 0, minor = 0, sublevel = 0;
};

// criu_resp: what berth reads of it.
struct Response {
    ReqType type = ReqType::kEmpty;
    bool success = false;
    std::optional<int32_t> restore_pid;  // criu_restore_resp.pid
    bool dump_restored = false;          // criu_dump_resp.restored
    std::string notify_script;           // criu_notify.script
    int32_t notify_pid = 0;              // criu_notify.pid
    int32_t cr_errno = 0;
    std::string cr_errmsg;
    std::optional<Version> version;
    std::optional<bool> features_mem_track;
};

// Malformed input: names what could not be read and where.
struct DecodeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string encode(const Request& req);
// Unknown fields are skipped, as protobuf does; missing required ones (type,
// success) are an error.
Response decode_response(std::string_view bytes);

// The field numbers this codec writes and reads, by rpc.proto's message and
// field names ("criu_opts.ext_mnt" → 23), for the test that compares them
// with the installed rpc.proto.
const std::vector<std::pair<std::string, int>>& field_numbers();

// "criu_resp" type names for messages: "DUMP", "RESTORE", ...
const char* type_name(ReqType t);

}  // namespace berth::criu
