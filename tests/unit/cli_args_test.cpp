// parse_args: runc-shaped option parsing from option tables.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "args.hpp"
#include "errors/error.hpp"

namespace {

using berth::cli::OptionSpec;
using berth::cli::parse_args;
using berth::cli::ParsedArgs;
using Args = std::vector<std::string>;

const std::vector<OptionSpec> kGlobal = {
    {"root", 0, true, ""},       {"log", 0, true, ""},     {"debug", 0, false, ""},
    {"version", 'v', false, ""}, {"help", 'h', false, ""},
};

const std::vector<OptionSpec> kCreate = {
    {"bundle", 'b', true, ""},
    {"pid-file", 0, true, ""},
    {"no-pivot", 0, false, ""},
    {"detach", 'd', false, ""},
};

ParsedArgs parse(const std::vector<OptionSpec>& t, const Args& a, bool stop = false, const std::string& ctx = "create",
                 size_t* pos_out = nullptr) {
    size_t pos = 0;
    auto r = parse_args(t, a, pos, stop, ctx);
    if (pos_out) *pos_out = pos;
    return r;
}

std::string error_of(const std::vector<OptionSpec>& t, const Args& a, const std::string& ctx = "create") {
    try {
        parse(t, a, false, ctx);
    } catch (const berth::Error& e) {
        return e.what();
    }
    return "<no error>";
}

TEST(CliArgs, LongWithSeparateValue) {
    auto r = parse(kCreate, {"--bundle", "/b", "id"});
    EXPECT_EQ(r.get("bundle"), "/b");
    EXPECT_EQ(r.positional, Args{"id"});
}

TEST(CliArgs, LongWithEquals) {
    auto r = parse(kCreate, {"--bundle=/b", "--pid-file=/p=q", "id"});
    EXPECT_EQ(r.get("bundle"), "/b");
    EXPECT_EQ(r.get("pid-file"), "/p=q");  // only the first '=' splits
    EXPECT_EQ(r.positional, Args{"id"});
}

TEST(CliArgs, SingleDashLong) {
    auto r = parse(kCreate, {"-bundle", "/b", "-pid-file=/p", "-no-pivot", "id"});
    EXPECT_EQ(r.get("bundle"), "/b");
    EXPECT_EQ(r.get("pid-file"), "/p");
    EXPECT_TRUE(r.flag("no-pivot"));
}

TEST(CliArgs, ShortWithValue) {
    auto r = parse(kCreate, {"-b", "/b", "id", "-d"});
    EXPECT_EQ(r.get("bundle"), "/b");
    EXPECT_TRUE(r.flag("detach"));
    EXPECT_EQ(r.values.count("b"), 0u) << "values are keyed by the long name";
    EXPECT_EQ(r.positional, Args{"id"});
    EXPECT_EQ(parse(kCreate, {"-b=/x"}).get("bundle"), "/x");
}

TEST(CliArgs, ShortLetterIsNotALongName) { EXPECT_EQ(error_of(kCreate, {"--b", "/b"}), "create: unknown flag --b"); }

TEST(CliArgs, ValueMayStartWithDash) {
    auto r = parse(kCreate, {"--pid-file", "-weird", "--bundle", "--"});
    EXPECT_EQ(r.get("pid-file"), "-weird");
    EXPECT_EQ(r.get("bundle"), "--");
    EXPECT_TRUE(r.positional.empty());
}

TEST(CliArgs, EmptyValueWithEquals) {
    auto r = parse(kCreate, {"--pid-file="});
    EXPECT_TRUE(r.has("pid-file"));
    EXPECT_EQ(r.get("pid-file", "fallback"), "");
}

TEST(CliArgs, UnknownFlags) {
    EXPECT_EQ(error_of(kCreate, {"--bogus"}), "create: unknown flag --bogus");
    EXPECT_EQ(error_of(kCreate, {"--bogus=1"}), "create: unknown flag --bogus");
    EXPECT_EQ(error_of(kCreate, {"-x"}), "create: unknown flag -x");
    EXPECT_EQ(error_of(kCreate, {"id", "-bd"}), "create: unknown flag -bd");
    EXPECT_EQ(error_of(kGlobal, {"--bogus"}, ""), "unknown flag --bogus");
}

TEST(CliArgs, MissingValues) {
    EXPECT_EQ(error_of(kCreate, {"id", "--bundle"}), "create: flag --bundle needs a value");
    EXPECT_EQ(error_of(kCreate, {"-b"}), "create: flag --bundle needs a value");
    EXPECT_EQ(error_of(kGlobal, {"--root"}, ""), "flag --root needs a value");
}

TEST(CliArgs, BoolFlags) {
    auto r = parse(kCreate, {"--detach", "--no-pivot=false"});
    EXPECT_TRUE(r.flag("detach"));
    EXPECT_EQ(r.get("detach"), "true");
    EXPECT_TRUE(r.has("no-pivot"));
    EXPECT_FALSE(r.flag("no-pivot"));
    EXPECT_TRUE(parse(kCreate, {"--no-pivot=true"}).flag("no-pivot"));
    EXPECT_FALSE(parse(kCreate, {}).flag("no-pivot"));
    EXPECT_FALSE(parse(kCreate, {}).has("no-pivot"));
    // A bool flag never takes the next argument as its value.
    auto s = parse(kCreate, {"--detach", "false"});
    EXPECT_TRUE(s.flag("detach"));
    EXPECT_EQ(s.positional, Args{"false"});
}

TEST(CliArgs, BoolFlagBadValue) {
    EXPECT_EQ(error_of(kCreate, {"--detach=yes"}), "create: flag --detach takes true or false, not \"yes\"");
    EXPECT_EQ(error_of(kCreate, {"-d=1"}), "create: flag --detach takes true or false, not \"1\"");
    EXPECT_EQ(error_of(kCreate, {"--no-pivot="}), "create: flag --no-pivot takes true or false, not \"\"");
}

TEST(CliArgs, LastValueWins) { EXPECT_EQ(parse(kCreate, {"-b", "/1", "--bundle=/2"}).get("bundle"), "/2"); }

TEST(CliArgs, DoubleDashEndsOptions) {
    auto r = parse(kCreate, {"-d", "--", "--bundle", "-x", "--", "id"});
    EXPECT_TRUE(r.flag("detach"));
    EXPECT_FALSE(r.has("bundle"));
    EXPECT_EQ(r.positional, (Args{"--bundle", "-x", "--", "id"}));
}

TEST(CliArgs, SingleDashIsPositional) {
    auto r = parse(kCreate, {"-", "id"});
    EXPECT_EQ(r.positional, (Args{"-", "id"}));
}

TEST(CliArgs, OptionsAfterPositionals) {
    auto r = parse(kCreate, {"id", "--bundle", "/b", "extra"});
    EXPECT_EQ(r.get("bundle"), "/b");
    EXPECT_EQ(r.positional, (Args{"id", "extra"}));
}

TEST(CliArgs, GlobalStopsAtVerb) {
    Args a = {"--root", "/run/x", "-v", "--debug=false", "create", "--bundle", "/b", "id"};
    size_t pos = 0;
    auto g = parse(kGlobal, a, true, "", &pos);
    EXPECT_EQ(g.get("root"), "/run/x");
    EXPECT_TRUE(g.flag("version"));
    EXPECT_FALSE(g.flag("debug"));
    EXPECT_TRUE(g.positional.empty());
    ASSERT_EQ(pos, 4u);
    EXPECT_EQ(a[pos], "create");
    // The verb's options are then parsed from there, without the verb.
    ++pos;
    auto c = parse_args(kCreate, a, pos, false, "create");
    EXPECT_EQ(pos, a.size());
    EXPECT_EQ(c.get("bundle"), "/b");
    EXPECT_EQ(c.positional, Args{"id"});
}

TEST(CliArgs, GlobalVerbFlagIsNotGlobal) {
    // --bundle after the verb is not a global flag: the global pass stops first.
    size_t pos = 0;
    Args a = {"create", "--bundle", "/b"};
    auto g = parse(kGlobal, a, true, "", &pos);
    EXPECT_EQ(pos, 0u);
    EXPECT_TRUE(g.values.empty());
}

TEST(CliArgs, GlobalDoubleDash) {
    Args a = {"--debug", "--", "--root", "x"};
    size_t pos = 0;
    auto g = parse(kGlobal, a, true, "", &pos);
    EXPECT_TRUE(g.flag("debug"));
    EXPECT_FALSE(g.has("root"));
    EXPECT_EQ(pos, 2u);
    EXPECT_EQ(a[pos], "--root");
}

TEST(CliArgs, StartsAtPos) {
    Args a = {"ignored", "--bogus-before-pos", "run", "--detach", "id"};
    size_t pos = 2;
    auto r = parse_args(kCreate, a, pos, false, "run");
    EXPECT_EQ(pos, a.size());
    EXPECT_EQ(r.positional, (Args{"run", "id"}));
    EXPECT_TRUE(r.flag("detach"));
}

TEST(CliArgs, GetFallback) {
    auto r = parse(kCreate, {});
    EXPECT_EQ(r.get("bundle", "."), ".");
    EXPECT_EQ(r.get("bundle"), "");
}

}  // namespace

namespace {

// exec's repeatable options (-e, -g, --cap) keep every value, in order; the
// command after the id is not parsed (stop at the first argument).
TEST(ParseArgs, RepeatedOptionsAndOptionsFirst) {
    const std::vector<OptionSpec> exec = {{"env", 'e', true, ""}, {"detach", 'd', false, ""}};
    size_t pos = 0;
    Args a = {"-e", "A=1", "--env=B=2", "-d", "--env", "A=3", "ctr", "ls", "-l", "--env", "X=1"};
    ParsedArgs r = parse(exec, a, true, "exec", &pos);
    EXPECT_EQ(r.list("env"), (std::vector<std::string>{"A=1", "B=2", "A=3"}));
    EXPECT_EQ(r.get("env"), "A=3");
    EXPECT_TRUE(r.flag("detach"));
    EXPECT_EQ(pos, 6u) << "stops at the container id";
    EXPECT_TRUE(r.list("nope").empty());
}

}  // namespace
