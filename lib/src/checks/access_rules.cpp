// The rules themselves (the family's findings are built in missing_permission.cpp). They follow
// the kernel: fs/namei.c acl_permission_check and fs/posix_acl.c posix_acl_permission for the
// classes and ACL entries, capability.h's CAP_DAC_OVERRIDE for root.
#include "checks/access_rules.hpp"

#include <acl/libacl.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cerrno>
#include <unordered_map>

namespace dldoctor {
namespace {
unsigned perms_of(acl_entry_t entry) {
  acl_permset_t permset = nullptr;
  if (::acl_get_permset(entry, &permset) != 0) return 0;
  return (::acl_get_perm(permset, ACL_READ) == 1 ? kRead : 0) |
         (::acl_get_perm(permset, ACL_WRITE) == 1 ? kWrite : 0) |
         (::acl_get_perm(permset, ACL_EXECUTE) == 1 ? kSearch : 0);
}

// The extended access ACL of a file, entry by entry; empty when it has none or the file system
// keeps no ACLs (acl_extended_file fails with ENOTSUP there).
std::vector<AclEntry> read_acl(const std::string& path) {
  std::vector<AclEntry> entries;
  // Only the access ACL decides an access (the default ACL of a directory is what new files
  // inherit): one getxattr asks whether there is one, where acl_extended_file asks both.
  if (::getxattr(path.c_str(), "system.posix_acl_access", nullptr, 0) <= 0) return entries;
  acl_t acl = ::acl_get_file(path.c_str(), ACL_TYPE_ACCESS);
  if (acl == nullptr) return entries;
  acl_entry_t entry = nullptr;
  for (int which = ACL_FIRST_ENTRY; ::acl_get_entry(acl, which, &entry) == 1;
       which = ACL_NEXT_ENTRY) {
    acl_tag_t tag = ACL_UNDEFINED_TAG;
    if (::acl_get_tag_type(entry, &tag) != 0) continue;
    AclEntry value;
    value.perms = perms_of(entry);
    switch (tag) {
      case ACL_USER_OBJ: value.tag = AclEntry::Tag::UserObj; break;
      case ACL_GROUP_OBJ: value.tag = AclEntry::Tag::GroupObj; break;
      case ACL_MASK: value.tag = AclEntry::Tag::Mask; break;
      case ACL_OTHER: value.tag = AclEntry::Tag::Other; break;
      case ACL_USER:
      case ACL_GROUP: {
        value.tag = tag == ACL_USER ? AclEntry::Tag::User : AclEntry::Tag::Group;
        void* qualifier = ::acl_get_qualifier(entry);
        if (qualifier == nullptr) continue;
        value.id =
            tag == ACL_USER ? *static_cast<uid_t*>(qualifier) : *static_cast<gid_t*>(qualifier);
        ::acl_free(qualifier);
        break;
      }
      default: continue;
    }
    entries.push_back(value);
  }
  ::acl_free(acl);
  return entries;
}

bool allows(unsigned perms, unsigned wanted) { return (perms & wanted) == wanted; }

std::optional<unsigned> acl_mask(const std::vector<AclEntry>& acl) {
  for (const AclEntry& entry : acl)
    if (entry.tag == AclEntry::Tag::Mask) return entry.perms;
  return std::nullopt;
}

// Only the owner and root are in the group: a user private group (Debian's default, the group
// named after its only user) or root's own group. Its write bit lets no one else write.
bool group_is_owner_and_root_only(gid_t gid, uid_t owner) {
  const std::string name = group_name(gid);
  const std::string owner_name = user_name(owner);
  const bool private_group = gid == 0 || (!name.empty() && name == owner_name);
  if (!private_group) return false;
  for (const std::string& member : group_members(gid))
    if (member != owner_name && member != "root") return false;
  return true;
}

}  // namespace

std::string acl_user_label(unsigned id) {
  const std::string name = user_name(id);
  return name.empty() ? std::to_string(id) : name;
}

std::string acl_group_label(unsigned id) {
  const std::string name = group_name(id);
  return name.empty() ? std::to_string(id) : name;
}

namespace {
// The facts read while a FileFactsMemo lives in this thread, by path (only the files that could
// be read: a failure is read again, for its errno).
struct FactsMemo {
  int depth = 0;
  std::unordered_map<std::string, FileFacts> by_path;
};
thread_local FactsMemo facts_memo;
}  // namespace

FileFactsMemo::FileFactsMemo() { ++facts_memo.depth; }
FileFactsMemo::~FileFactsMemo() {
  if (--facts_memo.depth == 0) facts_memo.by_path.clear();
}

std::optional<FileFacts> read_file_facts(const std::string& path, int& error) noexcept {
  try {
    if (facts_memo.depth > 0)
      if (const auto known = facts_memo.by_path.find(path); known != facts_memo.by_path.end())
        return known->second;
    struct stat status;
    if (::stat(path.c_str(), &status) != 0) {
      error = errno;
      return std::nullopt;
    }
    FileFacts facts;
    facts.mode = status.st_mode;
    facts.owner = status.st_uid;
    facts.group = status.st_gid;
    facts.acl = read_acl(path);
    if (facts_memo.depth > 0) facts_memo.by_path.emplace(path, facts);
    return facts;
  } catch (...) {
    error = ENOMEM;
    return std::nullopt;
  }
}

AccessDecision decide_access(const FileFacts& facts, const UserIdentity& user,
                             unsigned wanted) noexcept {
  AccessDecision decision;
  try {
    if (user.is_root()) {
      // CAP_DAC_OVERRIDE (and CAP_DAC_READ_SEARCH): the bits are not consulted for read, write
      // or search. Only executing a file needs one x bit somewhere, which loading does not.
      decision.granted = true;
      decision.deciding = PermissionClass::Root;
      return decision;
    }
    if (user.uid == facts.owner) {
      // The owner class, and only it, even when the group or others bits would allow more.
      decision.deciding = PermissionClass::Owner;
      decision.class_perms = (facts.mode >> 6) & 7;
      decision.granted = allows(decision.class_perms, wanted);
      return decision;
    }
    if (facts.acl.empty()) {
      const bool in_group = user.in_group(facts.group);
      if (in_group) decision.matched_groups.push_back(facts.group);
      decision.deciding = in_group ? PermissionClass::OwningGroup : PermissionClass::Other;
      decision.class_perms = in_group ? (facts.mode >> 3) & 7 : facts.mode & 7;
      decision.granted = allows(decision.class_perms, wanted);
      return decision;
    }
    // posix_acl_permission: a named-user entry decides alone; else any matching group entry
    // that grants (each limited by the mask); else, if some group entry matched, refusal;
    // else the other entry.
    const std::optional<unsigned> mask = acl_mask(facts.acl);
    auto masked = [&](const AclEntry& entry) {
      decision.acl_entry = entry;
      decision.class_perms = entry.perms;
      decision.mask = mask;
      decision.granted = allows(entry.perms, wanted) && (!mask || allows(*mask, wanted));
      return decision;
    };
    for (const AclEntry& entry : facts.acl) {
      if (entry.tag == AclEntry::Tag::User && entry.id == user.uid) {
        decision.deciding = PermissionClass::NamedUser;
        return masked(entry);
      }
    }
    const AclEntry* first_match = nullptr;
    for (const AclEntry& entry : facts.acl) {
      const bool owning = entry.tag == AclEntry::Tag::GroupObj && user.in_group(facts.group);
      const bool named = entry.tag == AclEntry::Tag::Group && user.in_group(entry.id);
      if (!owning && !named) continue;
      decision.matched_groups.push_back(owning ? facts.group : entry.id);
      if (first_match == nullptr) first_match = &entry;
      if (allows(entry.perms, wanted)) {
        decision.deciding = owning ? PermissionClass::OwningGroup : PermissionClass::NamedGroup;
        return masked(entry);
      }
    }
    if (first_match != nullptr) {
      decision.deciding = first_match->tag == AclEntry::Tag::GroupObj ? PermissionClass::OwningGroup
                                                                      : PermissionClass::NamedGroup;
      masked(*first_match);
      decision.granted = false;
      return decision;
    }
    decision.deciding = PermissionClass::Other;
    decision.class_perms = facts.mode & 7;
    for (const AclEntry& entry : facts.acl)
      if (entry.tag == AclEntry::Tag::Other) decision.class_perms = entry.perms;
    decision.granted = allows(decision.class_perms, wanted);
  } catch (...) {
    decision.granted = false;  // matched_groups could not grow: say no rather than guess
  }
  return decision;
}

std::vector<OtherWriter> other_writers(const FileFacts& facts) {
  std::vector<OtherWriter> writers;
  if (facts.acl.empty()) {
    if ((facts.mode & S_IWGRP) != 0 && !group_is_owner_and_root_only(facts.group, facts.owner)) {
      const std::string name = group_name(facts.group);
      writers.push_back({"group " + (name.empty() ? std::to_string(facts.group) : name) + " (g+w)",
                         "g-w", false});
    }
  } else {
    const std::optional<unsigned> mask = acl_mask(facts.acl);
    const bool mask_allows_write = !mask || (*mask & kWrite) != 0;
    for (const AclEntry& entry : facts.acl) {
      if ((entry.perms & kWrite) == 0 || !mask_allows_write) continue;
      const std::string kept = permission_string(entry.perms & ~kWrite);
      if (entry.tag == AclEntry::Tag::User && entry.id != facts.owner && entry.id != 0) {
        const std::string label = acl_user_label(entry.id);
        writers.push_back({"the ACL entry user:" + label, "u:" + label + ":" + kept, true});
      } else if (entry.tag == AclEntry::Tag::GroupObj &&
                 !group_is_owner_and_root_only(facts.group, facts.owner)) {
        writers.push_back({"group " + acl_group_label(facts.group) + " (the ACL entry group::)",
                           "g::" + kept, true});
      } else if (entry.tag == AclEntry::Tag::Group &&
                 !group_is_owner_and_root_only(entry.id, facts.owner)) {
        const std::string label = acl_group_label(entry.id);
        writers.push_back({"the ACL entry group:" + label, "g:" + label + ":" + kept, true});
      }
    }
  }
  if ((facts.mode & S_IWOTH) != 0) writers.push_back({"others (o+w)", "o-w", false});
  return writers;
}

bool is_system_directory(std::string_view physical, uid_t owner) noexcept {
  if (owner != 0) return false;
  // Shared by design: sticky and writable by all, or a group's (Debian's staff for /usr/local).
  for (const std::string_view exact : {"/", "/tmp", "/var/tmp", "/var/lock", "/var/local",
                                       "/var/mail", "/usr/local", "/usr/local/lib"})
    if (physical == exact) return true;
  // The trees the distribution's packages own.
  for (const std::string_view top : {"/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin",
                                     "/etc", "/boot", "/dev", "/run", "/proc", "/sys"}) {
    if (physical.substr(0, top.size()) == top &&
        (physical.size() == top.size() || physical[top.size()] == '/'))
      return true;
  }
  return false;
}

std::string permission_string(unsigned perms) {
  std::string text = "---";
  if ((perms & kRead) != 0) text[0] = 'r';
  if ((perms & kWrite) != 0) text[1] = 'w';
  if ((perms & kSearch) != 0) text[2] = 'x';
  return text;
}

std::string mode_string(mode_t mode) {
  std::string text = "?" + permission_string((mode >> 6) & 7) + permission_string((mode >> 3) & 7) +
                     permission_string(mode & 7);
  if (S_ISREG(mode)) text[0] = '-';
  if (S_ISDIR(mode)) text[0] = 'd';
  if (S_ISLNK(mode)) text[0] = 'l';
  if (S_ISCHR(mode)) text[0] = 'c';
  if (S_ISBLK(mode)) text[0] = 'b';
  if (S_ISFIFO(mode)) text[0] = 'p';
  if (S_ISSOCK(mode)) text[0] = 's';
  if ((mode & S_ISUID) != 0) text[3] = text[3] == 'x' ? 's' : 'S';
  if ((mode & S_ISGID) != 0) text[6] = text[6] == 'x' ? 's' : 'S';
  if ((mode & S_ISVTX) != 0) text[9] = text[9] == 'x' ? 't' : 'T';
  return text;
}

std::string acl_string(const std::vector<AclEntry>& acl) {
  std::string text;
  for (const AclEntry& entry : acl) {
    if (!text.empty()) text += ",";
    switch (entry.tag) {
      case AclEntry::Tag::UserObj: text += "user::"; break;
      case AclEntry::Tag::User: text += "user:" + acl_user_label(entry.id) + ":"; break;
      case AclEntry::Tag::GroupObj: text += "group::"; break;
      case AclEntry::Tag::Group: text += "group:" + acl_group_label(entry.id) + ":"; break;
      case AclEntry::Tag::Mask: text += "mask::"; break;
      case AclEntry::Tag::Other: text += "other::"; break;
    }
    text += permission_string(entry.perms);
  }
  return text;
}

}  // namespace dldoctor
