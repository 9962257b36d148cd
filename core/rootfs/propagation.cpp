#include "rootfs/propagation.hpp"

#include <sys/mount.h>

#include <map>
#include <sstream>
#include <vector>

namespace berth {

unsigned long propagation_flag(const std::string& name) {
    static const std::map<std::string, unsigned long> t = {
        {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
        {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
        {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
    };
    auto it = t.find(name);
    return it == t.end() ? 0 : it->second;
}

unsigned long namespace_propagation(const std::string& rootfs_propagation) {
    unsigned long flag =
        rootfs_propagation.empty() ? static_cast<unsigned long>(MS_SLAVE) : propagation_flag(rootfs_propagation);
    if (flag & MS_SHARED) return MS_SHARED | MS_REC;
    if (flag & MS_UNBINDABLE) return MS_PRIVATE | MS_REC;
    if (flag & MS_PRIVATE) return MS_PRIVATE | MS_REC;
    return MS_SLAVE | MS_REC;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
static std::string unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
            s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
            out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::optional<std::string> shared_mount_point(const std::string& mountinfo, uint64_t mnt_id) {
    std::istringstream in(mountinfo);
    std::string line;
    const std::string id = std::to_string(mnt_id);
    while (std::getline(in, line)) {
        // id parent major:minor root mountpoint options [optional fields...] - ...
        std::istringstream ls(line);
        std::string this_id, parent, dev, root, mountpoint, options, field;
        if (!(ls >> this_id >> parent >> dev >> root >> mountpoint >> options) || this_id != id) continue;
        while (ls >> field && field != "-")
            if (field.rfind("shared:", 0) == 0) return unescape(mountpoint);
        return std::nullopt;
    }
    return std::nullopt;
}

namespace {

struct MountLine {
    uint64_t id = 0, parent = 0;
    std::string point;
};

std::vector<MountLine> mount_lines(const std::string& mountinfo) {
    std::vector<MountLine> out;
    std::istringstream in(mountinfo);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        MountLine m;
        std::string dev, root, point;
        if (ls >> m.id >> m.parent >> dev >> root >> point) {
            m.point = unescape(point);
            out.push_back(std::move(m));
        }
    }
    return out;
}

}  // namespace

std::optional<uint64_t> top_mount_at(const std::string& mountinfo, const std::string& point) {
    const std::vector<MountLine> lines = mount_lines(mountinfo);
    for (const MountLine& m : lines) {
        if (m.point != point) continue;
        bool covered = false;
        for (const MountLine& o : lines) covered = covered || (o.parent == m.id && o.point == point && o.id != m.id);
        if (!covered) return m.id;
    }
    return std::nullopt;
}

bool has_mount_id(const std::string& mountinfo, uint64_t mnt_id) {
    for (const MountLine& m : mount_lines(mountinfo))
        if (m.id == mnt_id) return true;
    return false;
}

}  // namespace berth
