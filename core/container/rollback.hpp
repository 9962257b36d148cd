// Undoes a create or restore that did not finish: the network devices moved
// into the container, its init (a child of ours), the host's bind of its
// rootfs, its cgroup, its state directory. commit() keeps them.
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cgroups/cgroup_manager.hpp"
#include "spec/spec.hpp"
#include "util/unique_fd.hpp"
#include "state/state_store.hpp"

namespace berth {

class ContainerRollback {
public:
    explicit ContainerRollback(LockedContainer& c) : c_(c) {}
    ~ContainerRollback();
    ContainerRollback(const ContainerRollback&) = delete;
    ContainerRollback& operator=(const ContainerRollback&) = delete;

    void set_pid(pid_t p) { pid_ = p; }
    void set_cgroups(const CgroupPaths* p) { cgroups_ = p; }
    // The namespace is held open from here on: an init that exits first
    // (a failed exec) would otherwise take it, and a veth in it, along.
    void set_net_devices(const std::vector<spec::NetDevice>* d, int netns_fd) {
        net_devices_ = d;
        net_ns_.reset(::fcntl(netns_fd, F_DUPFD_CLOEXEC, 0));
    }
    void set_rootfs_bind(const std::string& rootfs, uint64_t mount_id) {
        rootfs_ = rootfs;
        rootfs_bind_ = mount_id;
    }
    void commit() { committed_ = true; }

private:
    LockedContainer& c_;
    pid_t pid_ = 0;
    const CgroupPaths* cgroups_ = nullptr;
    const std::vector<spec::NetDevice>* net_devices_ = nullptr;
    UniqueFd net_ns_;
    std::string rootfs_;
    uint64_t rootfs_bind_ = 0;
    bool committed_ = false;
};

}  // namespace berth
