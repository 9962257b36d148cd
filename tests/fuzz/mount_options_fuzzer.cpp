// A mount's "options" (one per line of the input) -> flags, attributes,
// propagation and fsconfig data, as the mounts plugin converts them.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/mounts/mount_options.hpp"

using namespace berth::mounts;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> options;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i)
        if (i == text.size() || text[i] == '\n') {
            options.emplace_back(text.substr(start, i - start));
            start = i + 1;
        }
    ParsedMountOptions parsed = parse_mount_options(options);
    // A bit is never asked to be both on and off.
    if (parsed.flags & parsed.clear) __builtin_trap();
    if (parsed.recursive_bind && !parsed.bind) __builtin_trap();
    MountAttrChange attr = to_mount_attr(parsed);
    (void)attr.empty();
    for (const FsConfigParam& p : split_mount_data(parsed.data))
        if (p.key.empty() && !p.has_value) __builtin_trap();  // empty parts are dropped
    (void)split_mount_data(text);
    (void)superblock_flag_keys(parsed.flags);
    return 0;
}
