// Test plugin built from good.cpp with other descriptor values.
#define TEST_PLUGIN_NAME "dup-controller"
#include "good.cpp"
