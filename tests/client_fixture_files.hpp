// The config.json files real clients generated (tests/fixtures/clients/
// <client>/*.json), found at run time so that a fixture dropped there is
// tested without touching the tests. Shared by the unit test (parse and
// validate) and the integration test (run).
#pragma once

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "source_tree.hpp"

namespace berth::test {

inline const std::filesystem::path& client_fixtures_dir() {
    static const std::filesystem::path dir = source_path("tests/fixtures/clients");
    return dir;
}

inline std::vector<std::string> client_fixture_files() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& client : std::filesystem::directory_iterator(client_fixtures_dir(), ec)) {
        if (!client.is_directory()) continue;
        for (const auto& f : std::filesystem::directory_iterator(client.path()))
            if (f.is_regular_file() && f.path().extension() == ".json") out.push_back(f.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// "<client>_<name>" as a gtest parameter name.
inline std::string client_fixture_name(const ::testing::TestParamInfo<std::string>& info) {
    std::filesystem::path p(info.param);
    std::string n = p.parent_path().filename().string() + "_" + p.stem().string();
    for (char& c : n)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return n;
}

}  // namespace berth::test
