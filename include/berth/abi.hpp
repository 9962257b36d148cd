// The plugin ABI version. A host accepts a plugin built with the same major
// and a minor not newer than its own (docs/plugin-abi.md).
#pragma once

// <cstddef> brings in the standard library's configuration macros
// (__GLIBCXX__, _GLIBCXX_USE_CXX11_ABI, _LIBCPP_VERSION) for the tag below.
#include <cstddef>

#define BERTH_ABI_MAJOR 1
#define BERTH_ABI_MINOR 4

// The C++ ABI a plugin and berth must share, since std::string, vector,
// optional and map cross the boundary by reference (docs/plugin-abi.md, "Same
// compiler family and C++ standard library"): the standard library, its
// string ABI, and libstdc++'s debug mode, which changes the layout of every
// container. Written into the descriptor (ABI 1.2) and compared, as text, with
// the host's own at load.
#if defined(_LIBCPP_VERSION)
#define BERTH_CXX_STDLIB_ "libc++"
#elif defined(__GLIBCXX__)
#define BERTH_CXX_STDLIB_ "libstdc++"
#else
#define BERTH_CXX_STDLIB_ "unknown-stdlib"
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI == 0
#define BERTH_CXX_STRING_ABI_ "/cxx11-abi=0"
#else
#define BERTH_CXX_STRING_ABI_ "/cxx11-abi=1"
#endif
#if defined(_GLIBCXX_DEBUG)
#define BERTH_CXX_DEBUG_ "/debug"
#else
#define BERTH_CXX_DEBUG_ ""
#endif
#define BERTH_CXX_ABI_TAG BERTH_CXX_STDLIB_ BERTH_CXX_STRING_ABI_ BERTH_CXX_DEBUG_
