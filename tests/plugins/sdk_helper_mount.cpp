// Test plugin "sdk-helper-mount": a mount handler for the fake type "sdkfs",
// built with BERTH_MOUNT_PLUGIN. It has no Settings type, so the helper
// refuses every setting; mount() throws, and the macro's guard makes that a
// Status naming the plugin.
#include <stdexcept>
#include <string>
#include <vector>

#include "berth/plugin_export.hpp"

namespace sdk_test {

class Handler {
public:
    std::vector<std::string> types() const { return {"sdkfs"}; }
    std::vector<std::string> options() const { return {"sdkopt"}; }
    berth::Status validate(const berth::MountRequest&) const { return berth::Status::Ok(); }
    berth::Status mount(const berth::MountRequest& req) { throw std::runtime_error("cannot mount " + req.destination); }
};

}  // namespace sdk_test

BERTH_MOUNT_PLUGIN(sdk_test::Handler, "sdk-helper-mount", "2.0.1", "MIT",
                   "berth unit-test mount handler built with plugin_export.hpp")
