// Test plugin built from good.cpp as if against ABI 1.1 headers, whose
// descriptor has no C++ ABI tag: the host must not read one (its field holds
// a tag that would not match, so reading it would refuse the plugin).
#define TEST_PLUGIN_NAME "abi-old"
#define TEST_ABI_MINOR 1
#define TEST_CXX_ABI "not-read-before-1.2"
#include "good.cpp"
