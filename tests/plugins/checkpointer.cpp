// Test plugin "checkpointer": a checkpoint engine (ABI 1.3) built with
// BERTH_CHECKPOINT_PLUGIN. Its setting "tool" is what describe() reports;
// dump() throws, which the macro's guard makes a Status naming the plugin.
#include <stdexcept>
#include <string>

#include "berth/plugin_export.hpp"

#ifndef CKPT_NAME
#define CKPT_NAME "checkpointer"
#endif

namespace ckpt_test {

class Engine {
public:
    struct Settings {
        std::string tool;
        explicit Settings(berth::SettingsReader& r) : tool(r.text("tool", "fake 1.0")) {}
    };
    explicit Engine(const Settings& s) : tool_(s.tool) {}
    berth::Status describe(std::string* out) const {
        *out = tool_;
        return berth::Status::Ok();
    }
    berth::Status dump(const berth::DumpRequest& req, berth::CheckpointEvents&) {
        throw std::runtime_error("cannot dump pid " + std::to_string(req.pid));
    }
    berth::Status restore(const berth::RestoreRequest&, berth::CheckpointEvents& events, pid_t* pid) {
        // The host's events reach the plugin, and its answer comes back.
        const berth::Status st = events.notify({berth::CheckpointEvent::kSetupNamespaces, "setup-namespaces", 42, -1});
        if (!st.ok()) return st;
        *pid = 42;
        return berth::Status::Ok();
    }

private:
    std::string tool_;
};

}  // namespace ckpt_test

BERTH_CHECKPOINT_PLUGIN(ckpt_test::Engine, CKPT_NAME, "1.0.0", "MIT", "berth unit-test checkpoint engine")
