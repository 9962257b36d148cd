// Joining a namespace named by path in the spec.
#pragma once

#include "spec/spec.hpp"

namespace berth {

// setns into ns.path; the error names the namespace type and path.
void join_namespace(const spec::Namespace& ns);

}  // namespace berth
