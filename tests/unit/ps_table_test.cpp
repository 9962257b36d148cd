#include "ps_table.hpp"

#include <gtest/gtest.h>

#include "errors/error.hpp"

namespace berth::cli {
namespace {

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
    EXPECT_EQ(filter_ps_output("COMMAND     PID\nsleep        7\nsh           8\n", {8}), "COMMAND     PID\nsh           8\n");
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
