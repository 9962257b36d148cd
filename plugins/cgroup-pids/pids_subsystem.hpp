// The "pids" controller: linux.resources.pids.limit onto pids.max.
#pragma once

#include "berth/cgroup_subsystem.hpp"
#include "conversions.hpp"

namespace berth::plugins::pids {

class PidsSubsystem {
public:
    const char* controller() const { return "pids"; }
    static constexpr const char* kResourceFields[] = {"pids", nullptr};
    bool wants(const Resources& r) const;
    Status validate(const Resources& r) const;
    Status apply_v2(const CgroupDir& dir, const Resources& r);
    // No apply_v1: the files have the same names and syntax on v1 and v2.
    // Appends {"pids.current", n} and {"pids.max", n} (0 when "max");
    // nothing on v2 when the controller is not enabled for the directory.
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const;
    // For the systemd driver: pids_unit_properties (conversions.hpp).
    Status unit_properties(const Resources& r, UnitProperties* out) const { return pids_unit_properties(r, out); }
};

}  // namespace berth::plugins::pids
