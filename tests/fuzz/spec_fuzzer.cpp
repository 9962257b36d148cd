// config.json text -> parse_spec (parsing and validation). Any exception but
// berth::Error, any sanitizer report or a hang is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "errors/error.hpp"
#include "log/log.hpp"
#include "spec/spec.hpp"

// Unknown syscall names are warnings, which would go to stderr on every
// input that has one: to a log on /dev/null instead (ASan still reports on
// stderr).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    berth::setup_logging("/dev/null", false, false);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        berth::spec::Spec s = berth::spec::parse_spec(text);
        // What create reads next must be there once parsing succeeded.
        if (s.root_path.empty()) __builtin_trap();
        if (s.process && (s.process->args.empty() || s.process->args[0].empty())) __builtin_trap();
        for (const auto& m : s.mounts)
            if (m.destination.empty() || m.destination[0] != '/' || m.type.empty()) __builtin_trap();
    } catch (const berth::Error&) {
    }
    return 0;
}
