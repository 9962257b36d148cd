// Pure parsing of the kernel's CPU/memory-node list syntax ("0-2,4"), as
// linux.resources.cpu.cpus and .mems and the cpuset files use it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::plugins::cpuset {

// The numbers a list names, ascending and without repeats; nullopt when it
// is not a list: comma-separated items, each "N" or "N-M" with N <= M, no
// spaces, no empty item. An empty text is an empty list (the kernel's empty
// cpuset). A trailing newline (as the kernel prints it) is ignored. Numbers
// above kMaxIndex are refused: no kernel has that many CPUs or nodes, and it
// keeps a range like "0-4000000000" from expanding into gigabytes.
inline constexpr uint32_t kMaxIndex = 65535;
std::optional<std::vector<uint32_t>> parse_cpu_list(std::string_view text);

// Why `text` is not a list, for an error message ("" when it is one).
std::string cpu_list_problem(std::string_view text);

// The numbers as a bitmap, bit N of byte N / 8 for number N (little-endian
// bit order, as systemd's AllowedCPUs= and AllowedMemoryNodes= take it);
// as many bytes as the highest number needs, none for an empty list.
std::vector<uint8_t> cpu_bitmap(const std::vector<uint32_t>& numbers);

}  // namespace berth::plugins::cpuset
