// Linux security modules: process.apparmorProfile, process.selinuxLabel and
// linux.mountLabel. Where the host has the module they are applied (the
// profile or label at the exec of the container's program, as runc does);
// where it has not, they are refused naming the field, never dropped.
#pragma once

#include <string>
#include <vector>

#include "init/exec_stub.hpp"
#include "spec/spec.hpp"

namespace berth::lsm {

// AppArmor: the module is enabled and securityfs shows it (runc's test).
bool apparmor_enabled();
// SELinux: selinuxfs is mounted at /sys/fs/selinux.
bool selinux_enabled();

// Before anything is made: the process's profile and label and the mount
// label can be applied on this host. Errors name the field.
void check(const spec::Process& p, const std::string& mount_label);

// What the exec stub sets right before the program's execve (exec_stub.c):
// the process's own /proc/thread-self/attr file for the module, below the
// current root's /proc (checked to be procfs), and its value. No attribute
// (proc_fd -1) when the process asks for neither. Call it once the root is
// the container's.
StubLsmAttr exec_attribute(const spec::Process& p);

// SELinux: keys the process creates (its session keyring) get `label`; to be
// called before it joins one. Nothing for an empty label.
void set_keycreate_label(const std::string& label);

// Pure: the value AppArmor's exec attribute takes for a profile.
std::string apparmor_exec_value(const std::string& profile);

// Pure: a mount's options with linux.mountLabel as its SELinux context=,
// for the filesystems runc labels (tmpfs, mqueue, devpts, overlay and the
// like); binds, proc, sysfs and cgroup mounts keep their own labels, and an
// empty label or a context= already given changes nothing.
std::vector<std::string> with_mount_label(const std::string& type, const std::vector<std::string>& options,
                                          const std::string& label);

}  // namespace berth::lsm
