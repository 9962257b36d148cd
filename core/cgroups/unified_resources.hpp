// linux.resources.unified: cgroup v2 file name -> value, written as is into
// the container's v2 directory. Pure parsing and key rules here; the
// CgroupManager checks that an active plugin owns each key's controller and
// writes the values after the plugins' structured ones (so they win, as in
// runc).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace berth {

// The map from a parsed `linux.resources` object ({} when absent or null).
// Throws naming the field: `linux.resources.unified: must be an object`,
// `linux.resources.unified["memory.high"]: must be a string`.
std::map<std::string, std::string> unified_entries(const nlohmann::json& resources);

// The controller a key belongs to: the part before the first '.'
// ("memory.high" -> "memory"). "cgroup" for the core files a container may
// set (cgroup.max.depth, cgroup.max.descendants), which need no plugin.
// Throws naming the key for a key that is not a plain CONTROLLER.FILE name
// ('/', a leading '.', no '.') or a core file the runtime owns
// (cgroup.procs, cgroup.subtree_control, cgroup.freeze, ...).
std::string unified_key_controller(const std::string& key);

// `linux.resources.unified["<key>"]`, the prefix of every error about a key.
std::string unified_field(const std::string& key);

}  // namespace berth
