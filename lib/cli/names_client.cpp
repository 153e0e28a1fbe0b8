#include "names_client.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

namespace dldoctor::cli {
namespace {

// NSS over the network (LDAP, SSSD) can be slow; a helper that says nothing for this long is
// taken as unable to answer, and the run goes on without names.
constexpr std::chrono::seconds kAnswerTimeout{20};

template <class Number>
bool parse(const std::string& text, Number& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

template <class Record>
NameAnswer<Record> failure(std::string why) {
  NameAnswer<Record> answer;
  answer.failure = std::move(why);
  return answer;
}

NameAnswer<PasswdRecord> to_user(const NameAnswer<std::vector<std::string>>& said) {
  if (!said.failure.empty()) return failure<PasswdRecord>(said.failure);
  NameAnswer<PasswdRecord> answer;
  if (!said.record) return answer;
  const std::vector<std::string>& fields = *said.record;
  PasswdRecord user;
  if (fields.size() != 3 || !parse(fields[0], user.uid) || !parse(fields[1], user.primary_group))
    return failure<PasswdRecord>("dldoctor-names gave a malformed user entry");
  user.name = fields[2];
  answer.record = std::move(user);
  return answer;
}

std::string describe_errno(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

HelperNameService::~HelperNameService() { stop(); }

void HelperNameService::stop() {
  if (socket_ >= 0) ::close(socket_);  // the helper reads the end of its input and exits
  socket_ = -1;
  if (child_ > 0) {
    int status = 0;
    while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  child_ = -1;
}

std::string HelperNameService::start() {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0)
    return describe_errno("cannot create a socket pair for dldoctor-names");
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(ends[0]);
    ::close(ends[1]);
    return describe_errno("cannot fork for dldoctor-names");
  }
  if (child == 0) {
    // Only async-signal-safe calls between fork and exec. dup2 clears close-on-exec.
    if (::dup2(ends[1], STDIN_FILENO) < 0 || ::dup2(ends[1], STDOUT_FILENO) < 0) ::_exit(126);
    char* const arguments[] = {const_cast<char*>(helper_.c_str()), nullptr};
    ::execv(helper_.c_str(), arguments);
    ::_exit(127);
  }
  ::close(ends[1]);
  socket_ = ends[0];
  child_ = child;
  return "";
}

NameAnswer<std::vector<std::string>> HelperNameService::ask(const std::string& request) {
  const std::lock_guard<std::mutex> lock(mutex_);
  using Fields = std::vector<std::string>;
  if (const auto known = answered_.find(request); known != answered_.end()) return known->second;
  if (broken_.empty() && socket_ < 0) broken_ = start();
  if (!broken_.empty()) return failure<Fields>(broken_);

  const std::string line = request + "\n";
  for (std::size_t sent = 0; sent < line.size();) {
    // MSG_NOSIGNAL: a helper that died is an answer, not a SIGPIPE that ends dldoctor.
    const ssize_t wrote = ::send(socket_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      broken_ = "cannot ask " + helper_ + " for user and group names (it is not running)";
      stop();
      return failure<Fields>(broken_);
    }
    sent += static_cast<std::size_t>(wrote);
  }
  const auto deadline = std::chrono::steady_clock::now() + kAnswerTimeout;
  std::size_t newline;
  while ((newline = pending_.find('\n')) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd waiting{socket_, POLLIN, 0};
    const int ready = left.count() > 0 ? ::poll(&waiting, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    char buffer[4096];
    const ssize_t got = ready > 0 ? ::read(socket_, buffer, sizeof buffer) : -1;
    if (got < 0 && ready > 0 && errno == EINTR) continue;
    if (got <= 0) {
      broken_ = ready == 0 ? "the user database gave no answer within " +
                                 std::to_string(kAnswerTimeout.count()) + " s"
                           : "cannot run " + helper_ +
                                 ", which looks user and group names up for dldoctor";
      if (ready == 0 && child_ > 0) ::kill(child_, SIGKILL);
      stop();
      return failure<Fields>(broken_);
    }
    pending_.append(buffer, static_cast<std::size_t>(got));
  }
  std::string said = pending_.substr(0, newline);
  pending_.erase(0, newline + 1);

  NameAnswer<Fields> answer;
  if (said == "-") {
    // no entry
  } else if (said.rfind("!\t", 0) == 0) {
    answer.failure = said.substr(2);
  } else if (said.rfind("+", 0) == 0) {
    Fields fields;
    for (std::size_t at = 1; at < said.size() && said[at] == '\t';) {
      const std::size_t next = said.find('\t', at + 1);
      fields.push_back(said.substr(at + 1, next == std::string::npos ? next : next - at - 1));
      at = next == std::string::npos ? said.size() : next;
    }
    answer.record = std::move(fields);
  } else {
    answer.failure = "dldoctor-names gave an answer dldoctor does not understand";
  }
  answered_.emplace(request, answer);
  return answer;
}

NameAnswer<PasswdRecord> HelperNameService::user_by_name(const std::string& name) {
  if (name.find_first_of("\t\n") != std::string::npos) return {};  // no such name can exist
  return to_user(ask("N\t" + name));
}

NameAnswer<PasswdRecord> HelperNameService::user_by_id(uid_t uid) {
  return to_user(ask("U\t" + std::to_string(uid)));
}

NameAnswer<GroupRecord> HelperNameService::group_by_id(gid_t gid) {
  const NameAnswer<std::vector<std::string>> said = ask("G\t" + std::to_string(gid));
  if (!said.failure.empty()) return failure<GroupRecord>(said.failure);
  NameAnswer<GroupRecord> answer;
  if (!said.record) return answer;
  if (said.record->empty()) return failure<GroupRecord>("dldoctor-names gave a malformed group");
  GroupRecord group;
  group.name = said.record->front();
  group.members.assign(said.record->begin() + 1, said.record->end());
  answer.record = std::move(group);
  return answer;
}

NameAnswer<std::vector<gid_t>> HelperNameService::groups_of(const std::string& name,
                                                            gid_t primary) {
  if (name.find_first_of("\t\n") != std::string::npos) return {};
  const NameAnswer<std::vector<std::string>> said =
      ask("L\t" + name + "\t" + std::to_string(primary));
  if (!said.failure.empty()) return failure<std::vector<gid_t>>(said.failure);
  NameAnswer<std::vector<gid_t>> answer;
  if (!said.record) return answer;
  std::vector<gid_t> groups;
  for (const std::string& text : *said.record) {
    gid_t gid = 0;
    if (!parse(text, gid))
      return failure<std::vector<gid_t>>("dldoctor-names gave a malformed group list");
    groups.push_back(gid);
  }
  answer.record = std::move(groups);
  return answer;
}

}  // namespace dldoctor::cli
