// The plugin ABI version. A host accepts a plugin built with the same major
// and a minor not newer than its own (docs/plugin-abi.md).
#pragma once

#define BERTH_ABI_MAJOR 1
#define BERTH_ABI_MINOR 1
