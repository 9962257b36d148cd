#include "container/rollback.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <exception>
#include <string>

#include "log/log.hpp"
#include "namespaces/net_devices.hpp"
#include "rootfs/rootfs.hpp"

namespace berth {

ContainerRollback::~ContainerRollback() {
    if (committed_) return;
    // From the namespace held open since they were moved in.
    if (net_devices_) move_net_devices_out(net_ns_.get(), *net_devices_);
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    try {
        if (rootfs_bind_) detach_rootfs_bind(rootfs_, rootfs_bind_);
    } catch (const std::exception& e) {
        // Keep the state dir: it is how `delete --force` finds the bind.
        log_warning(std::string("cleanup: ") + e.what() + "; run `berth delete --force` to retry");
        return;
    }
    try {
        if (cgroups_) CgroupManager::destroy(*cgroups_);
    } catch (const std::exception& e) {
        // Keep the state dir: it is how `delete --force` finds the cgroup.
        log_warning(std::string("cleanup: ") + e.what() + "; run `berth delete --force` to retry");
        return;
    }
    try {
        c_.remove();
    } catch (const std::exception& e) {
        log_warning(std::string("cleanup: ") + e.what());
    }
}

}  // namespace berth
