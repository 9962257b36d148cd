// Every fixture config (tests/fixtures/clients/<client>/*.json: podman,
// docker, containerd, `runc spec`, a CRI pod container) and the default
// seccomp profile of Debian's containers-common, run with berth-probe
// (tests/probe/) as the process; what the probe saw must be what the config
// asked for (tests/probe/probe_check.hpp): ids, groups, capabilities,
// no_new_privs, seccomp, rlimits, read-only root, masked and read-only paths,
// env, cwd, hostname, namespaces, cgroup, umask, oom_score_adj.
//
// The fixture is the client's config; only what cannot exist here is
// rewritten, as in client_fixtures_test.cpp: root.path (a busybox rootfs with
// the probe at /berth-probe), process.args (the probe, given the masked and
// read-only paths to look at), rlimits capped at this
// process's hard limits, hooks whose binary is gone dropped, bind sources
// that are gone replaced by empty stand-ins, and linux.cgroupsPath put under
// a unique /berthtest-<id> (its own path kept below it). A namespace joined
// by path is joined for real: the test starts a sandbox container (the
// "pause") and points every such path at the sandbox's /proc/<pid>/ns/<kind>.
// A config with a terminal gets one over --console-socket (create, start,
// the probe's line read from the pty master), as a shim would give it.
#include <sys/resource.h>
#include <sys/utsname.h>
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
#include "../containers_seccomp.hpp"
#include "../probe/probe_check.hpp"

#include "fixture_rewrite.hpp"
#include "harness.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace berth::test;

namespace {

const std::string kProbeInRoot = "/berth-probe";
const std::vector<std::string> kNamespaceKinds = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};

std::string readlink_of(const std::string& path) {
    std::error_code ec;
    fs::path t = fs::read_symlink(path, ec);
    return ec ? "" : t.string();
}

uint64_t known_caps() {
    int last = std::stoi(read_text("/proc/sys/kernel/cap_last_cap"));
    return last >= 63 ? ~uint64_t{0} : (uint64_t{1} << (last + 1)) - 1;
}

class ProbeFixtureRun : public ContainerTest {
protected:
    // Rewrites `cfg` as described at the top and runs it with the probe;
    // returns the probe's JSON (null on failure, with the failure recorded)
    // and fills `host` for the check.
    json run_probe(json& cfg, const std::string& name, ProbeHost& host) {
        static int n = 0;
        const std::string dir = tmp_->path() + "/" + std::to_string(n++);
        Bundle b(dir + "/bundle", {"true"});
        fs::copy_file(BERTH_PROBE, b.rootfs() + kProbeInRoot);
        fs::permissions(b.rootfs() + kProbeInRoot, fs::perms(0755));
        const std::string c = id("probe");
        const std::string stand_ins = dir + "/stand-ins";
        fs::create_directories(stand_ins);

        cfg["root"]["path"] = "rootfs";
        json args = json::array({kProbeInRoot});
        for (const char* list : {"maskedPaths", "readonlyPaths"})
            for (const auto& p : cfg["linux"].value(list, json::array())) args.push_back(p);
        cfg["process"]["args"] = args;
        // A terminal is given over --console-socket, as a shim would.
        const bool terminal = cfg["process"].value("terminal", false);
        cfg["process"].erase("consoleSize");
        fit_rlimits_to_host(cfg);
        drop_missing_hooks(cfg);
        stand_in_missing_bind_sources(cfg, b.rootfs(), stand_ins);
        bool joins = false;
        for (const auto& ns : cfg["linux"].value("namespaces", json::array())) joins = joins || ns.contains("path");
        if (joins) {
            const pid_t sandbox = start_sandbox(dir + "/sandbox");
            if (sandbox <= 0) return nullptr;
            for (auto& ns : cfg["linux"]["namespaces"]) {
                if (!ns.contains("path")) continue;
                const std::string path =
                    "/proc/" + std::to_string(sandbox) + "/ns/" + probe_ns_kind(ns["type"].get<std::string>());
                ns["path"] = path;
                host.joined[path] = readlink_of(path);
            }
        }
        const std::string own = cfg["linux"].value("cgroupsPath", "");
        host.cgroups_path = "/berthtest-" + c + (own.rfind("/", 0) == 0 ? own : "/ctr");
        cfg["linux"]["cgroupsPath"] = host.cgroups_path;
        for (const auto& k : kNamespaceKinds) host.namespaces[k] = readlink_of("/proc/self/ns/" + k);
        host.known_caps = known_caps();

        b.config = cfg;
        b.save();
        Result r;
        if (terminal) {
            // create, take the pty master, start, read the one line the probe prints.
            ConsoleSocket console(dir + "/console.sock");
            r = berth({"create", "--console-socket", console.path(), "--bundle", b.dir(), c});
            const int master = r.code == 0 ? console.take_master() : -1;
            if (master >= 0) {
                Result st = berth({"start", c});
                r.code = st.code;
                r.err += st.err;
                r.out = read_pty_until(master, "\n");
                close(master);
                r.out.erase(std::remove(r.out.begin(), r.out.end(), '\r'), r.out.end());
            } else {
                r.err += "\n[no pty master came over the console socket]";
                if (r.code == 0) r.code = -1;
            }
        } else {
            r = berth({"run", "--bundle", b.dir(), c});
        }
        EXPECT_EQ(r.code, 0) << name << "\n" << r.err;
        try {
            return json::parse(r.out);
        } catch (const std::exception& e) {
            ADD_FAILURE() << name << ": the probe printed no JSON (" << e.what() << "):\n" << r.out << "\n" << r.err;
            return nullptr;
        }
    }

    // The pod sandbox: a berth container sleeping in new namespaces, as the
    // CRI's pause container; its pid, or 0 (failure recorded).
    pid_t start_sandbox(const std::string& dir) {
        Bundle sb(dir, {"sleep", "3600"});
        const std::string s = id("pause");
        sb.config["linux"]["cgroupsPath"] = "/berthtest-" + s + "/pause";
        sb.save();
        Result r = berth({"run", "-d", "--bundle", sb.dir(), s});
        EXPECT_EQ(r.code, 0) << "sandbox: " << r.err;
        Result st = berth({"state", s});
        try {
            return json::parse(st.out).value("pid", 0);
        } catch (const std::exception&) {
            ADD_FAILURE() << "sandbox state: " << st.out << st.err;
            return 0;
        }
    }

    // The probe's report is checked against the config as run (rewritten).
    void run_and_check(json cfg, const std::string& name) {
        ProbeHost host;
        json probe = run_probe(cfg, name, host);
        if (probe.is_null()) return;
        for (const auto& m : probe_mismatches(cfg, probe, host)) ADD_FAILURE() << name << ": " << m;
    }
};

class ProbeClientFixture : public ProbeFixtureRun, public ::testing::WithParamInterface<std::string> {};

TEST(ProbeFixtures, TheDirectoryHasTheNewFixtures) {
    const auto files = client_fixture_files();
    for (const char* f : {"runc/spec.json", "cri/pod-container.json"})
        EXPECT_NE(std::find(files.begin(), files.end(), (client_fixtures_dir() / f).string()), files.end()) << f;
}

TEST_P(ProbeClientFixture, ProbeSeesWhatTheConfigAsks) {
    std::ifstream in(GetParam());
    run_and_check(json::parse(in), GetParam());
}

INSTANTIATE_TEST_SUITE_P(EveryClientFixture, ProbeClientFixture, ::testing::ValuesIn(client_fixture_files()),
                         client_fixture_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ProbeClientFixture);

// Debian's containers-common default profile, converted as podman does for
// `runc spec`'s capabilities, on `runc spec`'s config.
TEST_F(ProbeFixtureRun, ContainersCommonSeccompProfileOnRuncSpec) {
    const std::string profile_path = "/usr/share/containers/seccomp.json";
    ASSERT_TRUE(exists(profile_path)) << profile_path << " is missing: install containers-common (podman needs it)";
    json cfg = json::parse(read_text((client_fixtures_dir() / "runc" / "spec.json").string()));
    struct utsname u {};
    uname(&u);
    cfg["linux"]["seccomp"] =
        containers_seccomp_to_oci(json::parse(read_text(profile_path)), cfg["process"]["capabilities"]["bounding"],
                                  go_arch_of(u.machine), u.release);
    run_and_check(cfg, "containers-common seccomp.json");
}

}  // namespace
