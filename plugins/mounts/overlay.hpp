// The layers of an overlay mount, read from its data options as podman,
// buildah and CRI configs write them:
//   {"type": "overlay", "source": "overlay",
//    "options": ["lowerdir=/l1:/l2", "upperdir=/u", "workdir=/w", ...]}
// The directories are host paths: the mount is made before pivot_root, like
// a bind. Everything here is pure; the handler checks the directories exist.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "berth/status.hpp"
#include "mount_options.hpp"

namespace berth::mounts {

struct OverlayLayers {
    std::vector<std::string> lower;  // top first, as overlayfs orders them
    std::string upper;               // empty for a read-only overlay
    std::string work;
};

// A lowerdir value split at the colons that separate layers; "\:" is a
// colon inside a path (overlayfs's escape) and stays escaped in the result,
// because the kernel unescapes it.
std::vector<std::string> split_lowerdir(std::string_view value);

// Checks the layer options among `data` (split_mount_data of the spec's
// data options): lowerdir (or lowerdir+/datadir+, one layer each, Linux 6.8+)
// is required, every layer is an absolute path, upperdir and workdir come
// together and each at most once. Errors read
// "mount <destination>: overlay option \"<option>\": <why>".
Status parse_overlay_layers(const std::string& destination, const std::vector<FsConfigParam>& data, OverlayLayers* out);

}  // namespace berth::mounts
