// Where user and group names come from. The system answers through NSS (nsswitch.conf: files,
// systemd, LDAP...), whose modules glibc loads with dlopen. A statically linked program must not
// do that (the module brings a second libc into the process: the static dldoctor command crashed
// in libnss_systemd), so such a program installs a NameService that asks a dynamically linked
// helper (lib/cli/names_client.cpp); every other process asks NSS itself, the default here.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace dldoctor {

struct PasswdRecord {
  uid_t uid = 0;
  gid_t primary_group = 0;
  std::string name;
};

struct GroupRecord {
  std::string name;
  std::vector<std::string> members;  // gr_mem: the users listed as supplementary members
};

// What a lookup found: a record, no entry, or no answer at all (the database could not be asked:
// `failure` says why).
template <class Record>
struct NameAnswer {
  std::optional<Record> record;
  std::string failure;
};

class NameService {
 public:
  virtual ~NameService() = default;
  virtual NameAnswer<PasswdRecord> user_by_name(const std::string& name) = 0;
  virtual NameAnswer<PasswdRecord> user_by_id(uid_t uid) = 0;
  virtual NameAnswer<GroupRecord> group_by_id(gid_t gid) = 0;
  // Every group login would give the user (getgrouplist): the primary group first.
  virtual NameAnswer<std::vector<gid_t>> groups_of(const std::string& name, gid_t primary) = 0;
};

// NSS in this process: getpwnam_r, getpwuid_r, getgrgid_r, getgrouplist. Also what the helper
// program runs on the other side of the pipe.
NameService& nss_name_service() noexcept;

// The service the library asks; NSS in this process unless set_name_service replaced it.
NameService& name_service() noexcept;
// nullptr restores NSS in this process. Not thread-safe: set it before diagnosing.
void set_name_service(NameService* service) noexcept;

}  // namespace dldoctor
