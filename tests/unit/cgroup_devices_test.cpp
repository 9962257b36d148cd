// cgroup-devices: parsing linux.resources.devices, the v1 writes (as pure
// lists and against a fake cgroupfs tree) and the v2 eBPF program (its bytes,
// its logic through a small interpreter, and the kernel's verifier).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "plugins/cgroup-devices/bpf_attach.hpp"
#include "plugins/cgroup-devices/bpf_program.hpp"
#include "plugins/cgroup-devices/devices_subsystem.hpp"
#include "plugins/cgroup-devices/rules.hpp"
#include "fake_cgroup.hpp"

namespace {

using namespace berth::plugins::devices;
using berth::CgroupDir;
using berth::Resources;
using berth::Status;

// The rules of linux.resources given as JSON, as the host parses them and
// the plugin converts them.
std::vector<DeviceRule> parse_ok(const std::string& json) {
    EXPECT_EQ(host_error(json), "<no error>") << json;
    return device_rules(with_json(json).devices);
}

const DeviceRule kDenyAll{'a', kWildcard, kWildcard, kAllAccess, false};

TEST(DeviceRules, Parse) {
    struct Case {
        const char* json;
        std::vector<DeviceRule> want;
    };
    const Case cases[] = {
        {R"({})", {}},
        {R"({"devices":null})", {}},
        {R"({"devices":[]})", {}},
        {R"({"devices":[{"allow":false,"access":"rwm"}]})", {kDenyAll}},
        {R"({"devices":[{"allow":true,"type":"c","major":10,"minor":237,"access":"rw"}]})",
         {{'c', 10, 237, kRead | kWrite, true}}},
        {R"({"devices":[{"allow":true,"type":"b","major":8,"access":"m"}]})", {{'b', 8, kWildcard, kMknod, true}}},
        {R"({"devices":[{"allow":true,"type":"c","major":-1,"minor":null,"access":"mwr"}]})",
         {{'c', kWildcard, kWildcard, kAllAccess, true}}},
        {R"({"devices":[{"allow":false,"type":"a","minor":4294967295,"access":"w"}]})",
         {{'a', kWildcard, 4294967295, kWrite, false}}},
    };
    for (const Case& c : cases) EXPECT_EQ(parse_ok(c.json), c.want) << c.json;
}

TEST(DeviceRules, ParseErrorsNameTheField) {
    struct Case {
        const char* json;
        const char* message;
    };
    const Case cases[] = {
        {R"({"devices":{}})", "linux.resources.devices: must be an array"},
        {R"({"devices":[1]})", "linux.resources.devices[0]: must be an object"},
        {R"({"devices":[{"access":"rwm"}]})", "linux.resources.devices[0].allow: is required"},
        {R"({"devices":[{"allow":"yes","access":"rwm"}]})",
         "linux.resources.devices[0].allow: must be a boolean, not a string"},
        {R"({"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"p","access":"r"}]})",
         "linux.resources.devices[1].type: \"p\" must be \"a\", \"b\" or \"c\""},
        {R"({"devices":[{"allow":true,"type":"c","major":"1","access":"r"}]})",
         "linux.resources.devices[0].major: must be an integer, not a string"},
        {R"({"devices":[{"allow":true,"type":"c","minor":-2,"access":"r"}]})",
         "linux.resources.devices[0].minor: -2 is out of range (0 to 4294967295, or -1 for any)"},
        {R"({"devices":[{"allow":true,"type":"c","major":4294967296,"access":"r"}]})",
         "linux.resources.devices[0].major: 4294967296 is out of range"},
        {R"({"devices":[{"allow":true,"type":"c","major":1.5,"access":"r"}]})",
         "linux.resources.devices[0].major: must be an integer, not a number"},
        {R"({"devices":[{"allow":true}]})", "linux.resources.devices[0].access: must not be empty"},
        {R"({"devices":[{"allow":true,"access":""}]})", "linux.resources.devices[0].access: must not be empty"},
        {R"({"devices":[{"allow":true,"access":"rwx"}]})",
         "linux.resources.devices[0].access: \"rwx\": 'x' is not one of r, w, m"},
        {R"({"devices":[{"allow":true,"access":"rr"}]})", "linux.resources.devices[0].access: \"rr\": 'r' is repeated"},
        {R"({"devices":[{"allow":true,"access":7}]})",
         "linux.resources.devices[0].access: must be a string, not a number"},
    };
    // The host refuses them before any plugin sees the rules.
    for (const Case& c : cases) {
        const std::string message = host_error(c.json);
        EXPECT_NE(message.find(c.message), std::string::npos) << c.json << " → " << message;
    }
}

TEST(DeviceRules, DefaultsFollowTheConfigsRules) {
    const auto rules = effective_rules({kDenyAll});
    ASSERT_EQ(rules.size(), 12u);
    EXPECT_EQ(rules[0], kDenyAll);
    std::vector<std::string> text;
    for (size_t i = 1; i < rules.size(); ++i)
        text.push_back((rules[i].allow ? "allow " : "deny ") + rule_text(rules[i]));
    EXPECT_EQ(text,
              (std::vector<std::string>{"allow c *:* m", "allow b *:* m", "allow c 1:3 rwm", "allow c 1:8 rwm",
                                        "allow c 1:7 rwm", "allow c 5:0 rwm", "allow c 1:5 rwm", "allow c 1:9 rwm",
                                        "allow c 136:* rwm", "allow c 5:2 rwm", "allow c 10:200 rwm"}));
}

TEST(DeviceRules, V1Writes) {
    struct Case {
        const char* json;
        std::vector<V1Write> want;
    };
    const Case cases[] = {
        {R"({"devices":[{"allow":false,"access":"rwm"}]})", {{"devices.deny", "a *:* rwm"}}},
        {R"({"devices":[{"allow":true,"access":"rwm"}]})", {{"devices.allow", "a *:* rwm"}}},
        {R"({"devices":[{"allow":true,"type":"c","major":10,"minor":237,"access":"wr"}]})",
         {{"devices.allow", "c 10:237 rw"}}},
        {R"({"devices":[{"allow":false,"type":"b","major":8,"access":"m"}]})", {{"devices.deny", "b 8:* m"}}},
        {R"({"devices":[{"allow":true,"type":"c","minor":3,"access":"r"}]})", {{"devices.allow", "c *:3 r"}}},
        // Any "a" line is everything to the kernel: a narrower one is split.
        {R"({"devices":[{"allow":false,"access":"w"}]})", {{"devices.deny", "b *:* w"}, {"devices.deny", "c *:* w"}}},
        {R"({"devices":[{"allow":true,"type":"a","major":1,"access":"rwm"}]})",
         {{"devices.allow", "b 1:* rwm"}, {"devices.allow", "c 1:* rwm"}}},
        {R"({"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":3,"access":"rwm"}]})",
         {{"devices.deny", "a *:* rwm"}, {"devices.allow", "c 1:3 rwm"}}},
    };
    for (const Case& c : cases) EXPECT_EQ(v1_writes(parse_ok(c.json)), c.want) << c.json;
}

TEST(DeviceRules, V1ExpectedList) {
    // Deny-all then allows: the allow list, sorted, merged per device.
    auto s = v1_expected_list(parse_ok(R"({"devices":[{"allow":false,"access":"rwm"},
        {"allow":true,"type":"c","major":1,"minor":3,"access":"r"},
        {"allow":true,"type":"c","major":1,"minor":3,"access":"w"},
        {"allow":true,"type":"b","major":8,"minor":0,"access":"rwm"},
        {"allow":false,"type":"b","major":8,"minor":0,"access":"w"},
        {"allow":true,"type":"c","major":4,"minor":1,"access":"r"},
        {"allow":false,"type":"c","major":4,"minor":1,"access":"rm"}]})"));
    EXPECT_TRUE(s.exact);
    EXPECT_EQ(s.lines, (std::vector<std::string>{"b 8:0 rm", "c 1:3 rw"}));
    // Allow by default: the kernel lists only "a *:* rwm".
    s = v1_expected_list(parse_ok(R"({"devices":[{"allow":true,"type":"c","major":1,"minor":3,"access":"r"}]})"));
    EXPECT_TRUE(s.exact);
    EXPECT_EQ(s.lines, std::vector<std::string>{"a *:* rwm"});
    s = v1_expected_list(parse_ok(R"({"devices":[{"allow":false,"type":"c","major":1,"minor":3,"access":"r"}]})"));
    EXPECT_FALSE(s.exact) << "denied exceptions are not listed";
    EXPECT_EQ(v1_list_lines("c 1:3 rwm\nb *:* m\n\n"), (std::vector<std::string>{"b *:* m", "c 1:3 rwm"}));
}

// A temporary directory standing in for a v1 devices cgroup.
class DevicesFakeCgroup : public FakeCgroup {};

Resources resources(const std::string& json) { return with_json(json); }

TEST_F(DevicesFakeCgroup, V1WritesDenyAllThenTheAllowlist) {
    offer("devices.allow", "");
    offer("devices.deny", "");
    offer("devices.list", "a *:* rwm\n");
    DevicesSubsystem sub;
    const Resources r = resources(R"({"devices":[{"allow":false,"access":"rwm"},
        {"allow":true,"type":"c","major":10,"minor":237,"access":"rw"}]})");
    ASSERT_TRUE(sub.wants(r));
    ASSERT_TRUE(sub.validate(r).ok());
    Status s = sub.apply_v1(dir(), r);
    ASSERT_TRUE(s.ok()) << s.message;
    EXPECT_EQ(content("devices.deny"), "a *:* rwm\n");
    EXPECT_EQ(content("devices.allow"),
              "c 10:237 rw\nc *:* m\nb *:* m\nc 1:3 rwm\nc 1:8 rwm\nc 1:7 rwm\nc 5:0 rwm\nc 1:5 rwm\nc 1:9 rwm\n"
              "c 136:* rwm\nc 5:2 rwm\nc 10:200 rwm\n");
}

// update re-applies the container's rules: when devices.list already shows
// them nothing is written, so a running container never sees deny-all.
TEST_F(DevicesFakeCgroup, V1WritesNothingWhenTheListIsAlreadyThere) {
    offer("devices.allow", "");
    offer("devices.deny", "");
    offer("devices.list",
          "c 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\nc 5:2 rwm\nc 136:* rwm\n"
          "c 10:200 rwm\nc *:* m\nb *:* m\n");
    DevicesSubsystem sub;
    Status s = sub.apply_v1(dir(), resources(R"({"devices":[{"allow":false,"access":"rwm"}]})"));
    ASSERT_TRUE(s.ok()) << s.message;
    EXPECT_EQ(content("devices.deny"), "");
    EXPECT_EQ(content("devices.allow"), "");
    // A different list is written in full.
    s = sub.apply_v1(dir(), resources(R"({"devices":[{"allow":false,"access":"rwm"},{"allow":true,)"
                                      R"("type":"c","major":4,"minor":1,"access":"r"}]})"));
    ASSERT_TRUE(s.ok()) << s.message;
    EXPECT_EQ(content("devices.deny"), "a *:* rwm\n");
    EXPECT_EQ(content("devices.allow").rfind("c 4:1 r\n", 0), 0u) << content("devices.allow");
}

TEST_F(DevicesFakeCgroup, V1MissingFileIsAnErrorNamingIt) {
    offer("devices.list", "a *:* rwm\n");
    DevicesSubsystem sub;
    Status s = sub.apply_v1(dir(), resources(R"({"devices":[{"allow":false,"access":"rwm"}]})"));
    EXPECT_EQ(s.err, ENOENT);
    EXPECT_NE(s.message.find(root_ + "/devices.deny"), std::string::npos) << s.message;
    EXPECT_FALSE(std::filesystem::exists(root_ + "/devices.deny")) << "files are never created";
}

TEST(DevicesSubsystem, WantsOnlyAListOfRules) {
    DevicesSubsystem sub;
    EXPECT_FALSE(sub.wants(resources("{}")));
    EXPECT_FALSE(sub.wants(resources(R"({"devices":[]})")));
    EXPECT_TRUE(sub.wants(resources(R"({"devices":[{"allow":false,"access":"rwm"}]})")));
    EXPECT_EQ(host_error(R"({"devices":[{"allow":false,"access":"rwq"}]})"),
              "linux.resources.devices[0].access: \"rwq\": 'q' is not one of r, w, m");
}

// --- v2: the eBPF program ---

// Runs the subset of eBPF the generator emits; anything else fails the test.
int run_program(const std::vector<bpf_insn>& prog, uint32_t type, uint32_t access, uint32_t major, uint32_t minor) {
    const uint32_t ctx[3] = {(access << 16) | type, major, minor};
    uint64_t reg[11] = {};
    for (size_t pc = 0; pc < prog.size(); ++pc) {
        const bpf_insn& i = prog[pc];
        uint64_t& dst = reg[i.dst_reg];
        const uint32_t imm = static_cast<uint32_t>(i.imm);
        switch (i.code) {
            case BPF_LDX | BPF_MEM | BPF_W:
                if (i.src_reg != BPF_REG_1 || i.off < 0 || i.off > 8 || i.off % 4) return -1;
                dst = ctx[i.off / 4];
                break;
            case BPF_ALU | BPF_AND | BPF_K: dst = static_cast<uint32_t>(dst) & imm; break;
            case BPF_ALU | BPF_RSH | BPF_K: dst = static_cast<uint32_t>(dst) >> imm; break;
            case BPF_ALU | BPF_MOV | BPF_K: dst = imm; break;
            case BPF_ALU | BPF_MOV | BPF_X: dst = static_cast<uint32_t>(reg[i.src_reg]); break;
            case BPF_JMP32 | BPF_JNE | BPF_K:
                if (static_cast<uint32_t>(dst) != imm) pc += i.off;
                break;
            case BPF_JMP32 | BPF_JEQ | BPF_K:
                if (static_cast<uint32_t>(dst) == imm) pc += i.off;
                break;
            case BPF_JMP | BPF_EXIT: return static_cast<int>(reg[0]);
            default: ADD_FAILURE() << "unexpected opcode " << int(i.code) << " at " << pc; return -1;
        }
    }
    ADD_FAILURE() << "ran off the end";
    return -1;
}

constexpr uint32_t C = BPF_DEVCG_DEV_CHAR, B = BPF_DEVCG_DEV_BLOCK;
constexpr uint32_t R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE, M = BPF_DEVCG_ACC_MKNOD;

TEST(DeviceProgram, Instructions) {
    // Prologue, then the one rule (deny c 1:3 w), then the allow fallback.
    const auto prog = device_program({{'c', 1, 3, kWrite, false}});
    std::vector<std::string> got;
    for (const bpf_insn& i : prog) {
        std::ostringstream s;
        s << std::hex << int(i.code) << " " << int(i.dst_reg) << " " << int(i.src_reg) << " " << std::dec << i.off
          << " " << i.imm;
        got.push_back(s.str());
    }
    EXPECT_EQ(got, (std::vector<std::string>{
                       "61 2 1 0 0", "54 2 0 0 65535", "61 3 1 0 0", "74 3 0 0 16", "61 4 1 4 0", "61 5 1 8 0",
                       "56 2 0 7 2",                // type != c: skip the rule
                       "56 4 0 6 1",                // major != 1
                       "56 5 0 5 3",                // minor != 3
                       "bc 1 3 0 0",                // r1 = access
                       "54 1 0 0 4",                // r1 &= w
                       "16 1 0 2 0",                // no w asked: skip
                       "b4 0 0 0 0", "95 0 0 0 0",  // deny
                       "b4 0 0 0 1", "95 0 0 0 0",  // nothing matched: allow
                   }));
}

TEST(DeviceProgram, Logic) {
    const auto standard = effective_rules({kDenyAll});
    auto with_lc = effective_rules(parse_ok(R"({"devices":[{"allow":false,"access":"rwm"},
        {"allow":true,"type":"c","major":10,"minor":237,"access":"rw"}]})"));
    struct Case {
        const char* what;
        const std::vector<DeviceRule>* rules;
        uint32_t type, access, major, minor;
        int want;
    };
    const auto partial = effective_rules(parse_ok(R"({"devices":[{"allow":false,"access":"rwm"},
        {"allow":true,"type":"c","major":4,"access":"rwm"},{"allow":false,"type":"c","major":4,"minor":1,"access":"w"},
        {"allow":true,"type":"b","minor":4294967295,"access":"r"}]})"));
    const auto allow_all = effective_rules(parse_ok(R"({"devices":[{"allow":true,"access":"rwm"},
        {"allow":false,"type":"b","access":"w"}]})"));
    const Case cases[] = {
        {"loop-control read", &standard, C, R, 10, 237, 0},
        {"loop-control mknod", &standard, C, M, 10, 237, 1},
        {"disk mknod", &standard, B, M, 8, 0, 1},
        {"disk read", &standard, B, R, 8, 0, 0},
        {"/dev/null rw", &standard, C, R | W, 1, 3, 1},
        {"/dev/zero r", &standard, C, R, 1, 5, 1},
        {"/dev/urandom", &standard, C, R, 1, 9, 1},
        {"/dev/pts/7", &standard, C, R | W, 136, 7, 1},
        {"/dev/ptmx", &standard, C, R | W, 5, 2, 1},
        {"/dev/console 5:1", &standard, C, R | W, 5, 1, 0},
        {"/dev/tun", &standard, C, R | W, 10, 200, 1},
        {"mem 1:1", &standard, C, R, 1, 1, 0},
        {"allowed loop-control rw", &with_lc, C, R | W, 10, 237, 1},
        {"allowed loop-control r", &with_lc, C, R, 10, 237, 1},
        {"block 10:237 is not char", &with_lc, B, R, 10, 237, 0},
        {"c 4:2 rw", &partial, C, R | W, 4, 2, 1},
        {"c 4:1 r", &partial, C, R, 4, 1, 1},
        {"c 4:1 rw: w denied later", &partial, C, R | W, 4, 1, 0},
        {"b x:4294967295 r", &partial, B, R, 3, 4294967295u, 1},
        {"b x:4294967295 rw", &partial, B, R | W, 3, 4294967295u, 0},
        {"allow-all: char", &allow_all, C, R | W, 99, 1, 1},
        {"allow-all: block read", &allow_all, B, R, 8, 0, 1},
        {"allow-all: block write", &allow_all, B, W, 8, 0, 0},
    };
    for (const Case& c : cases)
        EXPECT_EQ(run_program(device_program(*c.rules), c.type, c.access, c.major, c.minor), c.want) << c.what;
    // Nothing before the deny-all is reachable: it ends the program.
    EXPECT_EQ(device_program(standard).size(), device_program(effective_rules({kDenyAll, kDenyAll})).size());
}

// The kernel's verifier accepts every shape of program the generator makes.
TEST(DeviceProgram, KernelLoadsIt) {
    ASSERT_EQ(geteuid(), 0u) << "BPF_PROG_LOAD needs root";
    for (const char* json :
         {R"({"devices":[{"allow":false,"access":"rwm"}]})",
          R"({"devices":[{"allow":true,"access":"rw"},{"allow":false,"type":"b","major":4294967295,"access":"m"}]})"}) {
        int fd = -1;
        Status s = load_device_program(device_program(effective_rules(parse_ok(json))), &fd);
        ASSERT_TRUE(s.ok()) << s.message;
        EXPECT_GE(fd, 0);
        ::close(fd);
    }
    // An invalid program is refused with the verifier's words.
    int fd = -1;
    Status s = load_device_program({bpf_insn{BPF_JMP | BPF_EXIT, 0, 0, 0, 0}}, &fd);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message.find("verifier: "), std::string::npos) << s.message;
}

}  // namespace
