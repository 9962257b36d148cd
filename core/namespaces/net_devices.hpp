// linux.netDevices (runtime-spec): host network interfaces moved into the
// container's network namespace under their new names, and back to the
// host under their own names when the container goes. Netlink, no helper
// binary.
#pragma once

#include <string>
#include <vector>

#include "spec/spec.hpp"

namespace berth {

// Before anything is made: the container has a network namespace other than
// the host's (new, or joined by path), and each device exists on the host.
// Errors name linux.netDevices.<device>.
void check_net_devices(const spec::Spec& s);

// Moves each device into the network namespace `netns_fd` under its name
// there (one RTM_SETLINK with IFLA_NET_NS_FD and IFLA_IFNAME: moved and
// renamed at once). Throws naming the device; the ones moved before it are
// the caller's to move back.
void move_net_devices_in(int netns_fd, const std::vector<spec::NetDevice>& devices);

// Moves each device back from the network namespace at `netns_path` into our
// own under its host name (a child joins it to find and send them). "" (or
// a path that no longer opens): the namespace is gone; a physical device the
// kernel gave back to the host still has its container name, and gets its
// own again. What cannot be moved is a warning: delete goes on.
void move_net_devices_out(const std::string& netns_path, const std::vector<spec::NetDevice>& devices);
// The same from a namespace held open (-1: gone).
void move_net_devices_out(int netns_fd, const std::vector<spec::NetDevice>& devices);

}  // namespace berth
