// Who will load the plugin: the user the kernel's permission checks are made for. The kernel
// decides by numbers (fsuid, fsgid and the supplementary groups, fs/namei.c in_group_p), so an
// identity is those numbers; names are only for people.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dldoctor {

struct UserIdentity {
  uid_t uid = 0;
  std::optional<gid_t> primary_group;  // nullopt: a bare UID with no entry in the user database
  std::vector<gid_t> groups;           // every group the user is in: primary and supplementary
  std::string name;                    // "" when the user database has no entry
  // This process's own credentials: the kernel itself can be asked (access, open) as well as the
  // rules, and where they disagree (a security module, a capability) the kernel is right.
  bool is_current_process = false;

  bool in_group(gid_t gid) const noexcept;
  bool is_root() const noexcept { return uid == 0; }
};

// The effective uid, gid and supplementary groups of this process (getgroups).
UserIdentity current_user() noexcept;

// A NAME from the user database, or a decimal UID (with or without an entry); the groups are the
// primary group and getgrouplist's, as login or su would set them. The error says what is wrong.
std::variant<UserIdentity, std::string> resolve_user(std::string_view name_or_uid) noexcept;

// "nobody (uid 65534)", "uid 4242", "root (uid 0)".
std::string describe_user(const UserIdentity& user);
// "uid 65534 (nobody), groups 65534 (nogroup)": the numbers the kernel decides by.
std::string describe_credentials(const UserIdentity& user);
// "nobody", or "uid 4242" when there is no name.
std::string user_label(const UserIdentity& user);

// Names for ids, "" when the database has none.
std::string user_name(uid_t uid);
std::string group_name(gid_t gid);
// Members listed for a group in the group database (gr_mem), by name.
std::vector<std::string> group_members(gid_t gid);

}  // namespace dldoctor
