#include "checks/mounts.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace dldoctor {
namespace {
// mountinfo escapes space, tab, newline and backslash as \ooo (the kernel's mangle()).
std::string unescape(std::string_view field) {
  const auto octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && octal(field[i + 1]) && octal(field[i + 2]) &&
        octal(field[i + 3])) {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                               (field[i + 3] - '0'));
      i += 3;
      continue;
    }
    out += field[i];
  }
  return out;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (start < line.size()) {
    const std::size_t space = line.find(' ', start);
    const std::size_t end = space == std::string_view::npos ? line.size() : space;
    if (end > start) fields.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  return fields;
}

bool parse_number(std::string_view text, unsigned& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

bool is_path_prefix(const std::string& prefix, const std::string& path) {
  if (prefix == "/") return !path.empty() && path[0] == '/';
  return path.compare(0, prefix.size(), prefix) == 0 &&
         (path.size() == prefix.size() || path[prefix.size()] == '/');
}
}  // namespace

bool MountEntry::has_option(std::string_view option) const {
  std::size_t start = 0;
  while (start <= options.size()) {
    const std::size_t comma = options.find(',', start);
    const std::size_t end = comma == std::string::npos ? options.size() : comma;
    if (std::string_view(options).substr(start, end - start) == option) return true;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return false;
}

std::vector<MountEntry> parse_mountinfo(std::string_view text) {
  // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
  // (1)(2) (3)  (4)   (5)      (6)      (7...)  - (8)    (9)        (10)
  std::vector<MountEntry> mounts;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::vector<std::string_view> fields = split_fields(text.substr(start, end - start));
    start = end + 1;
    std::size_t separator = 6;
    while (separator < fields.size() && fields[separator] != "-") ++separator;
    if (fields.size() < 6 || separator + 2 >= fields.size()) continue;
    MountEntry entry;
    const std::string_view device = fields[2];
    const std::size_t colon = device.find(':');
    if (colon == std::string_view::npos) continue;
    if (!parse_number(device.substr(0, colon), entry.major) ||
        !parse_number(device.substr(colon + 1), entry.minor))
      continue;
    entry.mount_point = unescape(fields[4]);
    entry.options = std::string(fields[5]);
    entry.fs_type = std::string(fields[separator + 1]);
    entry.source = unescape(fields[separator + 2]);
    if (separator + 3 < fields.size()) entry.super_options = std::string(fields[separator + 3]);
    mounts.push_back(std::move(entry));
  }
  return mounts;
}

std::optional<MountEntry> mount_containing(const std::string& physical_path,
                                           const std::vector<MountEntry>& mounts) {
  const MountEntry* best = nullptr;
  for (const MountEntry& entry : mounts) {
    if (!is_path_prefix(entry.mount_point, physical_path)) continue;
    if (best == nullptr || entry.mount_point.size() >= best->mount_point.size()) best = &entry;
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

std::vector<MountEntry> read_mountinfo() noexcept {
  try {
    std::ifstream in("/proc/self/mountinfo");
    if (!in) return {};
    std::ostringstream text;
    text << in.rdbuf();
    return parse_mountinfo(text.str());
  } catch (...) {
    return {};
  }
}

}  // namespace dldoctor
