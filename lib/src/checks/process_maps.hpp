// What a running process has mapped, read from /proc/PID/maps and /proc/PID/stat: the files its
// loader mapped (one line per mapping, with the device and inode of the file it came from, and
// " (deleted)" when that file has since been unlinked or renamed over), and when it started.
// What the reload checks compare with the file at a path now (checks/reload.cpp).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dldoctor/elf.hpp"

namespace dldoctor {

struct Mapping {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::string permissions;  // "r-xp"
  std::uint64_t offset = 0;
  unsigned device_major = 0;
  unsigned device_minor = 0;
  std::uint64_t inode = 0;  // 0: anonymous
  std::string path;         // as the kernel prints it, " (deleted)" taken off
  bool deleted = false;     // the kernel printed " (deleted)"
};

struct ProcessMaps {
  pid_t pid = 0;
  std::string command;  // /proc/PID/comm
  std::vector<Mapping> mappings;
  // When the process started, in seconds since the epoch (/proc/stat's btime plus the start time
  // in /proc/PID/stat): nullopt when either cannot be read.
  std::optional<double> started_at;
};

// Reads pid's maps (pid 0: this process). A message saying what could not be read, and why.
std::optional<ProcessMaps> read_process_maps(pid_t pid, std::string& error) noexcept;

// One line of /proc/PID/maps, as the kernel writes it (fs/proc/task_mmu.c show_map_vma); false
// for a line that is not one. The path is everything after the inode's field, the padding taken
// off (a file name may hold spaces).
bool parse_maps_line(const std::string& line, Mapping& mapping);

// Pages of 4 KiB, as the loader maps segments on x86-64.
struct PageRange {
  std::uint64_t page = 4096;
  std::uint64_t down(std::uint64_t value) const { return value & ~(page - 1); }
  std::uint64_t up(std::uint64_t value) const { return (value + page - 1) & ~(page - 1); }
};

// Whether the mappings of one file (the process's view: where each of its pages is) fit the
// file's PT_LOAD segments now: each mapped offset inside a segment, at the address that segment
// puts it, with execute permission where the segment has PF_X, ending inside it, and each
// segment's pages all mapped. A rebuild written in place changes them; "" when they fit, else
// what does not (checks/reload.cpp's evidence).
std::string layout_change(const std::vector<const Mapping*>& mappings, const elf::Image& image);

}  // namespace dldoctor
