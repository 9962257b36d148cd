// The systemd cgroup driver's scope against a real systemd: run it in the v2
// guest booted with systemd as PID 1 (docs/systemd-driver.md):
//   tests/v2vm/run.sh --systemd --share "$PWD/build" -- "$PWD/build/tests/integration/systemd_scope_test"
// On a host whose PID 1 is not systemd every test is reported SKIPPED, not passed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "berth/plugin_export.hpp"
#include "plugins/cgroup-cpu/conversions.hpp"
#include "plugins/cgroup-cpu/cpu_subsystem.hpp"
#include "plugins/cgroup-cpuset/cpuset_subsystem.hpp"
#include "plugins/cgroup-memory/memory_subsystem.hpp"
#include "plugins/cgroup-pids/pids_subsystem.hpp"
#include "cgroups/systemd/systemd_scope.hpp"
#include "cgroups/systemd/systemd_unit.hpp"
#include "errors/error.hpp"
#include "systemd_test_util.hpp"

namespace {

namespace sd = berth::systemd;
namespace fs = std::filesystem;

using berth::test::systemd_util::sh;
using berth::test::systemd_util::under_systemd;

std::string slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

pid_t sleeper() {
    pid_t pid = ::fork();
    if (pid == 0) {
        for (;;) ::pause();
    }
    return pid;
}

class SystemdScopeTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!under_systemd()) GTEST_SKIP() << "PID 1 is not systemd: run in tests/v2vm/run.sh --systemd";
        id_ = "t" + std::to_string(::getpid()) + "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
        placement_ = sd::parse_cgroups_path("system.slice:berth-test:" + id_, id_);
        dir_ = "/sys/fs/cgroup" + placement_.cgroup;
        child_ = sleeper();
        ASSERT_GT(child_, 0);
    }
    void TearDown() override {
        if (child_ > 0) {
            ::kill(child_, SIGKILL);
            ::waitpid(child_, nullptr, 0);
        }
        if (!placement_.unit.empty()) {
            EXPECT_FALSE(fs::exists(dir_)) << dir_ << " left behind";
        }
    }
    std::string id_, dir_;
    sd::UnitPlacement placement_;
    pid_t child_ = -1;
};

struct Tag {
    static constexpr const char* name = "test";
};

TEST_F(SystemdScopeTest, StartsDelegatedScopeWithLimitsAndStops) {
    EXPECT_EQ(placement_.unit, "berth-test-" + id_ + ".scope");
    berth::Resources r;
    r.cpuset = berth::CpusetResources{"0", std::nullopt};
    r.memory = berth::MemoryResources{};
    r.memory->limit = 64 << 20;
    r.pids = berth::PidsResources{};
    r.pids->limit = 42;
    r.cpu = berth::CpuResources{};
    r.cpu->shares = 2048;
    r.cpu->quota = 50000;
    r.cpu->period = 100000;
    // The properties from the in-tree plugins, as create asks them.
    using berth::plugin_export::CgroupAdapter;
    CgroupAdapter<berth::plugins::cpu::CpuSubsystem, Tag> cpu;
    CgroupAdapter<berth::plugins::memory::MemorySubsystem, Tag> memory;
    CgroupAdapter<berth::plugins::pids::PidsSubsystem, Tag> pids;
    CgroupAdapter<berth::plugins::cpuset::CpusetSubsystem, Tag> cpuset;
    auto props = sd::resource_properties({&cpu, &memory, &pids, &cpuset}, r);
    {
        auto scope = sd::SystemdScope::start(placement_, child_, props, "berth test " + id_);
        ASSERT_TRUE(fs::is_directory(dir_)) << dir_;
        EXPECT_EQ(slurp(dir_ + "/cgroup.procs"), std::to_string(child_));
        EXPECT_EQ(slurp(dir_ + "/memory.max"), std::to_string(64 << 20));
        EXPECT_EQ(slurp(dir_ + "/pids.max"), "42");
        EXPECT_EQ(slurp(dir_ + "/cpu.max"), "50000 100000");
        EXPECT_EQ(slurp(dir_ + "/cpu.weight"), std::to_string(berth::plugins::cpu::shares_to_weight(2048)));
        EXPECT_EQ(slurp(dir_ + "/cpuset.cpus"), "0");
        EXPECT_EQ(sh("systemctl is-active " + placement_.unit), "active");
        EXPECT_EQ(sh("systemctl show -P Delegate " + placement_.unit), "yes");
        EXPECT_EQ(sh("systemctl show -P Slice " + placement_.unit), "system.slice");
        // Delegated: we may make a child cgroup and enable controllers in it.
        EXPECT_EQ(::mkdir((dir_ + "/sub").c_str(), 0755), 0) << strerror(errno);
        ::rmdir((dir_ + "/sub").c_str());

        // A second container given the same cgroupsPath is refused, by name.
        pid_t other = sleeper();
        try {
            sd::SystemdScope::start(placement_, other, {}, "dup");
            ADD_FAILURE() << "second StartTransientUnit of " << placement_.unit << " succeeded";
        } catch (const berth::Error& e) {
            EXPECT_NE(std::string(e.what()).find(placement_.unit), std::string::npos) << e.what();
        }
        ::kill(other, SIGKILL);
        ::waitpid(other, nullptr, 0);
        EXPECT_TRUE(fs::is_directory(dir_)) << "the refused start must not stop the first scope";

        scope.release();
        sd::SystemdScope::stop(placement_.unit);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child_, &status, 0), child_);
    child_ = -1;
    EXPECT_TRUE(WIFSIGNALED(status)) << "stopping the scope kills what is in it";
    EXPECT_FALSE(fs::exists(dir_));
    EXPECT_NE(sh("systemctl is-active " + placement_.unit), "active");
    EXPECT_EQ(sh("systemctl list-units --all --no-legend " + placement_.unit), "");
}

TEST_F(SystemdScopeTest, UnreleasedScopeIsStoppedByItsDestructor) {
    {
        auto scope = sd::SystemdScope::start(placement_, child_, {}, "berth test " + id_);
        ASSERT_TRUE(fs::is_directory(dir_));
    }
    EXPECT_FALSE(fs::exists(dir_));
    EXPECT_EQ(sh("systemctl list-units --all --no-legend " + placement_.unit), "");
}

TEST_F(SystemdScopeTest, StoppingAGoneUnitIsFine) {
    EXPECT_NO_THROW(sd::SystemdScope::stop("berth-test-never-" + id_ + ".scope"));
}

TEST_F(SystemdScopeTest, SliceUnitsAreRefusedNamingTheField) {
    // Refused when the path is parsed, before any unit exists.
    try {
        auto p = sd::parse_cgroups_path("machine.slice:x:machine-" + id_ + ".slice", id_);
        sd::SystemdScope::start(p, child_, {}, "x");
        ADD_FAILURE() << "a slice unit was accepted";
    } catch (const berth::Error& e) {
        EXPECT_EQ(std::string(e.what()).rfind("linux.cgroupsPath", 0), 0u) << e.what();
    }
}

}  // namespace
