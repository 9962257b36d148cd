// Cost of loading plugins: for each plugin of a config, dlopen + descriptor +
// ABI/ownership checks + configure + creating its objects (what `create` pays
// per plugin), and for the whole registry, including the YAML parse. Each
// round unloads everything again, so every load is a real dlopen, not a
// refcount bump. Not a test: prints medians.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "errors/error.hpp"
#include "plugins/plugin_config.hpp"
#include "plugins/registry.hpp"

using Clock = std::chrono::steady_clock;

static double median_us(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

static double p90_us(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() * 9 / 10];
}

int main(int argc, char** argv) {
    std::string config_path = berth::plugin_config_path("");
    int rounds = 200;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--config" && i + 1 < argc) config_path = argv[++i];
        else if (a == "-n" && i + 1 < argc) rounds = std::stoi(argv[++i]);
        else {
            std::fprintf(stderr, "usage: plugin_load_bench [--config FILE] [-n ROUNDS]\n");
            return 2;
        }
    }
    try {
        const berth::PluginConfig cfg = berth::load_plugin_config(config_path);
        std::printf("plugin load cost, %d rounds, config %s\n", rounds, config_path.c_str());
        std::printf("%-16s %10s %10s\n", "plugin", "median_us", "p90_us");
        for (const auto& entry : cfg.plugins) {
            if (!entry.enabled) continue;
            std::vector<double> t;
            for (int r = 0; r < rounds; ++r) {
                auto start = Clock::now();
                auto reg = berth::PluginRegistry::load(cfg, {entry.name});
                t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
            }
            std::printf("%-16s %10.1f %10.1f\n", entry.name.c_str(), median_us(t), p90_us(t));
        }
        std::vector<double> whole;
        for (int r = 0; r < rounds; ++r) {
            auto start = Clock::now();
            auto reg = berth::PluginRegistry::load(berth::load_plugin_config(config_path));
            whole.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
        }
        std::printf("%-16s %10.1f %10.1f\n", "whole registry", median_us(whole), p90_us(whole));
    } catch (const berth::Error& e) {
        std::fprintf(stderr, "plugin_load_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
