// Builds and exports a plugin's descriptor from one class:
//
//   class PidsSubsystem final : public berth::CgroupSubsystem { ... };
//   BERTH_CGROUP_PLUGIN(PidsSubsystem, "cgroup-pids", "0.1.0", "Apache-2.0", "Limits the number of tasks ...")
//
// (BERTH_MOUNT_PLUGIN likewise for a berth::MountHandler). Written once, at
// global scope, in one source file of the plugin. It emits:
//
// * the descriptor, versioned with BERTH_PLUGIN_ABI, exported with
//   BERTH_PLUGIN: the only visible symbol under -fvisibility=hidden;
// * configure(): with a nested `Settings` type, constructible from a
//   berth::SettingsReader&, it reads the settings, refuses keys it did not
//   ask for (`<name>: unknown setting(s) "x" (known: a, b)`) and keeps them
//   for create; without one it refuses any key (`<name>: unknown setting "x"`);
// * create: `new T(settings)` or `new T()`; destroy: `delete`, both inside the
//   plugin.
//
// No exception leaves these functions: configure returns a Status (a bad value
// is EINVAL, out of memory ENOMEM) and create returns null, which the host
// reports as an error naming the plugin. The interface methods themselves are
// the class's own: wrap their bodies in berth::guarded (guarded.hpp).
//
// Header-only, and the descriptor it builds is the one plugin.hpp defines:
// using it changes nothing in the ABI (docs/plugin-abi.md, History).
#pragma once

#include <cerrno>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <type_traits>

#include "berth/plugin.hpp"
#include "berth/plugin_settings.hpp"

namespace berth::plugin_export {

template <typename T>
concept HasSettings = requires { typename T::Settings; };

// The settings configure() accepted, kept for create. One per plugin: Tag is
// a type the macro declares in an unnamed namespace, so this has internal
// linkage (no STB_GNU_UNIQUE symbol that would keep the library mapped).
template <typename T, typename Tag>
struct Configured {
    static inline std::optional<typename T::Settings> settings;
};

template <typename T, typename Tag>
Status configure(const PluginSettings& settings) noexcept {
    try {
        try {
            if constexpr (HasSettings<T>) {
                SettingsReader reader(settings);
                typename T::Settings parsed(reader);
                if (std::string unknown = reader.unknown_keys(); !unknown.empty())
                    return Status::Error(EINVAL, std::string(Tag::name) + ": unknown setting(s) " + unknown +
                                                     " (known: " + reader.known_keys() + ")");
                Configured<T, Tag>::settings.emplace(std::move(parsed));
            } else if (!settings.empty()) {
                return Status::Error(EINVAL, std::string(Tag::name) + ": unknown setting \"" + settings.begin()->first + "\"");
            }
            return Status::Ok();
        } catch (const std::bad_alloc&) {
            return Status{ENOMEM, std::string(Tag::name) + ": out of memory"};
        } catch (const std::exception& e) {
            return Status::Error(EINVAL, std::string(Tag::name) + ": " + e.what());
        } catch (...) {
            return Status::Error(EINVAL, std::string(Tag::name) + ": settings: unexpected exception");
        }
    } catch (...) {
        return Status{ENOMEM, {}};
    }
}

template <typename Base, typename T, typename Tag>
Base* create() noexcept {
    try {
        if constexpr (HasSettings<T>) {
            if (const auto& s = Configured<T, Tag>::settings) return new T(*s);
            // Not configured (`berth plugins inspect` only asks what the
            // object handles): the defaults, not kept.
            const PluginSettings empty;
            SettingsReader none(empty);
            const typename T::Settings defaults(none);
            return new T(defaults);
        } else {
            return new T();
        }
    } catch (...) {
        return nullptr;
    }
}

template <typename Base>
void destroy(Base* object) noexcept {
    delete object;
}

}  // namespace berth::plugin_export

// The two macros differ only in the interface they check and the slots they fill.
#define BERTH_CGROUP_PLUGIN(Class, name_, version_, license_, description_)                                      \
    BERTH_PLUGIN_CLASS_(Class, name_, version_, license_, description_, berth::kCgroupSubsystem,                \
                        berth::CgroupSubsystem, (&berth::plugin_export::create<berth::CgroupSubsystem, Class, berth_plugin_tag_>), \
                        (&berth::plugin_export::destroy<berth::CgroupSubsystem>), nullptr, nullptr)

#define BERTH_MOUNT_PLUGIN(Class, name_, version_, license_, description_)                                       \
    BERTH_PLUGIN_CLASS_(Class, name_, version_, license_, description_, berth::kMountHandler,                   \
                        berth::MountHandler, nullptr, nullptr,                                                   \
                        (&berth::plugin_export::create<berth::MountHandler, Class, berth_plugin_tag_>),          \
                        (&berth::plugin_export::destroy<berth::MountHandler>))

#define BERTH_PLUGIN_CLASS_(Class, name_, version_, license_, description_, kind_, Base, create_cgroup_,         \
                            destroy_cgroup_, create_mount_, destroy_mount_)                                      \
    static_assert(std::is_base_of_v<Base, Class>, #Class " must derive from " #Base);                          \
    namespace {                                                                                                  \
    struct berth_plugin_tag_ {                                                                                   \
        static constexpr const char* name = name_;                                                               \
    };                                                                                                           \
    berth::PluginDescriptor berth_plugin_descriptor_ = {                                                         \
        BERTH_PLUGIN_ABI,                                                                                        \
        name_,                                                                                                   \
        version_,                                                                                                \
        kind_,                                                                                                   \
        license_,                                                                                                \
        description_,                                                                                            \
        &berth::plugin_export::configure<Class, berth_plugin_tag_>,                                              \
        create_cgroup_,                                                                                          \
        destroy_cgroup_,                                                                                         \
        create_mount_,                                                                                           \
        destroy_mount_,                                                                                          \
    };                                                                                                           \
    }                                                                                                            \
    BERTH_PLUGIN(berth_plugin_descriptor_)
