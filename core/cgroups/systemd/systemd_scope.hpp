// A container's transient scope unit, made by systemd over D-Bus
// (org.freedesktop.systemd1.Manager.StartTransientUnit, Delegate=yes) so that
// systemd knows the cgroup is the container's and leaves what is inside it to
// us. sd-bus comes from libsystemd.so.0, loaded with dlopen the first time
// the driver is used: the cgroupfs driver, and every verb that never talks
// to systemd, keep berth's libc-only process start (docs/architecture.md).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "cgroups/systemd/systemd_unit.hpp"

namespace berth::systemd {

class SystemdScope {
public:
    // Creates `placement.unit` in `placement.slice` holding `pid`, with the
    // resource properties, and waits until systemd's start job has finished
    // (the cgroup exists and pid is in it). Throws berth::Error naming the
    // unit and systemd's error when systemd refuses (e.g. the unit exists:
    // two containers given one cgroupsPath).
    static SystemdScope start(const UnitPlacement& placement, pid_t pid, const std::vector<Property>& resources,
                              const std::string& description);

    SystemdScope(SystemdScope&& o) noexcept : unit_(std::move(o.unit_)) { o.unit_.clear(); }
    SystemdScope& operator=(SystemdScope&&) = delete;
    SystemdScope(const SystemdScope&) = delete;
    // Stops the unit unless released: a create that fails after the scope
    // was made leaves nothing behind.
    ~SystemdScope();

    // The container was created: the unit outlives this berth process and
    // `delete` stops it (stop()).
    void release() { unit_.clear(); }
    const std::string& unit() const { return unit_; }

    // StopUnit(unit, "replace"), waits for the job, then ResetFailedUnit so
    // that no failed unit is left listed. A unit that is gone already (a
    // scope is collected once its last process exits) is fine.
    static void stop(const std::string& unit);
    // ResetFailedUnit alone, best effort (never throws): a scope whose
    // processes are gone was removed by systemd, unless it ended failed.
    static void reset_failed(const std::string& unit) noexcept;

    // SetUnitProperties(unit, runtime=true, resources): `update` tells
    // systemd the new values before writing the files, or a daemon-reload
    // would put the unit's old values back over them.
    static void set_properties(const std::string& unit, const std::vector<Property>& resources);

private:
    explicit SystemdScope(std::string unit) : unit_(std::move(unit)) {}
    std::string unit_;
};

}  // namespace berth::systemd
