#include "checkpoint/engine_loader.hpp"

#include <cerrno>

#include "errors/error.hpp"

namespace berth {

PluginRegistry load_checkpoint_plugins(const RuntimeContext& ctx, const std::vector<std::string>& only,
                                       const PluginDemand& demand, const char* verb) {
    const PluginConfig cfg = load_plugin_config(plugin_config_path(ctx.plugin_config));
    PluginRegistry plugins = PluginRegistry::load(cfg, only, {&demand, ctx.plugin_index, true});
    if (!plugins.checkpoint_engine())
        throw Error(std::string(verb) + ": no checkpoint plugin is enabled in " + cfg.source +
                        " (berth-checkpoint-criu.so: docs/checkpoint.md)",
                    ENOTSUP);
    return plugins;
}

}  // namespace berth
