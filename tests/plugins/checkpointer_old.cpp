// Test plugin "checkpointer-old": claims the checkpoint kind with an ABI 1.2
// descriptor, which has no checkpoint fields: the host must refuse it
// without reading past the 1.2 layout.
#include "berth/plugin.hpp"

namespace {

berth::PluginDescriptor descriptor = {
    BERTH_ABI_MAJOR,
    2,
    "checkpointer-old",
    "1.0.0",
    berth::kCheckpointer,
    "MIT",
    "berth unit-test plugin",
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    BERTH_CXX_ABI_TAG,
    nullptr,
    nullptr,
};

}  // namespace

BERTH_PLUGIN(descriptor)
