#include "checkpoint/checkpoint_options.hpp"

#include <sched.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "errors/error.hpp"
#include "rootfs/rootfs.hpp"

namespace berth {

CheckpointCgroupsMode parse_cgroups_mode(const std::string& value) {
    if (value.empty()) return CheckpointCgroupsMode::kDefault;
    if (value == "soft") return CheckpointCgroupsMode::kSoft;
    if (value == "full") return CheckpointCgroupsMode::kFull;
    if (value == "strict") return CheckpointCgroupsMode::kStrict;
    if (value == "ignore") return CheckpointCgroupsMode::kIgnore;
    throw Error("--manage-cgroups-mode: \"" + value + "\" is not one of soft, full, strict, ignore");
}

uint32_t parse_empty_ns(const std::vector<std::string>& values) {
    uint32_t flags = CLONE_NEWNET;
    for (const auto& v : values) {
        if (v != "network") throw Error("--empty-ns: namespace \"" + v + "\" is not supported (only \"network\")");
        flags |= CLONE_NEWNET;
    }
    return flags;
}

std::pair<std::string, int> parse_page_server(const std::string& value) {
    const size_t colon = value.rfind(':');
    auto bad = [&](const std::string& why) {
        return Error("--page-server: \"" + value + "\": " + why + " (use ADDRESS:PORT)");
    };
    if (colon == std::string::npos) throw bad("no port");
    std::string address = value.substr(0, colon);
    const std::string port = value.substr(colon + 1);
    if (address.size() >= 2 && address.front() == '[' && address.back() == ']')
        address = address.substr(1, address.size() - 2);
    if (address.empty()) throw bad("no address");
    if (address.find(':') != std::string::npos && value.front() != '[') throw bad("an IPv6 address needs [brackets]");
    if (port.empty() || port.size() > 5) throw bad("no port");
    int n = 0;
    for (char c : port) {
        if (!std::isdigit(static_cast<unsigned char>(c))) throw bad("port \"" + port + "\" is not a number");
        n = n * 10 + (c - '0');
    }
    if (n < 1 || n > 65535) throw bad("port " + port + " is out of range");
    return {address, n};
}

void check_parent_path(const std::string& value) {
    if (!value.empty() && value[0] == '/')
        throw Error("--parent-path: must be relative to --image-path, not \"" + value + "\"");
}

std::vector<std::string> device_paths(const spec::Spec& s) {
    std::vector<std::string> out = default_device_paths();
    for (const auto& d : s.linux.devices) out.push_back(spec::clean_absolute_path(d.path));
    return out;
}

namespace {

std::vector<const spec::Mount*> bind_mounts(const spec::Spec& s) {
    std::vector<const spec::Mount*> out;
    for (const auto& m : s.mounts)
        if (m.type == "bind") out.push_back(&m);
    return out;
}

}  // namespace

std::vector<ExternalMount> dump_external_mounts(const spec::Spec& s,
                                                const std::function<bool(const std::string&)>& is_file) {
    std::vector<ExternalMount> out;
    for (const spec::Mount* m : bind_mounts(s)) {
        const std::string dest = spec::clean_absolute_path(m->destination);
        out.push_back({dest, dest});
    }
    for (const auto& p : s.linux.masked_paths) {
        const std::string path = spec::clean_absolute_path(p);
        if (is_file(path)) out.push_back({path, "/dev/null"});
    }
    for (const auto& d : device_paths(s)) out.push_back({d, d});
    return out;
}

std::vector<ExternalMount> restore_external_mounts(const spec::Spec& s, const std::string& bundle) {
    std::vector<ExternalMount> out;
    for (const spec::Mount* m : bind_mounts(s)) {
        const std::string source = m->source.empty() || m->source[0] == '/' ? m->source : bundle + "/" + m->source;
        out.push_back({spec::clean_absolute_path(m->destination), source});
    }
    if (!s.linux.masked_paths.empty()) out.push_back({"/dev/null", "/dev/null"});
    for (const auto& d : device_paths(s)) out.push_back({d, d});
    return out;
}

std::string external_namespace_key(const std::string& spec_type) {
    if (spec_type == "network") return "extRootNetNS";
    if (spec_type == "pid") return "extRootPidNS";
    return "";
}

std::string external_file_key(int mnt_id, unsigned long long inode) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "file[%x:%llx]", static_cast<unsigned>(mnt_id), inode);
    return buf;
}

std::vector<int> mount_ids(const std::string& mountinfo) {
    std::vector<int> out;
    std::istringstream in(mountinfo);
    std::string line;
    while (std::getline(in, line)) {
        char* end = nullptr;
        const long id = std::strtol(line.c_str(), &end, 10);
        if (end != line.c_str() && *end == ' ') out.push_back(static_cast<int>(id));
    }
    return out;
}

int fdinfo_mount_id(const std::string& fdinfo) {
    std::istringstream in(fdinfo);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("mnt_id:", 0) == 0) return std::atoi(line.c_str() + 7);
    return -1;
}

std::string criu_namespace_name(const std::string& spec_type) {
    static const std::pair<const char*, const char*> kNames[] = {
        {"network", "net"}, {"pid", "pid"},   {"mount", "mnt"}, {"ipc", "ipc"},
        {"uts", "uts"},     {"user", "user"}, {"time", "time"},
    };
    for (const auto& [spec_name, criu_name] : kNames)
        if (spec_type == spec_name) return criu_name;
    throw Error("linux.namespaces: a " + spec_type +
                " namespace joined by path cannot be restored (CRIU cannot join it)");
}

}  // namespace berth
