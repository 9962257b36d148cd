#include "mount_options.hpp"

#include <sys/mount.h>

#include <algorithm>

namespace berth::mounts {

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
