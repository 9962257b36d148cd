#include "mount_options.hpp"

#include <sys/mount.h>

#include <algorithm>

namespace berth::mounts {

namespace {

constexpr MountOptionEntry Flag(std::string_view name, unsigned long flag) {
    return {name, false, flag, false, false};
}
constexpr MountOptionEntry Clear(std::string_view name, unsigned long flag) {
    return {name, true, flag, false, false};
}
// The r* attributes (runc's recAttrFlags): the same MS_* bit for every mount
// of the tree.
constexpr MountOptionEntry RecursiveFlag(std::string_view name, unsigned long flag) {
    return {name, false, flag, false, true};
}
constexpr MountOptionEntry RecursiveClear(std::string_view name, unsigned long flag) {
    return {name, true, flag, false, true};
}
constexpr MountOptionEntry Propagation(std::string_view name, unsigned long type, bool recursive) {
    return {name, false, type, true, recursive};
}

}  // namespace

const std::vector<MountOptionEntry>& mount_option_table() {
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

namespace {

const MountOptionEntry* find_entry(std::string_view option) {
    const auto& table = mount_option_table();
    auto it = std::find_if(table.begin(), table.end(), [&](const MountOptionEntry& e) { return e.name == option; });
    return it == table.end() ? nullptr : &*it;
}

// crun's idmap with the mappings in the option. Never filesystem data: a bind
// would ignore it and any other filesystem would refuse it.
bool is_crun_idmap(std::string_view option) {
    return option.starts_with("idmap=") || option.starts_with("ridmap=");
}

}  // namespace

bool is_mount_option(std::string_view option) { return find_entry(option) != nullptr || is_crun_idmap(option); }

std::string why_not_applied(std::string_view option, bool bind) {
    if (option == "remount") return "berth makes every mount anew; there is nothing to remount";
    if (option == "iversion" || option == "noiversion") return "the i_version switch is not a mount flag berth can set";
    const MountOptionEntry* e = find_entry(option);
    constexpr unsigned long kSuperblock = MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | MS_LAZYTIME;
    if (bind && e && !e->clears && (e->flag & kSuperblock))
        return "a bind mount shares its source's superblock and cannot set this flag";
    return "";
}

ParsedMountOptions parse_mount_options(const std::vector<std::string>& options) {
    ParsedMountOptions out;
    for (const std::string& option : options) {
        if (is_crun_idmap(option)) continue;
        const MountOptionEntry* it = find_entry(option);
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

namespace {

MountAttrChange attr_change(unsigned long flags, unsigned long clear) {
    struct Pair {
        unsigned long ms;
        uint64_t attr;
    };
    static constexpr Pair kOneToOne[] = {
        {MS_RDONLY, MOUNT_ATTR_RDONLY},         {MS_NOSUID, MOUNT_ATTR_NOSUID},
        {MS_NODEV, MOUNT_ATTR_NODEV},           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
        {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
    };
    MountAttrChange out;
    for (const Pair& p : kOneToOne) {
        if (flags & p.ms) out.set |= p.attr;
        else if (clear & p.ms) out.clear |= p.attr;
    }
    constexpr unsigned long kAtime = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;
    if ((flags | clear) & kAtime) {
        // The kernel wants the whole atime field in attr_clear whenever an
        // atime mode is set (mount_setattr(2)).
        out.clear |= MOUNT_ATTR__ATIME;
        if (flags & MS_STRICTATIME) out.set |= MOUNT_ATTR_STRICTATIME;
        else if (flags & MS_NOATIME) out.set |= MOUNT_ATTR_NOATIME;
        else out.set |= MOUNT_ATTR_RELATIME;
    }
    return out;
}

}  // namespace

MountAttrChange to_mount_attr(const ParsedMountOptions& parsed) { return attr_change(parsed.flags, parsed.clear); }

MountAttrChange to_recursive_mount_attr(const ParsedMountOptions& parsed) {
    return attr_change(parsed.recursive_flags, parsed.recursive_clear);
}

std::vector<FsConfigParam> split_mount_data(std::string_view data) {
    std::vector<FsConfigParam> out;
    auto add = [&](std::string_view part) {
        if (part.empty()) return;
        FsConfigParam p;
        size_t eq = part.find('=');
        if (eq == std::string_view::npos) {
            p.key = std::string(part);
        } else {
            p.key = std::string(part.substr(0, eq));
            p.value = std::string(part.substr(eq + 1));
            p.has_value = true;
        }
        out.push_back(std::move(p));
    };
    bool quoted = false;
    size_t start = 0;
    for (size_t i = 0; i < data.size(); ++i) {
        if (data[i] == '"') quoted = !quoted;
        else if (data[i] == ',' && !quoted) {
            add(data.substr(start, i - start));
            start = i + 1;
        }
    }
    add(data.substr(start));
    return out;
}

std::vector<std::string> superblock_flag_keys(unsigned long flags) {
    std::vector<std::string> out;
    if (flags & MS_SYNCHRONOUS) out.emplace_back("sync");
    if (flags & MS_DIRSYNC) out.emplace_back("dirsync");
    if (flags & MS_LAZYTIME) out.emplace_back("lazytime");
    if (flags & MS_MANDLOCK) out.emplace_back("mand");
    return out;
}

}  // namespace berth::mounts
