#include "network_subsystem.hpp"

#include <cerrno>
#include <string>

#include "network_settings.hpp"

namespace berth::plugins::network {

bool NetworkSubsystem::wants(const Resources& r) const { return r.network.has_value(); }

// The host has validated the fields; whether the kernel has net_cls is the
// host's to say (v2) or apply's to find.
Status NetworkSubsystem::validate(const Resources&) const { return Status::Ok(); }

Status NetworkSubsystem::apply_v2(const CgroupDir&, const Resources&) {
    return Status::Error(EOPNOTSUPP, "linux.resources.network: cgroup v2 has no net_cls nor net_prio controller");
}

Status NetworkSubsystem::apply_v1(const CgroupDir& dir, const Resources& r) {
    if (!r.network) return Status::Ok();
    const NetworkResources& n = *r.network;
    // Checked before the first write, so that nothing is half applied.
    if (!n.priorities.empty() && !dir.has("net_prio.ifpriomap"))
        return Status::Error(EOPNOTSUPP,
                             "linux.resources.network.priorities: net_prio is not mounted together with net_cls (no " +
                                 dir.file("net_prio.ifpriomap") + "); berth writes both in net_cls's hierarchy");
    if (n.class_id)
        if (Status s = dir.write("net_cls.classid", classid_text(*n.class_id)); !s.ok())
            return Status::Error(s.err, "linux.resources.network.classID: " + s.message);
    // The kernel looks the interface up in the writer's network
    // namespace (the host's, as with runc): an unknown one is ENODEV.
    for (size_t i = 0; i < n.priorities.size(); ++i)
        if (Status s = dir.write("net_prio.ifpriomap", ifpriomap_line(n.priorities[i])); !s.ok())
            return Status::Error(s.err, "linux.resources.network.priorities[" + std::to_string(i) + "]: " + s.message);
    return Status::Ok();
}

Status NetworkSubsystem::stats(const CgroupDir&, bool, CgroupStats*) const { return Status::Ok(); }

}  // namespace berth::plugins::network
