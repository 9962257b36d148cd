// The sealed in-memory copy of the exec stub (exec_stub.c) that init execs.
#pragma once

#include "util/unique_fd.hpp"

namespace berth {

UniqueFd make_exec_stub_memfd();

}  // namespace berth
