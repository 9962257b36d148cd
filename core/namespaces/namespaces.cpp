#include "namespaces/namespaces.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>

#include <utility>
#include <vector>

#include "errors/error.hpp"
#include "util/unique_fd.hpp"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace berth {
namespace {

UniqueFd open_namespace(const spec::Namespace& ns) {
    UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        throw Error("linux.namespaces: open " + ns.type + " namespace " + ns.path + ": " + errno_text(errno), errno);
    return fd;
}

void setns_or_throw(int fd, const spec::Namespace& ns) {
    if (::setns(fd, ns.clone_flag) < 0)
        throw Error("linux.namespaces: join " + ns.type + " namespace " + ns.path + ": " + errno_text(errno), errno);
}

std::string type_of_flag(int flag) {
    for (const auto& [name, f] : spec::namespace_table())
        if (f == flag) return name;
    return "unknown";
}

}  // namespace

void join_namespace(const spec::Namespace& ns) {
    UniqueFd fd = open_namespace(ns);
    setns_or_throw(fd.get(), ns);
}

void validate_namespace_paths(const spec::Spec& s) {
    for (size_t i = 0; i < s.linux.namespaces.size(); ++i) {
        const spec::Namespace& ns = s.linux.namespaces[i];
        if (ns.path.empty()) continue;
        const std::string field = "linux.namespaces[" + std::to_string(i) + "].path";
        UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) throw Error(field + ": open " + ns.type + " namespace " + ns.path + ": " + errno_text(errno), errno);
        // NS_GET_NSTYPE answers only on nsfs files (/proc/PID/ns/*, or a
        // bind of one): a regular file or a directory gives ENOTTY.
        int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
        if (type < 0) throw Error(field + ": " + ns.path + " is not a namespace file", EINVAL);
        if (type != ns.clone_flag)
            throw Error(field + ": " + ns.path + " is a " + type_of_flag(type) + " namespace, not " + ns.type, EINVAL);
    }
}

void join_namespaces_by_path(const spec::Spec& s) {
    std::vector<std::pair<const spec::Namespace*, UniqueFd>> open;
    for (const auto& ns : s.linux.namespaces) {
        if (ns.path.empty() || ns.clone_flag == CLONE_NEWPID || ns.clone_flag == CLONE_NEWTIME) continue;
        open.emplace_back(&ns, open_namespace(ns));
    }
    for (const auto& [ns, fd] : open) setns_or_throw(fd.get(), *ns);
}

}  // namespace berth
