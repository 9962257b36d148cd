// A temporary directory standing in for a cgroup, for the plugins' writer
// tests: the files the kernel would offer are made by the test, since
// CgroupDir never creates any.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "berth/cgroup_dir.hpp"
#include "berth/plugin_export.hpp"
#include "berth/resources.hpp"
#include "error_of.hpp"
#include "spec/spec.hpp"

// A plugin class as the host sees it: BERTH_CGROUP_PLUGIN's adapter, with its
// defaults (apply_v1 as apply_v2 where the class has none) and its guard.
struct TestPluginTag {
    static constexpr const char* name = "test-plugin";
};
template <typename T>
using AsPlugin = berth::plugin_export::CgroupAdapter<T, TestPluginTag>;

class FakeCgroup : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/berth-cgroup-test.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        root_ = cg_ = pattern;
    }
    void TearDown() override {
        if (!root_.empty()) std::filesystem::remove_all(root_);
    }

    // A file the kernel would offer; each write replaces its content.
    void offer(const std::string& name, const std::string& content = "") { std::ofstream(cg_ + "/" + name) << content; }
    std::string content(const std::string& name) const {
        std::ifstream in(cg_ + "/" + name);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    berth::CgroupDir dir() const { return berth::CgroupDir(cg_); }

    std::string root_;  // the temporary directory, removed after the test
    std::string cg_;    // the cgroup's stand-in: root_, unless a test puts it below
};

// linux.resources given as JSON, parsed and validated as the host hands it
// to plugins. Throws berth::Error, naming the field, where the host refuses it.
inline berth::Resources with_json(const std::string& json) {
    return berth::spec::parse_resources_json(nlohmann::json::parse(json));
}

// The host's refusal of linux.resources given as JSON ("<no error>" when it
// parses).
inline std::string host_error(const std::string& json) {
    return berth::test::error_of([&] { with_json(json); });
}
