// The meaning of every OCI mount option berth knows, in one table, for the
// runtime and the mount plugins alike. Header-only and pure: the runtime asks
// it what a mount is (a bind? recursive? idmapped?) before any plugin is
// loaded, and the in-tree mounts plugin turns the same parse into mount
// flags, attributes and filesystem data (plugins/mounts/mount_options.hpp).
//
// A spec mount carries a list of option strings. Some are mount flags (MS_*),
// some choose propagation or a bind, and the rest is filesystem data that only
// the filesystem understands ("size=64k", "newinstance"). The table splits the
// list into those parts, the way runc and crun do.
#pragma once

#include <sys/mount.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

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
    unsigned long flags = 0;  // MS_* bits asked for ("ro" -> MS_RDONLY)
    unsigned long clear = 0;  // MS_* bits asked to be off ("rw" -> MS_RDONLY)
    // The same for the whole mounted tree ("rro" -> MS_RDONLY): applied with
    // AT_RECURSIVE after the mount's own attributes, so they win over those.
    unsigned long recursive_flags = 0;
    unsigned long recursive_clear = 0;
    unsigned long propagation = 0;       // MS_PRIVATE, MS_SHARED, MS_SLAVE, MS_UNBINDABLE or 0
    bool recursive_propagation = false;  // the propagation came from an r* option
    bool bind = false;                   // "bind" or "rbind" was given
    bool recursive_bind = false;         // "rbind" was given
    unsigned extensions = 0;             // MountExtension bits
    std::string data;                    // everything else, comma-joined in the order given
};

// How one option string changes ParsedMountOptions; the table is public so that
// tests can check every entry, and the runtime and `features` can ask it.
struct MountOptionEntry {
    std::string_view name;
    bool clears;             // true: the option turns `flag` off ("rw", "suid")
    unsigned long flag;      // MS_* bits; for propagation entries the propagation type
    bool is_propagation;     // a propagation entry: sets `propagation`, not `flags`
    bool recursive;          // rbind / r* propagation / r* attribute ("rro": sets recursive_flags)
    unsigned extension = 0;  // a MountExtension bit: sets `extensions` and nothing else
};

// Whether berth knows `option` as an option rather than filesystem data: a
// table entry, or crun's "idmap=uids=...;gids=..." / "ridmap=..." form, which
// the host warns about and ignores as runc does (core/spec/spec.cpp).
inline bool is_mount_option(std::string_view option);

// Why a known option cannot be applied to this kind of mount ("" when it
// can): berth makes every mount anew, so "remount" means nothing, and the
// i_version switch is no mount flag of the new API; a bind shares the
// source's superblock, so its superblock flags (sync, dirsync, mand,
// lazytime) cannot be set by the bind. The forms that ask for the default
// (async, nomand, ...) are fine.
inline std::string why_not_applied(std::string_view option, bool bind);

// Later options win: {"ro", "rw"} is read-write and {"rw", "ro"} read-only; a
// later propagation option replaces an earlier one. Unknown options go to
// data; crun's idmap= form goes nowhere.
inline ParsedMountOptions parse_mount_options(const std::vector<std::string>& options);

// Whether `option` is crun's "idmap=uids=...;gids=..." / "ridmap=..." form:
// never filesystem data (a bind would ignore it, any other filesystem refuse it).
inline bool is_crun_idmap_option(std::string_view option) {
    return option.starts_with("idmap=") || option.starts_with("ridmap=");
}

// The one table: mount_option_table() below.
inline const std::vector<MountOptionEntry>& mount_option_table();

namespace mount_options_detail {

inline constexpr MountOptionEntry Flag(std::string_view name, unsigned long flag) {
    return {name, false, flag, false, false};
}
inline constexpr MountOptionEntry Clear(std::string_view name, unsigned long flag) {
    return {name, true, flag, false, false};
}
// The r* attributes (runc's recAttrFlags): the same MS_* bit for every mount
// of the tree.
inline constexpr MountOptionEntry RecursiveFlag(std::string_view name, unsigned long flag) {
    return {name, false, flag, false, true};
}
inline constexpr MountOptionEntry RecursiveClear(std::string_view name, unsigned long flag) {
    return {name, true, flag, false, true};
}
inline constexpr MountOptionEntry Propagation(std::string_view name, unsigned long type, bool recursive) {
    return {name, false, type, true, recursive};
}

}  // namespace mount_options_detail

inline const std::vector<MountOptionEntry>& mount_option_table() {
    using namespace mount_options_detail;
    // The option names runc's specconv and crun's linux.c accept. "defaults"
    // is a no-op there too; it must not reach the filesystem as data.
    static const std::vector<MountOptionEntry> table = {
        Flag("defaults", 0),
        Flag("ro", MS_RDONLY),
        Clear("rw", MS_RDONLY),
        Flag("nosuid", MS_NOSUID),
        Clear("suid", MS_NOSUID),
        Flag("nodev", MS_NODEV),
        Clear("dev", MS_NODEV),
        Flag("noexec", MS_NOEXEC),
        Clear("exec", MS_NOEXEC),
        Flag("sync", MS_SYNCHRONOUS),
        Clear("async", MS_SYNCHRONOUS),
        Flag("dirsync", MS_DIRSYNC),
        Flag("remount", MS_REMOUNT),
        Flag("mand", MS_MANDLOCK),
        Clear("nomand", MS_MANDLOCK),
        Flag("noatime", MS_NOATIME),
        Clear("atime", MS_NOATIME),
        Flag("nodiratime", MS_NODIRATIME),
        Clear("diratime", MS_NODIRATIME),
        Flag("relatime", MS_RELATIME),
        Clear("norelatime", MS_RELATIME),
        Flag("strictatime", MS_STRICTATIME),
        Clear("nostrictatime", MS_STRICTATIME),
        Flag("lazytime", MS_LAZYTIME),
        Clear("nolazytime", MS_LAZYTIME),
        Flag("iversion", MS_I_VERSION),
        Clear("noiversion", MS_I_VERSION),
        Flag("silent", MS_SILENT),
        Clear("loud", MS_SILENT),
        Flag("nosymfollow", MS_NOSYMFOLLOW),
        Clear("symfollow", MS_NOSYMFOLLOW),
        RecursiveFlag("rro", MS_RDONLY),
        RecursiveClear("rrw", MS_RDONLY),
        RecursiveFlag("rnosuid", MS_NOSUID),
        RecursiveClear("rsuid", MS_NOSUID),
        RecursiveFlag("rnodev", MS_NODEV),
        RecursiveClear("rdev", MS_NODEV),
        RecursiveFlag("rnoexec", MS_NOEXEC),
        RecursiveClear("rexec", MS_NOEXEC),
        RecursiveFlag("rnoatime", MS_NOATIME),
        RecursiveClear("ratime", MS_NOATIME),
        RecursiveFlag("rrelatime", MS_RELATIME),
        RecursiveClear("rnorelatime", MS_RELATIME),
        RecursiveFlag("rstrictatime", MS_STRICTATIME),
        RecursiveClear("rnostrictatime", MS_STRICTATIME),
        RecursiveFlag("rnodiratime", MS_NODIRATIME),
        RecursiveClear("rdiratime", MS_NODIRATIME),
        RecursiveFlag("rnosymfollow", MS_NOSYMFOLLOW),
        RecursiveClear("rsymfollow", MS_NOSYMFOLLOW),
        {"bind", false, MS_BIND, false, false},
        {"rbind", false, MS_BIND | MS_REC, false, true},
        Propagation("private", MS_PRIVATE, false),
        Propagation("rprivate", MS_PRIVATE, true),
        Propagation("shared", MS_SHARED, false),
        Propagation("rshared", MS_SHARED, true),
        Propagation("slave", MS_SLAVE, false),
        Propagation("rslave", MS_SLAVE, true),
        Propagation("unbindable", MS_UNBINDABLE, false),
        Propagation("runbindable", MS_UNBINDABLE, true),
        {"tmpcopyup", false, 0, false, false, kTmpCopyUp},
        {"idmap", false, 0, false, false, kIdmap},
        {"ridmap", false, 0, false, false, kRecursiveIdmap},
    };
    return table;
}

namespace mount_options_detail {

inline const MountOptionEntry* find_entry(std::string_view option) {
    const auto& table = mount_option_table();
    auto it = std::find_if(table.begin(), table.end(), [&](const MountOptionEntry& e) { return e.name == option; });
    return it == table.end() ? nullptr : &*it;
}

}  // namespace mount_options_detail

inline bool is_mount_option(std::string_view option) {
    return mount_options_detail::find_entry(option) != nullptr || is_crun_idmap_option(option);
}

inline std::string why_not_applied(std::string_view option, bool bind) {
    if (option == "remount") return "berth makes every mount anew; there is nothing to remount";
    if (option == "iversion" || option == "noiversion") return "the i_version switch is not a mount flag berth can set";
    const MountOptionEntry* e = mount_options_detail::find_entry(option);
    constexpr unsigned long kSuperblock = MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | MS_LAZYTIME;
    if (bind && e && !e->clears && (e->flag & kSuperblock))
        return "a bind mount shares its source's superblock and cannot set this flag";
    return "";
}

inline ParsedMountOptions parse_mount_options(const std::vector<std::string>& options) {
    ParsedMountOptions out;
    for (const std::string& option : options) {
        if (is_crun_idmap_option(option)) continue;
        const MountOptionEntry* it = mount_options_detail::find_entry(option);
        if (it == nullptr) {
            if (!out.data.empty()) out.data += ',';
            out.data += option;
            continue;
        }
        if (it->extension != 0) {
            out.extensions |= it->extension;
            continue;
        }
        if (it->is_propagation) {
            out.propagation = it->flag;
            out.recursive_propagation = it->recursive;
            continue;
        }
        const bool bind = (it->flag & MS_BIND) != 0;
        if (bind) {
            out.bind = true;
            // "bind" after "rbind" does not make the bind shallow: runc ORs
            // the flags, so MS_REC stays.
            out.recursive_bind = out.recursive_bind || it->recursive;
        }
        const bool tree = it->recursive && !bind;
        unsigned long& set = tree ? out.recursive_flags : out.flags;
        unsigned long& clear = tree ? out.recursive_clear : out.clear;
        if (it->clears) {
            set &= ~it->flag;
            clear |= it->flag;
        } else {
            set |= it->flag;
            clear &= ~it->flag;
        }
    }
    return out;
}

}  // namespace berth
