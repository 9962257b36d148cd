// The "net_cls" controller and its v1 sibling net_prio: linux.resources.network
// onto net_cls.classid and net_prio.ifpriomap.
//
// A subsystem serves one hierarchy, so both files are written in net_cls's:
// net_prio must be mounted together with it (net_cls,net_prio, as systemd
// and every distribution mount them). Priorities on a host where net_prio
// is mounted apart are refused, naming the field. cgroup v2 has neither
// controller: the manager refuses linux.resources.network there before
// anything is made (runc's fs2 drops it silently).
#pragma once

#include "berth/cgroup_subsystem.hpp"

namespace berth::plugins::network {

class NetworkSubsystem {
public:
    const char* controller() const { return "net_cls"; }
    static constexpr const char* kResourceFields[] = {"network", nullptr};
    // When network is a non-empty object.
    bool wants(const Resources& r) const;
    Status validate(const Resources& r) const;
    // Refuses: v2 has no net_cls nor net_prio (the manager refuses first).
    Status apply_v2(const CgroupDir& dir, const Resources& r);
    Status apply_v1(const CgroupDir& dir, const Resources& r);
    // Neither controller counts anything (runc reports nothing for them).
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const;
};

}  // namespace berth::plugins::network
