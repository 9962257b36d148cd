#include "container/initial_state.hpp"

#include <sched.h>

#include <nlohmann/json.hpp>

#include "hooks/hooks.hpp"

namespace berth {

ContainerState initial_state(const std::string& id, const std::string& bundle, const std::string& rootfs, spec::Spec& s,
                             const PluginRegistry& plugins) {
    ContainerState st;
    st.creating = true;
    if (const auto* pidns = s.find_namespace(CLONE_NEWPID)) st.own_pid_ns = pidns->path.empty();
    st.id = id;
    st.bundle = bundle;
    st.rootfs = rootfs;
    st.created = now_rfc3339();
    st.annotations = std::move(s.annotations);
    st.start_container = hooks_to_json(s.hooks.start_container);
    st.poststart = hooks_to_json(s.hooks.poststart);
    st.poststop = hooks_to_json(s.hooks.poststop);
    st.resources = nlohmann::json::parse(s.linux.resources.json);
    for (const auto& p : plugins.plugins())
        if (p.name != plugins.checkpoint_plugin()) st.plugins.push_back(p.name);
    return st;
}

}  // namespace berth
