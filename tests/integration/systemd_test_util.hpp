// Shared by the tests that need a real systemd (systemd_scope_test,
// systemd_driver_test): run in tests/v2vm/run.sh --systemd.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>

namespace berth::test::systemd_util {

// PID 1 is systemd (sd_booted()'s test).
inline bool under_systemd() { return ::access("/run/systemd/system", F_OK) == 0; }

// What a shell command printed (stdout and stderr), trailing newlines dropped:
// systemctl's answers compared as words.
inline std::string sh(const std::string& cmd) {
    std::string out;
    if (FILE* p = ::popen((cmd + " 2>&1").c_str(), "r")) {
        char buf[512];
        while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
        ::pclose(p);
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

}  // namespace berth::test::systemd_util
