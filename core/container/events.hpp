// `events`: a container's cgroup stats and OOM kills as runc 1.1 prints
// them, one JSON object per line.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "container/container.hpp"

namespace berth {

struct EventsOptions {
    std::string id;
    int64_t interval_ns = 5'000'000'000;  // --interval
    bool stats_only = false;              // --stats: one stats event, then exit
};

// A stopped container is an error ("container with id ID is not running",
// as runc). Otherwise writes {"type":"stats",...} every interval and
// {"type":"oom","id":ID} for each OOM kill in the container's memory cgroup,
// and returns 0 once the container's init is gone. The state lock is held
// only while reading state.json, never while streaming.
int container_events(const RuntimeContext& ctx, const EventsOptions& opts, std::ostream& out);

}  // namespace berth
