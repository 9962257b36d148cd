#include "overlay.hpp"

#include <cerrno>

namespace berth::mounts {

std::vector<std::string> split_lowerdir(std::string_view value) {
    std::vector<std::string> out;
    std::string cur;
    for (size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) {
            cur += value[i];
            cur += value[++i];
        } else if (value[i] == ':') {
            out.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += value[i];
        }
    }
    out.push_back(std::move(cur));
    return out;
}

Status parse_overlay_layers(const std::string& destination, const std::vector<FsConfigParam>& data,
                            OverlayLayers* out) {
    *out = OverlayLayers{};
    auto bad = [&](const FsConfigParam& p, const std::string& why) {
        std::string shown = p.has_value ? p.key + "=" + p.value : p.key;
        return Status::Error(EINVAL, "mount " + destination + ": overlay option \"" + shown + "\": " + why);
    };
    auto check_path = [&](const FsConfigParam& p, const std::string& path) -> Status {
        if (path.empty()) return bad(p, "names an empty path");
        if (path[0] != '/') return bad(p, "\"" + path + "\" is not an absolute path (layers are host paths)");
        return Status::Ok();
    };
    bool seen_lower = false;
    const FsConfigParam* upper = nullptr;
    const FsConfigParam* work = nullptr;
    for (const FsConfigParam& p : data) {
        const bool layer_key = p.key == "lowerdir" || p.key == "lowerdir+" || p.key == "datadir+" ||
                               p.key == "upperdir" || p.key == "workdir";
        if (!layer_key) continue;
        if (!p.has_value) return bad(p, "needs a value");
        if (p.key == "lowerdir") {
            if (seen_lower) return bad(p, "lowerdir is given twice");
            seen_lower = true;
            for (std::string& layer : split_lowerdir(p.value)) {
                Status s = check_path(p, layer);
                if (!s.ok()) return s;
                out->lower.push_back(std::move(layer));
            }
        } else if (p.key == "lowerdir+" || p.key == "datadir+") {
            Status s = check_path(p, p.value);
            if (!s.ok()) return s;
            out->lower.push_back(p.value);
        } else {
            const FsConfigParam*& slot = p.key == "upperdir" ? upper : work;
            if (slot != nullptr) return bad(p, p.key + " is given twice");
            Status s = check_path(p, p.value);
            if (!s.ok()) return s;
            slot = &p;
            (p.key == "upperdir" ? out->upper : out->work) = p.value;
        }
    }
    if (out->lower.empty())
        return Status::Error(
            EINVAL, "mount " + destination + ": overlay needs a lowerdir= option (the read-only layers, host paths)");
    if (upper && !work) return bad(*upper, "needs a workdir= option too");
    if (work && !upper) return bad(*work, "needs an upperdir= option too");
    return Status::Ok();
}

}  // namespace berth::mounts
