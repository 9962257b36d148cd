// The smallest complete cgroup plugin: linux.resources.pids.limit onto
// pids.max, on cgroup v1 and v2, with its usage for `berth events`.
// BERTH_CGROUP_PLUGIN makes the class a berth::CgroupSubsystem: it turns an
// exception into a Status naming the plugin and, as the class has no
// apply_v1, applies apply_v2 on v1 too (pids.max is the same file on both).
#include <string>

#include "berth/plugin_export.hpp"

class TinyPids {
public:
    const char* controller() const { return "pids"; }
    // create loads the plugin only for configs that set linux.resources.pids.
    static constexpr const char* kResourceFields[] = {"pids", nullptr};
    // 0 is "unset" in the spec, as runc reads it: nothing to write.
    bool wants(const berth::Resources& r) const { return r.pids && r.pids->limit.value_or(0) != 0; }
    // Every other value has a meaning: below 0 is unlimited.
    berth::Status validate(const berth::Resources&) const { return berth::Status::Ok(); }
    berth::Status apply_v2(const berth::CgroupDir& dir, const berth::Resources& r) {
        if (!wants(r)) return berth::Status::Ok();
        const int64_t limit = *r.pids->limit;
        return dir.write("pids.max", limit > 0 ? std::to_string(limit) : "max");
    }
    berth::Status stats(const berth::CgroupDir& dir, bool, berth::CgroupStats* out) const {
        std::string text;
        if (berth::Status s = dir.read("pids.current", &text); !s.ok()) return s;
        out->values.emplace_back("pids.current", std::stoull(text));  // garbage throws: the macro reports it
        return berth::Status::Ok();
    }
};

BERTH_CGROUP_PLUGIN(TinyPids, "cgroup-tiny-pids", "0.1.0", "Apache-2.0", "pids.limit onto pids.max (the SDK's example)")
