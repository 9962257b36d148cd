#include "process/process_setup.hpp"

#include <grp.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "errors/error.hpp"

namespace berth {

void apply_rlimits(const std::vector<spec::Rlimit>& rlimits) {
    for (const auto& r : rlimits) {
        struct rlimit lim = {r.soft, r.hard};
        if (::setrlimit(r.resource, &lim) < 0)
            throw Error("process.rlimits " + r.type + ": setrlimit(soft " + std::to_string(r.soft) + ", hard " +
                            std::to_string(r.hard) + "): " + errno_text(errno),
                        errno);
    }
}

std::string capability_name(int cap) {
    char* n = cap < 0 ? nullptr : cap_to_name(static_cast<cap_value_t>(cap));
    std::string out = n ? n : "";
    if (n) cap_free(n);
    // libcap names an unknown capability by its number
    if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) return "capability " + std::to_string(cap);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::vector<std::string> missing_capabilities(const std::vector<int>& wanted, uint64_t have) {
    std::vector<std::string> out;
    uint64_t seen = 0;
    for (int c : wanted) {
        if (c < 0 || c > 63) continue;
        uint64_t bit = uint64_t{1} << c;
        if ((have & bit) || (seen & bit)) continue;
        seen |= bit;
        out.push_back(capability_name(c));
    }
    return out;
}

// Why capset failed, when the reason is a capability this process does not
// have (permitted and effective must be within our permitted set, inheritable
// within the bounding set): "CAP_SYS_RESOURCE is not available to berth (not
// in its bounding set)". Empty when every requested capability is there.
static std::string unavailable_capabilities(const std::vector<int>& pe, const std::vector<int>& inh) {
    uint64_t permitted = 0, bounding = 0;
    if (cap_t cur = cap_get_proc()) {
        for (int c = 0; c <= 63 && c < static_cast<int>(cap_max_bits()); ++c) {
            cap_flag_value_t v = CAP_CLEAR;
            if (cap_get_flag(cur, static_cast<cap_value_t>(c), CAP_PERMITTED, &v) == 0 && v == CAP_SET)
                permitted |= uint64_t{1} << c;
            if (cap_get_bound(static_cast<cap_value_t>(c)) == 1) bounding |= uint64_t{1} << c;
        }
        cap_free(cur);
    }
    auto missing = missing_capabilities(pe, permitted);
    for (auto& n : missing_capabilities(inh, bounding | permitted))
        if (std::find(missing.begin(), missing.end(), n) == missing.end()) missing.push_back(n);
    if (missing.empty()) return "";
    std::string list;
    for (const auto& n : missing) list += (list.empty() ? "" : ", ") + n;
    return list + (missing.size() == 1 ? " is" : " are") + " not available to berth (not in its bounding set)";
}

static void set_caps(cap_t caps, cap_flag_t flag, const std::vector<int>& list) {
    if (list.empty()) return;
    std::vector<cap_value_t> v(list.begin(), list.end());
    if (cap_set_flag(caps, flag, static_cast<int>(v.size()), v.data(), CAP_SET) < 0) throw_errno("cap_set_flag");
}

void switch_user_and_capabilities(const spec::Process& p) {
    const int last_cap = static_cast<int>(cap_max_bits()) - 1;
    auto known = [&](const std::vector<int>& in) {
        // Capabilities newer than the kernel are ignored, as runc does.
        std::vector<int> out;
        for (int c : in)
            if (c <= last_cap) out.push_back(c);
        return out;
    };
    if (p.capabilities) {
        std::vector<int> bounding = known(p.capabilities->bounding);
        for (int c = 0; c <= last_cap; ++c) {
            bool keep = false;
            for (int b : bounding) keep |= b == c;
            if (!keep && cap_drop_bound(c) < 0 && errno != EINVAL)
                throw_errno("drop bounding capability " + std::to_string(c));
        }
    }
    // Keep the permitted set across setuid so that the spec's sets apply to
    // the new user.
    if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_KEEPCAPS)");
    const auto& u = p.user;
    std::vector<gid_t> groups(u.additional_gids.begin(), u.additional_gids.end());
    if (::setgroups(groups.size(), groups.data()) < 0 && !(errno == EPERM && groups.empty()))
        throw Error("process.user.additionalGids: setgroups: " + errno_text(errno), errno);
    if (::setresgid(u.gid, u.gid, u.gid) < 0)
        throw Error("process.user.gid " + std::to_string(u.gid) + ": setresgid: " + errno_text(errno), errno);
    if (::setresuid(u.uid, u.uid, u.uid) < 0)
        throw Error("process.user.uid " + std::to_string(u.uid) + ": setresuid: " + errno_text(errno), errno);
    if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_KEEPCAPS)");
    if (p.capabilities) {
        cap_t caps = cap_init();
        if (!caps) throw_errno("cap_init");
        try {
            set_caps(caps, CAP_EFFECTIVE, known(p.capabilities->effective));
            set_caps(caps, CAP_PERMITTED, known(p.capabilities->permitted));
            set_caps(caps, CAP_INHERITABLE, known(p.capabilities->inheritable));
            if (cap_set_proc(caps) < 0) {
                int err = errno;
                std::vector<int> pe = known(p.capabilities->permitted), inh = known(p.capabilities->inheritable);
                for (int c : known(p.capabilities->effective)) pe.push_back(c);
                std::string why = err == EPERM ? unavailable_capabilities(pe, inh) : "";
                throw Error("process.capabilities: " + (why.empty() ? "" : why + ": ") + "capset: " + errno_text(err),
                            err);
            }
        } catch (...) {
            cap_free(caps);
            throw;
        }
        cap_free(caps);
        // One prctl: libcap's cap_reset_ambient() first asks PR_CAP_AMBIENT_IS_SET
        // of every capability (~41 prctls) until one is set. EINVAL: a kernel
        // before 4.3 has no ambient set, so there is nothing to clear.
        if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
            throw_errno("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
        const std::vector<int> permitted = known(p.capabilities->permitted),
                               inheritable = known(p.capabilities->inheritable);
        auto in = [](const std::vector<int>& v, int c) { return std::find(v.begin(), v.end(), c) != v.end(); };
        for (int c : known(p.capabilities->ambient)) {
            // An ambient capability must be permitted and inheritable; runc
            // ignores the ones that are not. The kernel would refuse them
            // with EPERM: not asked at all (runc's spec lists three).
            if (!in(permitted, c) || !in(inheritable, c)) continue;
            if (cap_set_ambient(c, CAP_SET) < 0 && errno != EPERM)
                throw Error("process.capabilities.ambient: " + errno_text(errno), errno);
        }
    }
    if (u.umask) ::umask(*u.umask);
}

void enter_cwd(const std::string& cwd) {
    if (::chdir(cwd.c_str()) < 0) throw Error("process.cwd: chdir " + cwd + ": " + errno_text(errno), errno);
    // The syscall, not glibc's getcwd: the kernel answers "(unreachable)..."
    // or ENOENT for a directory outside our root.
    char buf[PATH_MAX + 1];
    long n = ::syscall(SYS_getcwd, buf, sizeof buf);
    if (n < 0 && errno != ENOENT && errno != ERANGE) throw Error("process.cwd: getcwd: " + errno_text(errno), errno);
    if (n <= 0 || buf[0] != '/') throw Error("process.cwd: " + cwd + " is not inside the container's root", EPERM);
}

void drop_read_override_for_exec() {
    cap_t caps = cap_get_proc();
    if (!caps) throw_errno("cap_get_proc");
    const cap_value_t read_override[] = {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH};
    int rc = cap_set_flag(caps, CAP_EFFECTIVE, 2, read_override, CAP_CLEAR);
    if (rc == 0) rc = cap_set_proc(caps);
    const int err = errno;
    cap_free(caps);
    if (rc < 0)
        throw Error("drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the effective set: " + errno_text(err), err);
}

static bool is_executable_file(const std::string& path, int* err) {
    struct stat sb;
    if (::stat(path.c_str(), &sb) < 0) {
        *err = errno;
        return false;
    }
    if (S_ISDIR(sb.st_mode)) {
        *err = EISDIR;
        return false;
    }
    if (::access(path.c_str(), X_OK) < 0) {
        *err = errno;
        return false;
    }
    return true;
}

std::string find_executable(const std::string& name, const std::vector<std::string>& env) {
    int err = 0;
    if (name.find('/') != std::string::npos) {
        if (is_executable_file(name, &err)) return name;
        throw Error("exec: " + name + ": " + errno_text(err), err);
    }
    std::string path;
    for (const auto& e : env)
        if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
    size_t start = 0;
    while (!path.empty() && start <= path.size()) {
        size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        // An empty PATH entry is the cwd. Built with append: GCC 12 at -O3
        // warns (-Wrestrict, a false positive) on assigning "." over the
        // substring, and CI builds with -Werror.
        std::string candidate = end > start ? path.substr(start, end - start) : std::string(".");
        candidate.append("/").append(name);
        if (is_executable_file(candidate, &err)) return candidate;
        start = end + 1;
    }
    throw Error("exec: \"" + name + "\": executable file not found in $PATH", ENOENT);
}

}  // namespace berth
