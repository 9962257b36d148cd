// The checkpoint-criu plugin's descriptor: the only symbol the library
// exports. Settings: criu (the binary, default "criu" in $PATH), config_file.
#include "berth/plugin_export.hpp"
#include "criu_engine.hpp"

BERTH_CHECKPOINT_PLUGIN(berth::plugins::criu::CriuEngine, "checkpoint-criu", "0.1.0", "Apache-2.0",
                        "Checkpoints and restores containers with CRIU (criu swrk RPC); loaded only by the "
                        "checkpoint and restore verbs.")
