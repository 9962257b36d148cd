// Test plugin "mount-handler": a mount handler for the fake type "testfs".
// It takes no settings (configure is null).
#include <new>
#include <string>
#include <vector>

#include "berth/plugin.hpp"

#ifndef TEST_PLUGIN_NAME
#define TEST_PLUGIN_NAME "mount-handler"
#define TEST_TYPES \
    { "testfs" }
#endif

namespace {

class TestHandler final : public berth::MountHandler {
public:
    std::vector<std::string> types() const noexcept override { return TEST_TYPES; }
    berth::Status validate(const berth::MountRequest& req) const noexcept override {
        if (req.source == "bad") return berth::Status::Error(EINVAL, TEST_PLUGIN_NAME ": bad source");
        return berth::Status::Ok();
    }
    berth::Status mount(const berth::MountRequest&) noexcept override { return berth::Status::Ok(); }
};

berth::MountHandler* create_handler() noexcept { return new (std::nothrow) TestHandler(); }
void destroy_handler(berth::MountHandler* h) noexcept { delete h; }

berth::PluginDescriptor descriptor = {
    BERTH_PLUGIN_ABI,
    TEST_PLUGIN_NAME,
    "1.2.3",
    berth::kMountHandler,
    "MIT",
    "berth unit-test mount handler",
    nullptr,
    nullptr,
    nullptr,
    &create_handler,
    &destroy_handler,
    BERTH_CXX_ABI_TAG,
    nullptr,
    nullptr,
};

}  // namespace

BERTH_PLUGIN(descriptor)
