// Test plugin built from good.cpp with other descriptor values.
#define TEST_PLUGIN_NAME "abi-major"
#define TEST_ABI_MAJOR (BERTH_ABI_MAJOR + 1)
#include "good.cpp"
