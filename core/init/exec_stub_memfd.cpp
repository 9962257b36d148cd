#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>

#include "errors/error.hpp"
#include "init/exec_stub.hpp"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

namespace berth {

extern const unsigned char exec_stub_image[];
extern const std::size_t exec_stub_image_size;

UniqueFd make_exec_stub_memfd() {
    // MFD_EXEC (Linux 6.3+) keeps the memfd executable where vm.memfd_noexec
    // would make it noexec; older kernels reject the flag.
    int fd = ::memfd_create("berth-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (fd < 0 && errno == EINVAL) fd = ::memfd_create("berth-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) throw_errno("memfd_create", "berth-init");
    UniqueFd mem(fd);
    const unsigned char* p = exec_stub_image;
    size_t left = exec_stub_image_size;
    while (left > 0) {
        ssize_t n = ::write(mem.get(), p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write", "memfd:berth-init");
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    // Execute-only: a process that execs a binary it cannot read stays
    // non-dumpable through the exec (drop_read_override_for_exec).
    if (::fchmod(mem.get(), 0111) < 0) throw_errno("chmod", "memfd:berth-init");
    if (::fcntl(mem.get(), F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
        throw_errno("seal", "memfd:berth-init");
    return mem;
}

std::vector<std::string> stub_argv(int fifo, const StubLsmAttr& lsm, const std::string& exe,
                                   const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"berth"};
    if (fifo >= 0) {
        argv.emplace_back("init");
        argv.push_back(std::to_string(fifo));
    } else {
        argv.emplace_back("exec");
    }
    argv.push_back(std::to_string(lsm.proc_fd));
    argv.push_back(lsm.attr);
    argv.push_back(lsm.value);
    argv.push_back(exe);
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

}  // namespace berth
