// Builds and exports a plugin's descriptor from one plain class:
//
//   class Pids {
//   public:
//       const char* controller() const { return "pids"; }
//       bool wants(const berth::Resources& r) const { ... }
//       berth::Status validate(const berth::Resources& r) const { ... }
//       berth::Status apply_v2(const berth::CgroupDir& dir, const berth::Resources& r) { ... }
//       berth::Status stats(const berth::CgroupDir& dir, bool unified, berth::CgroupStats* out) const { ... }
//   };
//   BERTH_CGROUP_PLUGIN(Pids, "cgroup-pids", "0.1.0", "Apache-2.0", "Limits the number of tasks ...")
//
// (BERTH_MOUNT_PLUGIN likewise for a mount handler: types(), validate(req),
// mount(req), optionally options(); BERTH_CHECKPOINT_PLUGIN for a checkpoint
// engine, ABI 1.3: describe(out), dump(req, events), restore(req, events,
// pid)). Written once, at global scope, in one source file of the plugin.
// The class's methods need not be noexcept and may throw: the macro wraps the
// class in an adapter that implements the ABI's interface
// (berth::CgroupSubsystem, berth::MountHandler or berth::CheckpointEngine) and
// runs every call under berth::guarded with the plugin's name, so an exception
// becomes a Status (ENOMEM for bad_alloc, EIO otherwise) that names the plugin.
//
// Optional members of a cgroup class, each detected at compile time:
//  * v1_controller(): the v1 hierarchy's name where it differs ("blkio");
//  * apply_v1(dir, r): without one, apply_v2 serves v1 too, for a controller
//    whose files have the same names and syntax on both (pids);
//  * kResourceFields, a static constexpr array ending in nullptr (or a
//    resource_fields() returning one): the linux.resources fields it serves
//    (cgroup_subsystem.hpp); without it the plugin is loaded for every
//    container;
//  * unit_properties(r, out): the systemd unit properties for the driver.
// A class that already derives from the interface (methods noexcept) works
// too. The adapter is what the host sees; where a method has no answer (an
// exception from wants() or types()), it gives the one that makes the host
// ask again or refuse, never a silent "nothing": wants() is true, so that
// validate() reports; types() is empty, which the host refuses.
//
// It also emits:
// * the descriptor, versioned with BERTH_PLUGIN_ABI and tagged with
//   BERTH_CXX_ABI_TAG, exported with BERTH_PLUGIN: the only visible symbol
//   under -fvisibility=hidden;
// * configure(): with a nested `Settings` type, constructible from a
//   berth::SettingsReader&, it reads the settings, refuses keys it did not
//   ask for (`<name>: unknown setting(s) "x" (known: a, b)`) and keeps them
//   for create; without one it refuses any key (`<name>: unknown setting "x"`);
// * create: `new Adapter(settings)` or `new Adapter()`; destroy: `delete`,
//   both inside the plugin. configure returns a Status (a bad value is
//   EINVAL, out of memory ENOMEM); create returns null when the class's
//   constructor throws, which the host reports as an error naming the plugin.
#pragma once

#include <cerrno>
#include <concepts>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "berth/abi.hpp"
#include "berth/cgroup_dir.hpp"
#include "berth/cgroup_subsystem.hpp"
#include "berth/checkpoint_engine.hpp"
#include "berth/guarded.hpp"
#include "berth/mount_handler.hpp"
#include "berth/plugin.hpp"
#include "berth/plugin_settings.hpp"
#include "berth/resources.hpp"
#include "berth/status.hpp"

namespace berth::plugin_export {

template <typename T>
concept HasSettings = requires {
    typename T::Settings;
};

template <typename T>
concept CgroupClass = requires(T& t, const T& c, const CgroupDir& d, const Resources& r, CgroupStats* s) {
    { c.controller() } -> std::convertible_to<const char*>;
    { c.wants(r) } -> std::convertible_to<bool>;
    { c.validate(r) } -> std::same_as<Status>;
    { t.apply_v2(d, r) } -> std::same_as<Status>;
    { c.stats(d, true, s) } -> std::same_as<Status>;
};
template <typename T>
concept HasV1Controller = requires(const T& c) {
    { c.v1_controller() } -> std::convertible_to<const char*>;
};
template <typename T>
concept HasApplyV1 = requires(T& t, const CgroupDir& d, const Resources& r) {
    { t.apply_v1(d, r) } -> std::same_as<Status>;
};
template <typename T>
concept HasResourceFields = requires(const T& c) {
    { c.resource_fields() } -> std::convertible_to<const char* const*>;
};
template <typename T>
concept HasResourceFieldsArray = requires {
    { T::kResourceFields } -> std::convertible_to<const char* const*>;
};
template <typename T>
concept HasUnitProperties = requires(const T& c, const Resources& r, UnitProperties* p) {
    { c.unit_properties(r, p) } -> std::same_as<Status>;
};

template <typename T>
concept MountClass = requires(T& t, const T& c, const MountRequest& req) {
    { c.types() } -> std::convertible_to<std::vector<std::string>>;
    { c.validate(req) } -> std::same_as<Status>;
    { t.mount(req) } -> std::same_as<Status>;
};
template <typename T>
concept HasOptions = requires(const T& c) {
    { c.options() } -> std::convertible_to<std::vector<std::string>>;
};

// The plugin's class as a berth::CgroupSubsystem. Tag names the plugin.
template <typename T, typename Tag>
class CgroupAdapter final : public CgroupSubsystem {
public:
    template <typename... Args>
    explicit CgroupAdapter(Args&&... args) : impl_(std::forward<Args>(args)...) {}

    const char* controller() const noexcept override {
        return name_or_empty([&] { return impl_.controller(); });
    }
    const char* v1_controller() const noexcept override {
        if constexpr (HasV1Controller<T>) return name_or_empty([&] { return impl_.v1_controller(); });
        else return controller();
    }
    bool wants(const Resources& r) const noexcept override {
        try {
            return impl_.wants(r);
        } catch (...) {
            return true;  // validate() says what is wrong
        }
    }
    Status validate(const Resources& r) const noexcept override {
        return guarded(Tag::name, [&] { return impl_.validate(r); });
    }
    Status apply_v2(const CgroupDir& dir, const Resources& r) noexcept override {
        return guarded(Tag::name, [&] { return impl_.apply_v2(dir, r); });
    }
    Status apply_v1(const CgroupDir& dir, const Resources& r) noexcept override {
        if constexpr (HasApplyV1<T>) return guarded(Tag::name, [&] { return impl_.apply_v1(dir, r); });
        else return apply_v2(dir, r);
    }
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const noexcept override {
        return guarded(Tag::name, [&] { return impl_.stats(dir, unified, out); });
    }
    const char* const* resource_fields() const noexcept override {
        if constexpr (HasResourceFieldsArray<T>) {
            return T::kResourceFields;
        } else if constexpr (HasResourceFields<T>) {
            try {
                return impl_.resource_fields();
            } catch (...) {
                return nullptr;  // "any resources": loaded for every container
            }
        } else {
            return nullptr;
        }
    }
    Status unit_properties(const Resources& r, UnitProperties* out) const noexcept override {
        if constexpr (HasUnitProperties<T>) return guarded(Tag::name, [&] { return impl_.unit_properties(r, out); });
        else return Status::Ok();
    }

private:
    template <typename Fn>
    static const char* name_or_empty(Fn&& fn) noexcept {
        try {
            const char* n = fn();
            return n ? n : "";
        } catch (...) {
            return "";  // the host refuses a subsystem without a controller
        }
    }

    T impl_;
};

// The plugin's class as a berth::MountHandler.
template <typename T, typename Tag>
class MountAdapter final : public MountHandler {
public:
    template <typename... Args>
    explicit MountAdapter(Args&&... args) : impl_(std::forward<Args>(args)...) {}

    std::vector<std::string> types() const noexcept override {
        try {
            return impl_.types();
        } catch (...) {
            return {};  // the host refuses a handler that serves no type
        }
    }
    Status validate(const MountRequest& req) const noexcept override {
        return guarded(Tag::name, [&] { return impl_.validate(req); });
    }
    Status mount(const MountRequest& req) noexcept override {
        return guarded(Tag::name, [&] { return impl_.mount(req); });
    }
    std::vector<std::string> options() const noexcept override {
        if constexpr (HasOptions<T>) {
            try {
                return impl_.options();
            } catch (...) {
                return {};
            }
        } else {
            return {};
        }
    }

private:
    T impl_;
};

template <typename T>
concept CheckpointClass = requires(T& t, const T& c, std::string* s, const DumpRequest& d, const RestoreRequest& r,
                                   CheckpointEvents& e, pid_t* pid) {
    { c.describe(s) } -> std::same_as<Status>;
    { t.dump(d, e) } -> std::same_as<Status>;
    { t.restore(r, e, pid) } -> std::same_as<Status>;
};

// The plugin's class as a berth::CheckpointEngine.
template <typename T, typename Tag>
class CheckpointAdapter final : public CheckpointEngine {
public:
    template <typename... Args>
    explicit CheckpointAdapter(Args&&... args) : impl_(std::forward<Args>(args)...) {}

    Status describe(std::string* out) const noexcept override {
        return guarded(Tag::name, [&] { return impl_.describe(out); });
    }
    Status dump(const DumpRequest& req, CheckpointEvents& events) noexcept override {
        return guarded(Tag::name, [&] { return impl_.dump(req, events); });
    }
    Status restore(const RestoreRequest& req, CheckpointEvents& events, pid_t* pid) noexcept override {
        return guarded(Tag::name, [&] { return impl_.restore(req, events, pid); });
    }

private:
    T impl_;
};

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
                return Status::Error(EINVAL,
                                     std::string(Tag::name) + ": unknown setting \"" + settings.begin()->first + "\"");
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

// T is the plugin's class, Adapter the interface implementation made of it.
template <typename Base, typename Adapter, typename T, typename Tag>
Base* create() noexcept {
    try {
        if constexpr (HasSettings<T>) {
            if (const auto& s = Configured<T, Tag>::settings) return new Adapter(*s);
            // Not configured (`berth plugins inspect` only asks what the
            // object handles): the defaults, not kept.
            const PluginSettings empty;
            SettingsReader none(empty);
            const typename T::Settings defaults(none);
            return new Adapter(defaults);
        } else {
            return new Adapter();
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

// The macros differ only in the class they check and the slots they fill.
#define BERTH_CGROUP_PLUGIN(Class, name_, version_, license_, description_)                                           \
    static_assert(berth::plugin_export::CgroupClass<Class>,                                                           \
                  #Class " needs controller(), wants(r), validate(r), apply_v2(dir, r) and stats(dir, v2, out)");     \
    BERTH_PLUGIN_CLASS_(name_, version_, license_, description_, berth::kCgroupSubsystem,                             \
                        (&berth::plugin_export::create<berth::CgroupSubsystem,                                        \
                                                       berth::plugin_export::CgroupAdapter<Class, berth_plugin_tag_>, \
                                                       Class, berth_plugin_tag_>),                                    \
                        (&berth::plugin_export::destroy<berth::CgroupSubsystem>), nullptr, nullptr, nullptr, nullptr, \
                        (&berth::plugin_export::configure<Class, berth_plugin_tag_>))

#define BERTH_MOUNT_PLUGIN(Class, name_, version_, license_, description_)                                           \
    static_assert(berth::plugin_export::MountClass<Class>, #Class " needs types(), validate(req) and mount(req)");   \
    BERTH_PLUGIN_CLASS_(name_, version_, license_, description_, berth::kMountHandler, nullptr, nullptr,             \
                        (&berth::plugin_export::create<berth::MountHandler,                                          \
                                                       berth::plugin_export::MountAdapter<Class, berth_plugin_tag_>, \
                                                       Class, berth_plugin_tag_>),                                   \
                        (&berth::plugin_export::destroy<berth::MountHandler>), nullptr, nullptr,                     \
                        (&berth::plugin_export::configure<Class, berth_plugin_tag_>))

// ABI 1.3: a checkpoint engine (checkpoint_engine.hpp): describe(out),
// dump(req, events), restore(req, events, pid).
#define BERTH_CHECKPOINT_PLUGIN(Class, name_, version_, license_, description_)                                  \
    static_assert(berth::plugin_export::CheckpointClass<Class>,                                                  \
                  #Class " needs describe(out), dump(req, events) and restore(req, events, pid)");               \
    BERTH_PLUGIN_CLASS_(                                                                                         \
        name_, version_, license_, description_, berth::kCheckpointer, nullptr, nullptr, nullptr, nullptr,       \
        (&berth::plugin_export::create<berth::CheckpointEngine,                                                  \
                                       berth::plugin_export::CheckpointAdapter<Class, berth_plugin_tag_>, Class, \
                                       berth_plugin_tag_>),                                                      \
        (&berth::plugin_export::destroy<berth::CheckpointEngine>),                                               \
        (&berth::plugin_export::configure<Class, berth_plugin_tag_>))

// The tag is declared first: the create and configure expressions name it.
#define BERTH_PLUGIN_CLASS_(name_, version_, license_, description_, kind_, create_cgroup_, destroy_cgroup_,    \
                            create_mount_, destroy_mount_, create_checkpoint_, destroy_checkpoint_, configure_) \
    namespace {                                                                                                 \
    struct berth_plugin_tag_ {                                                                                  \
        static constexpr const char* name = name_;                                                              \
    };                                                                                                          \
    berth::PluginDescriptor berth_plugin_descriptor_ = {                                                        \
        BERTH_PLUGIN_ABI,   name_,                                                                              \
        version_,           kind_,                                                                              \
        license_,           description_,                                                                       \
        configure_,         create_cgroup_,                                                                     \
        destroy_cgroup_,    create_mount_,                                                                      \
        destroy_mount_,     BERTH_CXX_ABI_TAG,                                                                  \
        create_checkpoint_, destroy_checkpoint_,                                                                \
    };                                                                                                          \
    }                                                                                                           \
    BERTH_PLUGIN(berth_plugin_descriptor_)
