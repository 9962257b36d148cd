// OCI mount options as the kernel's new mount API wants them: the flags the
// SDK's option table parsed (berth/mount_options.hpp) converted to what
// fsmount, mount_setattr and fsconfig take. Everything here is pure: no
// system calls.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "berth/mount_options.hpp"

namespace berth::mounts {

// The option table and its parse are the SDK's (berth/mount_options.hpp),
// shared with the runtime; here under the plugin's names too.
using berth::is_crun_idmap_option;
using berth::is_mount_option;
using berth::kIdmap;
using berth::kRecursiveIdmap;
using berth::kTmpCopyUp;
using berth::mount_option_table;
using berth::MountExtension;
using berth::MountOptionEntry;
using berth::parse_mount_options;
using berth::ParsedMountOptions;
using berth::why_not_applied;

// The settings of struct mount_attr for mount_setattr(2): bits to set and bits
// to clear. `set` alone is also valid as fsmount(2)'s attr_flags.
struct MountAttrChange {
    uint64_t set = 0;
    uint64_t clear = 0;
    bool empty() const { return set == 0 && clear == 0; }
};

// MS_RDONLY/NOSUID/NODEV/NOEXEC/NODIRATIME/NOSYMFOLLOW map one to one. The
// atime mode is an enum in the mount API, so it is only touched when an atime
// option was given at all, and then chosen as mount(2) would: strictatime over
// noatime over the relatime default (so "atime" and "norelatime" mean relatime).
MountAttrChange to_mount_attr(const ParsedMountOptions& parsed);

// The same conversion of recursive_flags/recursive_clear ("rro", "rnoatime", ...).
MountAttrChange to_recursive_mount_attr(const ParsedMountOptions& parsed);

// One fsconfig(2) call: a key with a value (FSCONFIG_SET_STRING) or a bare key
// (FSCONFIG_SET_FLAG, has_value false).
struct FsConfigParam {
    std::string key;
    std::string value;
    bool has_value = false;
    bool operator==(const FsConfigParam&) const = default;
};

// Splits a data string at commas outside double quotes (SELinux contexts such
// as context="a:b:c:s0:c1,c2" contain commas) and each part at its first '='.
// Empty parts are dropped.
std::vector<FsConfigParam> split_mount_data(std::string_view data);

// Superblock flags that the new API takes as fsconfig flag keys rather than as
// mount attributes: sync, dirsync, lazytime, mand.
std::vector<std::string> superblock_flag_keys(unsigned long flags);

}  // namespace berth::mounts
