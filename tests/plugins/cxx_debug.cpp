// Test plugin built from good.cpp with -D_GLIBCXX_DEBUG (tests/unit/meson.build):
// debug mode changes the layout of std::vector, std::map and the rest, so the
// host must refuse it at load, by its C++ ABI tag.
#define TEST_PLUGIN_NAME "cxx-debug"
#include "good.cpp"
