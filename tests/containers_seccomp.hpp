// The containers-common seccomp profile format (/usr/share/containers/
// seccomp.json, what podman and buildah read) converted to the OCI config's
// linux.seccomp, as podman does it for one container (containers/common
// pkg/seccomp): the architectures are the native one's archMap entry, and a
// rule is kept only if its includes hold and its excludes do not, for the
// container's bounding capabilities, its Go architecture name and the
// running kernel. Shared by the unit test (table tests, the real profile
// validates) and the integration test (the real profile runs the probe).
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::test {

// "amd64" for "x86_64" (uname's machine): the profile's includes/excludes
// name architectures as Go does.
inline std::string go_arch_of(const std::string& machine) {
    static const std::vector<std::pair<std::string, std::string>> t = {
        {"x86_64", "amd64"},    {"aarch64", "arm64"},   {"i686", "386"},   {"i386", "386"},     {"s390x", "s390x"},
        {"ppc64le", "ppc64le"}, {"riscv64", "riscv64"}, {"armv7l", "arm"}, {"mips64", "mips64"}};
    for (const auto& [m, g] : t)
        if (m == machine) return g;
    return machine;
}

// The libseccomp name of a Go architecture ("SCMP_ARCH_X86_64" for "amd64").
inline std::string scmp_arch_of(const std::string& go_arch) {
    static const std::vector<std::pair<std::string, std::string>> t = {
        {"amd64", "SCMP_ARCH_X86_64"}, {"arm64", "SCMP_ARCH_AARCH64"},   {"386", "SCMP_ARCH_X86"},
        {"s390x", "SCMP_ARCH_S390X"},  {"ppc64le", "SCMP_ARCH_PPC64LE"}, {"riscv64", "SCMP_ARCH_RISCV64"},
        {"arm", "SCMP_ARCH_ARM"},      {"mips64", "SCMP_ARCH_MIPS64"}};
    for (const auto& [g, s] : t)
        if (g == go_arch) return s;
    return "";
}

// a >= b for "major.minor[.patch...][-suffix]" kernel versions.
inline bool kernel_at_least(const std::string& a, const std::string& b) {
    auto parse = [](const std::string& v) {
        int major = 0, minor = 0;
        std::sscanf(v.c_str(), "%d.%d", &major, &minor);
        return std::make_pair(major, minor);
    };
    return parse(a) >= parse(b);
}

inline nlohmann::json containers_seccomp_to_oci(const nlohmann::json& profile, const std::vector<std::string>& caps,
                                                const std::string& go_arch, const std::string& kernel) {
    using nlohmann::json;
    auto has = [](const json& list, const std::string& v) {
        return list.is_array() && std::find(list.begin(), list.end(), v) != list.end();
    };
    auto has_cap = [&](const std::string& c) { return std::find(caps.begin(), caps.end(), c) != caps.end(); };

    json out = {{"defaultAction", profile.at("defaultAction")}};
    if (profile.contains("defaultErrnoRet")) out["defaultErrnoRet"] = profile["defaultErrnoRet"];
    json arches = json::array();
    const std::string native = scmp_arch_of(go_arch);
    for (const auto& entry : profile.value("archMap", json::array())) {
        if (entry.value("architecture", "") != native) continue;
        arches.push_back(native);
        for (const auto& sub : entry.value("subArchitectures", json::array())) arches.push_back(sub);
    }
    if (arches.empty() && profile.contains("architectures")) arches = profile["architectures"];
    if (!arches.empty()) out["architectures"] = arches;
    for (const char* k : {"flags", "listenerPath", "listenerMetadata"})
        if (profile.contains(k)) out[k] = profile[k];

    json syscalls = json::array();
    for (const auto& call : profile.value("syscalls", json::array())) {
        const json inc = call.value("includes", json::object());
        const json exc = call.value("excludes", json::object());
        if (has(exc.value("arches", json::array()), go_arch)) continue;
        bool excluded_cap = false;
        for (const auto& c : exc.value("caps", json::array())) excluded_cap = excluded_cap || has_cap(c);
        if (excluded_cap) continue;
        if (!exc.value("minKernel", "").empty() && kernel_at_least(kernel, exc["minKernel"])) continue;
        const json inc_arches = inc.value("arches", json::array());
        if (!inc_arches.empty() && !has(inc_arches, go_arch)) continue;
        bool missing_cap = false;
        for (const auto& c : inc.value("caps", json::array())) missing_cap = missing_cap || !has_cap(c);
        if (missing_cap) continue;
        if (!inc.value("minKernel", "").empty() && !kernel_at_least(kernel, inc["minKernel"])) continue;

        json rule = {{"action", call.at("action")}};
        rule["names"] =
            call.contains("names") && call["names"].is_array() ? call["names"] : json::array({call.value("name", "")});
        json args = json::array();
        for (const auto& a : call.value("args", json::array()))
            if (!a.is_null())
                args.push_back({{"index", a.at("index")},
                                {"value", a.value("value", 0u)},
                                {"valueTwo", a.value("valueTwo", 0u)},
                                {"op", a.at("op")}});
        if (!args.empty()) rule["args"] = args;
        if (call.contains("errnoRet")) rule["errnoRet"] = call["errnoRet"];
        syscalls.push_back(rule);
    }
    out["syscalls"] = syscalls;
    return out;
}

}  // namespace berth::test
