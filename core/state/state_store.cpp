#include "state/state_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "cgroups/cgroup_manager.hpp"
#include "errors/error.hpp"
#include "hooks/hooks.hpp"
#include "state/process_identity.hpp"
#include "util/fault_point.hpp"
#include "util/files.hpp"
#include "util/json_depth.hpp"

namespace berth {

using json = nlohmann::json;

void validate_container_id(const std::string& id) {
    if (id.empty()) throw Error("container id must not be empty");
    if (id == "." || id == ".." || id.size() > 1024) throw Error("invalid container id \"" + id + "\"");
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '+'))
            throw Error("invalid container id \"" + id + "\": only letters, digits, '_', '-', '.' and '+' are allowed");
}

std::string now_rfc3339() {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    // Not strftime: glibc's reads and parses /etc/localtime (tzset) even
    // for these fields, seven system calls on every create.
    char buf[128];
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
    return buf;
}

bool runs_exec_stub(pid_t pid) {
    char target[256];
    ssize_t n = ::readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), target, sizeof target - 1);
    if (n < 0) return false;
    target[n] = '\0';
    return std::strncmp(target, "/memfd:berth-init", 17) == 0;
}

std::string status_of(const ContainerState& st, const std::string& dir) {
    if (st.pid <= 0 || st.creating) return "creating";
    switch (check_liveness(st.pid, st.start_time)) {
        case Liveness::Gone:
        case Liveness::Zombie: return "stopped";
        case Liveness::Alive: break;
    }
    // From the freezer itself, so that it cannot go stale (runc checks it first too).
    if (CgroupManager::frozen(CgroupPaths::from_json(st.cgroup))) return "paused";
    // Until start consumes it, the fifo is there and init waits on it. A
    // start that was killed after opening the fifo has let the stub go on to
    // the user's program without removing it: the fifo alone is not enough.
    if (::access((dir + "/exec.fifo").c_str(), F_OK) == 0 && runs_exec_stub(st.pid)) return "created";
    return "running";
}

json oci_state_json(const ContainerState& st, const std::string& status) {
    json j = {{"ociVersion", BERTH_OCI_VERSION},
              {"id", st.id},
              {"status", status},
              {"pid", status == "stopped" ? 0 : st.pid},
              {"bundle", st.bundle},
              {"rootfs", st.rootfs},
              {"created", st.created},
              {"owner", st.owner}};
    if (!st.annotations.empty()) j["annotations"] = st.annotations;
    return j;
}

static json to_json(const ContainerState& st) {
    return {{"id", st.id},
            {"pid", st.pid},
            {"start_time", st.start_time},
            {"creating", st.creating},
            {"own_pid_ns", st.own_pid_ns},
            {"bundle", st.bundle},
            {"rootfs", st.rootfs},
            {"created", st.created},
            {"owner", st.owner},
            {"annotations", st.annotations},
            {"cgroup", st.cgroup},
            {"startContainer", st.start_container},
            {"poststart", st.poststart},
            {"poststop", st.poststop},
            {"resources", st.resources},
            {"plugins", st.plugins},
            {"netDevices", st.net_devices},
            {"netNsPath", st.net_ns_path},
            {"host_rootfs_mount", st.host_rootfs_mount}};
}

namespace {

[[noreturn]] void corrupt(const std::string& field, const std::string& msg) { throw Error(field + ": " + msg); }

const json* member(const json& j, const char* key, bool required) {
    auto it = j.find(key);
    if (it == j.end()) {
        if (required) corrupt(key, "is required");
        return nullptr;
    }
    return &*it;
}

std::string string_member(const json& j, const char* key, bool required) {
    const json* v = member(j, key, required);
    if (!v) return "";
    if (!v->is_string()) corrupt(key, "must be a string");
    return v->get<std::string>();
}

uint64_t unsigned_member(const json& j, const char* key, uint64_t max) {
    const json* v = member(j, key, true);
    // A float would be converted with undefined behaviour when out of range.
    if (!v->is_number_integer() || (!v->is_number_unsigned() && v->get<int64_t>() < 0))
        corrupt(key, "must be a non-negative integer");
    uint64_t x = v->get<uint64_t>();
    if (x > max) corrupt(key, "is out of range");
    return x;
}

}  // namespace

ContainerState parse_state(const std::string& text) {
    if (json_too_deep(text)) throw Error("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {  // parse_error, and out_of_range for 1e999
        throw Error(std::string("invalid JSON: ") + e.what());
    }
    if (!j.is_object()) throw Error("must be a JSON object");
    ContainerState st;
    st.id = string_member(j, "id", true);
    st.pid = static_cast<pid_t>(unsigned_member(j, "pid", std::numeric_limits<pid_t>::max()));
    st.start_time = unsigned_member(j, "start_time", std::numeric_limits<uint64_t>::max());
    st.bundle = string_member(j, "bundle", true);
    st.rootfs = string_member(j, "rootfs", true);
    st.created = string_member(j, "created", true);
    st.owner = string_member(j, "owner", false);
    if (const json* c = member(j, "creating", false)) {
        if (!c->is_boolean()) corrupt("creating", "must be a boolean");
        st.creating = c->get<bool>();
    }
    if (member(j, "host_rootfs_mount", false))
        st.host_rootfs_mount = unsigned_member(j, "host_rootfs_mount", std::numeric_limits<uint64_t>::max());
    if (const json* o = member(j, "own_pid_ns", false)) {
        if (!o->is_boolean()) corrupt("own_pid_ns", "must be a boolean");
        st.own_pid_ns = o->get<bool>();
    }
    if (const json* a = member(j, "annotations", false)) {
        if (!a->is_object()) corrupt("annotations", "must be an object");
        for (auto& [k, v] : a->items()) {
            if (!v.is_string()) corrupt("annotations." + k, "must be a string");
            st.annotations[k] = v.get<std::string>();
        }
    }
    if (const json* c = member(j, "cgroup", false)) {
        if (!c->is_object()) corrupt("cgroup", "must be an object");
        st.cgroup = *c;
    }
    if (const json* h = member(j, "startContainer", false)) {
        if (!h->is_array()) corrupt("startContainer", "must be an array");
        st.start_container = *h;
    }
    if (const json* h = member(j, "poststart", false)) {
        if (!h->is_array()) corrupt("poststart", "must be an array");
        st.poststart = *h;
    }
    if (const json* h = member(j, "poststop", false)) {
        if (!h->is_array()) corrupt("poststop", "must be an array");
        st.poststop = *h;
    }
    if (const json* r = member(j, "resources", false)) {
        if (!r->is_object()) corrupt("resources", "must be an object");
        st.resources = *r;
    }
    if (const json* ps = member(j, "plugins", false)) {
        if (!ps->is_array()) corrupt("plugins", "must be an array");
        for (auto& v : *ps) {
            if (!v.is_string()) corrupt("plugins", "must be an array of strings");
            st.plugins.push_back(v.get<std::string>());
        }
    }
    if (const json* nd = member(j, "netDevices", false)) {
        if (!nd->is_array()) corrupt("netDevices", "must be an array");
        for (auto& d : *nd) {
            if (!d.is_array() || d.size() != 2 || !d[0].is_string() || !d[1].is_string())
                corrupt("netDevices", "must be an array of [host name, name] pairs");
            st.net_devices.emplace_back(d[0].get<std::string>(), d[1].get<std::string>());
        }
    }
    st.net_ns_path = string_member(j, "netNsPath", false);
    // What delete and start will read from these: refuse them now, so that
    // `delete --force` still removes a container whose state is corrupt.
    CgroupPaths::from_json(st.cgroup);
    hooks_from_json(st.start_container, "startContainer");
    hooks_from_json(st.poststart, "poststart");
    hooks_from_json(st.poststop, "poststop");
    return st;
}

ContainerState LockedContainer::load() const {
    const std::string p = path("state.json");
    std::string text = read_file(p);
    try {
        return parse_state(text);
    } catch (const Error& e) {
        throw Error(p + ": corrupt state: " + e.what());
    }
}

// One page: a single write of it into the page cache is all or nothing,
// even when the writer is killed (the kernel checks for a fatal signal
// between pages only).
static constexpr size_t kInPlaceMax = 4096;

// Rewrites a state.json of at most one page in place, padded with spaces
// (JSON allows them after the value) to its old length, so that the file
// keeps its inode and its block. Why not a new file and a rename each time:
// create saves four times, and on ext4 each replaced file is a new inode to
// find (without a journal, ext4 skips over every inode freed in the last
// minute) and a freed block (a discard the caller waits for, with the
// `discard` mount option): 0.13-0.3 ms a save here, blocked, against 0.02.
// Readers hold the directory's lock, as the writer does, so only a crash of
// the writer could see a half-written file, and one page cannot be half
// written. false: no state.json yet, or not small enough (the caller
// replaces it).
static bool rewrite_in_place(const std::string& path, std::string text) {
    if (text.size() > kInPlaceMax) return false;
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return false;
        throw_errno("open", path);
    }
    struct stat sb;
    if (::fstat(fd.get(), &sb) < 0) throw_errno("stat", path);
    if (!S_ISREG(sb.st_mode) || sb.st_size > static_cast<off_t>(kInPlaceMax)) return false;
    if (text.size() < static_cast<size_t>(sb.st_size)) text.resize(static_cast<size_t>(sb.st_size), ' ');
    ssize_t n;
    do {
        n = ::pwrite(fd.get(), text.data(), text.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("write", path);
    if (static_cast<size_t>(n) != text.size()) throw Error(path + ": short write", EIO);
    return true;
}

// No fsync (runc and crun do none either): a replace (or a one-page write
// in place) is atomic for readers and for `delete --force` after a crash of
// berth, and after a power loss every container is gone, whatever
// state.json says. On ext4 under load one fsync cost 1 to 50 ms.
void LockedContainer::save(const ContainerState& st) const {
    const std::string file = path("state.json");
    std::string text = to_json(st).dump();
    if (!rewrite_in_place(file, text)) write_file_replace(file, text);
}

void LockedContainer::remove() {
    remove_tree(dir_);
    fd_.reset();
}

static UniqueFd lock_dir(const std::string& dir, bool shared = false) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return fd;
    if (::flock(fd.get(), shared ? LOCK_SH : LOCK_EX) < 0) throw_errno("lock", dir);
    return fd;
}

// Prefix of a directory that create has made but not yet named <id>. ':' is
// not allowed in ids, so it never collides with a container.
static const char kCreatingPrefix[] = "creating:";

// Why a temporary name: `open` locks an existing directory and `delete
// --force` removes one that has no state.json. Were the directory made
// under its final name, a delete --force could lock and remove it between
// create's mkdir and its flock, and create would go on in a directory that
// no longer exists (or that a second create has made again). Made under a
// private name, locked, then renamed into place (RENAME_NOREPLACE is the
// duplicate-id check), it is locked from the first moment anyone can find
// it. A separate lock file would avoid the rename but could itself never be
// removed safely, so every id would leave one behind.
// A create killed before the rename leaves "creating:<pid>:<id>";
// remove_abandoned() clears it once that pid is gone.
LockedContainer StateStore::create(const std::string& id) const {
    validate_container_id(id);
    // containerd's shim passes --root /run/containerd/runc/<namespace>,
    // whose parent may not exist yet: runc makes the whole path (0700).
    make_dirs(root_.substr(0, root_.find_last_of('/')), 0700);
    if (::mkdir(root_.c_str(), 0711) < 0 && errno != EEXIST) throw_errno("mkdir", root_);
    const std::string dir = root_ + "/" + id;
    if (::access(dir.c_str(), F_OK) == 0) throw Error("container with id exists: " + id, EEXIST);
    const std::string tmp = root_ + "/" + kCreatingPrefix + std::to_string(::getpid()) + ":" + id;
    if (::mkdir(tmp.c_str(), 0711) < 0) throw_errno("mkdir", tmp);
    fault_point("create.state-dir-made");
    UniqueFd fd = lock_dir(tmp);
    if (!fd) {
        int err = errno;
        ::rmdir(tmp.c_str());
        throw_sys(err, "open", tmp);
    }
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_NOREPLACE) < 0) {
        int err = errno;
        ::rmdir(tmp.c_str());
        if (err == EEXIST) throw Error("container with id exists: " + id, EEXIST);
        throw_sys(err, "rename " + tmp + " to", dir);
    }
    fault_point("create.state-dir-named");
    return LockedContainer(dir, std::move(fd));
}

void StateStore::remove_abandoned(const std::string& id) const {
    validate_container_id(id);
    const std::string suffix = ":" + id;
    for (const auto& name : entries()) {
        if (name.rfind(kCreatingPrefix, 0) != 0 || name.size() <= suffix.size() ||
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        const std::string pid_text =
            name.substr(sizeof kCreatingPrefix - 1, name.size() - suffix.size() - (sizeof kCreatingPrefix - 1));
        if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string dir = root_ + "/" + name;
        UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd || ::flock(fd.get(), LOCK_EX | LOCK_NB) < 0) continue;  // its create holds it
        // Unlocked with its create alive: that create is between mkdir and
        // flock. (A pid reused since only makes us keep the directory.)
        pid_t pid = static_cast<pid_t>(std::stol(pid_text));
        if (::kill(pid, 0) == 0 || errno == EPERM) continue;
        remove_tree(dir);
    }
}

std::optional<LockedContainer> StateStore::open(const std::string& id, bool shared) const {
    validate_container_id(id);
    const std::string dir = root_ + "/" + id;
    UniqueFd fd = lock_dir(dir, shared);
    if (!fd) {
        if (errno == ENOENT) return std::nullopt;
        throw_errno("open", dir);
    }
    // A delete that held the lock before us removed the directory.
    struct stat sb;
    if (::fstat(fd.get(), &sb) < 0) throw_errno("stat", dir);
    if (sb.st_nlink == 0) return std::nullopt;
    return LockedContainer(dir, std::move(fd));
}

LockedContainer StateStore::open_existing(const std::string& id, bool shared) const {
    auto c = open(id, shared);
    if (!c) throw Error("container does not exist", ENOENT);
    return std::move(*c);
}

// Every name in the root directory, sorted.
std::vector<std::string> StateStore::entries() const {
    std::vector<std::string> names;
    DIR* d = ::opendir(root_.c_str());
    if (!d) {
        if (errno == ENOENT) return names;
        throw_errno("open", root_);
    }
    while (struct dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) names.push_back(name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<std::string> StateStore::list() const {
    std::vector<std::string> ids;
    // Directories of creates that have not named theirs yet are not containers.
    for (auto& name : entries())
        if (name.rfind(kCreatingPrefix, 0) != 0) ids.push_back(name);
    return ids;
}

}  // namespace berth
