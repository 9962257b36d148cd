// The "devices" controller: linux.resources.devices, the device allowlist.
// v1: writes to devices.deny/devices.allow. v2, which has no devices
// controller file: an eBPF device program attached to the cgroup.
#pragma once

#include "berth/cgroup_subsystem.hpp"
#include "rules.hpp"

namespace berth::plugins::devices {

class DevicesSubsystem {
public:
    const char* controller() const { return "devices"; }
    static constexpr const char* kResourceFields[] = {"devices", nullptr};
    // Wanted when the config lists any rule; with none the container keeps
    // its parent's access, as with runc (its defaults then only allow).
    bool wants(const Resources& r) const;
    Status validate(const Resources& r) const;
    Status apply_v2(const CgroupDir& dir, const Resources& r);
    // Writes nothing when devices.list already shows the wanted list, so
    // that `update`, which leaves devices as they are, never opens a moment
    // of deny-all in a running container.
    Status apply_v1(const CgroupDir& dir, const Resources& r);
    // The controller has no counters.
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const;
};

// The v1 writer on its own, for tests against a fake tree: each write is one
// line appended to devices.allow or devices.deny (the kernel takes one rule
// per write). Files are never created.
Status write_v1_rules(const CgroupDir& dir, const std::vector<DeviceRule>& rules);

}  // namespace berth::plugins::devices
