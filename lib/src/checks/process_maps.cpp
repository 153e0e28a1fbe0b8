// /proc/PID/maps and /proc/PID/stat, read for the reload checks (process_maps.hpp).
#include "checks/process_maps.hpp"

#include <unistd.h>

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

}  // namespace dldoctor
