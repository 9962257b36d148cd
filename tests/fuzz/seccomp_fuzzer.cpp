// A linux.seccomp object -> parse_seccomp -> the libseccomp filter, built in
// memory and exported as BPF to /dev/null. Never loaded into this process.
#include <fcntl.h>
#include <seccomp.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "errors/error.hpp"
#include "log/log.hpp"
#include "seccomp/seccomp_filter.hpp"
#include "spec/spec.hpp"

// Unknown syscall names are warnings, which would go to stderr on every
// input that has one: to a log on /dev/null instead (ASan still reports on
// stderr).
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    berth::setup_logging("/dev/null", false, false);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        berth::spec::Seccomp s = berth::spec::parse_seccomp(text);
        berth::SeccompFilter filter = berth::build_seccomp_filter(s);
        // The BPF generator is what seccomp_load would run next.
        (void)seccomp_export_bpf(filter.get(), devnull);
    } catch (const berth::Error&) {
    }
    return 0;
}
