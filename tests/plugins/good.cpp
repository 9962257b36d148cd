// Test plugin "good": a cgroup subsystem for a fake controller "testctl".
// configure() accepts only `level` (1..3). The subsystem reports, through
// stats(), how many subsystems of this library are alive and the configured
// level, so that a test can watch creation, destruction and settings.
#include <cerrno>
#include <new>
#include <string>

#include "berth/plugin.hpp"

#ifndef TEST_PLUGIN_NAME
#define TEST_PLUGIN_NAME "good"
#endif
#ifndef TEST_PLUGIN_CONTROLLER
#define TEST_PLUGIN_CONTROLLER "testctl"
#endif

namespace {

int g_live = 0;
int g_level = 0;

class TestSubsystem final : public berth::CgroupSubsystem {
public:
    TestSubsystem() { ++g_live; }
    ~TestSubsystem() override { --g_live; }
    const char* controller() const noexcept override { return TEST_PLUGIN_CONTROLLER; }
    bool wants(const berth::Resources& r) const noexcept override {
        return r.json.find("\"" TEST_PLUGIN_CONTROLLER "\"") != std::string::npos;
    }
    berth::Status validate(const berth::Resources&) const noexcept override { return berth::Status::Ok(); }
    berth::Status apply_v2(const berth::CgroupDir&, const berth::Resources&) noexcept override {
        return berth::Status::Ok();
    }
    berth::Status apply_v1(const berth::CgroupDir&, const berth::Resources&) noexcept override {
        return berth::Status::Ok();
    }
    berth::Status stats(const berth::CgroupDir&, bool, berth::CgroupStats* out) const noexcept override {
        try {
            out->values = {{"live", static_cast<uint64_t>(g_live)}, {"level", static_cast<uint64_t>(g_level)}};
        } catch (...) {
            return berth::Status::Error(ENOMEM, "stats");
        }
        return berth::Status::Ok();
    }
};

berth::Status configure(const berth::PluginSettings& settings) noexcept {
    try {
        for (auto& [key, value] : settings) {
            if (key != "level")
                return berth::Status::Error(EINVAL, TEST_PLUGIN_NAME ": unknown setting \"" + key + "\"");
            if (value != "1" && value != "2" && value != "3")
                return berth::Status::Error(
                    EINVAL, TEST_PLUGIN_NAME ": setting \"level\" must be 1, 2 or 3, not \"" + value + "\"");
            g_level = value[0] - '0';
        }
    } catch (...) {
        return berth::Status{ENOMEM, {}};
    }
    return berth::Status::Ok();
}

berth::CgroupSubsystem* create_subsystem() noexcept { return new (std::nothrow) TestSubsystem(); }
void destroy_subsystem(berth::CgroupSubsystem* s) noexcept { delete s; }

#ifndef TEST_ABI_MAJOR
#define TEST_ABI_MAJOR BERTH_ABI_MAJOR
#endif
#ifndef TEST_ABI_MINOR
#define TEST_ABI_MINOR BERTH_ABI_MINOR
#endif
#ifndef TEST_CXX_ABI
#define TEST_CXX_ABI BERTH_CXX_ABI_TAG
#endif

berth::PluginDescriptor descriptor = {
    TEST_ABI_MAJOR,
    TEST_ABI_MINOR,
    TEST_PLUGIN_NAME,
    "9.8.7",
    berth::kCgroupSubsystem,
    "MIT",
    "berth unit-test plugin",
    &configure,
    &create_subsystem,
    &destroy_subsystem,
    nullptr,
    nullptr,
    TEST_CXX_ABI,
    nullptr,
    nullptr,
};

}  // namespace

#ifndef TEST_NO_EXPORT
BERTH_PLUGIN(descriptor)
#else
// Keeps the descriptor referenced so the library is otherwise identical.
extern "C" __attribute__((visibility("default"))) const void* berth_test_not_the_descriptor() { return &descriptor; }
#endif
