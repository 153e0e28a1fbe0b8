// The kernel's permission rules for the loader's open (glibc open_verify: open(O_RDONLY)), made
// for any user: search (x) on every directory the path walk looks a name up in, read (r) on the
// file (fs/namei.c may_lookup, acl_permission_check; fs/posix_acl.c posix_acl_permission), and
// a mount without noexec for the mmap with PROT_EXEC that follows (_dl_map_segments).
//
// The two check_* functions at the end are the missing-permission family's entry points for
// other stages: the dependency stage calls them for every library its search resolves.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dldoctor/report.hpp"
#include "user.hpp"

namespace dldoctor {

// The kernel's MAY_READ, MAY_WRITE and MAY_EXEC, which are also the bits of one class of a mode.
inline constexpr unsigned kRead = 4;
inline constexpr unsigned kWrite = 2;
inline constexpr unsigned kSearch = 1;  // MAY_EXEC on a directory: look a name up in it

// One entry of a POSIX access ACL (acl(5)).
struct AclEntry {
  enum class Tag { UserObj, User, GroupObj, Group, Mask, Other };
  Tag tag = Tag::Other;
  unsigned id = 0;     // the uid or gid of a User or Group entry
  unsigned perms = 0;  // rwx as kRead | kWrite | kSearch
};

// What decides who may do what with a file: its mode, owner, group and access ACL.
struct FileFacts {
  mode_t mode = 0;
  uid_t owner = 0;
  gid_t group = 0;
  std::vector<AclEntry> acl;  // only an extended ACL; empty when the mode says it all
};

// stat, and the access ACL (libacl) where the file has an extended one. Never throws; on failure
// nullopt with errno's value in `error`.
std::optional<FileFacts> read_file_facts(const std::string& path, int& error) noexcept;
// While one lives in a thread, read_file_facts reads each path once (a diagnosis asks of the same
// directories for the plugin and each library; a scan, for thousands). Nested ones share the
// outermost's.
class FileFactsMemo {
 public:
  FileFactsMemo();
  ~FileFactsMemo();
  FileFactsMemo(const FileFactsMemo&) = delete;
  FileFactsMemo& operator=(const FileFactsMemo&) = delete;
};

// Which part of a file's permissions applies to a user: the kernel uses exactly one of the
// owner, group and others classes (and with an ACL, one entry, limited by the mask).
enum class PermissionClass { Root, Owner, NamedUser, OwningGroup, NamedGroup, Other };

struct AccessDecision {
  bool granted = false;
  PermissionClass deciding = PermissionClass::Other;
  unsigned class_perms = 0;           // the deciding class's or entry's own bits
  std::optional<unsigned> mask;       // the ACL mask, when it limited the entry
  std::optional<AclEntry> acl_entry;  // the ACL entry that decided, when an ACL did
  std::vector<gid_t> matched_groups;  // the user's groups that have an entry (or own the file)
};

// The kernel's decision for `wanted` (kRead, kWrite, kSearch, or a combination). Root (uid 0) has
// CAP_DAC_OVERRIDE: read, write and search are always granted. Pure: reads nothing.
AccessDecision decide_access(const FileFacts& facts, const UserIdentity& user,
                             unsigned wanted) noexcept;

// Who, other than the owner and root, may write the file, in the words a person reads and the
// chmod/setfacl argument that takes it away ("o-w", "g-w", "u:bob:r-x").
struct OtherWriter {
  std::string who;     // "others (o+w)", "group staff (g+w)", "ACL user:bob"
  std::string remove;  // for chmod (o-w, g-w) or setfacl -m (u:bob:r-x)
  bool by_setfacl = false;
};
std::vector<OtherWriter> other_writers(const FileFacts& facts);

// A directory of the system itself, whose mode is the distribution's: the trees its packages own
// (/usr, /lib, /etc, /dev, /run...) and the shared places (/, /tmp, /var/tmp, /usr/local), owned
// by root. Debian makes /usr/local/lib root:staff 2775 on purpose, and chmod o-w /tmp breaks every
// user's programs: dldoctor names who can write there but proposes no chmod.
bool is_system_directory(std::string_view physical, uid_t owner) noexcept;

// An ACL entry's user or group as getfacl names it: the name, or the number without one.
std::string acl_user_label(unsigned id);
std::string acl_group_label(unsigned id);

// "rw-", "--x": one class of bits.
std::string permission_string(unsigned perms);
// "-rw-------", "drwx------": the mode as ls -l prints it.
std::string mode_string(mode_t mode);
// "user::rw-,user:nobody:---,group::r--,mask::r--,other::r--", as getfacl -c would list it.
std::string acl_string(const std::vector<AclEntry>& acl);

// ---- The family's entry points for other stages ----

// Can `user` open `path` the way the loader does: search on every directory of the path walk,
// read on the file, and, for an ELF file the loader would map, a mount without noexec? The first
// check that fails is a missing-permission error naming the path component, its mode, owner and
// group (or the mount point). `needed_by` is "" for the plugin itself, or the object whose
// DT_NEEDED entry led to `path`. nullopt when everything passes, and also when the path does not
// lead to a file (a bad-path matter). Never throws.
// While one lives (a diagnosis: diagnose makes one), check_access keeps which directories the
// user may search: every library of a tree lies below the same few (/usr/lib/x86_64-linux-gnu),
// and each is asked once per diagnosis, not once per library. Per thread; nested ones share the
// outermost's.
class SearchPermissionMemo {
 public:
  SearchPermissionMemo();
  ~SearchPermissionMemo();
  SearchPermissionMemo(const SearchPermissionMemo&) = delete;
  SearchPermissionMemo& operator=(const SearchPermissionMemo&) = delete;

 private:
  FileFactsMemo facts_;  // and the files' facts with them
};

std::optional<Finding> check_access(const std::string& path, const UserIdentity& user,
                                    std::string_view needed_by) noexcept;

// A warning when the file, or a directory its path walk goes through, can be written by users
// other than its owner and root: whoever can write it chooses the code the host runs. In a sticky
// directory (/tmp) others cannot replace what they do not own: there the warning is only for a
// file that neither root nor `user` (who loads it) owns. Never a chmod for a directory of the
// system (/usr/local/lib is root:staff 2775 on purpose). Nothing for what is not a regular file:
// the identity stage refuses a directory or a device as such.
std::optional<Finding> check_writable_by_others(const std::string& path, const UserIdentity& user,
                                                std::string_view needed_by) noexcept;

}  // namespace dldoctor
