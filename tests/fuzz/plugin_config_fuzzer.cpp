// plugins.yaml text -> parse_plugin_config (what load_plugin_config reads).
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "errors/error.hpp"
#include "plugins/plugin_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        berth::PluginConfig cfg = berth::parse_plugin_config(text, "plugins.yaml");
        std::set<std::string> names;
        for (const auto& p : cfg.plugins)
            if (!names.insert(p.name).second) __builtin_trap();  // duplicates are refused
    } catch (const berth::Error&) {
    }
    return 0;
}
