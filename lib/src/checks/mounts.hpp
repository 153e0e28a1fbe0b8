// Which mount a file is on, and with which options, read from /proc/self/mountinfo
// (proc(5)): the kernel refuses mmap(PROT_EXEC) of any file on a mount with MNT_NOEXEC, and
// statvfs reports that flag as ST_NOEXEC, but only mountinfo says where the mount is.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dldoctor {

struct MountEntry {
  std::string mount_point;    // unescaped (mountinfo writes a space as \040)
  std::string options;        // per-mount options: "rw,nosuid,nodev,noexec,relatime"
  std::string fs_type;        // "tmpfs", "ext4"
  std::string source;         // "tmpfs", "/dev/vda1"
  std::string super_options;  // per-superblock options: "rw,size=16384k,mode=755"
  unsigned major = 0;
  unsigned minor = 0;

  bool has_option(std::string_view option) const;  // among the per-mount options
};

// One entry per well-formed line; malformed lines are skipped. Pure.
std::vector<MountEntry> parse_mountinfo(std::string_view text);

// The mount that a physical path (no symbolic links in it) lies on: the entry with the longest
// mount point that is a prefix of the path, the last listed of equals (it is mounted on top).
std::optional<MountEntry> mount_containing(const std::string& physical_path,
                                           const std::vector<MountEntry>& mounts);

// This process's mount table; empty when /proc is not mounted.
std::vector<MountEntry> read_mountinfo() noexcept;

}  // namespace dldoctor
