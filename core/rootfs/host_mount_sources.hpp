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
    bool empty() const { return trees_.empty(); }
    // The opened trees' fds: init keeps them when it closes the host's.
    std::vector<int> fds() const;

private:
    std::map<size_t, UniqueFd> trees_;
};

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
