// The "misc" controller (cgroup v2 only: scalar resources such as SEV ASIDs).
// The runtime-spec has no structured field for it: it is set through
// linux.resources.unified["misc.max"], which the CgroupManager writes once
// this plugin owns the controller; the plugin checks those values and
// reports misc.current.
#pragma once

#include <map>
#include <string>

#include "berth/cgroup_subsystem.hpp"

namespace berth::plugins::misc {

// Checks linux.resources.unified's misc.* keys: only misc.max may be set
// (misc.current and misc.events are read-only), and each of its lines is
// "RESOURCE max" or "RESOURCE N". Errors name the field.
Status check_misc_keys(const std::map<std::string, std::string>& unified);

class MiscSubsystem {
public:
    const char* controller() const { return "misc"; }
    // No structured field: misc is asked for only through unified keys.
    static constexpr const char* kResourceFields[] = {nullptr};
    // When linux.resources.unified names a misc.* file.
    bool wants(const Resources& r) const;
    Status validate(const Resources& r) const;
    // Nothing to write: the manager writes the unified values.
    Status apply_v2(const CgroupDir& dir, const Resources& r);
    // v1 has no misc controller (the manager refuses before this).
    Status apply_v1(const CgroupDir& dir, const Resources& r);
    // misc.current as "misc.current.<resource>" (v2, when the file exists).
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const;
};

}  // namespace berth::plugins::misc
