#include "page_sizes.hpp"

#include <dirent.h>

#include <algorithm>
#include <charconv>

namespace berth::plugins::hugetlb {

std::optional<std::string> page_size_name(std::string_view entry) {
    constexpr std::string_view prefix = "hugepages-", suffix = "kB";
    if (entry.size() <= prefix.size() + suffix.size() || entry.substr(0, prefix.size()) != prefix ||
        entry.substr(entry.size() - suffix.size()) != suffix)
        return std::nullopt;
    const std::string_view digits = entry.substr(prefix.size(), entry.size() - prefix.size() - suffix.size());
    uint64_t kb = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), kb);
    if (ec != std::errc() || end != digits.data() + digits.size() || kb == 0 || kb > (UINT64_MAX >> 10))
        return std::nullopt;
    static const char* const kUnits[] = {"KB", "MB", "GB", "TB", "PB"};
    size_t unit = 0;
    while (unit + 1 < std::size(kUnits) && kb % 1024 == 0) {
        kb /= 1024;
        ++unit;
    }
    return std::to_string(kb) + kUnits[unit];
}

std::vector<std::string> host_page_sizes(const std::string& sysfs_dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(sysfs_dir.c_str());
    if (!d) return out;
    while (const dirent* e = ::readdir(d))
        if (auto name = page_size_name(e->d_name)) out.push_back(*name);
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

std::string limit_file(const std::string& size, bool unified, bool reserved) {
    return "hugetlb." + size + (reserved ? ".rsvd" : "") + (unified ? ".max" : ".limit_in_bytes");
}

}  // namespace berth::plugins::hugetlb
