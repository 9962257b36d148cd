// Bind sources that `create` opens with the host's privileges, before clone.
//
// Two kinds of bind cannot be made by init on its own:
//  - in a container with a user namespace, init resolves paths as that
//    namespace's root (an unprivileged uid on the host), so a source below a
//    0700 root-owned directory gives EACCES; runc and crun open bind sources
//    on the host;
//  - an idmapped mount (mount_setattr MOUNT_ATTR_IDMAP) needs CAP_SYS_ADMIN
//    over the source's filesystem, i.e. in the host's user namespace.
// For those, create makes a detached copy of the source (open_tree
// OPEN_TREE_CLONE, recursive for rbind) and idmaps it. Init is a clone of
// create and inherits the fds; the mount handler gets the source as
// /proc/self/fd/N of the detached mount and attaches it (see
// include/berth/mount_handler.hpp). A detached mount that is never attached
// goes away with the last fd: nothing is left to undo.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spec/spec.hpp"
#include "util/unique_fd.hpp"

namespace berth {

class HostMountSources {
public:
    // Opens what opened_by_host selects. Errors name mounts[N] (and
    // mounts[N].uidMappings for an idmap the kernel refuses).
    // handler_takes_fds: the bind handler's plugin is built against ABI 1.1
    // or newer (fd sources); without it nothing is opened and an idmapped
    // mount is an error.
    static HostMountSources open(const spec::Spec& s, const std::string& bundle, bool handler_takes_fds);

    // "/proc/self/fd/N" for mounts[index] when it was opened here, else "".
    std::string source_for(size_t index) const;
    bool empty() const { return trees_.empty() && devices_.empty(); }
    // The opened trees' fds: init keeps them when it closes the host's.
    std::vector<int> fds() const;

    // In a user namespace mknod is refused, and a bind of the host's node of
    // the same path (runc) gives the host's type, numbers, mode and owner, or
    // nothing where the host has no such node. So, as crun does, each
    // linux.devices entry is made here with the config's type, numbers and
    // mode, owned by the host ids its uid and gid map to, in `dir` (a new
    // directory in the state dir), and kept as a detached mount of itself
    // (open_tree) for init to attach. A detached mount of an unlinked node
    // cannot be attached (ENOENT), so create removes the nodes and `dir`
    // (remove_devices) once init has answered, or at its rollback; a crashed
    // create's are removed by delete --force with the state dir.
    void make_devices(const spec::Spec& s, const std::string& dir);
    // The detached mount of linux.devices[index]'s node, or -1.
    int device_for(size_t index) const;

private:
    std::map<size_t, UniqueFd> trees_;
    std::map<size_t, UniqueFd> devices_;
};

// Whether berth may not mknod on the host (not root, or itself in a user
// namespace: rootless): then a device of the config is a bind of the host's
// node of the same path, and make_devices makes nothing.
bool devices_bound_from_host();

// Removes what make_devices made in `dir`; nothing when there is no `dir`.
void remove_devices(const std::string& dir);

// The host id a user namespace's `id` maps to, through linux.uidMappings or
// gidMappings; nothing when no mapping covers it.
std::optional<uint32_t> host_id_of(const std::vector<spec::IdMapping>& maps, uint32_t id);

// A bind that create opens: every bind of a container with a user namespace,
// and every idmapped bind.
bool opened_by_host(const spec::Mount& m, bool userns);

// Whether a mount point in `mountinfo` (the text of /proc/self/mountinfo) lies
// strictly below `dir` (a path without symlinks). In a user namespace an
// rbind made by init keeps such submounts locked (MNT_LOCKED: the container
// cannot unmount them to see what they cover); a tree create clones on the
// host would not be, so such an rbind without idmap is left to init.
bool has_submounts(const std::string& mountinfo, const std::string& dir);

// The text of a uid_map or gid_map file.
std::string id_map_text(const std::vector<spec::IdMapping>& maps);

// A user namespace with these mappings, as an fd of /proc/PID/ns/user of a
// helper child (gone by the time this returns), for MOUNT_ATTR_IDMAP.
UniqueFd user_namespace_with(const std::vector<spec::IdMapping>& uids, const std::vector<spec::IdMapping>& gids);

}  // namespace berth
