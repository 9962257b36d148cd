// Test plugin "sdk-helper": a cgroup subsystem for the fake controller
// "sdkctl", built with BERTH_CGROUP_PLUGIN (plugin_export.hpp) instead of a
// hand-written descriptor. Its settings make it throw where a plugin author
// might: `throw_in: settings | constructor | constructor-oom`; a resources
// JSON containing "throw" or "oom" makes validate() throw. The environment
// variable SDK_HELPER_THROW_IN is the default of `throw_in`. stats() reports
// the settings it was made with and how many of its subsystems are alive.
// A plain class: the macro's adapter guards it (the exceptions above come
// back as a Status naming the plugin) and serves apply_v1 with apply_v2.
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>

#include "berth/plugin_export.hpp"

namespace sdk_test {

int g_live = 0;

class Subsystem {
public:
    struct Settings {
        explicit Settings(berth::SettingsReader& r)
            : level(r.integer("level", 1, 1, 3)),
              mode(r.integer("mode", 0755, 0, 07777, 8)),
              strict(r.boolean("strict", false)),
              // The environment too: `berth plugins inspect` creates an
              // object without calling configure.
              throw_in(
                  r.text("throw_in", std::getenv("SDK_HELPER_THROW_IN") ? std::getenv("SDK_HELPER_THROW_IN") : "")) {
            if (throw_in == "settings") throw std::runtime_error("settings threw");
        }
        int64_t level;
        int64_t mode;
        bool strict;
        std::string throw_in;
    };

    explicit Subsystem(const Settings& s) : settings_(s) {
        if (s.throw_in == "constructor") throw std::runtime_error("constructor threw");
        if (s.throw_in == "constructor-oom") throw std::bad_alloc();
        ++g_live;
    }
    ~Subsystem() { --g_live; }

    Subsystem(const Subsystem&) = delete;
    Subsystem& operator=(const Subsystem&) = delete;
    const char* controller() const { return "sdkctl"; }
    bool wants(const berth::Resources& r) const { return r.json.find("sdkctl") != std::string::npos; }
    berth::Status validate(const berth::Resources& r) const {
        if (r.json.find("oom") != std::string::npos) throw std::bad_alloc();
        if (r.json.find("throw") != std::string::npos) throw std::runtime_error("validate threw");
        if (r.json.find("int") != std::string::npos) throw 42;
        return berth::Status::Ok();
    }
    berth::Status apply_v2(const berth::CgroupDir&, const berth::Resources&) { return {}; }
    berth::Status stats(const berth::CgroupDir&, bool, berth::CgroupStats* out) const {
        out->values = {{"live", static_cast<uint64_t>(g_live)},
                       {"level", static_cast<uint64_t>(settings_.level)},
                       {"mode", static_cast<uint64_t>(settings_.mode)},
                       {"strict", settings_.strict ? 1u : 0u}};
        return berth::Status::Ok();
    }

private:
    Settings settings_;
};

}  // namespace sdk_test

BERTH_CGROUP_PLUGIN(sdk_test::Subsystem, "sdk-helper", "2.0.0", "MIT",
                    "berth unit-test plugin built with plugin_export.hpp")
