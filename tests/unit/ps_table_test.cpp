#include "ps_table.hpp"

#include <gtest/gtest.h>

#include "errors/error.hpp"

namespace berth::cli {
namespace {

// runc 1.1.5's `list` with a long id and a short one, byte for byte.
TEST(AlignedTable, AsRuncsList) {
    const std::string id = "listMe-with-a-rather-long-container-id-0123456789";
    EXPECT_EQ(
        aligned_table({{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"},
                       {id, "4391", "running", "/tmp/parity-exp/b1", "2026-12-07T07:21:53.190490616Z", "root"},
                       {"x", "4405", "running", "/tmp/parity-exp/b1", "2026-12-07T07:21:53.239657716Z", "root"}}),
        "ID                                                  PID         STATUS      BUNDLE               CREATED    "
        "                      OWNER\n"
        "listMe-with-a-rather-long-container-id-0123456789   4391        running     /tmp/parity-exp/b1   "
        "2026-12-07T07:21:53.190490616Z   root\n"
        "x                                                   4405        running     /tmp/parity-exp/b1   "
        "2026-12-07T07:21:53.239657716Z   root\n");
    // No rows: the header alone, each column at least 12 wide.
    EXPECT_EQ(aligned_table({{"ID", "PID", "OWNER"}}), "ID          PID         OWNER\n");
    EXPECT_EQ(aligned_table({}), "");
}

TEST(FilterPsOutput, KeepsHeaderAndTheContainersLines) {
    const std::string out =
        "UID          PID    PPID  C STIME TTY          TIME CMD\n"
        "root           1       0  0 09:00 ?        00:00:01 /sbin/init\n"
        "root         420       1  0 09:00 ?        00:00:00 sleep 300\n"
        "root        4200       1  0 09:00 ?        00:00:00 sleep 42 420\n"
        "\n";
    EXPECT_EQ(filter_ps_output(out, {420}),
              "UID          PID    PPID  C STIME TTY          TIME CMD\n"
              "root         420       1  0 09:00 ?        00:00:00 sleep 300\n");
    EXPECT_EQ(filter_ps_output(out, {}), "UID          PID    PPID  C STIME TTY          TIME CMD\n");
}

TEST(FilterPsOutput, FindsThePidColumnByName) {
    EXPECT_EQ(filter_ps_output("COMMAND     PID\nsleep        7\nsh           8\n", {8}),
              "COMMAND     PID\nsh           8\n");
    // PPID is not PID.
    EXPECT_EQ(filter_ps_output("PPID PID\n7 8\n8 9\n", {8}), "PPID PID\n7 8\n");
}

TEST(FilterPsOutput, Errors) {
    EXPECT_THROW(filter_ps_output("", {1}), Error);
    try {
        filter_ps_output("COMMAND\nsleep\n", {1});
        FAIL();
    } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "ps: couldn't find PID field in ps output");
    }
    EXPECT_THROW(filter_ps_output("PID CMD\nabc sh\n", {1}), Error);
    EXPECT_THROW(filter_ps_output("CMD PID\nsh\n", {1}), Error);
}

}  // namespace
}  // namespace berth::cli
