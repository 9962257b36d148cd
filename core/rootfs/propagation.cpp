#include "rootfs/propagation.hpp"

#include <sys/mount.h>

#include <map>

namespace berth {

unsigned long propagation_flag(const std::string& name) {
    static const std::map<std::string, unsigned long> t = {
        {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC}, {"slave", MS_SLAVE},
        {"rslave", MS_SLAVE | MS_REC}, {"shared", MS_SHARED},             {"rshared", MS_SHARED | MS_REC},
        {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
    };
    auto it = t.find(name);
    return it == t.end() ? 0 : it->second;
}

unsigned long namespace_propagation(const std::string& rootfs_propagation) {
    unsigned long flag = rootfs_propagation.empty() ? static_cast<unsigned long>(MS_SLAVE) : propagation_flag(rootfs_propagation);
    if (flag & MS_SHARED) return MS_SLAVE | MS_REC;
    if (flag & MS_UNBINDABLE) return MS_PRIVATE | MS_REC;
    if (flag & MS_PRIVATE) return MS_PRIVATE | MS_REC;
    return MS_SLAVE | MS_REC;
}

}  // namespace berth
