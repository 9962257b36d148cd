// The plugin descriptor: the one symbol a berth plugin exports. Most plugins
// do not write one by hand: BERTH_CGROUP_PLUGIN / BERTH_MOUNT_PLUGIN
// (plugin_export.hpp) build it from a class. By hand:
//
//   static berth::PluginDescriptor descriptor = { BERTH_PLUGIN_ABI, "cgroup-example", ..., BERTH_CXX_ABI_TAG };
//   BERTH_PLUGIN(descriptor)
//
// The ABI version comes first so that a host can read it from a plugin of any
// version. Objects are created and destroyed by the plugin's own functions, so
// the allocator and the vtables stay in the library; the host keeps the library
// loaded while any object from it lives.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <boost/dll/alias.hpp>

#include "berth/abi.hpp"
#include "berth/cgroup_subsystem.hpp"
#include "berth/checkpoint_engine.hpp"
#include "berth/mount_handler.hpp"
#include "berth/plugin_settings.hpp"  // PluginSettings
#include "berth/status.hpp"

namespace berth {

enum PluginKind : uint32_t {
    kCgroupSubsystem = 1u << 0,
    kMountHandler = 1u << 1,
    // ABI 1.3: a CheckpointEngine (checkpoint_engine.hpp), loaded only by
    // the checkpoint and restore verbs.
    kCheckpointer = 1u << 2,
};

struct PluginDescriptor {
    uint32_t abi_major;
    uint32_t abi_minor;
    const char* name;
    const char* version;
    uint32_t kinds;  // PluginKind bits
    const char* license;
    const char* description;

    // Validates and keeps the plugin's settings; an unknown or bad key is an
    // error naming the key. May be null for a plugin that takes none.
    Status (*configure)(const PluginSettings& settings);

    CgroupSubsystem* (*create_cgroup_subsystem)();
    void (*destroy_cgroup_subsystem)(CgroupSubsystem*);
    MountHandler* (*create_mount_handler)();
    void (*destroy_mount_handler)(MountHandler*);

    // ABI 1.2: BERTH_CXX_ABI_TAG as the plugin was compiled (abi.hpp). The
    // host refuses a plugin whose tag is not its own, before it calls any
    // function of the plugin; it reads this field only from plugins whose
    // abi_minor is 2 or more.
    const char* cxx_abi;

    // ABI 1.3: the checkpoint engine of a kCheckpointer plugin. Read only
    // from plugins whose abi_minor is 3 or more.
    CheckpointEngine* (*create_checkpoint_engine)();
    void (*destroy_checkpoint_engine)(CheckpointEngine*);
};

}  // namespace berth

#define BERTH_PLUGIN_ABI BERTH_ABI_MAJOR, BERTH_ABI_MINOR

// The exported alias name the host looks up.
#define BERTH_PLUGIN_SYMBOL "berth_plugin_descriptor"

// Exports `descriptor` (a berth::PluginDescriptor) under BERTH_PLUGIN_SYMBOL;
// visible even when the plugin builds with -fvisibility=hidden.
#define BERTH_PLUGIN(descriptor) BOOST_DLL_ALIAS(descriptor, berth_plugin_descriptor)
