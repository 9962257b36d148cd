// The "hugetlb" controller: linux.resources.hugepageLimits onto
// hugetlb.<size>.limit_in_bytes (v1) or hugetlb.<size>.max (v2), and the
// reservation limits (.rsvd.) where the kernel has them, as runc >= 1.1.10.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/cgroup_subsystem.hpp"

namespace berth::plugins::hugetlb {

// Each limit's pageSize is one of `host_sizes` (host_page_sizes), which also
// keeps it from naming any file but the controller's; an error names the
// field (linux.resources.hugepageLimits[N].pageSize).
Status check_page_sizes(const std::vector<HugepageLimit>& limits, const std::vector<std::string>& host_sizes);

class HugetlbSubsystem {
public:
    explicit HugetlbSubsystem(std::string sysfs_dir = "/sys/kernel/mm/hugepages") : sysfs_dir_(std::move(sysfs_dir)) {}
    const char* controller() const { return "hugetlb"; }
    static constexpr const char* kResourceFields[] = {"hugepageLimits", nullptr};
    // When hugepageLimits lists any limit.
    bool wants(const Resources& r) const;
    Status validate(const Resources& r) const;
    Status apply_v2(const CgroupDir& dir, const Resources& r);
    Status apply_v1(const CgroupDir& dir, const Resources& r);
    // Per host page size, the counters under the kernel's names:
    // v1 hugetlb.<size>.{usage_in_bytes,max_usage_in_bytes,failcnt,limit_in_bytes};
    // v2 hugetlb.<size>.{current,max} and hugetlb.<size>.events.max (the
    // failures). A "max" limit is left out. Sizes whose files are missing
    // (the controller not enabled on v2) are skipped.
    Status stats(const CgroupDir& dir, bool unified, CgroupStats* out) const;

private:
    Status apply(const CgroupDir& dir, const Resources& r, bool unified) const;
    std::string sysfs_dir_;
};

}  // namespace berth::plugins::hugetlb
