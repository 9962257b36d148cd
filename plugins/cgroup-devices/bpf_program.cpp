#include "bpf_program.hpp"

#include <cstddef>

namespace berth::plugins::devices {
namespace {

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

bpf_insn load_ctx_word(uint8_t dst, int16_t offset) {
    return insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, offset, 0);
}
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) { return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm); }
bpf_insn mov32_reg(uint8_t dst, uint8_t src) { return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0); }
// The jump offset is patched once the rule's block length is known.
bpf_insn jmp32_imm(uint8_t op, uint8_t dst, uint32_t imm) {
    return insn(BPF_JMP32 | op | BPF_K, dst, 0, 0, static_cast<int32_t>(imm));
}
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

constexpr uint8_t kType = BPF_REG_2, kAccessReg = BPF_REG_3, kMajor = BPF_REG_4, kMinor = BPF_REG_5,
                  kScratch = BPF_REG_1;

// One rule: jumps past itself when the request does not match, else
// returns the rule's verdict.
std::vector<bpf_insn> rule_block(const DeviceRule& r) {
    std::vector<bpf_insn> b;
    std::vector<size_t> skips;
    auto skip_unless = [&](bpf_insn jump) {
        skips.push_back(b.size());
        b.push_back(jump);
    };
    if (r.type != 'a') skip_unless(jmp32_imm(BPF_JNE, kType, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    if (r.major != kWildcard) skip_unless(jmp32_imm(BPF_JNE, kMajor, static_cast<uint32_t>(r.major)));
    if (r.minor != kWildcard) skip_unless(jmp32_imm(BPF_JNE, kMinor, static_cast<uint32_t>(r.minor)));
    if (r.access != kAllAccess) {
        b.push_back(mov32_reg(kScratch, kAccessReg));
        if (r.allow) {
            // Some asked access outside the rule's: not this rule.
            b.push_back(alu32_imm(BPF_AND, kScratch, kAllAccess & ~r.access));
            skip_unless(jmp32_imm(BPF_JNE, kScratch, 0));
        } else {
            // None of the rule's access asked for: not this rule.
            b.push_back(alu32_imm(BPF_AND, kScratch, r.access));
            skip_unless(jmp32_imm(BPF_JEQ, kScratch, 0));
        }
    }
    b.push_back(alu32_imm(BPF_MOV, BPF_REG_0, r.allow ? 1 : 0));
    b.push_back(exit_insn());
    for (size_t at : skips) b[at].off = static_cast<int16_t>(b.size() - at - 1);
    return b;
}

}  // namespace

std::vector<bpf_insn> device_program(const std::vector<DeviceRule>& rules) {
    static_assert(offsetof(bpf_cgroup_dev_ctx, access_type) == 0 && offsetof(bpf_cgroup_dev_ctx, major) == 4 &&
                  offsetof(bpf_cgroup_dev_ctx, minor) == 8);
    std::vector<bpf_insn> prog = {
        load_ctx_word(kType, 0),      alu32_imm(BPF_AND, kType, 0xffff),
        load_ctx_word(kAccessReg, 0), alu32_imm(BPF_RSH, kAccessReg, 16),
        load_ctx_word(kMajor, 4),     load_ctx_word(kMinor, 8),
    };
    bool ends_with_catch_all = false;
    for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
        const auto block = rule_block(*it);
        prog.insert(prog.end(), block.begin(), block.end());
        if (it->matches_everything()) {
            ends_with_catch_all = true;
            break;
        }
    }
    if (!ends_with_catch_all) {
        prog.push_back(alu32_imm(BPF_MOV, BPF_REG_0, 1));
        prog.push_back(exit_insn());
    }
    return prog;
}

}  // namespace berth::plugins::devices
