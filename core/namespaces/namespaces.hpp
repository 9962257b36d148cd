// Joining a namespace named by path in the spec.
#pragma once

#include "spec/spec.hpp"

namespace berth {

// setns into ns.path; the error names the namespace type and path.
void join_namespace(const spec::Namespace& ns);

// Checks, before anything is made, that every linux.namespaces[N].path
// opens and is a namespace file of that type; errors name the field.
void validate_namespace_paths(const spec::Spec& s);

// Joins every namespace given by path except pid and time (joined by the
// parent, for children). All are opened before the first setns, as runc's
// nsexec does: once a mount namespace is joined, later paths would resolve
// in it.
void join_namespaces_by_path(const spec::Spec& s);

}  // namespace berth
