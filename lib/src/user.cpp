#include "user.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace dldoctor {
namespace {
// The reentrant lookups need a buffer whose size the system suggests; grow it on ERANGE (a group
// with many members can need more than _SC_GETGR_R_SIZE_MAX says).
template <class Record, class Key, class Lookup>
bool lookup_record(Key key, Lookup lookup, Record& record, std::vector<char>& buffer) {
  buffer.resize(4096);
  while (true) {
    Record* found = nullptr;
    const int error = lookup(key, &record, buffer.data(), buffer.size(), &found);
    if (error == ERANGE && buffer.size() < (1u << 22)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    return error == 0 && found != nullptr;
  }
}

std::optional<uid_t> parse_uid(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  unsigned long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  // (uid_t)-1 means "no change" to the kernel's set*id calls; it is never a user.
  if (value >= static_cast<unsigned long>(static_cast<uid_t>(-1))) return std::nullopt;
  return static_cast<uid_t>(value);
}

// The groups login would give the user: the primary group and every group that lists the name.
std::vector<gid_t> groups_of(const std::string& name, gid_t primary) {
  int count = 64;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  while (::getgrouplist(name.c_str(), primary, groups.data(), &count) < 0) {
    if (count <= static_cast<int>(groups.size())) count = static_cast<int>(groups.size()) * 2;
    if (count > 65536) break;
    groups.resize(static_cast<std::size_t>(count));
  }
  groups.resize(static_cast<std::size_t>(std::clamp(count, 0, static_cast<int>(groups.size()))));
  if (std::find(groups.begin(), groups.end(), primary) == groups.end())
    groups.insert(groups.begin(), primary);
  return groups;
}

UserIdentity from_passwd(const passwd& entry) {
  UserIdentity user;
  user.uid = entry.pw_uid;
  user.primary_group = entry.pw_gid;
  user.name = entry.pw_name != nullptr ? entry.pw_name : "";
  user.groups = groups_of(user.name, entry.pw_gid);
  return user;
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
    user.name = user_name(user.uid);
  } catch (...) {
    // Allocation failure: the numbers set so far still decide correctly.
  }
  return user;
}

std::variant<UserIdentity, std::string> resolve_user(std::string_view name_or_uid) noexcept {
  try {
    const std::string text(name_or_uid);
    passwd entry;
    std::vector<char> buffer;
    // A name first, as chown(1) does: a user may be called "1000"; only then a number.
    if (lookup_record(text.c_str(), ::getpwnam_r, entry, buffer)) return from_passwd(entry);
    const std::optional<uid_t> uid = parse_uid(text);
    if (!uid) return "no user named " + text + " in the user database, and not a numeric UID";
    if (lookup_record(*uid, ::getpwuid_r, entry, buffer)) return from_passwd(entry);
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
  return user.name.empty() ? "uid " + std::to_string(user.uid) : user.name;
}

std::string describe_user(const UserIdentity& user) {
  if (user.name.empty()) return "uid " + std::to_string(user.uid);
  return user.name + " (uid " + std::to_string(user.uid) + ")";
}

std::string describe_credentials(const UserIdentity& user) {
  std::string text = "uid " + std::to_string(user.uid);
  if (!user.name.empty()) text += " (" + user.name + ")";
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
  passwd entry;
  std::vector<char> buffer;
  if (!lookup_record(uid, ::getpwuid_r, entry, buffer) || entry.pw_name == nullptr) return "";
  return entry.pw_name;
}

std::string group_name(gid_t gid) {
  group entry;
  std::vector<char> buffer;
  if (!lookup_record(gid, ::getgrgid_r, entry, buffer) || entry.gr_name == nullptr) return "";
  return entry.gr_name;
}

std::vector<std::string> group_members(gid_t gid) {
  std::vector<std::string> members;
  group entry;
  std::vector<char> buffer;
  if (!lookup_record(gid, ::getgrgid_r, entry, buffer)) return members;
  for (char** member = entry.gr_mem; member != nullptr && *member != nullptr; ++member)
    members.emplace_back(*member);
  return members;
}

}  // namespace dldoctor
