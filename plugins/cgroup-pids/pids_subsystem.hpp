// The "pids" controller: linux.resources.pids.limit onto pids.max.
#pragma once

#include "berth/cgroup_subsystem.hpp"

namespace berth::plugins::pids {

class PidsSubsystem final : public CgroupSubsystem {
public:
    const char* controller() const noexcept override { return "pids"; }
    bool wants(const Resources& r) const noexcept override;
    Status validate(const Resources& r) const noexcept override;
    Status apply_v2(const CgroupDir& dir, const Resources& r) noexcept override;
    Status apply_v1(const CgroupDir& dir, const Resources& r) noexcept override;
    // Appends {"pids.current", n} and {"pids.max", n} (0 when "max");
    // nothing on v2 when the controller is not enabled for the directory.
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const noexcept override;
};

}  // namespace berth::plugins::pids
