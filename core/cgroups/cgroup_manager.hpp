// The CgroupManager owns a container's cgroup: it finds the host's layout,
// creates the directories, enables controllers on the ancestors (v2), applies
// the resources through the subsystem plugins, places init, and on delete
// kills what is left and removes the directories.
#pragma once

#include <sys/types.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "berth/cgroup_subsystem.hpp"

namespace berth {

enum class CgroupMode { Unified, Hybrid, Legacy };

std::string to_string(CgroupMode m);

// Where a container's cgroup lives, for every hierarchy it joins.
struct CgroupPaths {
    CgroupMode mode = CgroupMode::Unified;
    std::string unified;                    // v2 directory ("" when none)
    std::map<std::string, std::string> v1;  // controller or "name=<name>" → directory
    std::vector<std::string> created;       // directories we made, deepest last
    std::vector<std::string> prune;         // shared parents to remove once empty
    // Saved before the first mkdir, so that delete --force after a crash
    // knows every directory create() may have made, intermediate ones of a
    // nested cgroupsPath included (`created` is only known afterwards):
    std::vector<std::string> planned;   // missing at plan time: create() may make them
    std::vector<std::string> existing;  // there before us: never removed
    // --systemd-cgroup: the v2 directory is this transient unit's (e.g.
    // "berth-c1.scope"); systemd makes and removes it, destroy stops the unit.
    std::string systemd_unit;
    // The scope directory's inode (its cgroup id, never reused) when the unit
    // was ours: a scope is removed with its last process, and a later
    // container may get one of the same name, which destroy leaves alone.
    uint64_t systemd_cgroup_id = 0;

    nlohmann::json to_json() const;
    static CgroupPaths from_json(const nlohmann::json& j);
    // A directory whose cgroup.procs lists every process of the container.
    std::string procs_dir() const;
};

// The host's cgroup mounts, read from a mountinfo text.
struct CgroupLayout {
    CgroupMode mode = CgroupMode::Unified;
    std::string unified_mount;                     // "" when none
    std::map<std::string, std::string> v1_mounts;  // controller or "name=<name>" → mount point
    // The caller's own cgroup per hierarchy, for relative cgroupsPath:
    std::string own_unified;
    std::map<std::string, std::string> own_v1;
};

CgroupLayout parse_cgroup_layout(const std::string& mountinfo, const std::string& proc_self_cgroup);

// `exec --cgroup` (runc 1.1): the container's cgroup with each hierarchy's
// directory moved to a sub-cgroup of it, from [CONTROLLER[,CONTROLLER]:]PATH
// specs. A PATH alone (given once, alone) applies to every hierarchy (v2's
// one, or every v1 one and a hybrid host's cgroup2); CONTROLLER:PATH to the
// v1 hierarchies named (co-mounted ones move together), and is refused on
// a v2 host. PATH is relative to the container's cgroup ("/" first is
// dropped) and may not contain "..". Pure: whether the directories exist is
// the caller's to check. Throws naming --cgroup.
CgroupPaths with_sub_cgroups(const CgroupPaths& paths, const std::vector<std::string>& specs);
CgroupLayout detect_cgroup_layout();

class CgroupManager {
public:
    CgroupManager(CgroupLayout layout, std::vector<CgroupSubsystem*> subsystems)
        : layout_(std::move(layout)), subsystems_(std::move(subsystems)) {}

    const CgroupLayout& layout() const { return layout_; }

    // Checks that every resource set is wanted by a loaded subsystem whose
    // controller the host has, and that the subsystems accept the values.
    // Touches nothing.
    void validate(const Resources& r) const;

    // The directories for a spec's cgroupsPath in every hierarchy the host
    // has mounted, and which of them exist already (read-only: it only looks).
    // Without a cgroupsPath a container gets `default_parent`/<id> from each
    // hierarchy's root: /<id> by default, one level as runc and crun make
    // (a parent of berth's own would be made and removed with every lone
    // container, 20 more directories on a v1 host); a rootless caller's is
    // beside its own cgroup, and removed with its last container.
    CgroupPaths plan(const std::string& cgroups_path, const std::string& id,
                     const std::string& default_parent = "") const;

    // Throws when a leaf that exists already holds processes (two containers
    // given one cgroupsPath), and, for the default cgroup (`default_path`: no
    // cgroupsPath), when a leaf exists at all. Only looks: create calls it
    // with the checks.
    static void refuse_shared(const CgroupPaths& paths, bool default_path = false);

    // Creates the directories and applies the resources. On error what was
    // created is removed again.
    void create(CgroupPaths& paths, const Resources& r) const;

    // in_unified: the process is in the v2 directory already (clone3 with
    // CLONE_INTO_CGROUP put it there), only the v1 hierarchies are left.
    // in_v1: it joined those itself (join_self).
    void join(const CgroupPaths& paths, pid_t pid, bool in_unified = false, bool in_v1 = false) const;

    // A process joining the v1 hierarchies itself: writing 0 to each
    // `tasks` file moves only the calling thread (the process, for a
    // single-threaded one) and skips the kernel's cgroup_threadgroup_rwsem.
    // Writing another process's pid to cgroup.procs (join) takes that lock
    // for writing, which waits for an RCU grace period when none is under
    // way: 4-14 ms per create or exec measured here. The files are those of
    // `paths`, or none where the caller, not root, could not write them (the
    // caller then joins as before); join_self runs in the child.
    static std::vector<std::string> self_join_files(const CgroupPaths& paths);
    static void join_self(const std::vector<std::string>& tasks_files);

    // Kills every process left in the cgroup and removes the directories we
    // created or planned to create, never one that existed before. Missing
    // directories are fine. kill_members false: the caller knows the
    // container's processes are gone (its own pid namespace, init dead), so
    // whatever the cgroup still holds belongs to another container given the
    // same cgroupsPath later: it is left alone, and so is the directory.
    static void destroy(const CgroupPaths& paths, bool kill_members = true);

    static std::vector<pid_t> pids(const CgroupPaths& paths);

    // Writes new resources into an existing cgroup (`update`) through the
    // same apply_v1/apply_v2 as create, enabling on the ancestors (v2) the
    // controllers that are wanted now and were not at create. Validate first.
    void update(const CgroupPaths& paths, const Resources& r) const;

    // pause/resume. The freezer belongs to the manager, not to a plugin: it
    // takes nothing from linux.resources; every container must be in a
    // freezer cgroup from create on, whatever plugins are active; and
    // state, kill and delete must see "paused" and thaw without loading any
    // plugin. v1: freezer.state in the freezer hierarchy; v2: cgroup.freeze.
    // Both wait until the kernel reports the new state.
    static void freeze(const CgroupPaths& paths);
    static void thaw(const CgroupPaths& paths);
    // From the freezer file: true while frozen or freezing (by us, not by an
    // ancestor). False when the container has no freezer cgroup.
    static bool frozen(const CgroupPaths& paths);

    // `events`: every subsystem's counters (CgroupSubsystem::stats), each
    // read from the container's directory for its controller; and on v1 the
    // cpuacct hierarchy's usage, which the manager reads itself: like the
    // freezer it takes nothing from linux.resources, so no plugin owns it.
    // A controller the container has no directory for is skipped.
    std::map<std::string, uint64_t> stats(const CgroupPaths& paths) const;

private:
    std::vector<CgroupSubsystem*> wanted(const Resources& r) const;
    void validate_unified(const nlohmann::json& resources) const;
    CgroupLayout layout_;
    std::vector<CgroupSubsystem*> subsystems_;
};

}  // namespace berth
