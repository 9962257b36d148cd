#include "rpc_codec.hpp"

namespace berth::criu {
namespace {

// Field numbers of rpc.proto (CRIU 3.x; the test compares them with the
// installed file, which only ever adds fields).
namespace req_f {
constexpr int kType = 1, kOpts = 2, kNotifySuccess = 3, kFeatures = 5;
}
namespace opts_f {
constexpr int kImagesDirFd = 1, kPid = 2, kLeaveRunning = 3, kExtUnixSk = 4, kTcpEstablished = 5, kEvasiveDevices = 6,
              kShellJob = 7, kFileLocks = 8, kLogLevel = 9, kLogFile = 10, kPs = 11, kNotifyScripts = 12, kRoot = 13,
              kParentImg = 14, kTrackMem = 15, kAutoDedup = 16, kWorkDirFd = 17, kExtMnt = 23, kManageCgroups = 24,
              kCgRoot = 25, kRstSibling = 26, kInheritFd = 27, kManageCgroupsMode = 34, kExternal = 37, kEmptyNs = 38,
              kJoinNs = 39, kFreezeCgroup = 44, kOrphanPtsMaster = 50, kConfigFile = 51;
}
namespace ps_f {
constexpr int kAddress = 1, kPort = 2;
}
namespace kv_f {  // ext_mount_map, inherit_fd, cgroup_root: key/ctrl = 1, val/fd/path = 2
constexpr int kFirst = 1, kSecond = 2;
}
namespace join_f {
constexpr int kNs = 1, kNsFile = 2;
}
namespace features_f {
constexpr int kMemTrack = 1;
}
namespace resp_f {
constexpr int kType = 1, kSuccess = 2, kDump = 3, kRestore = 4, kNotify = 5, kCrErrno = 7, kFeatures = 8, kCrErrmsg = 9,
              kVersion = 10;
}
namespace dump_f {
constexpr int kRestored = 1;
}
namespace restore_f {
constexpr int kPid = 1;
}
namespace notify_f {
constexpr int kScript = 1, kPid = 2;
}
namespace version_f {
constexpr int kMajor = 1, kMinor = 2, kSublevel = 4;
}

enum Wire : int { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

class Writer {
public:
    void varint(uint64_t v) {
        while (v >= 0x80) {
            out_ += static_cast<char>((v & 0x7f) | 0x80);
            v >>= 7;
        }
        out_ += static_cast<char>(v);
    }
    void key(int field, Wire w) { varint((static_cast<uint64_t>(field) << 3) | w); }
    // int32 and enums: negative values are sign-extended to ten bytes.
    void int32(int field, int32_t v) {
        key(field, kVarint);
        varint(static_cast<uint64_t>(static_cast<int64_t>(v)));
    }
    void uint32(int field, uint32_t v) {
        key(field, kVarint);
        varint(v);
    }
    void flag(int field, bool v) {
        if (v) int32(field, 1);
    }
    void bytes(int field, std::string_view s) {
        key(field, kBytes);
        varint(s.size());
        out_.append(s);
    }
    void text(int field, const std::string& s) {
        if (!s.empty()) bytes(field, s);
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

std::string pair_message(const std::string& first, const std::string& second) {
    Writer w;
    w.bytes(kv_f::kFirst, first);
    w.bytes(kv_f::kSecond, second);
    return w.take();
}

std::string encode_opts(const Opts& o) {
    Writer w;
    w.int32(opts_f::kImagesDirFd, o.images_dir_fd);
    if (o.pid) w.int32(opts_f::kPid, *o.pid);
    w.flag(opts_f::kLeaveRunning, o.leave_running);
    w.flag(opts_f::kExtUnixSk, o.ext_unix_sk);
    w.flag(opts_f::kTcpEstablished, o.tcp_established);
    w.flag(opts_f::kEvasiveDevices, o.evasive_devices);
    w.flag(opts_f::kShellJob, o.shell_job);
    w.flag(opts_f::kFileLocks, o.file_locks);
    if (o.log_level) w.int32(opts_f::kLogLevel, *o.log_level);
    w.text(opts_f::kLogFile, o.log_file);
    if (o.page_server) {
        Writer ps;
        ps.bytes(ps_f::kAddress, o.page_server->first);
        ps.int32(ps_f::kPort, o.page_server->second);
        w.bytes(opts_f::kPs, ps.take());
    }
    w.flag(opts_f::kNotifyScripts, o.notify_scripts);
    w.text(opts_f::kRoot, o.root);
    w.text(opts_f::kParentImg, o.parent_img);
    w.flag(opts_f::kTrackMem, o.track_mem);
    w.flag(opts_f::kAutoDedup, o.auto_dedup);
    if (o.work_dir_fd) w.int32(opts_f::kWorkDirFd, *o.work_dir_fd);
    for (const auto& [k, v] : o.ext_mnt) w.bytes(opts_f::kExtMnt, pair_message(k, v));
    w.flag(opts_f::kManageCgroups, o.manage_cgroups);
    for (const auto& [ctrl, path] : o.cg_root) {
        Writer cg;
        if (!ctrl.empty()) cg.bytes(kv_f::kFirst, ctrl);
        cg.bytes(kv_f::kSecond, path);
        w.bytes(opts_f::kCgRoot, cg.take());
    }
    w.flag(opts_f::kRstSibling, o.rst_sibling);
    for (const auto& [k, fd] : o.inherit_fd) {
        Writer in;
        in.bytes(kv_f::kFirst, k);
        in.int32(kv_f::kSecond, fd);
        w.bytes(opts_f::kInheritFd, in.take());
    }
    if (o.manage_cgroups_mode) w.int32(opts_f::kManageCgroupsMode, static_cast<int32_t>(*o.manage_cgroups_mode));
    for (const auto& e : o.external) w.bytes(opts_f::kExternal, e);
    if (o.empty_ns) w.uint32(opts_f::kEmptyNs, *o.empty_ns);
    for (const auto& j : o.join_ns) {
        Writer jn;
        jn.bytes(join_f::kNs, j.ns);
        jn.bytes(join_f::kNsFile, j.ns_file);
        w.bytes(opts_f::kJoinNs, jn.take());
    }
    w.text(opts_f::kFreezeCgroup, o.freeze_cgroup);
    w.flag(opts_f::kOrphanPtsMaster, o.orphan_pts_master);
    w.text(opts_f::kConfigFile, o.config_file);
    return w.take();
}

// One field of a message being read.
struct Field {
    int number = 0;
    Wire wire = kVarint;
    uint64_t value = 0;     // kVarint, kFixed*
    std::string_view data;  // kBytes
};

class Reader {
public:
    Reader(std::string_view bytes, const char* message) : in_(bytes), message_(message) {}
    bool done() const { return pos_ >= in_.size(); }
    Field next() {
        Field f;
        const uint64_t k = varint();
        f.number = static_cast<int>(k >> 3);
        f.wire = static_cast<Wire>(k & 7);
        if (f.number == 0) fail("field number 0");
        switch (f.wire) {
            case kVarint: f.value = varint(); break;
            case kFixed64: f.value = fixed(8); break;
            case kFixed32: f.value = fixed(4); break;
            case kBytes: {
                const uint64_t n = varint();
                if (n > in_.size() - pos_) fail("field " + std::to_string(f.number) + " runs past the end");
                f.data = in_.substr(pos_, n);
                pos_ += n;
                break;
            }
            default: fail("field " + std::to_string(f.number) + " has wire type " + std::to_string(k & 7));
        }
        return f;
    }
    [[noreturn]] void fail(const std::string& what) const {
        throw DecodeError(std::string(message_) + ": " + what + " (at byte " + std::to_string(pos_) + ")");
    }

private:
    uint64_t varint() {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= in_.size()) fail("truncated varint");
            const auto b = static_cast<uint8_t>(in_[pos_++]);
            v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        fail("varint longer than ten bytes");
    }
    uint64_t fixed(int n) {
        if (in_.size() - pos_ < static_cast<size_t>(n)) fail("truncated fixed field");
        uint64_t v = 0;
        for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_++])) << (8 * i);
        return v;
    }

    std::string_view in_;
    const char* message_;
    size_t pos_ = 0;
};

int32_t as_int32(const Field& f, Reader& r) {
    if (f.wire != kVarint) r.fail("field " + std::to_string(f.number) + " is not a varint");
    return static_cast<int32_t>(static_cast<uint32_t>(f.value));
}

std::string_view as_bytes(const Field& f, Reader& r) {
    if (f.wire != kBytes) r.fail("field " + std::to_string(f.number) + " is not length-delimited");
    return f.data;
}

}  // namespace

std::string encode(const Request& req) {
    Writer w;
    w.int32(req_f::kType, static_cast<int32_t>(req.type));
    if (req.opts) w.bytes(req_f::kOpts, encode_opts(*req.opts));
    w.flag(req_f::kNotifySuccess, req.notify_success);
    if (req.features_mem_track) {
        Writer f;
        f.flag(features_f::kMemTrack, true);
        w.bytes(req_f::kFeatures, f.take());
    }
    return w.take();
}

Response decode_response(std::string_view bytes) {
    Response resp;
    bool have_type = false, have_success = false;
    Reader r(bytes, "criu_resp");
    while (!r.done()) {
        const Field f = r.next();
        switch (f.number) {
            case resp_f::kType:
                resp.type = static_cast<ReqType>(as_int32(f, r));
                have_type = true;
                break;
            case resp_f::kSuccess:
                resp.success = as_int32(f, r) != 0;
                have_success = true;
                break;
            case resp_f::kCrErrno: resp.cr_errno = as_int32(f, r); break;
            case resp_f::kCrErrmsg: resp.cr_errmsg = std::string(as_bytes(f, r)); break;
            case resp_f::kDump: {
                Reader d(as_bytes(f, r), "criu_resp.dump");
                while (!d.done())
                    if (const Field g = d.next(); g.number == dump_f::kRestored)
                        resp.dump_restored = as_int32(g, d) != 0;
                break;
            }
            case resp_f::kRestore: {
                Reader d(as_bytes(f, r), "criu_resp.restore");
                while (!d.done())
                    if (const Field g = d.next(); g.number == restore_f::kPid) resp.restore_pid = as_int32(g, d);
                break;
            }
            case resp_f::kNotify: {
                Reader d(as_bytes(f, r), "criu_resp.notify");
                while (!d.done()) {
                    const Field g = d.next();
                    if (g.number == notify_f::kScript) resp.notify_script = std::string(as_bytes(g, d));
                    else if (g.number == notify_f::kPid) resp.notify_pid = as_int32(g, d);
                }
                break;
            }
            case resp_f::kFeatures: {
                Reader d(as_bytes(f, r), "criu_resp.features");
                while (!d.done())
                    if (const Field g = d.next(); g.number == features_f::kMemTrack)
                        resp.features_mem_track = as_int32(g, d) != 0;
                break;
            }
            case resp_f::kVersion: {
                Reader d(as_bytes(f, r), "criu_resp.version");
                Version v;
                while (!d.done()) {
                    const Field g = d.next();
                    if (g.number == version_f::kMajor) v.major = as_int32(g, d);
                    else if (g.number == version_f::kMinor) v.minor = as_int32(g, d);
                    else if (g.number == version_f::kSublevel) v.sublevel = as_int32(g, d);
                }
                resp.version = v;
                break;
            }
            default: break;  // a field of a newer CRIU
        }
    }
    if (!have_type) r.fail("no type (field 1)");
    if (!have_success) r.fail("no success (field 2)");
    return resp;
}

const std::vector<std::pair<std::string, int>>& field_numbers() {
    static const std::vector<std::pair<std::string, int>> table = {
        {"criu_req.type", req_f::kType},
        {"criu_req.opts", req_f::kOpts},
        {"criu_req.notify_success", req_f::kNotifySuccess},
        {"criu_req.features", req_f::kFeatures},
        {"criu_opts.images_dir_fd", opts_f::kImagesDirFd},
        {"criu_opts.pid", opts_f::kPid},
        {"criu_opts.leave_running", opts_f::kLeaveRunning},
        {"criu_opts.ext_unix_sk", opts_f::kExtUnixSk},
        {"criu_opts.tcp_established", opts_f::kTcpEstablished},
        {"criu_opts.evasive_devices", opts_f::kEvasiveDevices},
        {"criu_opts.shell_job", opts_f::kShellJob},
        {"criu_opts.file_locks", opts_f::kFileLocks},
        {"criu_opts.log_level", opts_f::kLogLevel},
        {"criu_opts.log_file", opts_f::kLogFile},
        {"criu_opts.ps", opts_f::kPs},
        {"criu_opts.notify_scripts", opts_f::kNotifyScripts},
        {"criu_opts.root", opts_f::kRoot},
        {"criu_opts.parent_img", opts_f::kParentImg},
        {"criu_opts.track_mem", opts_f::kTrackMem},
        {"criu_opts.auto_dedup", opts_f::kAutoDedup},
        {"criu_opts.work_dir_fd", opts_f::kWorkDirFd},
        {"criu_opts.ext_mnt", opts_f::kExtMnt},
        {"criu_opts.manage_cgroups", opts_f::kManageCgroups},
        {"criu_opts.cg_root", opts_f::kCgRoot},
        {"criu_opts.rst_sibling", opts_f::kRstSibling},
        {"criu_opts.inherit_fd", opts_f::kInheritFd},
        {"criu_opts.manage_cgroups_mode", opts_f::kManageCgroupsMode},
        {"criu_opts.external", opts_f::kExternal},
        {"criu_opts.empty_ns", opts_f::kEmptyNs},
        {"criu_opts.join_ns", opts_f::kJoinNs},
        {"criu_opts.freeze_cgroup", opts_f::kFreezeCgroup},
        {"criu_opts.orphan_pts_master", opts_f::kOrphanPtsMaster},
        {"criu_opts.config_file", opts_f::kConfigFile},
        {"criu_page_server_info.address", ps_f::kAddress},
        {"criu_page_server_info.port", ps_f::kPort},
        {"ext_mount_map.key", kv_f::kFirst},
        {"ext_mount_map.val", kv_f::kSecond},
        {"inherit_fd.key", kv_f::kFirst},
        {"inherit_fd.fd", kv_f::kSecond},
        {"cgroup_root.ctrl", kv_f::kFirst},
        {"cgroup_root.path", kv_f::kSecond},
        {"join_namespace.ns", join_f::kNs},
        {"join_namespace.ns_file", join_f::kNsFile},
        {"criu_features.mem_track", features_f::kMemTrack},
        {"criu_resp.type", resp_f::kType},
        {"criu_resp.success", resp_f::kSuccess},
        {"criu_resp.dump", resp_f::kDump},
        {"criu_resp.restore", resp_f::kRestore},
        {"criu_resp.notify", resp_f::kNotify},
        {"criu_resp.cr_errno", resp_f::kCrErrno},
        {"criu_resp.features", resp_f::kFeatures},
        {"criu_resp.cr_errmsg", resp_f::kCrErrmsg},
        {"criu_resp.version", resp_f::kVersion},
        {"criu_dump_resp.restored", dump_f::kRestored},
        {"criu_restore_resp.pid", restore_f::kPid},
        {"criu_notify.script", notify_f::kScript},
        {"criu_notify.pid", notify_f::kPid},
        {"criu_version.major_number", version_f::kMajor},
        {"criu_version.minor_number", version_f::kMinor},
        {"criu_version.sublevel", version_f::kSublevel},
    };
    return table;
}

const char* type_name(ReqType t) {
    switch (t) {
        case ReqType::kEmpty: return "EMPTY";
        case ReqType::kDump: return "DUMP";
        case ReqType::kRestore: return "RESTORE";
        case ReqType::kCheck: return "CHECK";
        case ReqType::kPreDump: return "PRE_DUMP";
        case ReqType::kNotify: return "NOTIFY";
        case ReqType::kFeatureCheck: return "FEATURE_CHECK";
        case ReqType::kVersion: return "VERSION";
    }
    return "UNKNOWN";
}

}  // namespace berth::criu
