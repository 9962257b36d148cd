// The sealed in-memory copy of the exec stub (exec_stub.c) that init execs.
#pragma once

#include <string>
#include <vector>

#include "util/unique_fd.hpp"

namespace berth {

UniqueFd make_exec_stub_memfd();

// An LSM attribute the stub sets right before the program's execve: an
// O_PATH fd of the container's /proc (checked to be procfs), the process's
// own attribute file below it and what to write there (exec_stub.c).
struct StubLsmAttr {
    int proc_fd = -1;
    std::string attr;
    std::string value;
};

// The stub's argv (exec_stub.c): "berth init <fifo fd> ..." for a container's
// init (fifo >= 0), "berth exec ..." for every other process.
std::vector<std::string> stub_argv(int fifo, const StubLsmAttr& lsm, const std::string& exe,
                                   const std::vector<std::string>& args);

// A NULL-terminated char* array over strings it owns, for the stub's argv
// and envp: built before init or the exec helper reports "ready", so that
// nothing allocates (or can fail) between that and the exec.
class ExecArgs {
public:
    explicit ExecArgs(std::vector<std::string> strings) : strings_(std::move(strings)) {
        for (auto& s : strings_) ptrs_.push_back(s.data());
        ptrs_.push_back(nullptr);
    }
    ExecArgs(const ExecArgs&) = delete;
    ExecArgs& operator=(const ExecArgs&) = delete;
    char* const* get() { return ptrs_.data(); }

private:
    std::vector<std::string> strings_;
    std::vector<char*> ptrs_;
};

}  // namespace berth
