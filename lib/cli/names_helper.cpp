// dldoctor-names: answers user and group lookups for the statically linked dldoctor command,
// which cannot load NSS modules itself (see lib/src/name_service.hpp). Being dynamically linked,
// it asks NSS as every program of the system does: files, systemd, LDAP, as nsswitch.conf says.
//
// One request per line on standard input, one answer per line on standard output, fields
// separated by tabs; it exits at the end of its input.
//   N<tab>NAME          a user by name      +<tab>UID<tab>GID<tab>NAME
//   U<tab>UID           a user by id        (the same)
//   G<tab>GID           a group by id       +<tab>NAME[<tab>MEMBER]...
//   L<tab>NAME<tab>GID  a user's groups     +<tab>GID[<tab>GID]...
// Or "-" (no entry), or "!<tab>MESSAGE" (the database could not be asked, or a bad request).
#include <charconv>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "name_service.hpp"

namespace {

using dldoctor::NameAnswer;

// A name is a field: a tab or newline inside one would end it early.
std::string field(std::string text) {
  for (char& c : text)
    if (c == '\t' || c == '\n') c = '?';
  return text;
}

template <class Number>
bool parse(std::string_view text, Number& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

template <class Record, class Write>
std::string answer(const NameAnswer<Record>& found, Write write) {
  if (!found.failure.empty()) return "!\t" + field(found.failure);
  if (!found.record) return "-";
  return "+" + write(*found.record);
}

std::string user_fields(const dldoctor::PasswdRecord& user) {
  return "\t" + std::to_string(user.uid) + "\t" + std::to_string(user.primary_group) + "\t" +
         field(user.name);
}

std::string respond(const std::string& line) {
  dldoctor::NameService& names = dldoctor::nss_name_service();
  std::vector<std::string_view> fields;
  std::string_view rest(line);
  for (std::size_t tab; (tab = rest.find('\t')) != std::string_view::npos;) {
    fields.push_back(rest.substr(0, tab));
    rest.remove_prefix(tab + 1);
  }
  fields.push_back(rest);
  const std::string_view kind = fields[0];
  if (kind == "N" && fields.size() == 2)
    return answer(names.user_by_name(std::string(fields[1])), user_fields);
  uid_t uid = 0;
  if (kind == "U" && fields.size() == 2 && parse(fields[1], uid))
    return answer(names.user_by_id(uid), user_fields);
  gid_t gid = 0;
  if (kind == "G" && fields.size() == 2 && parse(fields[1], gid))
    return answer(names.group_by_id(gid), [](const dldoctor::GroupRecord& group) {
      std::string text = "\t" + field(group.name);
      for (const std::string& member : group.members) text += "\t" + field(member);
      return text;
    });
  if (kind == "L" && fields.size() == 3 && parse(fields[2], gid))
    return answer(names.groups_of(std::string(fields[1]), gid), [](const std::vector<gid_t>& ids) {
      std::string text;
      for (const gid_t id : ids) text += "\t" + std::to_string(id);
      return text;
    });
  return "!\tnot a request dldoctor-names knows: " + field(line);
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  for (std::string line; std::getline(std::cin, line);) {
    std::cout << respond(line) << '\n';
    std::cout.flush();
  }
  return 0;
}
