// The checkpoint-criu plugin's engine: a berth DumpRequest or RestoreRequest
// as CRIU options (criu_options(), pure, table-tested), sent to `criu swrk`,
// with CRIU's notifications passed to the host while CRIU waits.
#pragma once

#include <string>

#include "berth/checkpoint_engine.hpp"
#include "berth/plugin_settings.hpp"
#include "rpc_codec.hpp"

namespace berth::plugins::criu {

struct Settings {
    // The criu binary: a name looked up in $PATH, or a path.
    std::string criu = "criu";
    // A CRIU configuration file (criu(8) "Configuration files"); its settings
    // override the RPC's. "" → none.
    std::string config_file;

    Settings() = default;
    explicit Settings(SettingsReader& r);
};

// The request as criu_opts, with the fds CRIU will have: `images_fd` and
// `work_fd` are open in the calling process (CRIU opens them through
// /proc/<caller>/fd), inherited fds are numbered 4, 5, ... in CRIU (after
// its stdio and the socket), except 0-2, which CRIU has as the caller's.
berth::criu::Opts dump_options(const DumpRequest& req, const Settings& s, int images_fd, int work_fd);
berth::criu::Opts restore_options(const RestoreRequest& req, const Settings& s, int images_fd, int work_fd);
berth::criu::CgMode cgroups_mode(CheckpointCgroupsMode m);
// What a notification's script name means to the host.
CheckpointEvent event_of(const std::string& script);

class CriuEngine {
public:
    using Settings = criu::Settings;  // BERTH_CHECKPOINT_PLUGIN reads and keeps it
    explicit CriuEngine(const Settings& s) : settings_(s) {}
    Status describe(std::string* out) const;
    Status dump(const DumpRequest& req, CheckpointEvents& events);
    Status restore(const RestoreRequest& req, CheckpointEvents& events, pid_t* pid);

private:
    Settings settings_;
};

}  // namespace berth::plugins::criu
