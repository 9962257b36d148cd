// state.json text -> parse_state, then what `state` and `delete` do with it
// short of touching /proc or cgroups: the OCI state JSON, the cgroup paths
// and the poststop hooks.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cgroups/cgroup_manager.hpp"
#include "errors/error.hpp"
#include "hooks/hooks.hpp"
#include "state/state_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        berth::ContainerState st = berth::parse_state(text);
        if (st.pid < 0) __builtin_trap();
        (void)berth::oci_state_json(st, "stopped").dump();
        berth::CgroupPaths paths = berth::CgroupPaths::from_json(st.cgroup);
        (void)paths.procs_dir();
        (void)berth::CgroupPaths::from_json(paths.to_json());
        (void)berth::hooks_from_json(st.poststart, "poststart");
        (void)berth::hooks_from_json(st.poststop, "poststop");
        // What save() writes, load() reads back.
        berth::ContainerState again = berth::parse_state(nlohmann::json{
            {"id", st.id},
            {"pid", st.pid},
            {"start_time", st.start_time},
            {"bundle", st.bundle},
            {"rootfs", st.rootfs},
            {"created", st.created},
            {"owner", st.owner},
            {"annotations", st.annotations},
            {"cgroup", st.cgroup},
            {"poststart", st.poststart},
            {"poststop", st.poststop}}.dump());
        if (again.pid != st.pid || again.start_time != st.start_time || again.id != st.id) __builtin_trap();
    } catch (const berth::Error&) {
    }
    return 0;
}
