#include "features/features.hpp"

#include <seccomp.h>
#include <sys/capability.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "errors/error.hpp"
#include "hooks/hooks.hpp"
#include "seccomp/seccomp_filter.hpp"
#include "spec/spec.hpp"

namespace berth {
namespace {

using ojson = nlohmann::ordered_json;

std::string joined(const std::set<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
    return out;
}

// The architectures a filter can be built for here: libseccomp refuses to
// mix endiannesses (EDOM), so on x86-64 the big-endian ones fail create.
std::vector<std::string> buildable_seccomp_archs() {
    std::vector<std::string> out;
    for (const std::string& name : spec::seccomp_arch_names()) {
        spec::Seccomp trial;
        trial.default_action = SCMP_ACT_ALLOW;
        trial.architectures = {*spec::seccomp_arch(name)};
        try {
            build_seccomp_filter(trial);
            out.push_back(name);
        } catch (const Error&) {
        }
    }
    return out;
}

}  // namespace

std::vector<std::string> known_capability_names() {
    std::vector<std::string> out;
    // Capability numbers are below 64 (two 32-bit words in the kernel's ABI).
    for (int n = 0; n < 64; ++n) {
        char* text = cap_to_name(static_cast<cap_value_t>(n));
        if (!text) continue;
        std::string name = text;
        cap_free(text);
        // libcap says "cap_chown", and names numbers it does not know by the
        // number itself.
        if (name.rfind("cap_", 0) != 0) continue;
        std::string upper;
        for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (spec::capability_number(upper) == n) out.push_back(upper);
    }
    return out;
}

ojson features_document(const FeaturesInputs& in) {
    std::set<std::string> controllers, mount_types, checkpoint;
    std::vector<std::string> mount_options;  // each handler's, in its order, once
    for (const PluginInfo& p : in.plugins) {
        if (!p.enabled || !p.error.empty()) continue;
        // The v2 names: "blkio (v1)" is how inspect shows io's v1 hierarchy.
        for (const auto& c : p.cgroup_controllers)
            if (c.find(' ') == std::string::npos) controllers.insert(c);
        mount_types.insert(p.mount_types.begin(), p.mount_types.end());
        if (!p.checkpoint_engine.empty()) checkpoint.insert(p.name + ": " + p.checkpoint_engine);
        for (const auto& o : p.mount_options)
            if (std::find(mount_options.begin(), mount_options.end(), o) == mount_options.end())
                mount_options.push_back(o);
    }

    ojson doc = ojson::object();
    doc["ociVersionMin"] = "1.0.0";
    doc["ociVersionMax"] = in.oci_version_max;
    doc["hooks"] = supported_hook_kinds();
    doc["mountOptions"] = mount_options;

    ojson linux_ = ojson::object();
    ojson namespaces = ojson::array();
    for (const auto& [type, flag] : spec::namespace_table()) namespaces.push_back(type);
    linux_["namespaces"] = namespaces;
    linux_["capabilities"] = known_capability_names();
    linux_["cgroup"] = {{"v1", true},
                        {"v2", true},
                        {"systemd", true},  // the driver: cgroup v2 hosts (docs/systemd-driver.md)
                        {"systemdUser", false},
                        {"rdma", controllers.count("rdma") > 0}};
    const scmp_version* v = seccomp_version();
    // Known: every flag of the runtime-spec (berth parses them all);
    // supported: those this libseccomp and kernel can set.
    std::vector<std::string> supported_flags;
    for (const auto& f : spec::seccomp_flag_names())
        if (!spec::seccomp_flag_problem(f)) supported_flags.push_back(f);
    linux_["seccomp"] = {{"enabled", true},
                         {"actions", spec::seccomp_action_names()},
                         {"operators", spec::seccomp_op_names()},
                         {"archs", buildable_seccomp_archs()},
                         {"knownFlags", spec::seccomp_flag_names()},
                         {"supportedFlags", supported_flags}};
    // "Whether support is compiled in, unrelated to whether the host
    // supports it" (features-linux.md): berth applies both where the host
    // has the module and refuses them, naming the field, where it has not.
    linux_["apparmor"] = {{"enabled", true}};
    linux_["selinux"] = {{"enabled", true}};
    linux_["intelRdt"] = {{"enabled", false}};
    auto names = [](const std::map<std::string, int>& table) {
        ojson out = ojson::array();
        for (const auto& [name, value] : table) out.push_back(name);
        return out;
    };
    linux_["netDevices"] = {{"enabled", true}};
    linux_["memoryPolicy"] = {{"modes", names(spec::memory_policy_modes())},
                              {"flags", names(spec::memory_policy_flags())}};
    // Idmapped binds: uidMappings/gidMappings and idmap/ridmap (docs/mounts.md).
    linux_["mountExtensions"] = {{"idmap", {{"enabled", true}}}};
    doc["linux"] = linux_;

    ojson annotations = ojson::object();
    if (v)
        annotations["io.github.seccomp.libseccomp.version"] =
            std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
    annotations[kControllersAnnotation] = joined(controllers);
    annotations[kMountTypesAnnotation] = joined(mount_types);
    annotations[kCheckpointAnnotation] = joined(checkpoint);
    for (const auto& [k, val] : in.annotations) annotations[k] = val;
    doc["annotations"] = annotations;
    return doc;
}

}  // namespace berth
