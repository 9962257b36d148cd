// The interface of a mount handler plugin.
//
// The host resolves every destination inside the container's rootfs (symlinks
// cannot leave it), creates it, opens it with O_PATH and hands the handler a
// `target` of the form /proc/self/fd/N. A handler mounts onto `target` and
// never onto a path it computes from `destination`.
#pragma once

#include <string>
#include <vector>

#include "berth/status.hpp"

namespace berth {

struct MountRequest {
    std::string type;  // spec type; "bind" for bind mounts given only by options
    // Spec source; bind sources are absolute host paths. A bind source the
    // host opened itself (a container with a user namespace, an idmapped
    // mount) is /proc/self/fd/N of a detached mount (open_tree clone, idmapped
    // when asked): attach that mount, do not clone the path. Only handlers
    // built against ABI 1.1 or newer get such a source.
    std::string source;
    std::string destination;  // spec destination inside the container, for messages
    std::string target;       // where to mount: the resolved, opened destination
    std::vector<std::string> options;
};

class MountHandler {
public:
    virtual ~MountHandler() = default;

    // The mount types this handler serves, e.g. {"proc"} or {"bind", "rbind"}.
    // noexcept since ABI 1.2, like every other method: an empty list (what
    // a handler returns when it cannot build one) is refused by the host.
    virtual std::vector<std::string> types() const noexcept = 0;

    // Checks options without touching the system; called before create. A
    // message about one option starts "options[K]: " (K its index in
    // `options`); the host shows it as mounts[N].options[K]: ..., any other
    // message as mounts[N]: ...
    virtual Status validate(const MountRequest& req) const noexcept = 0;

    virtual Status mount(const MountRequest& req) noexcept = 0;

    // ABI 1.2 (called only on plugins built against 1.2 or newer): the mount
    // options this handler knows (`berth features` lists them: the runtime
    // knows none itself). Empty (the default): the handler does not say.
    virtual std::vector<std::string> options() const noexcept { return {}; }
};

}  // namespace berth
