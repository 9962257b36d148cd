// The checkpoint and restore verbs' flags as a CheckpointOptions, and the
// container's config as what CRIU must treat as external: pure functions,
// table-tested (tests/unit/checkpoint_options_test.cpp).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "berth/checkpoint_engine.hpp"
#include "spec/spec.hpp"

namespace berth {

// --manage-cgroups-mode: "" (the tool's default), soft, full, strict, ignore.
CheckpointCgroupsMode parse_cgroups_mode(const std::string& value);
// --empty-ns, each value a namespace type; only "network" (as runc). CRIU
// never restores the network namespace's devices and settings (runc manages
// none, and berth neither): CLONE_NEWNET is always in the result.
uint32_t parse_empty_ns(const std::vector<std::string>& values);
// --page-server ADDRESS:PORT ([v6]:PORT too).
std::pair<std::string, int> parse_page_server(const std::string& value);
// --parent-path: relative to the image directory, as runc; "" is none.
// Checked against `image_dir` on the filesystem by the caller.
void check_parent_path(const std::string& value);

// CRIU's ext_mnt for a dump: each bind mount by its destination, each
// masked file (a bind of /dev/null) as "/dev/null", each device node by its
// path (a bind of the host's node in a user namespace). `is_file` says
// whether a masked path is a file in the running container (a masked
// directory is a tmpfs, saved with its content).
std::vector<ExternalMount> dump_external_mounts(const spec::Spec& s,
                                                const std::function<bool(const std::string&)>& is_file);
// ...and for a restore: each key of the dump mapped to the host path to bind
// there (a bind's source, relative ones from the bundle).
std::vector<ExternalMount> restore_external_mounts(const spec::Spec& s, const std::string& bundle);

// The devices every container gets (rootfs.cpp's defaults), then the config's.
std::vector<std::string> device_paths(const spec::Spec& s);

// CRIU's key for a namespace the container joined by path and that stays
// outside the images (net and pid; runc's names): "extRootNetNS".
std::string external_namespace_key(const std::string& spec_type);
// CRIU's key for an open file it must not save but get back from the
// restore (--external file[MNT:INO], hex): a container's stdio opened outside
// its mount namespace, such as the host's /dev/null.
std::string external_file_key(int mnt_id, unsigned long long inode);
// The mount ids of a /proc/PID/mountinfo text.
std::vector<int> mount_ids(const std::string& mountinfo);
// The mnt_id of a /proc/PID/fdinfo/N text; -1 when it has none.
int fdinfo_mount_id(const std::string& fdinfo);

// CRIU's name for a namespace joined by path at restore ("ipc", "uts",
// "mnt", ...); throws for one it cannot join (cgroup, as runc).
std::string criu_namespace_name(const std::string& spec_type);

}  // namespace berth
