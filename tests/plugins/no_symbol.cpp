// Test plugin built from good.cpp with other descriptor values.
#define TEST_NO_EXPORT 1
#define TEST_PLUGIN_NAME "no-symbol"
#include "good.cpp"
