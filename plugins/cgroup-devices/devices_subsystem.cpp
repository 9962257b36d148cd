#include "devices_subsystem.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <new>

#include "bpf_attach.hpp"
#include "bpf_program.hpp"

namespace berth::plugins::devices {
namespace {

// O_APPEND rather than CgroupDir::write's O_TRUNC: the kernel reads each
// write as one rule either way, and a fake file in a test keeps them all.
// One open for each run of rules to the same file: a container's default
// allowlist is a deny and eleven allows, and each open of a cgroup file
// costs a kernfs open and release.
class RuleWriter {
public:
    explicit RuleWriter(const CgroupDir& dir) : dir_(dir) {}
    ~RuleWriter() { close(); }
    RuleWriter(const RuleWriter&) = delete;
    RuleWriter& operator=(const RuleWriter&) = delete;

    Status write(const std::string& name, const std::string& line) {
        const std::string p = dir_.file(name);
        if (fd_ < 0 || name != name_) {
            close();
            fd_ = ::open(p.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
            if (fd_ < 0) {
                const int err = errno;
                return Status::Error(err, "open " + p + ": " + std::strerror(err));
            }
            name_ = name;
        }
        const std::string text = line + "\n";
        const ssize_t n = ::write(fd_, text.data(), text.size());
        if (n < 0) {
            const int err = errno;
            return Status::Error(err, "write \"" + line + "\" to " + p + ": " + std::strerror(err));
        }
        if (static_cast<size_t>(n) != text.size()) return Status::Error(EIO, "short write to " + p);
        return Status::Ok();
    }

private:
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    const CgroupDir& dir_;
    std::string name_;
    int fd_ = -1;
};

std::vector<DeviceRule> rules_of(const Resources& r) { return effective_rules(device_rules(r.devices)); }

}  // namespace

Status write_v1_rules(const CgroupDir& dir, const std::vector<DeviceRule>& rules) {
    RuleWriter out(dir);
    for (const V1Write& w : v1_writes(rules))
        if (Status s = out.write(w.file, w.line); !s.ok()) return s;
    return Status::Ok();
}

bool DevicesSubsystem::wants(const Resources& r) const { return !r.devices.empty(); }

// The host has validated every rule.
Status DevicesSubsystem::validate(const Resources&) const { return Status::Ok(); }

Status DevicesSubsystem::apply_v1(const CgroupDir& dir, const Resources& r) {
    const std::vector<DeviceRule> rules = rules_of(r);
    const V1ListState want = v1_expected_list(rules);
    std::string now;
    if (want.exact && dir.read("devices.list", &now).ok() && v1_list_lines(now) == want.lines) return Status::Ok();
    return write_v1_rules(dir, rules);
}

Status DevicesSubsystem::apply_v2(const CgroupDir& dir, const Resources& r) {
    const std::vector<DeviceRule> rules = rules_of(r);
    int fd = -1;
    if (Status s = load_device_program(device_program(rules), &fd); !s.ok()) return s;
    // The attached program holds its own reference.
    Status s = attach_device_program(dir.path(), fd);
    ::close(fd);
    return s;
}

Status DevicesSubsystem::stats(const CgroupDir&, bool, CgroupStats*) const { return Status::Ok(); }

}  // namespace berth::plugins::devices
