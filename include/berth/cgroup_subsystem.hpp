// The interface of a cgroup subsystem plugin: one kernel controller.
//
// The CgroupManager in the host owns the cgroup's life: it creates the
// directory, enables controllers on the ancestors (v2), places the init
// process, kills what is left and removes it. A subsystem only maps
// `linux.resources` onto its controller's files, for v2 and for v1.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "berth/cgroup_dir.hpp"
#include "berth/resources.hpp"
#include "berth/status.hpp"

namespace berth {

struct CgroupStats {
    std::vector<std::pair<std::string, uint64_t>> values;  // e.g. {"pids.current", 3}
};

class CgroupSubsystem {
public:
    virtual ~CgroupSubsystem() = default;

    // The kernel's name for the controller ("pids", "memory", "cpu"): the v1
    // hierarchy to use and the v2 controller to enable.
    virtual const char* controller() const noexcept = 0;

    // The v1 hierarchy's name where it differs from the v2 controller's
    // ("blkio" for "io").
    virtual const char* v1_controller() const noexcept { return controller(); }

    // Whether these resources ask anything of this controller. A container's
    // cgroup only enables the controllers that are wanted.
    virtual bool wants(const Resources& r) const noexcept = 0;

    // Checks values without touching the system; called before anything is
    // created so that bad input leaves nothing behind.
    virtual Status validate(const Resources& r) const noexcept = 0;

    // Write the wanted values into the container's cgroup directory. Values
    // that are unset are never written.
    virtual Status apply_v2(const CgroupDir& dir, const Resources& r) noexcept = 0;
    virtual Status apply_v1(const CgroupDir& dir, const Resources& r) noexcept = 0;

    // Current usage, read from the same directory.
    virtual Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const noexcept = 0;
};

}  // namespace berth
