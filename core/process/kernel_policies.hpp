// The kernel's per-process policies a config may ask for: scheduling
// (process.scheduler), I/O priority (process.ioPriority), CPU affinity
// (process.execCPUAffinity), execution domain (linux.personality) and NUMA
// memory policy (linux.memoryPolicy). All survive execve, so init and the
// exec helper set them on themselves before the exec of the stub, and the
// program runs with them. Names and numbers are resolved when the config is
// parsed (spec.cpp); this applies them. Errors name the field.
#pragma once

#include <sched.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spec/spec.hpp"

namespace berth {

// "0-3,7" as the numbers it names; throws naming `field` when it is not
// such a list, or names a number above `max`.
std::vector<unsigned> parse_id_list(const std::string& text, const std::string& field, unsigned max);

// The CPU set of a list ("0-3,7"); throws naming `field`.
cpu_set_t cpu_set_of(const std::string& list, const std::string& field);

// The node mask of a list as set_mempolicy(2) takes it: one bit a node, in
// unsigned longs; throws naming `field`.
std::vector<unsigned long> node_mask_of(const std::string& list, const std::string& field);

// Each does nothing for a config that does not ask.
void apply_scheduler(const std::optional<spec::Scheduler>& s);
void apply_io_priority(const std::optional<spec::IoPriority>& p);
void apply_cpu_affinity(const std::string& list, const std::string& field);
void apply_personality(const std::optional<unsigned long>& domain);
void apply_memory_policy(const std::optional<spec::MemoryPolicy>& p);

}  // namespace berth
