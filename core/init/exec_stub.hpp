// The sealed in-memory copy of the exec stub (exec_stub.c) that init execs.
#pragma once

#include <string>
#include <vector>

#include "util/unique_fd.hpp"

namespace berth {

UniqueFd make_exec_stub_memfd();

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
