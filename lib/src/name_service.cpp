#include "name_service.hpp"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace dldoctor {
namespace {

// The reentrant lookups need a buffer whose size the system suggests; grow it on ERANGE (a group
// with many members can need more than _SC_GETGR_R_SIZE_MAX says). 0 and no record: no entry.
template <class Record, class Key, class Lookup>
int lookup_record(Key key, Lookup lookup, Record& record, std::vector<char>& buffer, bool& found) {
  buffer.resize(4096);
  while (true) {
    Record* result = nullptr;
    const int error = lookup(key, &record, buffer.data(), buffer.size(), &result);
    if (error == ERANGE && buffer.size() < (1u << 22)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    found = error == 0 && result != nullptr;
    // getpwnam_r(3): ENOENT, ESRCH, EBADF and EPERM also mean "not found" for some modules.
    if (error == ENOENT || error == ESRCH || error == EBADF || error == EPERM) return 0;
    return error;
  }
}

template <class Record>
NameAnswer<Record> failed(int error) {
  NameAnswer<Record> answer;
  answer.failure = std::string("the user database could not be read: ") + std::strerror(error);
  return answer;
}

NameAnswer<PasswdRecord> from_passwd(int error, bool found, const passwd& entry) {
  if (error != 0) return failed<PasswdRecord>(error);
  NameAnswer<PasswdRecord> answer;
  if (found)
    answer.record =
        PasswdRecord{entry.pw_uid, entry.pw_gid, entry.pw_name != nullptr ? entry.pw_name : ""};
  return answer;
}

class NssNameService final : public NameService {
 public:
  NameAnswer<PasswdRecord> user_by_name(const std::string& name) override {
    passwd entry;
    std::vector<char> buffer;
    bool found = false;
    const int error = lookup_record(name.c_str(), ::getpwnam_r, entry, buffer, found);
    return from_passwd(error, found, entry);
  }

  NameAnswer<PasswdRecord> user_by_id(uid_t uid) override {
    passwd entry;
    std::vector<char> buffer;
    bool found = false;
    const int error = lookup_record(uid, ::getpwuid_r, entry, buffer, found);
    return from_passwd(error, found, entry);
  }

  NameAnswer<GroupRecord> group_by_id(gid_t gid) override {
    group entry;
    std::vector<char> buffer;
    bool found = false;
    const int error = lookup_record(gid, ::getgrgid_r, entry, buffer, found);
    if (error != 0) return failed<GroupRecord>(error);
    NameAnswer<GroupRecord> answer;
    if (!found) return answer;
    GroupRecord record;
    record.name = entry.gr_name != nullptr ? entry.gr_name : "";
    for (char** member = entry.gr_mem; member != nullptr && *member != nullptr; ++member)
      record.members.emplace_back(*member);
    answer.record = std::move(record);
    return answer;
  }

  NameAnswer<std::vector<gid_t>> groups_of(const std::string& name, gid_t primary) override {
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    // -1 with count set to the number needed: grow and ask again.
    while (::getgrouplist(name.c_str(), primary, groups.data(), &count) < 0) {
      if (count <= static_cast<int>(groups.size())) count = static_cast<int>(groups.size()) * 2;
      if (count > 65536) break;
      groups.resize(static_cast<std::size_t>(count));
    }
    groups.resize(static_cast<std::size_t>(std::clamp(count, 0, static_cast<int>(groups.size()))));
    std::erase(groups, primary);
    groups.insert(groups.begin(), primary);
    NameAnswer<std::vector<gid_t>> answer;
    answer.record = std::move(groups);
    return answer;
  }
};

NameService* installed = nullptr;

}  // namespace

NameService& nss_name_service() noexcept {
  static NssNameService service;
  return service;
}

NameService& name_service() noexcept {
  return installed != nullptr ? *installed : nss_name_service();
}

void set_name_service(NameService* service) noexcept { installed = service; }

}  // namespace dldoctor
