// The mount-ramfs plugin: a mount handler for OCI mounts of type "ramfs", and
// the descriptor BERTH_MOUNT_PLUGIN builds from it. The whole plugin is this
// file and the pure option parsing in ramfs_options.cpp. The class is plain:
// the macro makes it a berth::MountHandler whose methods turn an exception
// into a Status naming the plugin.
#include <sys/mount.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "berth/plugin_export.hpp"
#include "ramfs_options.hpp"

namespace berth_example::ramfs {

class RamfsHandler {
public:
    // plugins.yaml `settings:`, read once by the SDK before the handler is
    // made; keys not read here are refused, naming them.
    struct Settings {
        explicit Settings(berth::SettingsReader& r)
            : mode(static_cast<uint32_t>(r.integer("mode", 0755, 0, 07777, 8))), secure(r.boolean("secure", true)) {}
        uint32_t mode;  // of a mount's root when its options give no mode=
        bool secure;    // nosuid,nodev on every mount
    };

    explicit RamfsHandler(const Settings& s) : settings_(s) {}

    std::vector<std::string> types() const { return {"ramfs"}; }
    std::vector<std::string> options() const {
        return {"ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "mode"};
    }

    // Called before anything is created: bad options leave nothing behind.
    berth::Status validate(const berth::MountRequest& req) const {
        RamfsOptions o;
        return parse_ramfs_options(req.options, req.destination, settings_.mode, settings_.secure, &o);
    }

    // req.target is /proc/self/fd/N, the destination the host resolved and
    // opened inside the rootfs; mount(2) follows it onto that directory.
    berth::Status mount(const berth::MountRequest& req) {
        RamfsOptions o;
        if (berth::Status s = parse_ramfs_options(req.options, req.destination, settings_.mode, settings_.secure, &o);
            !s.ok())
            return s;
        char data[32];
        std::snprintf(data, sizeof data, "mode=%04o", o.mode);
        if (::mount("ramfs", req.target.c_str(), "ramfs", o.flags, data) < 0)
            return berth::Status::Error(errno, "mount ramfs on " + req.destination + ": " + std::strerror(errno));
        return berth::Status::Ok();
    }

private:
    Settings settings_;
};

}  // namespace berth_example::ramfs

BERTH_MOUNT_PLUGIN(berth_example::ramfs::RamfsHandler, "mount-ramfs", "0.1.0", "Apache-2.0",
                   "ramfs mounts (type \"ramfs\"): options ro, nosuid, nodev, noexec, mode=OCTAL")
