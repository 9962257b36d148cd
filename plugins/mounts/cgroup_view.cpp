#include "cgroup_view.hpp"

#include <algorithm>
#include <charconv>
#include <cerrno>

namespace berth::mounts {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    size_t start = 0;
    for (;;) {
        size_t pos = s.find(sep, start);
        out.push_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view s) {
    auto is_oct = [](char c) { return c >= '0' && c <= '7'; };
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && is_oct(s[i + 1]) && is_oct(s[i + 2]) && is_oct(s[i + 3])) {
            out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
            continue;
        }
        out += s[i];
    }
    return out;
}

std::string_view basename_of(std::string_view path) {
    size_t pos = path.rfind('/');
    return pos == std::string_view::npos ? path : path.substr(pos + 1);
}

std::string_view parent_of(std::string_view path) {
    size_t pos = path.rfind('/');
    if (pos == std::string_view::npos) return {};
    return pos == 0 ? std::string_view("/") : path.substr(0, pos);
}

bool has_option(const MountInfoEntry& m, std::string_view opt) {
    return std::find(m.super_options.begin(), m.super_options.end(), opt) != m.super_options.end();
}

// The hierarchy's mount directly below the cgroup root, if any.
const MountInfoEntry* find_hierarchy(const std::vector<MountInfoEntry>& mounts, const ProcCgroupEntry& cg,
                                     std::string_view cgroup_root) {
    const MountInfoEntry* found = nullptr;
    for (const MountInfoEntry& m : mounts) {
        if (parent_of(m.mount_point) != cgroup_root) continue;
        bool match;
        if (cg.controllers.empty()) {
            match = m.fstype == "cgroup2";
        } else {
            match = m.fstype == "cgroup" && std::all_of(cg.controllers.begin(), cg.controllers.end(),
                                                        [&](const std::string& c) { return has_option(m, c); });
        }
        if (match) found = &m;  // the last mount over a path is the visible one
    }
    return found;
}

// The process's directory: the mount shows the filesystem from `root` on.
bool host_dir(const MountInfoEntry& m, const std::string& cg_path, std::string* out) {
    std::string rel;
    if (m.root == "/") {
        rel = cg_path == "/" ? "" : cg_path;
    } else if (cg_path == m.root) {
        rel = "";
    } else if (cg_path.size() > m.root.size() && cg_path.compare(0, m.root.size(), m.root) == 0 &&
               cg_path[m.root.size()] == '/') {
        rel = cg_path.substr(m.root.size());
    } else {
        return false;
    }
    *out = m.mount_point + rel;
    return true;
}

}  // namespace

std::vector<MountInfoEntry> parse_mountinfo(std::string_view text) {
    std::vector<MountInfoEntry> out;
    for (std::string_view line : split(text, '\n')) {
        if (line.empty()) continue;
        // id parent major:minor root mount_point options [optional...] - fstype source super_options
        size_t dash = line.find(" - ");
        if (dash == std::string_view::npos) continue;
        std::vector<std::string_view> head = split(line.substr(0, dash), ' ');
        std::vector<std::string_view> tail = split(line.substr(dash + 3), ' ');
        if (head.size() < 6 || tail.size() < 3) continue;
        MountInfoEntry e;
        e.root = unescape(head[3]);
        e.mount_point = unescape(head[4]);
        e.fstype = std::string(tail[0]);
        e.source = unescape(tail[1]);
        for (std::string_view o : split(tail[2], ',')) e.super_options.emplace_back(o);
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<ProcCgroupEntry> parse_proc_cgroup(std::string_view text) {
    std::vector<ProcCgroupEntry> out;
    for (std::string_view line : split(text, '\n')) {
        if (line.empty()) continue;
        // hierarchy-id:controller-list:path; the path may itself contain ':'.
        size_t a = line.find(':');
        if (a == std::string_view::npos) continue;
        size_t b = line.find(':', a + 1);
        if (b == std::string_view::npos) continue;
        ProcCgroupEntry e;
        std::string_view id = line.substr(0, a);
        if (std::from_chars(id.data(), id.data() + id.size(), e.hierarchy).ec != std::errc()) continue;
        std::string_view ctrls = line.substr(a + 1, b - a - 1);
        if (!ctrls.empty())
            for (std::string_view c : split(ctrls, ',')) e.controllers.emplace_back(c);
        e.path = std::string(line.substr(b + 1));
        out.push_back(std::move(e));
    }
    return out;
}

CgroupMode detect_cgroup_mode(const std::vector<MountInfoEntry>& mounts, std::string_view cgroup_root) {
    const MountInfoEntry* top = nullptr;
    for (const MountInfoEntry& m : mounts)
        if (m.mount_point == cgroup_root) top = &m;  // the last one is visible
    if (top == nullptr) return CgroupMode::kNone;
    if (top->fstype == "cgroup2") return CgroupMode::kUnified;
    if (top->fstype != "tmpfs") return CgroupMode::kNone;
    bool v1 = false, v2 = false;
    for (const MountInfoEntry& m : mounts) {
        if (parent_of(m.mount_point) != cgroup_root) continue;
        v1 = v1 || m.fstype == "cgroup";
        v2 = v2 || m.fstype == "cgroup2";
    }
    if (!v1) return CgroupMode::kNone;
    return v2 ? CgroupMode::kHybrid : CgroupMode::kLegacy;
}

Status plan_cgroup_view(const std::vector<MountInfoEntry>& mounts, const std::vector<ProcCgroupEntry>& cgroups,
                        CgroupView* out, std::string_view cgroup_root) {
    CgroupView view;
    view.mode = detect_cgroup_mode(mounts, cgroup_root);
    if (view.mode == CgroupMode::kNone)
        return Status::Error(ENOENT, "no cgroup filesystem mounted at " + std::string(cgroup_root));

    if (view.mode == CgroupMode::kUnified) {
        const MountInfoEntry* top = nullptr;
        for (const MountInfoEntry& m : mounts)
            if (m.mount_point == cgroup_root) top = &m;
        for (const ProcCgroupEntry& cg : cgroups) {
            if (cg.hierarchy != 0 || !cg.controllers.empty()) continue;
            CgroupViewDir dir;
            dir.unified = true;
            if (!host_dir(*top, cg.path, &dir.host_path)) dir.host_path.clear();
            view.dirs.push_back(std::move(dir));
            *out = std::move(view);
            return Status::Ok();
        }
        return Status::Error(ENOENT, "no cgroup v2 entry (0::) in /proc/self/cgroup");
    }

    for (const ProcCgroupEntry& cg : cgroups) {
        const MountInfoEntry* m = find_hierarchy(mounts, cg, cgroup_root);
        if (m == nullptr) continue;
        CgroupViewDir dir;
        dir.name = std::string(basename_of(m->mount_point));
        if (dir.name.empty() || dir.name == "." || dir.name == "..") continue;
        dir.controllers = cg.controllers;
        dir.unified = cg.controllers.empty();
        if (!host_dir(*m, cg.path, &dir.host_path)) dir.host_path.clear();
        view.dirs.push_back(std::move(dir));
    }
    // Co-mounted controllers: "cpu,cpuacct" also answers to cpu and cpuacct,
    // as on the host, where systemd makes the same links.
    for (const CgroupViewDir& dir : view.dirs) {
        if (dir.name.find(',') == std::string::npos) continue;
        for (std::string_view part : split(dir.name, ',')) {
            if (part.empty() || part == dir.name) continue;
            auto taken = [&](std::string_view n) {
                return std::any_of(view.dirs.begin(), view.dirs.end(),
                                   [&](const CgroupViewDir& d) { return d.name == n; }) ||
                       std::any_of(view.links.begin(), view.links.end(),
                                   [&](const CgroupViewLink& l) { return l.name == n; });
            };
            if (!taken(part)) view.links.push_back({std::string(part), dir.name});
        }
    }
    *out = std::move(view);
    return Status::Ok();
}

}  // namespace berth::mounts
