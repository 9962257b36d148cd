#include "namespaces/namespaces.hpp"

#include <fcntl.h>
#include <sched.h>

#include "errors/error.hpp"
#include "util/unique_fd.hpp"

namespace berth {

void join_namespace(const spec::Namespace& ns) {
    UniqueFd fd(::open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw Error("linux.namespaces: open " + ns.type + " namespace " + ns.path + ": " + errno_text(errno), errno);
    if (::setns(fd.get(), ns.clone_flag) < 0)
        throw Error("linux.namespaces: join " + ns.type + " namespace " + ns.path + ": " + errno_text(errno), errno);
}

}  // namespace berth
