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
#include "berth/unit_properties.hpp"

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

    // ABI 1.2 (called only on plugins built against 1.2 or newer):

    // The linux.resources fields this controller serves, as a null-terminated
    // static array of names: a top-level field ("memory", "blockIO") or one
    // member of it ("cpu.cpus"). `unified` keys need no entry: they name their
    // controller. create loads a plugin only when the config sets one of its
    // fields or a unified key of its controller; null (the default) means
    // "any resources": the plugin is always loaded.
    virtual const char* const* resource_fields() const noexcept { return nullptr; }

    // Appends the systemd unit properties for `r` (the structured fields and
    // this controller's `unified` keys), for the systemd cgroup driver. The
    // default appends none: the files apply_v2 writes are then the only
    // record of the values. Called after validate().
    virtual Status unit_properties(const Resources& r, UnitProperties* out) const noexcept {
        (void)r;
        (void)out;
        return Status::Ok();
    }
};

}  // namespace berth
