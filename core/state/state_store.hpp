// Containers' state under --root: a directory per container holding
// state.json (written atomically) and, until start, exec.fifo. Every call on
// one id holds an exclusive flock on that directory, so concurrent calls are
// serialized.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "util/unique_fd.hpp"

namespace berth {

struct ContainerState {
    std::string id;
    pid_t pid = 0;  // 0 while create has not cloned init yet
    // Until create's final save: init may be alive without being ready, so
    // its liveness alone does not mean "created".
    bool creating = false;
    // init is pid 1 of a pid namespace of its own: once it is dead, so is
    // every process of the container (delete then kills nothing by cgroup).
    bool own_pid_ns = false;
    uint64_t start_time = 0;
    std::string bundle;
    std::string rootfs;
    std::string created;  // RFC 3339 with nanoseconds, UTC
    std::string owner;
    std::map<std::string, std::string> annotations;
    nlohmann::json cgroup = nlohmann::json::object();          // CgroupPaths, for delete
    nlohmann::json start_container = nlohmann::json::array();  // hooks start runs in the container
    nlohmann::json poststart = nlohmann::json::array();        // hooks to run after start
    nlohmann::json poststop = nlohmann::json::array();         // hooks to run on delete
    // linux.resources as now applied (create's, then each update's merge),
    // and the plugins active at create: update uses exactly those.
    nlohmann::json resources = nlohmann::json::object();
    std::vector<std::string> plugins;
    // linux.netDevices moved into the container, to move back at delete,
    // and the network namespace's path when it was joined by path ("" when
    // it is init's own).
    std::vector<std::pair<std::string, std::string>> net_devices;  // host name, container name
    std::string net_ns_path;
    // A container without a mount namespace of its own: the mount id of the
    // bind of the rootfs onto itself that create made in the host's
    // namespace, under which every mount of the container is (delete
    // detaches it). 0 otherwise.
    uint64_t host_rootfs_mount = 0;
};

// OCI status values, plus "creating" for a create that did not finish;
// "paused" is read from the cgroup's freezer.
std::string status_of(const ContainerState& st, const std::string& dir);

// Whether pid still runs berth's exec stub (created, waiting for start),
// rather than the user's program. From /proc/PID/exe: the stub runs from the
// "berth-init" memfd. A process that is gone is not the stub.
bool runs_exec_stub(pid_t pid);

// The `state` verb's JSON.
nlohmann::json oci_state_json(const ContainerState& st, const std::string& status);

void validate_container_id(const std::string& id);

// state.json's text as written by save(); throws berth::Error naming the field.
// The cgroup and hook members are checked as CgroupPaths::from_json and
// hooks_from_json will read them.
ContainerState parse_state(const std::string& json_text);

class LockedContainer {
public:
    const std::string& dir() const { return dir_; }
    std::string path(const char* name) const { return dir_ + "/" + name; }
    ContainerState load() const;
    void save(const ContainerState& st) const;
    // Removes the state directory; the lock goes with it.
    void remove();

private:
    friend class StateStore;
    LockedContainer(std::string dir, UniqueFd fd) : dir_(std::move(dir)), fd_(std::move(fd)) {}
    std::string dir_;
    UniqueFd fd_;
};

class StateStore {
public:
    explicit StateStore(std::string root) : root_(std::move(root)) {}
    const std::string& root() const { return root_; }

    // Makes the container's directory, already locked when it appears
    // under its name; an existing id is an error.
    LockedContainer create(const std::string& id) const;
    // Removes what a create that crashed before its directory got its name
    // left (see create()); directories of a live create are kept.
    void remove_abandoned(const std::string& id) const;
    // Locks an existing container; nullopt when it does not exist. Readers
    // (state, list, ps) take the lock shared.
    std::optional<LockedContainer> open(const std::string& id, bool shared = false) const;
    // Like open(), but "container does not exist" is an error.
    LockedContainer open_existing(const std::string& id, bool shared = false) const;
    std::vector<std::string> list() const;

private:
    std::vector<std::string> entries() const;
    std::string root_;
};

std::string now_rfc3339();

}  // namespace berth
