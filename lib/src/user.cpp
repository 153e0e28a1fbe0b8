#include "user.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "name_service.hpp"

namespace dldoctor {
namespace {
std::optional<uid_t> parse_uid(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  unsigned long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  // (uid_t)-1 means "no change" to the kernel's set*id calls; it is never a user.
  if (value >= static_cast<unsigned long>(static_cast<uid_t>(-1))) return std::nullopt;
  return static_cast<uid_t>(value);
}

// The identity login or su would give the user: the primary group and every group that lists
// the name (getgrouplist).
std::variant<UserIdentity, std::string> from_record(const PasswdRecord& record) {
  UserIdentity user;
  user.uid = record.uid;
  user.primary_group = record.primary_group;
  user.name = record.name;
  NameAnswer<std::vector<gid_t>> groups =
      name_service().groups_of(record.name, record.primary_group);
  if (!groups.failure.empty())
    return "cannot list the groups of " + record.name + ": " + groups.failure;
  if (groups.record) user.groups = std::move(*groups.record);
  if (std::find(user.groups.begin(), user.groups.end(), record.primary_group) == user.groups.end())
    user.groups.insert(user.groups.begin(), record.primary_group);
  return user;
}

// The name to show for a user: the one resolved with it, or for this process's own uid the one
// the database gives (asked only when a finding is worded: the success path asks nothing).
std::string shown_name(const UserIdentity& user) {
  if (!user.name.empty() || !user.is_current_process) return user.name;
  return user_name(user.uid);
}
}  // namespace

bool UserIdentity::in_group(gid_t gid) const noexcept {
  if (primary_group && *primary_group == gid) return true;
  return std::find(groups.begin(), groups.end(), gid) != groups.end();
}

UserIdentity current_user() noexcept {
  UserIdentity user;
  try {
    user.is_current_process = true;
    user.uid = ::geteuid();
    user.primary_group = ::getegid();
    const int count = ::getgroups(0, nullptr);
    if (count > 0) {
      user.groups.resize(static_cast<std::size_t>(count));
      const int got = ::getgroups(count, user.groups.data());
      user.groups.resize(static_cast<std::size_t>(std::max(got, 0)));
    }
    // getgroups may or may not list the effective gid; the kernel counts it either way.
    if (std::find(user.groups.begin(), user.groups.end(), ::getegid()) == user.groups.end())
      user.groups.insert(user.groups.begin(), ::getegid());
  } catch (...) {
    // Allocation failure: the numbers set so far still decide correctly.
  }
  return user;
}

std::variant<UserIdentity, std::string> resolve_user(std::string_view name_or_uid) noexcept {
  try {
    const std::string text(name_or_uid);
    if (text.empty()) return std::string("an empty user name");
    for (const unsigned char c : text)
      if (c < 0x20 || c == 0x7f) return std::string("a user name has no control characters");
    // A name first, as chown(1) does: a user may be called "1000"; only then a number.
    NameAnswer<PasswdRecord> by_name = name_service().user_by_name(text);
    if (!by_name.failure.empty()) return by_name.failure;
    if (by_name.record) return from_record(*by_name.record);
    const std::optional<uid_t> uid = parse_uid(text);
    if (!uid) return "no user named " + text + " in the user database, and not a numeric UID";
    NameAnswer<PasswdRecord> by_id = name_service().user_by_id(*uid);
    if (!by_id.failure.empty()) return by_id.failure;
    if (by_id.record) return from_record(*by_id.record);
    // A bare UID (a container's, a service's with DynamicUser=): the kernel checks it anyway;
    // without an entry it is in no group we can know of.
    UserIdentity user;
    user.uid = *uid;
    return user;
  } catch (...) {
    return std::string("out of memory while looking the user up");
  }
}

std::string user_label(const UserIdentity& user) {
  const std::string name = shown_name(user);
  return name.empty() ? "uid " + std::to_string(user.uid) : name;
}

std::string describe_user(const UserIdentity& user) {
  const std::string name = shown_name(user);
  if (name.empty()) return "uid " + std::to_string(user.uid);
  return name + " (uid " + std::to_string(user.uid) + ")";
}

std::string describe_credentials(const UserIdentity& user) {
  std::string text = "uid " + std::to_string(user.uid);
  const std::string name = shown_name(user);
  if (!name.empty()) text += " (" + name + ")";
  if (user.groups.empty()) return text + ", no groups known (no entry in the user database)";
  text += user.groups.size() == 1 ? ", group " : ", groups ";
  for (std::size_t i = 0; i < user.groups.size(); ++i) {
    if (i > 0) text += ", ";
    if (i == 8 && user.groups.size() > 9) {
      text += "and " + std::to_string(user.groups.size() - 8) + " more";
      break;
    }
    text += std::to_string(user.groups[i]);
    const std::string name = group_name(user.groups[i]);
    if (!name.empty()) text += " (" + name + ")";
  }
  return text;
}

std::string user_name(uid_t uid) {
  NameAnswer<PasswdRecord> answer = name_service().user_by_id(uid);
  return answer.record ? answer.record->name : "";
}

std::string group_name(gid_t gid) {
  NameAnswer<GroupRecord> answer = name_service().group_by_id(gid);
  return answer.record ? answer.record->name : "";
}

std::vector<std::string> group_members(gid_t gid) {
  NameAnswer<GroupRecord> answer = name_service().group_by_id(gid);
  return answer.record ? std::move(answer.record->members) : std::vector<std::string>{};
}

}  // namespace dldoctor
