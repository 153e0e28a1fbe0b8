// The statically linked command's user and group names: asked of dldoctor-names, a dynamically
// linked helper (names_helper.cpp), because a static program that loads an NSS module crashes
// (libnss_systemd did, for `check --user daemon`). Started at the first lookup, so a check that
// words no finding about a user starts nothing; one helper answers every lookup of the run.
#pragma once

#include <sys/types.h>

#include <map>
#include <mutex>
#include <string>

#include "name_service.hpp"

namespace dldoctor::cli {

class HelperNameService final : public NameService {
 public:
  explicit HelperNameService(std::string helper) : helper_(std::move(helper)) {}
  ~HelperNameService() override;
  HelperNameService(const HelperNameService&) = delete;
  HelperNameService& operator=(const HelperNameService&) = delete;

  NameAnswer<PasswdRecord> user_by_name(const std::string& name) override;
  NameAnswer<PasswdRecord> user_by_id(uid_t uid) override;
  NameAnswer<GroupRecord> group_by_id(gid_t gid) override;
  NameAnswer<std::vector<gid_t>> groups_of(const std::string& name, gid_t primary) override;

 private:
  // One request line out, one answer line back, "+\t..." "-" or "!\t...": the fields after the
  // first, or the failure.
  NameAnswer<std::vector<std::string>> ask(const std::string& request);
  std::string start();
  void stop();

  std::string helper_;
  int socket_ = -1;
  pid_t child_ = -1;
  std::string broken_;   // why the helper cannot answer any more ("" while it can)
  std::string pending_;  // bytes read past the last answer's newline
  std::map<std::string, NameAnswer<std::vector<std::string>>> answered_;
  // One question at a time: dldoctor scan diagnoses on every core, one helper answers them all.
  std::mutex mutex_;
};

}  // namespace dldoctor::cli
