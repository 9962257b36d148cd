// The interface of a checkpoint plugin (ABI 1.3): it saves a running
// container's processes to an image directory and brings them back.
//
// The host decides everything that is about the container (which mounts are
// external and where their sources are, which cgroups the restored processes
// go to, what the hooks and the console are) and puts it in the request; the
// engine only drives its checkpoint tool (CRIU for plugins/checkpoint-criu)
// and calls back into the host at the tool's notification points, while the
// tool waits, so that the host acts at the right moment (hooks between the
// namespaces' creation and the processes' return, the console's master as
// soon as it exists). The host loads a checkpoint plugin only for the
// `checkpoint` and `restore` verbs.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "berth/status.hpp"

namespace berth {

// What to do with the container's cgroups (runc's --manage-cgroups-mode).
// kDefault leaves the choice to the tool (CRIU: soft).
enum class CheckpointCgroupsMode : uint32_t { kDefault = 0, kSoft, kFull, kStrict, kIgnore };

// The user's choices, as the checkpoint and restore verbs take them.
struct CheckpointOptions {
    std::string image_dir;   // absolute; exists
    std::string work_dir;    // absolute, exists; "" → image_dir (logs go there)
    std::string parent_dir;  // dump: the previous (pre-)dump, relative to image_dir; "" → none
    bool leave_running = false;
    bool tcp_established = false;
    bool ext_unix_sk = false;
    bool shell_job = false;
    bool file_locks = false;
    bool pre_dump = false;  // dump: memory only, the container keeps running
    bool auto_dedup = false;
    CheckpointCgroupsMode cgroups_mode = CheckpointCgroupsMode::kDefault;
    uint32_t empty_ns = 0;            // CLONE_NEW* flags of namespaces made empty at restore
    std::string page_server_address;  // dump: send pages to ADDRESS:PORT
    int page_server_port = 0;
    bool debug = false;  // the tool's most verbose log
};

// A mount the tool must not save but find again: key is the mount point in
// the container; value is what stands for it (dump: the key again; restore:
// the host path to bind there).
struct ExternalMount {
    std::string key;
    std::string value;
};

struct DumpRequest {
    CheckpointOptions options;
    pid_t pid = 0;              // the container's init
    std::string root;           // the container's root directory on the host
    std::string freeze_cgroup;  // the cgroup directory that freezes the container ("" → ptrace)
    std::vector<ExternalMount> external_mounts;
    // Other external resources in the tool's own syntax (CRIU: --external
    // "net[INODE]:extRootNetNS" for a namespace the container joined by path).
    std::vector<std::string> external;
    bool has_terminal = false;  // the container's console master is outside: save the slave side alone
};

// A file descriptor the restored processes get in place of one that was
// outside the container at dump (a joined namespace, a pipe of the caller).
struct InheritedFd {
    std::string key;
    int fd = -1;  // open in the host process
};

struct RestoreRequest {
    CheckpointOptions options;
    std::string root;  // a mount point of the container's rootfs, its parent not over-mounted
    std::vector<ExternalMount> external_mounts;
    std::vector<InheritedFd> inherit_fds;
    // Namespaces joined by path: (type as in /proc/PID/ns, path).
    std::vector<std::pair<std::string, std::string>> join_namespaces;
    // The container's cgroup per hierarchy: (controller or "" for all, path
    // from the hierarchy's root).
    std::vector<std::pair<std::string, std::string>> cgroup_roots;
    bool has_terminal = false;  // a new console is made: its master comes through kConsoleMaster
};

// The tool's notification points, as the host sees them.
enum class CheckpointEvent : uint32_t {
    kToolStarted = 1,  // pid: the tool's process, before it is asked anything (restore: the
                       // host puts it into the container's cgroups, which the processes inherit)
    kNetworkLock,      // dump: before the processes are frozen
    kNetworkUnlock,    // restore: once the processes are back; dump with leave_running
    kPostDump,         // dump: the images are written
    kSetupNamespaces,  // restore: pid: the restored init, in its namespaces, before it runs
    kPostRestore,      // restore: pid: the restored init, about to run
    kConsoleMaster,    // restore: fd: the new console's master (owned by the engine, dup it)
    kPreResume,        // restore
    kPostResume,       // restore: the processes run
    kOther,            // any other notification, by name
};

struct CheckpointNotice {
    CheckpointEvent event;
    const char* name;  // the tool's own name for it ("setup-namespaces")
    pid_t pid = 0;
    int fd = -1;
};

// Implemented by the host. A failing Status aborts the dump or restore.
class CheckpointEvents {
public:
    virtual Status notify(const CheckpointNotice& notice) noexcept = 0;

protected:
    ~CheckpointEvents() = default;
};

class CheckpointEngine {
public:
    virtual ~CheckpointEngine() = default;

    // What the engine drives and whether it can run here: "criu 3.17.1",
    // or an error naming what is missing.
    virtual Status describe(std::string* out) const noexcept = 0;

    // Saves the processes of the container (the tree of req.pid). Unless
    // leave_running or pre_dump, they are gone when it returns Ok.
    virtual Status dump(const DumpRequest& req, CheckpointEvents& events) noexcept = 0;

    // Brings them back as children of the calling process (a container init
    // that the host waits for, as after create); *pid is the restored init.
    virtual Status restore(const RestoreRequest& req, CheckpointEvents& events, pid_t* pid) noexcept = 0;
};

}  // namespace berth
