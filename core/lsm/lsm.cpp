#include "lsm/lsm.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "errors/error.hpp"
#include "util/files.hpp"
#include "util/unique_fd.hpp"

#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8c
#endif

namespace berth::lsm {
namespace {

bool exists(const char* path) { return ::access(path, F_OK) == 0; }

bool apparmor_profile_loaded(const std::string& profile) {
    // "name (enforce)" per line. A host whose list cannot be read is left
    // to the kernel: the exec then fails naming the profile.
    std::string list;
    try {
        list = read_file("/sys/kernel/security/apparmor/profiles");
    } catch (const Error&) {
        return true;
    }
    std::istringstream in(list);
    for (std::string line; std::getline(in, line);) {
        const size_t paren = line.rfind(" (");
        if (line.substr(0, paren) == profile) return true;
    }
    return false;
}

// The kernel's own check of a context (what libselinux's
// security_check_context does).
bool selinux_label_valid(const std::string& label) {
    UniqueFd fd(::open("/sys/fs/selinux/context", O_RDWR | O_CLOEXEC));
    if (!fd) return true;
    return ::write(fd.get(), label.c_str(), label.size() + 1) >= 0;
}

// The current root's /proc, which must be procfs.
UniqueFd open_proc_root(const std::string& what) {
    UniqueFd proc(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
    struct statfs sfs {};
    if (!proc || ::fstatfs(proc.get(), &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
        throw Error("/proc is not procfs: the LSM attribute " + what + " cannot be set", EPERM);
    return proc;
}

// The process's own attribute file below `proc`, with no mount on the way
// (a file mounted over it would take the write: CVE-2019-16884).
UniqueFd open_attr(int proc, const std::string& attr, int flags) {
    struct open_how how {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, proc, attr.c_str(), &how, sizeof how)));
    if (!fd) throw_errno("open", "/proc/" + attr);
    return fd;
}

// The stub's attribute: the process's own file for the module, which the
// stub opens again itself (exec_stub.c).
StubLsmAttr stub_attr(const char* field, const std::vector<std::string>& candidates, const std::string& value) {
    try {
        UniqueFd proc = open_proc_root(candidates.front());
        for (const std::string& name : candidates) {
            const std::string attr = "thread-self/attr/" + name;
            try {
                open_attr(proc.get(), attr, O_PATH);
            } catch (const Error& e) {
                if (e.err() == ENOENT && name != candidates.back()) continue;
                throw;
            }
            return StubLsmAttr{proc.release(), attr, value};
        }
    } catch (const Error& e) {
        throw Error(std::string(field) + ": " + e.what(), e.err());
    }
    return {};
}

}  // namespace

bool apparmor_enabled() {
    if (!exists("/sys/kernel/security/apparmor")) return false;
    try {
        return read_file("/sys/module/apparmor/parameters/enabled").rfind('Y', 0) == 0;
    } catch (const Error&) {
        return false;
    }
}

bool selinux_enabled() {
    struct statfs sfs {};
    return ::statfs("/sys/fs/selinux", &sfs) == 0 && sfs.f_type == SELINUX_MAGIC;
}

void check(const spec::Process& p, const std::string& mount_label) {
    if (!p.apparmor_profile.empty()) {
        if (!apparmor_enabled())
            throw Error("process.apparmorProfile: \"" + p.apparmor_profile + "\": AppArmor is not enabled on this host",
                        EINVAL);
        if (!apparmor_profile_loaded(p.apparmor_profile))
            throw Error("process.apparmorProfile: profile \"" + p.apparmor_profile + "\" is not loaded", ENOENT);
        if (!p.selinux_label.empty())
            throw Error("process.selinuxLabel: a process takes an AppArmor profile or an SELinux label, not both",
                        EINVAL);
    }
    for (const auto& [field, label] :
         {std::pair{"process.selinuxLabel", p.selinux_label}, std::pair{"linux.mountLabel", mount_label}}) {
        if (label.empty()) continue;
        if (!selinux_enabled())
            throw Error(std::string(field) + ": \"" + label + "\": SELinux is not enabled on this host", EINVAL);
        if (!selinux_label_valid(label))
            throw Error(std::string(field) + ": \"" + label + "\": not a valid SELinux context", EINVAL);
    }
}

StubLsmAttr exec_attribute(const spec::Process& p) {
    // apparmor/exec since Linux 5.8; attr/exec where AppArmor is the only
    // module that uses it.
    if (!p.apparmor_profile.empty())
        return stub_attr("process.apparmorProfile", {"apparmor/exec", "exec"}, apparmor_exec_value(p.apparmor_profile));
    if (!p.selinux_label.empty()) return stub_attr("process.selinuxLabel", {"exec"}, p.selinux_label);
    return {};
}

void set_keycreate_label(const std::string& label) {
    if (label.empty()) return;
    try {
        UniqueFd proc = open_proc_root("keycreate");
        UniqueFd fd = open_attr(proc.get(), "thread-self/attr/keycreate", O_WRONLY);
        if (::write(fd.get(), label.data(), label.size()) < 0) throw_errno("write", "/proc/thread-self/attr/keycreate");
    } catch (const Error& e) {
        throw Error("process.selinuxLabel: " + std::string(e.what()), e.err());
    }
}

std::string apparmor_exec_value(const std::string& profile) { return "exec " + profile; }

std::vector<std::string> with_mount_label(const std::string& type, const std::vector<std::string>& options,
                                          const std::string& label) {
    static const char* kOwnLabel[] = {"bind", "rbind", "proc", "sysfs", "cgroup", "cgroup2"};
    if (label.empty() || std::find(std::begin(kOwnLabel), std::end(kOwnLabel), type) != std::end(kOwnLabel))
        return options;
    for (const std::string& o : options)
        if (o == "bind" || o == "rbind" || o.rfind("context=", 0) == 0) return options;
    std::vector<std::string> out = options;
    // Quoted: a context holds commas ("s0:c1,c2"); split_mount_data keeps them.
    out.push_back("context=\"" + label + "\"");
    return out;
}

}  // namespace berth::lsm
