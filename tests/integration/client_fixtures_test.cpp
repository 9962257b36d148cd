// Every config.json a real client generated (tests/fixtures/clients/<client>/
// *.json, globbed from the source tree at run time) runs with berth.
//
// A fixture is the client's own config.json; only what cannot exist on this
// machine, or what would make the test depend on the client's daemon, is
// rewritten:
//  - root.path: a fresh busybox rootfs (the client's image is gone);
//  - process.args: `sh -c 'echo ok'`, a short probe (the client's command may
//    be a daemon or wait for input); process.terminal off: there is no
//    console socket here (the terminal path is covered by exec/lifecycle
//    tests and by tests/clients/*.sh);
//  - process.rlimits: capped at this process's hard limits, which cannot be
//    raised without CAP_SYS_RESOURCE (missing from this machine's bounding set);
//  - hooks: dropped when their binary is missing or is a daemon's
//    /proc/<pid>/exe (docker's libnetwork-setkey): that daemon is not running;
//  - bind mounts whose source is gone (the client's per-container files such
//    as /etc/hosts, /etc/resolv.conf, /run/.containerenv, volumes): an empty
//    stand-in of the same kind (file or directory, guessed from whether the
//    rootfs or the name looks like a file) in the test's temp dir, options kept;
//  - linux.namespaces[].path: dropped (a new namespace instead): the daemon's
//    sandbox or pod whose namespace was joined is gone;
//  - linux.cgroupsPath: a unique /berthtest-<id>/<name> so that parallel runs
//    and the harness's leftover check find it.
// Everything else (mounts, masked and read-only paths, devices, capabilities,
// seccomp, resources, sysctls, user) is the client's and must work.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../client_fixture_files.hpp"

#include "fixture_rewrite.hpp"
#include "harness.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace berth::test;

namespace {

const fs::path& kFixtures = berth::test::client_fixtures_dir();

std::vector<std::string> fixture_files() { return berth::test::client_fixture_files(); }

class ClientFixtureRun : public ContainerTest, public ::testing::WithParamInterface<std::string> {};

TEST(ClientFixtureRuns, TheDirectoryHasFixtures) {
    EXPECT_FALSE(fixture_files().empty()) << "no fixtures under " << kFixtures;
}

TEST_P(ClientFixtureRun, RunsTheProbe) {
    std::ifstream in(GetParam());
    json fixture = json::parse(in);
    Bundle b(tmp_->path() + "/bundle", {"sh", "-c", "echo ok"});
    const std::string c = id("fixture");
    const std::string stand_ins = tmp_->path() + "/stand-ins";
    fs::create_directories(stand_ins);

    json& cfg = fixture;
    cfg["root"]["path"] = "rootfs";
    cfg["process"]["args"] = {"sh", "-c", "echo ok"};
    cfg["process"]["terminal"] = false;
    cfg["process"].erase("consoleSize");
    fit_rlimits_to_host(cfg);
    drop_missing_hooks(cfg);
    stand_in_missing_bind_sources(cfg, b.rootfs(), stand_ins);
    if (cfg.contains("linux") && cfg["linux"].contains("namespaces"))
        for (auto& ns : cfg["linux"]["namespaces"]) ns.erase("path");
    cfg["linux"]["cgroupsPath"] = "/berthtest-" + c + "/ctr";

    b.config = cfg;
    b.save();
    Result r = berth({"run", "--bundle", b.dir(), c});
    EXPECT_EQ(r.code, 0) << GetParam() << "\n" << r.err;
    EXPECT_EQ(r.out, "ok\n") << GetParam() << "\n" << r.err;
}

INSTANTIATE_TEST_SUITE_P(EveryClientFixture, ClientFixtureRun, ::testing::ValuesIn(fixture_files()),
                         berth::test::client_fixture_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ClientFixtureRun);

}  // namespace
