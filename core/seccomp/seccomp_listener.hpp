// linux.seccomp.listenerPath: the seccomp notify fd goes to a unix socket on
// the host, with the runtime-spec's ContainerProcessState (runtime.md). Init
// or the exec helper hands the fd to the verb over its channel right after
// loading the filter (load_seccomp); the verb, outside the container and its
// mount namespace, connects to the path and sends one message.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>

namespace berth {

// The ContainerProcessState for the process `pid` (host pid) whose filter
// produced the fd: `state` is the container's OCI state (ociVersion, id,
// status, pid, bundle, annotations are kept; anything else is dropped),
// `metadata` linux.seccomp.listenerMetadata (left out when empty).
nlohmann::json container_process_state(pid_t pid, const std::string& metadata, const nlohmann::json& state);

// Connects to `listener_path` (SOCK_STREAM) and sends `process_state` as JSON
// with `notify_fd` as SCM_RIGHTS, in one message. Errors name
// linux.seccomp.listenerPath.
void send_to_seccomp_listener(const std::string& listener_path, const nlohmann::json& process_state, int notify_fd);

}  // namespace berth
