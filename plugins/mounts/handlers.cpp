#include "handlers.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <new>

#include "cgroup_view.hpp"
#include "copy_up.hpp"
#include "mount_api.hpp"
#include "mount_options.hpp"
#include "overlay.hpp"

namespace berth::mounts {

namespace {

// validate/mount are noexcept: an allocation failure (or any surprise) becomes
// a Status instead of std::terminate in the host.
template <typename F>
Status guarded(const MountRequest& req, F&& body) noexcept {
    try {
        return body();
    } catch (const std::bad_alloc&) {
        return Status::Error(ENOMEM, "mount " + std::string(req.destination) + ": out of memory");
    } catch (const std::exception& e) {
        return Status::Error(EIO, "mount " + req.destination + ": " + e.what());
    } catch (...) {
        return Status::Error(EIO, "mount " + req.destination + ": unexpected error");
    }
}

// Known options this kind of mount cannot apply are refused, naming them
// (mount_handler.hpp: "options[K]: ..."), rather than accepted and dropped.
Status check_applicable(const MountRequest& req, bool bind) {
    for (size_t k = 0; k < req.options.size(); ++k)
        if (std::string why = why_not_applied(req.options[k], bind); !why.empty())
            return Status::Error(EINVAL, "options[" + std::to_string(k) + "]: \"" + req.options[k] + "\": " + why +
                                             " (mount " + req.destination + ")");
    return Status::Ok();
}

// A bind (or the cgroup view, made of binds) has no filesystem data:
// mount(2) with MS_BIND ignores it, so an option berth does not know ("rro"
// before berth knew it) would silently not apply. Refused, naming the option.
Status check_no_data(const MountRequest& req, const char* what) {
    for (size_t k = 0; k < req.options.size(); ++k)
        if (!is_mount_option(req.options[k]))
            return Status::Error(EINVAL, "options[" + std::to_string(k) + "]: \"" + req.options[k] +
                                             "\": not a mount option, and " + what +
                                             " takes no filesystem data (mount " + req.destination + ")");
    return check_applicable(req, true);
}

// Data options must be keys: "=x" or "" cannot be given to fsconfig.
Status check_data(const MountRequest& req, const ParsedMountOptions& parsed) {
    if (Status s = check_applicable(req, false); !s.ok()) return s;
    for (const FsConfigParam& p : split_mount_data(parsed.data))
        if (p.key.empty())
            return Status::Error(EINVAL,
                                 "mount " + req.destination + ": option \"" + p.key + "=" + p.value + "\" has no name");
    return Status::Ok();
}

// fsmount(2) takes these; anything else (nosymfollow) is set with mount_setattr.
constexpr uint64_t kFsmountAttrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |
                                   MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME;

// A fresh filesystem from parsed options, not yet attached.
Status make_filesystem(const MountRequest& req, const std::string& fstype, const std::string& source,
                       const ParsedMountOptions& parsed, UniqueFd* out) {
    std::vector<FsConfigParam> params;
    if (!source.empty()) params.push_back({"source", source, true});
    for (FsConfigParam& p : split_mount_data(parsed.data)) params.push_back(std::move(p));
    MountAttrChange attr = to_mount_attr(parsed);
    Status s = create_filesystem(req.destination, fstype, params, superblock_flag_keys(parsed.flags),
                                 attr.set & kFsmountAttrs, out);
    if (!s.ok()) return s;
    MountAttrChange rest{attr.set & ~kFsmountAttrs, 0};
    return set_mount_attr(req.destination, out->get(), rest, false);
}

// The last step of every handler, on the attached mount: the recursive
// attributes over it and every mount below it (an rbind's submounts, a cgroup
// view's hierarchies), after the mount's own attributes so that they win, as
// in runc; then the propagation. The fd is the attached mount, so neither can
// touch the mount underneath.
Status finish_mount(const std::string& destination, int mount_fd, const ParsedMountOptions& parsed) {
    Status s = set_mount_attr(destination, mount_fd, to_recursive_mount_attr(parsed), true);
    if (!s.ok()) return s;
    return set_propagation(destination, mount_fd, parsed.propagation, parsed.recursive_propagation);
}

Status read_text(const char* path, std::string* out) {
    UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return Status::Error(errno, std::string("open ") + path + ": " + errno_text(errno));
    out->clear();
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Status::Error(errno, std::string("read ") + path + ": " + errno_text(errno));
        }
        if (n == 0) break;
        out->append(buf, static_cast<size_t>(n));
    }
    return Status::Ok();
}

// The host hands over a bind source it opened itself (user namespace,
// idmapped mount) as /proc/self/fd/N of a detached mount: one that is the
// root of a mount missing from our mount table. `out` stays empty for any
// other source, which is cloned as usual.
Status open_if_detached(const std::string& destination, const std::string& source, UniqueFd* out) {
    if (source.rfind("/proc/self/fd/", 0) != 0) return Status::Ok();
    struct statx stx {};
    if (::statx(AT_FDCWD, source.c_str(), 0, STATX_MNT_ID, &stx) < 0)
        return mount_error(destination, "statx " + source, errno);
    const bool root = (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
    if (!root || !(stx.stx_mask & STATX_MNT_ID)) return Status::Ok();
    std::string mountinfo;
    Status s = read_text("/proc/self/mountinfo", &mountinfo);
    if (!s.ok()) return Status::Error(s.err, "mount " + destination + ": " + s.message);
    const std::string id = std::to_string(stx.stx_mnt_id) + " ";
    for (size_t at = 0; at < mountinfo.size();) {
        if (mountinfo.compare(at, id.size(), id) == 0) return Status::Ok();
        size_t nl = mountinfo.find('\n', at);
        if (nl == std::string::npos) break;
        at = nl + 1;
    }
    UniqueFd fd(::open(source.c_str(), O_PATH | O_CLOEXEC));
    if (!fd.valid()) return mount_error(destination, "open " + source, errno);
    *out = std::move(fd);
    return Status::Ok();
}

}  // namespace

// ---- BindHandler ----

// types(): a list this small cannot fail but for memory, which ends in an
// empty list the host refuses.
std::vector<std::string> BindHandler::types() const noexcept {
    try {
        return {"bind", "rbind"};
    } catch (...) {
        return {};
    }
}

Status BindHandler::validate(const MountRequest& req) const noexcept {
    return guarded(req, [&]() -> Status {
        if (req.source.empty() || req.source[0] != '/')
            return Status::Error(
                EINVAL, "mount " + req.destination + ": bind source \"" + req.source + "\" is not an absolute path");
        struct stat st {};
        if (::stat(req.source.c_str(), &st) != 0)
            return Status::Error(
                errno, "mount " + req.destination + ": bind source \"" + req.source + "\": " + errno_text(errno));
        return check_no_data(req, "a bind mount");
    });
}

Status BindHandler::mount(const MountRequest& req) noexcept {
    return guarded(req, [&]() -> Status {
        ParsedMountOptions parsed = parse_mount_options(req.options);
        bool recursive = parsed.recursive_bind || req.type == "rbind";
        UniqueFd tree;
        Status s = open_if_detached(req.destination, req.source, &tree);
        if (s.ok() && !tree.valid()) s = clone_tree(req.destination, req.source, recursive, &tree);
        if (!s.ok()) return s;
        s = set_mount_attr(req.destination, tree.get(), to_mount_attr(parsed), recursive);
        if (!s.ok()) return s;
        s = attach_mount(req.destination, tree.get(), AT_FDCWD, req.target);
        if (!s.ok()) return s;
        return finish_mount(req.destination, tree.get(), parsed);
    });
}

// ---- FilesystemHandler ----

std::vector<std::string> FilesystemHandler::types() const noexcept {
    try {
        return {"proc", "sysfs", "tmpfs", "devpts", "mqueue"};
    } catch (...) {
        return {};
    }
}

Status FilesystemHandler::validate(const MountRequest& req) const noexcept {
    return guarded(req, [&]() -> Status { return check_data(req, parse_mount_options(req.options)); });
}

Status FilesystemHandler::mount(const MountRequest& req) noexcept {
    return guarded(req, [&]() -> Status {
        ParsedMountOptions parsed = parse_mount_options(req.options);
        // tmpcopyup means something for a tmpfs only (runc and crun ignore it
        // elsewhere). The copy is made into the detached tmpfs, before it
        // covers the directory, and before "ro" is applied.
        const bool copy = req.type == "tmpfs" && (parsed.extensions & kTmpCopyUp);
        ParsedMountOptions create_opts = parsed;
        if (copy) create_opts.flags &= ~static_cast<unsigned long>(MS_RDONLY);
        UniqueFd mnt;
        Status s = make_filesystem(req, req.type, req.source, create_opts, &mnt);
        if (!s.ok()) return s;
        if (copy) {
            UniqueFd covered(::open(req.target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
            if (!covered.valid()) return mount_error(req.destination, "tmpcopyup: open", errno);
            s = copy_up(req.destination, covered.get(), mnt.get());
            if (s.ok() && (parsed.flags & MS_RDONLY))
                s = set_mount_attr(req.destination, mnt.get(), {MOUNT_ATTR_RDONLY, 0}, false);
            if (!s.ok()) return s;
        }
        s = attach_mount(req.destination, mnt.get(), AT_FDCWD, req.target);
        if (!s.ok()) return s;
        return finish_mount(req.destination, mnt.get(), parsed);
    });
}

// ---- OverlayHandler ----

namespace {

// overlayfs's "\:" (and any "\x") is the character itself in the path.
std::string unescape_layer(const std::string& layer) {
    std::string out;
    for (size_t i = 0; i < layer.size(); ++i) {
        if (layer[i] == '\\' && i + 1 < layer.size()) ++i;
        out += layer[i];
    }
    return out;
}

Status check_layer_dir(const std::string& destination, const char* what, const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return Status::Error(errno,
                             "mount " + destination + ": overlay " + what + " \"" + path + "\": " + errno_text(errno));
    if (!S_ISDIR(st.st_mode))
        return Status::Error(ENOTDIR,
                             "mount " + destination + ": overlay " + what + " \"" + path + "\": not a directory");
    return Status::Ok();
}

}  // namespace

std::vector<std::string> OverlayHandler::types() const noexcept {
    try {
        return {"overlay"};
    } catch (...) {
        return {};
    }
}

Status OverlayHandler::validate(const MountRequest& req) const noexcept {
    return guarded(req, [&]() -> Status {
        ParsedMountOptions parsed = parse_mount_options(req.options);
        Status s = check_data(req, parsed);
        if (!s.ok()) return s;
        OverlayLayers layers;
        s = parse_overlay_layers(req.destination, split_mount_data(parsed.data), &layers);
        if (!s.ok()) return s;
        for (const std::string& l : layers.lower) {
            s = check_layer_dir(req.destination, "lowerdir", unescape_layer(l));
            if (!s.ok()) return s;
        }
        if (!layers.upper.empty()) s = check_layer_dir(req.destination, "upperdir", layers.upper);
        if (s.ok() && !layers.work.empty()) s = check_layer_dir(req.destination, "workdir", layers.work);
        return s;
    });
}

Status OverlayHandler::mount(const MountRequest& req) noexcept {
    return guarded(req, [&]() -> Status {
        ParsedMountOptions parsed = parse_mount_options(req.options);
        OverlayLayers layers;
        Status s = parse_overlay_layers(req.destination, split_mount_data(parsed.data), &layers);
        if (!s.ok()) return s;
        // The layer paths are resolved by the kernel now, before pivot_root:
        // host paths, as the spec's creator wrote them.
        UniqueFd mnt;
        s = make_filesystem(req, "overlay", req.source.empty() ? "overlay" : req.source, parsed, &mnt);
        if (!s.ok()) return s;
        s = attach_mount(req.destination, mnt.get(), AT_FDCWD, req.target);
        if (!s.ok()) return s;
        return finish_mount(req.destination, mnt.get(), parsed);
    });
}

// ---- CgroupHandler ----

std::vector<std::string> CgroupHandler::types() const noexcept {
    try {
        return {"cgroup", "cgroup2"};
    } catch (...) {
        return {};
    }
}

Status CgroupHandler::validate(const MountRequest& req) const noexcept {
    return guarded(req, [&]() -> Status {
        ParsedMountOptions parsed = parse_mount_options(req.options);
        if (parsed.bind) return Status::Error(EINVAL, "mount " + req.destination + ": cgroup mounts cannot be binds");
        return check_no_data(req, "a cgroup mount");
    });
}

Status CgroupHandler::mount(const MountRequest& req) noexcept {
    return guarded(req, [&]() -> Status {
        const std::string& dest = req.destination;
        ParsedMountOptions parsed = parse_mount_options(req.options);
        MountAttrChange attr = to_mount_attr(parsed);

        std::string mountinfo, cgroups;
        Status s = read_text("/proc/self/mountinfo", &mountinfo);
        if (s.ok()) s = read_text("/proc/self/cgroup", &cgroups);
        if (!s.ok()) return Status::Error(s.err, "mount " + dest + ": " + s.message);
        CgroupView view;
        s = plan_cgroup_view(parse_mountinfo(mountinfo), parse_proc_cgroup(cgroups), &view);
        if (!s.ok()) return Status::Error(s.err, "mount " + dest + ": " + s.message);

        // One hierarchy, detached. When the host's mount shows the process's
        // cgroup, a clone of that directory. When it does not, the process is
        // in a cgroup namespace rooted below the host mount's root (mountinfo
        // shows that root as "/.."), and a fresh mount of the hierarchy, whose
        // root is the namespace's root, is the container's view.
        auto hierarchy = [&](const CgroupViewDir& dir, UniqueFd* out) -> Status {
            if (!dir.host_path.empty()) return clone_tree(dest, dir.host_path, false, out);
            std::vector<FsConfigParam> params{{"source", "cgroup", true}};
            for (const std::string& c : dir.controllers) {
                if (c.rfind("name=", 0) == 0) params.push_back({"name", c.substr(5), true});
                else params.push_back({c, "", false});
            }
            return create_filesystem(dest, dir.unified ? "cgroup2" : "cgroup", params, {}, 0, out);
        };

        if (view.mode == CgroupMode::kUnified) {
            UniqueFd mnt;
            s = hierarchy(view.dirs.front(), &mnt);
            if (s.ok()) s = set_mount_attr(dest, mnt.get(), attr, false);
            if (s.ok()) s = attach_mount(dest, mnt.get(), AT_FDCWD, req.target);
            if (s.ok()) s = finish_mount(dest, mnt.get(), parsed);
            return s;
        }

        // Legacy/hybrid. The tmpfs is attached before its children: Linux
        // before 6.15 refuses move_mount onto a detached tree, and 6.1 is the
        // oldest kernel berth supports. The mount fd then refers to the
        // attached root and serves as the dirfd for everything below.
        ParsedMountOptions tmpfs_opts = parse_mount_options({"mode=755"});
        UniqueFd root;
        s = make_filesystem(req, "tmpfs", "tmpfs", tmpfs_opts, &root);
        if (s.ok()) s = attach_mount(dest, root.get(), AT_FDCWD, req.target);
        if (!s.ok()) return s;
        for (const CgroupViewDir& dir : view.dirs) {
            if (::mkdirat(root.get(), dir.name.c_str(), 0755) != 0)
                return mount_error(dest, "mkdir " + dir.name, errno);
            UniqueFd child;
            s = hierarchy(dir, &child);
            if (s.ok()) s = attach_mount(dest, child.get(), root.get(), dir.name);
            if (!s.ok()) return s;
        }
        for (const CgroupViewLink& link : view.links)
            if (::symlinkat(link.target.c_str(), root.get(), link.name.c_str()) != 0)
                return mount_error(dest, "symlink " + link.name + " -> " + link.target, errno);
        s = set_mount_attr(dest, root.get(), attr, true);
        if (!s.ok()) return s;
        return finish_mount(dest, root.get(), parsed);
    });
}

// ---- MountsHandler ----

std::vector<std::string> MountsHandler::types() const noexcept {
    try {
        std::vector<std::string> all;
        for (const MountHandler* h : handlers()) {
            std::vector<std::string> t = h->types();
            if (t.empty()) return {};  // one handler short of memory: refused whole
            for (std::string& name : t) all.push_back(std::move(name));
        }
        return all;
    } catch (...) {
        return {};
    }
}

std::vector<std::string> MountsHandler::options() const noexcept {
    try {
        std::vector<std::string> names;
        for (const MountOptionEntry& e : mount_option_table()) names.emplace_back(e.name);
        return names;
    } catch (...) {
        return {};
    }
}

const MountHandler* MountsHandler::route(const MountRequest& req) const {
    const std::vector<std::string>& o = req.options;
    if (std::find(o.begin(), o.end(), "bind") != o.end() || std::find(o.begin(), o.end(), "rbind") != o.end())
        return &bind_;
    for (const MountHandler* h : handlers()) {
        std::vector<std::string> t = h->types();
        if (std::find(t.begin(), t.end(), req.type) != t.end()) return h;
    }
    return nullptr;
}

MountHandler* MountsHandler::route(const MountRequest& req) {
    return const_cast<MountHandler*>(static_cast<const MountsHandler*>(this)->route(req));
}

Status MountsHandler::validate(const MountRequest& req) const noexcept {
    return guarded(req, [&]() -> Status {
        const MountHandler* h = route(req);
        if (h == nullptr)
            return Status::Error(ENODEV, "mount " + req.destination + ": unsupported type \"" + req.type + "\"");
        return h->validate(req);
    });
}

Status MountsHandler::mount(const MountRequest& req) noexcept {
    return guarded(req, [&]() -> Status {
        MountHandler* h = route(req);
        if (h == nullptr)
            return Status::Error(ENODEV, "mount " + req.destination + ": unsupported type \"" + req.type + "\"");
        return h->mount(req);
    });
}

}  // namespace berth::mounts
