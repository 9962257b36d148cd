// `checkpoint`: the container's state and config as a DumpRequest for the
// checkpoint plugin.
#include "checkpoint/checkpoint.hpp"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cgroups/cgroup_manager.hpp"
#include "checkpoint/checkpoint_options.hpp"
#include "checkpoint/engine_loader.hpp"
#include "errors/error.hpp"
#include "log/log.hpp"
#include "spec/spec.hpp"
#include "state/process_identity.hpp"
#include "state/state_store.hpp"
#include "util/files.hpp"

namespace berth {
namespace {

// Nothing to do at CRIU's notification points of a dump: berth manages no
// network (runc's lock/unlock do nothing for an OCI config either).
class DumpEvents final : public CheckpointEvents {
public:
    Status notify(const CheckpointNotice& n) noexcept override {
        log_debug(std::string("checkpoint: criu notification ") + n.name);
        return Status::Ok();
    }
};

std::string proc_link(pid_t pid, int fd) {
    char buf[PATH_MAX];
    const std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
    const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    if (n < 0) return "";
    return std::string(buf, static_cast<size_t>(n));
}

// What init's fds 0-2 are, as the restore will find them again (runc's
// descriptors.json): a pipe by its name, which CRIU takes as the key of an
// inherited fd; a file on a mount the container does not have (the caller's
// /dev/null, a fifo of a shim) as an external file, which CRIU does not
// save at all. Those keys go to `external`.
std::vector<std::string> stdio_keys(pid_t pid, std::vector<std::string>* external) {
    const std::string proc = "/proc/" + std::to_string(pid);
    const std::vector<int> mounts = mount_ids(read_file(proc + "/mountinfo"));
    std::vector<std::string> keys;
    for (int fd = 0; fd < 3; ++fd) {
        std::string key = proc_link(pid, fd);
        struct stat sb;
        const std::string fd_path = proc + "/fd/" + std::to_string(fd);
        if (!key.empty() && key[0] == '/' && ::stat(fd_path.c_str(), &sb) == 0) {
            std::string fdinfo;
            try {
                fdinfo = read_file(proc + "/fdinfo/" + std::to_string(fd));
            } catch (const Error&) {
            }
            const int mnt = fdinfo_mount_id(fdinfo);
            if (mnt >= 0 && std::find(mounts.begin(), mounts.end(), mnt) == mounts.end()) {
                key = external_file_key(mnt, sb.st_ino);
                if (std::find(external->begin(), external->end(), key) == external->end()) external->push_back(key);
            }
        }
        keys.push_back(key);
    }
    return keys;
}

}  // namespace

void checkpoint_container(const RuntimeContext& ctx, const std::string& id, const CheckpointOptions& in) {
    CheckpointOptions opts = in;
    check_parent_path(opts.parent_dir);
    {
        LockedContainer c = StateStore(ctx.root).open_existing(id);
        const ContainerState st = c.load();
        const std::string status = status_of(st, c.dir());
        if (status != "running" && status != "paused")
            throw Error("container cannot be checkpointed in " + status + " state");
        const spec::Spec s = spec::load_spec(st.bundle);
        const PluginRegistry plugins = load_checkpoint_plugins(ctx, {}, plugin_demand("{}", false), "checkpoint");

        // As runc: the image directory is made if missing; the work
        // directory too. Only now that the container is known to be there.
        make_dirs(opts.image_dir, 0700);
        if (!opts.work_dir.empty()) make_dirs(opts.work_dir, 0700);
        if (!opts.parent_dir.empty()) {
            const std::string parent = opts.image_dir + "/" + opts.parent_dir;
            struct stat sb;
            if (::stat(parent.c_str(), &sb) < 0) throw_errno("--parent-path", parent);
            if (!S_ISDIR(sb.st_mode)) throw Error("--parent-path: " + parent + ": not a directory", ENOTDIR);
        }

        DumpRequest req;
        req.options = opts;
        req.pid = st.pid;
        req.root = st.rootfs;
        req.has_terminal = s.process && s.process->terminal;
        const CgroupPaths cg = CgroupPaths::from_json(st.cgroup);
        // CRIU freezes through the cgroup (v2: cgroup.freeze) rather than
        // ptrace-stopping each task, as runc asks it to.
        req.freeze_cgroup = !cg.unified.empty() ? cg.unified : cg.v1.count("freezer") ? cg.v1.at("freezer") : "";
        const std::string proc_root = "/proc/" + std::to_string(st.pid) + "/root";
        req.external_mounts = dump_external_mounts(s, [&](const std::string& path) {
            struct stat sb;
            return ::stat((proc_root + path).c_str(), &sb) == 0 && !S_ISDIR(sb.st_mode);
        });
        // A namespace joined by path is not the container's to save: CRIU
        // records it by inode, and restore gives it back by fd.
        for (const auto& ns : s.linux.namespaces) {
            const std::string key = external_namespace_key(ns.type);
            if (ns.path.empty() || key.empty()) continue;
            struct stat sb;
            if (::stat(ns.path.c_str(), &sb) < 0) throw_errno("linux.namespaces: " + ns.type, ns.path);
            req.external.push_back(std::string(ns.type == "network" ? "net" : "pid") + "[" + std::to_string(sb.st_ino) +
                                   "]:" + key);
        }
        const std::vector<std::string> stdio = stdio_keys(st.pid, &req.external);
        if (!opts.pre_dump)
            write_file_replace(opts.image_dir + "/" + kDescriptorsFile, nlohmann::json(stdio).dump(), 0600);
        DumpEvents events;
        const Status done = plugins.checkpoint_engine()->dump(req, events);
        if (!done.ok()) throw Error("checkpoint: " + done.message, done.err);
    }
    // The lock is released: delete takes it again.
    if (!opts.leave_running && !opts.pre_dump) delete_container(ctx, id, true);
}

}  // namespace berth
