#include "ramfs_options.hpp"

#include <sys/mount.h>

#include <cerrno>
#include <charconv>

namespace berth_example::ramfs {

namespace {

struct Flag {
    const char* name;
    bool clear;
    unsigned long flag;
};

constexpr Flag kFlags[] = {
    {"ro", false, MS_RDONLY},   {"rw", true, MS_RDONLY}, {"nosuid", false, MS_NOSUID}, {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV}, {"dev", true, MS_NODEV}, {"noexec", false, MS_NOEXEC}, {"exec", true, MS_NOEXEC},
};

}  // namespace

berth::Status parse_ramfs_options(const std::vector<std::string>& options, const std::string& destination,
                                  uint32_t default_mode, bool secure, RamfsOptions* out) {
    RamfsOptions o;
    o.mode = default_mode;
    for (const std::string& opt : options) {
        bool known = false;
        for (const Flag& f : kFlags) {
            if (opt != f.name) continue;
            o.flags = f.clear ? o.flags & ~f.flag : o.flags | f.flag;
            known = true;
        }
        if (known) continue;
        if (opt.rfind("mode=", 0) == 0) {
            const std::string v = opt.substr(5);
            uint32_t mode = 0;
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), mode, 8);
            if (v.empty() || ec != std::errc() || end != v.data() + v.size() || mode > 07777)
                return berth::Status::Error(
                    EINVAL, "mount " + destination + ": option \"" + opt + "\": the mode must be octal, at most 07777");
            o.mode = mode;
            continue;
        }
        return berth::Status::Error(EINVAL,
                                    "mount " + destination + ": option \"" + opt +
                                        "\" is not supported by the ramfs handler (known: ro, rw, nosuid, suid, "
                                        "nodev, dev, noexec, exec, mode=OCTAL)");
    }
    if (secure) o.flags |= MS_NOSUID | MS_NODEV;
    *out = o;
    return berth::Status::Ok();
}

}  // namespace berth_example::ramfs
