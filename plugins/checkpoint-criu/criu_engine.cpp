#include "criu_engine.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <stdexcept>

#include "swrk.hpp"
#include "util/unique_fd.hpp"

namespace berth::plugins::criu {

using berth::criu::Opts;
using berth::criu::ReqType;
using berth::criu::Request;
using berth::criu::Response;

namespace {

constexpr const char* kDumpLog = "dump.log";
constexpr const char* kRestoreLog = "restore.log";

// CRIU's log level: 4 is everything (runc always asks for it); the log stays
// in the work directory for whoever looks after a failure.
constexpr int32_t kLogLevel = 4;

struct Failure : std::runtime_error {
    Failure(int e, const std::string& what) : std::runtime_error(what), err(e) {}
    int err;
};

UniqueFd open_dir(const std::string& path, const char* what) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) throw Failure(errno, std::string(what) + " " + path + ": " + std::strerror(errno));
    return fd;
}

// The last "Error" line of CRIU's log: what a failure was about, for the
// message (the whole log stays where it is).
std::string last_error_line(const std::string& log) {
    std::ifstream in(log);
    std::string line, last;
    while (std::getline(in, line))
        if (line.find("Error") != std::string::npos) last = line;
    return last;
}

// Where CRIU writes its logs: the work directory, else the image directory.
std::string log_path(const CheckpointOptions& o, const char* name) {
    return (o.work_dir.empty() ? o.image_dir : o.work_dir) + "/" + name;
}

// The binary to run, resolved now, so that a missing one is named rather
// than reported as "criu exited 127".
std::string resolve(const std::string& criu) {
    if (criu.find('/') != std::string::npos) {
        if (::access(criu.c_str(), X_OK) < 0)
            throw Failure(errno, "criu: " + criu + ": " + std::strerror(errno) + " (the plugin's setting \"criu\")");
        return criu;
    }
    const char* path = std::getenv("PATH");
    std::string dirs = path && *path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
    for (size_t start = 0; start <= dirs.size();) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        const std::string candidate = dirs.substr(start, end - start) + "/" + criu;
        if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    throw Failure(ENOENT, "criu: \"" + criu + "\" not found in $PATH (" + dirs +
                              "): install criu, or set the checkpoint-criu plugin's setting \"criu\"");
}

// Runs one request through `swrk` and answers its notifications until the
// response of `req.type` comes.
Response converse(Swrk& swrk, const Request& req, CheckpointEvents& events, const std::string& log) {
    swrk.send(req);
    for (;;) {
        UniqueFd fd;
        const Response resp = swrk.receive(&fd);
        if (!resp.success) {
            std::string msg = std::string("criu ") + berth::criu::type_name(resp.type) + " failed";
            if (resp.cr_errno) msg += std::string(" (") + std::strerror(resp.cr_errno) + ")";
            if (!resp.cr_errmsg.empty()) msg += ": " + resp.cr_errmsg;
            if (!log.empty()) {
                const std::string line = last_error_line(log);
                msg += "; see " + log + (line.empty() ? "" : ": " + line);
            }
            throw Failure(resp.cr_errno ? resp.cr_errno : EIO, msg);
        }
        if (resp.type == ReqType::kNotify) {
            const CheckpointNotice notice{event_of(resp.notify_script), resp.notify_script.c_str(), resp.notify_pid,
                                          fd.get()};
            const Status st = events.notify(notice);
            if (!st.ok()) throw Failure(st.err, st.message);
            Request ack;
            ack.type = ReqType::kNotify;
            ack.notify_success = true;
            swrk.send(ack);
            continue;
        }
        if (resp.type != req.type)
            throw Failure(EPROTO, std::string("criu answered a ") + berth::criu::type_name(req.type) +
                                      " request with " + berth::criu::type_name(resp.type));
        return resp;
    }
}

class NoEvents final : public CheckpointEvents {
public:
    Status notify(const CheckpointNotice&) noexcept override { return Status::Ok(); }
};

Status as_status(const std::function<void()>& body) {
    try {
        body();
        return Status::Ok();
    } catch (const Failure& f) {
        return Status::Error(f.err, f.what());
    } catch (const berth::criu::DecodeError& e) {
        return Status::Error(EPROTO, std::string("checkpoint-criu: ") + e.what());
    }
}

void common_options(Opts& o, const CheckpointOptions& c, const Settings& s, int images_fd, int work_fd) {
    o.images_dir_fd = images_fd;
    if (work_fd >= 0) o.work_dir_fd = work_fd;
    o.log_level = kLogLevel;
    o.manage_cgroups = true;  // before manage_cgroups_mode (CRIU < 3.x)
    if (c.cgroups_mode != CheckpointCgroupsMode::kDefault) o.manage_cgroups_mode = cgroups_mode(c.cgroups_mode);
    o.notify_scripts = true;
    o.shell_job = c.shell_job;
    o.tcp_established = c.tcp_established;
    o.ext_unix_sk = c.ext_unix_sk;
    o.file_locks = c.file_locks;
    o.auto_dedup = c.auto_dedup;
    o.empty_ns = c.empty_ns;
    // The console's master is never in the container: it is sent out at
    // create and comes back as a notification at restore.
    o.orphan_pts_master = true;
    o.config_file = s.config_file;
}

}  // namespace

Settings::Settings(SettingsReader& r) {
    criu = r.text("criu", criu);
    config_file = r.text("config_file", "");
    if (criu.empty()) throw SettingError("setting \"criu\" must name a binary");
    if (!config_file.empty() && config_file[0] != '/')
        throw SettingError("setting \"config_file\" must be an absolute path, not \"" + config_file + "\"");
}

berth::criu::CgMode cgroups_mode(CheckpointCgroupsMode m) {
    switch (m) {
        case CheckpointCgroupsMode::kSoft: return berth::criu::CgMode::kSoft;
        case CheckpointCgroupsMode::kFull: return berth::criu::CgMode::kFull;
        case CheckpointCgroupsMode::kStrict: return berth::criu::CgMode::kStrict;
        case CheckpointCgroupsMode::kIgnore: return berth::criu::CgMode::kIgnore;
        case CheckpointCgroupsMode::kDefault: break;
    }
    return berth::criu::CgMode::kDefault;
}

CheckpointEvent event_of(const std::string& script) {
    static const std::pair<const char*, CheckpointEvent> kNames[] = {
        {"network-lock", CheckpointEvent::kNetworkLock}, {"network-unlock", CheckpointEvent::kNetworkUnlock},
        {"post-dump", CheckpointEvent::kPostDump},       {"setup-namespaces", CheckpointEvent::kSetupNamespaces},
        {"post-restore", CheckpointEvent::kPostRestore}, {"orphan-pts-master", CheckpointEvent::kConsoleMaster},
        {"pre-resume", CheckpointEvent::kPreResume},     {"post-resume", CheckpointEvent::kPostResume},
    };
    for (const auto& [name, event] : kNames)
        if (script == name) return event;
    return CheckpointEvent::kOther;
}

Opts dump_options(const DumpRequest& req, const Settings& s, int images_fd, int work_fd) {
    Opts o;
    common_options(o, req.options, s, images_fd, work_fd);
    o.log_file = kDumpLog;
    o.pid = req.pid;
    o.root = req.root;
    o.leave_running = req.options.leave_running;
    o.freeze_cgroup = req.freeze_cgroup;
    if (!req.options.page_server_address.empty())
        o.page_server = std::make_pair(req.options.page_server_address, req.options.page_server_port);
    if (!req.options.parent_dir.empty()) {
        o.parent_img = req.options.parent_dir;
        o.track_mem = true;
    }
    // A pre-dump saves memory only: the mounts are the final dump's.
    if (!req.options.pre_dump)
        for (const auto& m : req.external_mounts) o.ext_mnt.emplace_back(m.key, m.value);
    o.external = req.external;
    return o;
}

Opts restore_options(const RestoreRequest& req, const Settings& s, int images_fd, int work_fd) {
    Opts o;
    common_options(o, req.options, s, images_fd, work_fd);
    o.log_file = kRestoreLog;
    o.root = req.root;
    // The restored init is our child, as a created container's init is.
    o.rst_sibling = true;
    // A device node may be found by another path than at dump (runc too).
    o.evasive_devices = true;
    for (const auto& m : req.external_mounts) o.ext_mnt.emplace_back(m.key, m.value);
    int next = 4;
    for (const auto& f : req.inherit_fds) o.inherit_fd.emplace_back(f.key, f.fd <= 2 ? f.fd : next++);
    for (const auto& [type, path] : req.join_namespaces) o.join_ns.push_back({type, path});
    o.cg_root = req.cgroup_roots;
    return o;
}

Status CriuEngine::describe(std::string* out) const {
    return as_status([&] {
        Swrk swrk(resolve(settings_.criu), {});
        NoEvents none;
        Request req;
        req.type = ReqType::kVersion;
        const Response resp = converse(swrk, req, none, "");
        if (!resp.version) throw Failure(EPROTO, "criu answered VERSION without a version");
        // Appended: GCC 12 at -O3 warns (-Wrestrict, a false positive) on
        // "." + std::string&&, and the release build is -Werror.
        std::string v("criu ");
        v.append(std::to_string(resp.version->major)).append(".").append(std::to_string(resp.version->minor));
        if (resp.version->sublevel) v.append(".").append(std::to_string(resp.version->sublevel));
        *out = std::move(v);
    });
}

Status CriuEngine::dump(const DumpRequest& req, CheckpointEvents& events) {
    return as_status([&] {
        const std::string criu = resolve(settings_.criu);
        const UniqueFd images = open_dir(req.options.image_dir, "--image-path");
        UniqueFd work;
        if (!req.options.work_dir.empty()) work = open_dir(req.options.work_dir, "--work-path");
        if (req.options.pre_dump) {
            // As runc: ask first, so that a kernel without soft-dirty
            // tracking is named instead of failing halfway.
            Swrk probe(criu, {});
            Request features;
            features.type = ReqType::kFeatureCheck;
            features.features_mem_track = true;
            const Response resp = converse(probe, features, events, "");
            if (!resp.features_mem_track.value_or(false))
                throw Failure(ENOTSUP, "--pre-dump: criu reports no memory tracking (soft-dirty pages) here");
        }
        Swrk swrk(criu, {});
        if (const Status st = events.notify({CheckpointEvent::kToolStarted, "berth:criu-started", swrk.pid(), -1});
            !st.ok())
            throw Failure(st.err, st.message);
        Request r;
        r.type = req.options.pre_dump ? ReqType::kPreDump : ReqType::kDump;
        r.opts = dump_options(req, settings_, images.get(), work.get());
        converse(swrk, r, events, log_path(req.options, kDumpLog));
        const int status = swrk.wait();
        // After a pre-dump CRIU waits for the next request and exits on EOF
        // with a failure: the pre-dump itself was answered a success.
        if (!req.options.pre_dump && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            throw Failure(
                EIO, "criu " + describe_status(status) + " after the dump; see " + log_path(req.options, kDumpLog));
    });
}

Status CriuEngine::restore(const RestoreRequest& req, CheckpointEvents& events, pid_t* pid) {
    return as_status([&] {
        const std::string criu = resolve(settings_.criu);
        const UniqueFd images = open_dir(req.options.image_dir, "--image-path");
        UniqueFd work;
        if (!req.options.work_dir.empty()) work = open_dir(req.options.work_dir, "--work-path");
        std::vector<int> extra;
        for (const auto& f : req.inherit_fds)
            if (f.fd > 2) extra.push_back(f.fd);
        Swrk swrk(criu, extra);
        const Status started = events.notify({CheckpointEvent::kToolStarted, "berth:criu-started", swrk.pid(), -1});
        if (!started.ok()) throw Failure(started.err, started.message);
        Request r;
        r.type = ReqType::kRestore;
        r.opts = restore_options(req, settings_, images.get(), work.get());
        const Response resp = converse(swrk, r, events, log_path(req.options, kRestoreLog));
        if (!resp.restore_pid || *resp.restore_pid <= 0)
            throw Failure(EPROTO, "criu answered RESTORE without the restored process's pid");
        *pid = *resp.restore_pid;
        const int status = swrk.wait();
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            throw Failure(EIO, "criu " + describe_status(status) + " after the restore; see " +
                                   log_path(req.options, kRestoreLog));
    });
}

}  // namespace berth::plugins::criu
