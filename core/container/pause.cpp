// `pause` and `resume`: the container's cgroup frozen and thawed through the
// CgroupManager's freezer (see cgroup_manager.hpp for why it lives there).
#include "cgroups/cgroup_manager.hpp"
#include "container/container.hpp"
#include "errors/error.hpp"
#include "state/state_store.hpp"
#include "util/fault_point.hpp"

namespace berth {

void pause_container(const RuntimeContext& ctx, const std::string& id) {
    LockedContainer c = StateStore(ctx.root).open_existing(id);
    ContainerState st = c.load();
    const std::string status = status_of(st, c.dir());
    // runc pauses a created container too; a paused one is "not running".
    if (status != "running" && status != "created") throw Error("container not running");
    fault_point("pause.checked");
    CgroupManager::freeze(CgroupPaths::from_json(st.cgroup));
    fault_point("pause.frozen");
}

void resume_container(const RuntimeContext& ctx, const std::string& id) {
    LockedContainer c = StateStore(ctx.root).open_existing(id);
    ContainerState st = c.load();
    if (status_of(st, c.dir()) != "paused") throw Error("container not paused");
    fault_point("resume.checked");
    CgroupManager::thaw(CgroupPaths::from_json(st.cgroup));
    fault_point("resume.thawed");
}

}  // namespace berth
