// /proc/PID/maps and /proc/PID/stat, read for the reload checks (process_maps.hpp).
#include "checks/process_maps.hpp"

#include <elf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace dldoctor {
namespace {

bool parse_hex(const std::string& text, std::uint64_t& value) {
  if (text.empty() || text.size() > 16) return false;
  char* end = nullptr;
  errno = 0;
  value = std::strtoull(text.c_str(), &end, 16);
  return errno == 0 && end == text.c_str() + text.size();
}

// The start of the process in seconds since the epoch: field 22 of /proc/PID/stat (clock ticks
// after boot) over the clock's rate, plus btime of /proc/stat. The command name (field 2) is in
// parentheses and may hold spaces and parentheses: the fields after it follow its last ')'.
std::optional<double> start_time(const std::string& proc) {
  std::ifstream stat_file(proc + "/stat");
  std::string stat_line;
  if (!std::getline(stat_file, stat_line)) return std::nullopt;
  const std::size_t close = stat_line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat_line.substr(close + 1));
  std::string field;
  // After the name: state (3), ppid (4) ... starttime (22): the 20th field after ')'.
  for (int i = 3; i <= 22; ++i)
    if (!(fields >> field)) return std::nullopt;
  char* end = nullptr;
  const unsigned long long ticks = std::strtoull(field.c_str(), &end, 10);
  if (end == field.c_str()) return std::nullopt;
  std::ifstream boot("/proc/stat");
  std::string key;
  unsigned long long btime = 0;
  bool found = false;
  while (boot >> key) {
    if (key == "btime") {
      found = static_cast<bool>(boot >> btime);
      break;
    }
    boot.ignore(1 << 20, '\n');
  }
  const long rate = ::sysconf(_SC_CLK_TCK);
  if (!found || rate <= 0) return std::nullopt;
  return static_cast<double>(btime) + static_cast<double>(ticks) / static_cast<double>(rate);
}

}  // namespace

bool parse_maps_line(const std::string& line, Mapping& mapping) {
  // "START-END PERMS OFFSET MAJOR:MINOR INODE[ padding PATH]"
  std::size_t at = 0;
  auto next_field = [&](std::string& out) {
    while (at < line.size() && line[at] == ' ') ++at;
    const std::size_t begin = at;
    while (at < line.size() && line[at] != ' ') ++at;
    out = line.substr(begin, at - begin);
    return !out.empty();
  };
  std::string range, permissions, offset, device, inode;
  if (!next_field(range) || !next_field(permissions) || !next_field(offset) ||
      !next_field(device) || !next_field(inode))
    return false;
  const std::size_t dash = range.find('-');
  const std::size_t colon = device.find(':');
  std::uint64_t major = 0, minor = 0;
  if (dash == std::string::npos || colon == std::string::npos ||
      !parse_hex(range.substr(0, dash), mapping.start) ||
      !parse_hex(range.substr(dash + 1), mapping.end) || !parse_hex(offset, mapping.offset) ||
      !parse_hex(device.substr(0, colon), major) || !parse_hex(device.substr(colon + 1), minor) ||
      permissions.size() != 4)
    return false;
  char* end = nullptr;
  errno = 0;
  mapping.inode = std::strtoull(inode.c_str(), &end, 10);
  if (errno != 0 || end != inode.c_str() + inode.size()) return false;
  mapping.device_major = static_cast<unsigned>(major);
  mapping.device_minor = static_cast<unsigned>(minor);
  mapping.permissions = permissions;
  while (at < line.size() && line[at] == ' ') ++at;
  mapping.path = line.substr(at);
  static constexpr char kDeleted[] = " (deleted)";
  constexpr std::size_t kDeletedSize = sizeof kDeleted - 1;
  mapping.deleted =
      mapping.path.size() > kDeletedSize &&
      mapping.path.compare(mapping.path.size() - kDeletedSize, kDeletedSize, kDeleted) == 0;
  if (mapping.deleted) mapping.path.resize(mapping.path.size() - kDeletedSize);
  return true;
}

std::optional<ProcessMaps> read_process_maps(pid_t pid, std::string& error) noexcept {
  try {
    const std::string proc = pid == 0 ? "/proc/self" : "/proc/" + std::to_string(pid);
    std::ifstream maps(proc + "/maps");
    if (!maps) {
      error = proc + "/maps: " + std::strerror(errno);
      return std::nullopt;
    }
    ProcessMaps result;
    result.pid = pid == 0 ? ::getpid() : pid;
    std::string line;
    while (std::getline(maps, line)) {
      Mapping mapping;
      if (parse_maps_line(line, mapping)) result.mappings.push_back(std::move(mapping));
    }
    if (result.mappings.empty()) {
      // A process of another user without the right to read its maps gets an empty file.
      error = proc + "/maps: nothing readable (the process is gone, or another user's)";
      return std::nullopt;
    }
    std::ifstream comm(proc + "/comm");
    std::getline(comm, result.command);
    result.started_at = start_time(proc);
    return result;
  } catch (...) {
    error = "out of memory reading the process's maps";
    return std::nullopt;
  }
}

// Whether the mappings of the file (the process's view: where each of its pages is) fit the
// file's PT_LOAD segments now: each mapped offset inside a segment, at the address that segment
// puts it, with execute permission where the segment has PF_X. A rebuild written in place changes
// them; "" when they fit, else what does not.
std::string layout_change(const std::vector<const Mapping*>& mappings, const elf::Image& image) {
  const PageRange pages;
  std::vector<const elf::ProgramHeader*> loads;
  for (const elf::ProgramHeader& header : image.program_headers)
    if (header.type == PT_LOAD) loads.push_back(&header);
  if (loads.empty() || mappings.empty()) return "";
  // The segments whose file pages hold offset: two share a page where one ends and the next
  // begins inside it (the data segment starts in the page that ends the read-only one).
  auto segments_of = [&](std::uint64_t offset) {
    std::vector<const elf::ProgramHeader*> found;
    for (const elf::ProgramHeader* load : loads)
      if (pages.down(load->offset) <= offset &&
          offset < pages.up(load->offset + std::max<std::uint64_t>(load->filesz, 1)))
        found.push_back(load);
    return found;
  };
  // Where the loader puts a segment's page of that offset, with the load base.
  auto address_in = [](const elf::ProgramHeader& segment, std::uint64_t base,
                       std::uint64_t offset) {
    return base + (segment.vaddr - segment.offset) + offset;
  };
  // The load base, from the mapping of the lowest offset (the first segment's first page).
  const Mapping* first =
      *std::min_element(mappings.begin(), mappings.end(),
                        [](const Mapping* a, const Mapping* b) { return a->offset < b->offset; });
  const std::vector<const elf::ProgramHeader*> first_segments = segments_of(first->offset);
  if (first_segments.empty())
    return "the process maps offset " + elf::hex(first->offset) +
           ", which no PT_LOAD segment of the file covers now";
  const elf::ProgramHeader& first_segment = *first_segments.front();
  const std::uint64_t base =
      first->start - (first_segment.vaddr - first_segment.offset) - first->offset;
  for (const Mapping* mapping : mappings) {
    const std::vector<const elf::ProgramHeader*> segments = segments_of(mapping->offset);
    if (segments.empty())
      return "the process maps offset " + elf::hex(mapping->offset) + " at " +
             elf::hex(mapping->start) + ", which no PT_LOAD segment of the file covers now";
    const bool executable = mapping->permissions.size() > 2 && mapping->permissions[2] == 'x';
    const elf::ProgramHeader* fitting = nullptr;
    for (const elf::ProgramHeader* segment : segments)
      if (address_in(*segment, base, mapping->offset) == mapping->start &&
          executable == ((segment->flags & PF_X) != 0))
        fitting = segment;
    if (fitting != nullptr) {
      // The mapping ends inside that segment's pages: a longer one was mapped from a longer file.
      const std::uint64_t segment_end = base + pages.up(fitting->vaddr + fitting->filesz);
      if (mapping->end > segment_end)
        return "the process maps " + std::to_string(mapping->end - mapping->start) +
               " bytes from offset " + elf::hex(mapping->offset) +
               "; the file's segment there now ends " + std::to_string(mapping->end - segment_end) +
               " bytes before that";
      continue;
    }
    const elf::ProgramHeader& segment = *segments.front();
    const std::uint64_t expected = address_in(segment, base, mapping->offset);
    if (expected != mapping->start)
      return "the process maps offset " + elf::hex(mapping->offset) + " at " +
             elf::hex(mapping->start) + "; the file's PT_LOAD segments now put it at " +
             elf::hex(expected);
    return "the process maps offset " + elf::hex(mapping->offset) + " " + mapping->permissions +
           "; the file's segment there is " + ((segment.flags & PF_X) != 0 ? "" : "not ") +
           "executable now";
  }
  // Each segment's pages are all mapped: a segment that grew was not.
  for (const elf::ProgramHeader* segment : loads) {
    const std::uint64_t begin = base + pages.down(segment->vaddr);
    const std::uint64_t end = base + pages.up(segment->vaddr + segment->filesz);
    std::uint64_t covered = begin;
    bool progressed = true;
    while (covered < end && progressed) {
      progressed = false;
      for (const Mapping* mapping : mappings)
        if (mapping->start <= covered && covered < mapping->end) {
          covered = mapping->end;
          progressed = true;
        }
    }
    if (covered < end)
      return "the file's PT_LOAD segment at offset " + elf::hex(segment->offset) + " now spans " +
             std::to_string(end - begin) + " bytes; the process maps " +
             std::to_string(covered - begin) + " of them";
  }
  return "";
}

}  // namespace dldoctor
