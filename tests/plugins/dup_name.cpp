// Test plugin built from good.cpp with other descriptor values.
#define TEST_PLUGIN_NAME "good"
#define TEST_PLUGIN_CONTROLLER "testctl-other"
#include "good.cpp"
