// OCI mount options as the kernel wants them.
//
// A spec mount carries a list of option strings. Some are mount flags (MS_*),
// some choose propagation or a bind, and the rest is filesystem data that only
// the filesystem understands ("size=64k", "newinstance"). This file turns the
// list into those three parts with one table, the way runc and crun do, and
// converts the flags to what the new mount API (fsmount, mount_setattr,
// fsconfig) takes. Everything here is pure: no system calls.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::mounts {

// Options that are neither mount flags nor filesystem data: the handler acts
// on them itself (runc calls them extensions).
enum MountExtension : unsigned {
    kTmpCopyUp = 1u << 0,  // "tmpcopyup": fill a new tmpfs with what it covers
    // "idmap"/"ridmap": an idmapped bind. The host applies the mapping when it
    // opens the source (core/rootfs/host_mount_sources.hpp); never fs data.
    kIdmap = 1u << 1,
    kRecursiveIdmap = 1u << 2,
};

struct ParsedMountOptions {
    unsigned long flags = 0;        // MS_* bits asked for ("ro" -> MS_RDONLY)
    unsigned long clear = 0;        // MS_* bits asked to be off ("rw" -> MS_RDONLY)
    // The same for the whole mounted tree ("rro" -> MS_RDONLY): applied with
    // AT_RECURSIVE after the mount's own attributes, so they win over those.
    unsigned long recursive_flags = 0;
    unsigned long recursive_clear = 0;
    unsigned long propagation = 0;  // MS_PRIVATE, MS_SHARED, MS_SLAVE, MS_UNBINDABLE or 0
    bool recursive_propagation = false;  // the propagation came from an r* option
    bool bind = false;                   // "bind" or "rbind" was given
    bool recursive_bind = false;         // "rbind" was given
    unsigned extensions = 0;  // MountExtension bits
    std::string data;  // everything else, comma-joined in the order given
};

// How one option string changes ParsedMountOptions; the table is public so that
// tests can check every entry.
struct MountOptionEntry {
    std::string_view name;
    bool clears;          // true: the option turns `flag` off ("rw", "suid")
    unsigned long flag;   // MS_* bits; for propagation entries the propagation type
    bool is_propagation;  // a propagation entry: sets `propagation`, not `flags`
    bool recursive;       // rbind / r* propagation / r* attribute ("rro": sets recursive_flags)
    unsigned extension = 0;  // a MountExtension bit: sets `extensions` and nothing else
};

const std::vector<MountOptionEntry>& mount_option_table();

// Whether berth knows `option` as an option rather than filesystem data: a
// table entry, or crun's "idmap=uids=...;gids=..." / "ridmap=..." form, which
// the host warns about and ignores as runc does (core/spec/spec.cpp).
bool is_mount_option(std::string_view option);

// Why a known option cannot be applied to this kind of mount ("" when it
// can): berth makes every mount anew, so "remount" means nothing, and the
// i_version switch is no mount flag of the new API; a bind shares the
// source's superblock, so its superblock flags (sync, dirsync, mand,
// lazytime) cannot be set by the bind. The forms that ask for the default
// (async, nomand, ...) are fine.
std::string why_not_applied(std::string_view option, bool bind);

// Later options win: {"ro", "rw"} is read-write and {"rw", "ro"} read-only; a
// later propagation option replaces an earlier one. Unknown options go to
// data; crun's idmap= form goes nowhere.
ParsedMountOptions parse_mount_options(const std::vector<std::string>& options);

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
