// Test plugin built from good.cpp with other descriptor values.
#define TEST_PLUGIN_NAME "abi-minor"
#define TEST_ABI_MINOR (BERTH_ABI_MINOR + 1)
#include "good.cpp"
