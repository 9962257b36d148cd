// The mount options the ramfs handler takes, parsed without touching the
// system: flags for mount(2) and the mode of the new root directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/status.hpp"

namespace berth_example::ramfs {

struct RamfsOptions {
    unsigned long flags = 0;  // MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC
    uint32_t mode = 0;        // of the mount's root directory
};

// `options` of the spec's mount; `default_mode` when no mode= is given;
// `secure`: nosuid and nodev on every mount, whatever the options say.
// Errors name the mount by `destination` and the option at fault.
berth::Status parse_ramfs_options(const std::vector<std::string>& options, const std::string& destination,
                                  uint32_t default_mode, bool secure, RamfsOptions* out);

}  // namespace berth_example::ramfs
