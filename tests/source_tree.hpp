// The source tree a test reads (fixtures, scripts) is found at the path it
// had when the test was built, BERTH_SOURCE_ROOT. Where that path is not
// there (a guest given only the build tree, a build copied elsewhere), a test
// that globbed an empty fixture directory could pass having run nothing:
// instead the whole binary fails at setup, naming the path it could not read.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace berth::test {

inline std::filesystem::path source_path(const std::string& relative) {
    return std::filesystem::path(BERTH_SOURCE_ROOT) / relative;
}

// Fails the global setup (gtest then runs no test and exits non-zero) when
// the checkout's top-level meson.build cannot be read.
class SourceTreeCheck final : public ::testing::Environment {
public:
    void SetUp() override {
        const std::filesystem::path marker = source_path("meson.build");
        if (::access(marker.c_str(), R_OK) == 0) return;
        const int err = errno;
        GTEST_FAIL() << "setup error: cannot read " << marker.string() << " (" << std::strerror(err)
                     << "): this test reads the source tree at " BERTH_SOURCE_ROOT
                        ", where it was built; run it where that path is visible (a guest: "
                        "tests/v2vm/run.sh --share " BERTH_SOURCE_ROOT ")";
    }
};

// Registered once per binary that includes this header, before main runs.
inline ::testing::Environment* const source_tree_check = ::testing::AddGlobalTestEnvironment(new SourceTreeCheck);

}  // namespace berth::test
