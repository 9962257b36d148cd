// Pure mappings between the kernel's huge page size names and the spec's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::plugins::hugetlb {

// A /sys/kernel/mm/hugepages entry ("hugepages-2048kB") as the size name the
// spec and the hugetlb controller's files use ("2MB"): the largest of B, KB,
// MB, GB, TB, PB that divides the size, as runc names them. nullopt for
// anything else.
std::optional<std::string> page_size_name(std::string_view sysfs_entry);

// The size names of the huge pages the host has, from the entries of its
// /sys/kernel/mm/hugepages (empty when it has none or no such directory).
std::vector<std::string> host_page_sizes(const std::string& sysfs_dir);

// The controller's file for a size: "hugetlb.2MB.limit_in_bytes" (v1),
// "hugetlb.2MB.max" (v2); with `reserved`, the reservation-accounting file
// (hugetlb.2MB.rsvd.limit_in_bytes, hugetlb.2MB.rsvd.max) of kernels >= 5.7.
std::string limit_file(const std::string& size, bool unified, bool reserved);

}  // namespace berth::plugins::hugetlb
