// Stage 2, permissions (missing-permission family). The loader opens the file O_RDONLY (glibc
// open_verify), which needs search (x) permission on every directory the kernel's path walk
// looks a name up in and read (r) permission on the file, for the user the host runs as; then
// it maps the file's segments, an executable one with PROT_EXEC (_dl_map_segments), which the
// kernel refuses with EPERM on a file system mounted noexec, for every user, root included.
// The execute bit of the file itself is never consulted: mmap(PROT_EXEC) does not need it.
//
// The rules are the kernel's (checks/access_rules.cpp), made for the current process or for the
// user given with --user; for the current process the kernel is also asked (faccessat), and its
// answer wins where the two disagree (a security module, a capability).
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <variant>

#include "checks/access_rules.hpp"
#include "checks/finding_helpers.hpp"
#include "checks/mounts.hpp"
#include "checks/path_walk.hpp"
#include "checks/stage.hpp"

namespace dldoctor {
namespace {

std::string octal_mode(mode_t mode) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
  return buffer;
}

std::string hex_offset(std::uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

std::string owner_and_group(const FileFacts& facts) {
  const std::string owner = user_name(facts.owner);
  const std::string group = group_name(facts.group);
  return "owner " + (owner.empty() ? "" : owner + " ") + "(uid " + std::to_string(facts.owner) +
         "), group " + (group.empty() ? "" : group + " ") + "(gid " + std::to_string(facts.group) +
         ")";
}

// "./private: mode 0700 (drwx------), owner root (uid 0), group root (gid 0)", and the ACL.
std::string facts_line(const std::string& shown, const FileFacts& facts) {
  std::string line = shown + ": mode " + octal_mode(facts.mode) + " (" + mode_string(facts.mode) +
                     "), " + owner_and_group(facts);
  if (!facts.acl.empty()) line += ", ACL " + acl_string(facts.acl);
  return line;
}

std::string group_label(gid_t gid) {
  const std::string name = group_name(gid);
  return name.empty() ? "gid " + std::to_string(gid) : name;
}

char wanted_letter(unsigned wanted) {
  return wanted == kSearch ? 'x' : wanted == kRead ? 'r' : 'w';
}

std::string acl_entry_text(const AclEntry& entry, const FileFacts& facts) {
  switch (entry.tag) {
    case AclEntry::Tag::User:
      return "user:" + acl_user_label(entry.id) + ":" + permission_string(entry.perms);
    case AclEntry::Tag::GroupObj:
      return "group::" + permission_string(entry.perms) + " (group " + group_label(facts.group) +
             ")";
    case AclEntry::Tag::Group:
      return "group:" + acl_group_label(entry.id) + ":" + permission_string(entry.perms);
    default: return permission_string(entry.perms);
  }
}

// Why the kernel says no, in the terms of the class or ACL entry that decided.
std::string refusal_reason(const AccessDecision& decision, const UserIdentity& user,
                           const FileFacts& facts, unsigned wanted) {
  const std::string who = user_label(user);
  const std::string lacks = std::string(" (no ") + wanted_letter(wanted) + ")";
  const std::string bits = permission_string(decision.class_perms);
  if (decision.acl_entry) {
    std::string reason =
        "the ACL decides for " + who + ": its entry " + acl_entry_text(*decision.acl_entry, facts);
    if ((decision.class_perms & wanted) != wanted) return reason + lacks;
    return reason + " is limited by mask::" + permission_string(decision.mask.value_or(7)) + lacks;
  }
  switch (decision.deciding) {
    case PermissionClass::Owner: return who + " owns it: the owner bits decide, u=" + bits + lacks;
    case PermissionClass::OwningGroup:
      return who + " is not its owner but is in its group " + group_label(facts.group) +
             ": the group bits decide, g=" + bits + lacks;
    default:
      return who + " is neither its owner nor in its group " + group_label(facts.group) +
             ": the others bits decide, o=" + bits + lacks;
  }
}

// The command that grants `wanted` to exactly the class or ACL entry that decided.
std::string grant_command(const AccessDecision& decision, const std::string& shown,
                          unsigned wanted) {
  const std::string target = " " + shell_quote(shown);
  const std::string letter(1, wanted_letter(wanted));
  if (decision.acl_entry) {
    // chmod g+r on a file with an ACL changes the mask, not the entry: setfacl says what it means.
    const AclEntry& entry = *decision.acl_entry;
    std::string specs;
    if ((entry.perms & wanted) != wanted) {
      const std::string perms = permission_string(entry.perms | wanted);
      if (entry.tag == AclEntry::Tag::User)
        specs = "u:" + acl_user_label(entry.id) + ":" + perms;
      else if (entry.tag == AclEntry::Tag::GroupObj)
        specs = "g::" + perms;
      else
        specs = "g:" + acl_group_label(entry.id) + ":" + perms;
    }
    if (decision.mask && (*decision.mask & wanted) != wanted)
      specs += (specs.empty() ? "" : ",") + ("m::" + permission_string(*decision.mask | wanted));
    return "setfacl -m " + specs + target;
  }
  switch (decision.deciding) {
    case PermissionClass::Owner: return "chmod u+" + letter + target;
    case PermissionClass::OwningGroup: return "chmod g+" + letter + target;
    default: return "chmod o+" + letter + target;
  }
}

std::string class_words(const AccessDecision& decision, const FileFacts& facts,
                        const UserIdentity& user) {
  if (decision.acl_entry) return user_label(user) + "'s ACL entry";
  switch (decision.deciding) {
    case PermissionClass::Owner: return "its owner";
    case PermissionClass::OwningGroup: return "its group " + group_label(facts.group);
    default: return "others";
  }
}

// "./p.so", or for a dependency "libdep.so (needed by ./p.so) at /opt/p/libdep.so".
std::string subject(const std::string& shown, std::string_view needed_by) {
  if (needed_by.empty()) return shown;
  const std::size_t slash = shown.rfind('/');
  const std::string name = slash == std::string::npos ? shown : shown.substr(slash + 1);
  return name + " (needed by " + std::string(needed_by) + ") at " + shown;
}

std::string checked_for(const UserIdentity& user) {
  return (user.is_current_process ? "checked for this process: " : "checked for ") +
         describe_credentials(user);
}

// A library found by searching that cannot be opened is passed over, not reported.
void add_search_skip_note(Finding& finding, std::string_view needed_by) {
  if (needed_by.empty()) return;
  finding.evidence.push_back(
      "the loader passes over a candidate it cannot open (open_path in elf/dl-load.c treats "
      "EACCES like ENOENT) and searches on: unless it finds another copy, dlopen says \"cannot "
      "open shared object file: No such file or directory\" for a file that is there");
}

// For the current process the kernel has the last word: the rules cannot see a security module
// (AppArmor, SELinux) or a capability. faccessat(AT_EACCESS) asks it with the effective ids.
std::optional<bool> kernel_allows(const UserIdentity& user, const std::string& path, int how) {
  if (!user.is_current_process) return std::nullopt;
  return ::faccessat(AT_FDCWD, path.c_str(), how, AT_EACCESS) == 0;
}

Finding unsearchable(const SearchedDirectory& directory, const FileFacts& facts,
                     const AccessDecision& decision, const UserIdentity& user,
                     const std::string& path_shown, std::string_view needed_by, bool by_kernel) {
  Finding finding = make_finding(finding_code("permission.unsearchable-directory"),
                                 "the directory " + directory.shown + " cannot be searched by " +
                                     describe_user(user) + ", so " +
                                     subject(path_shown, needed_by) + " cannot be reached");
  finding.evidence.push_back(checked_for(user));
  finding.evidence.push_back(facts_line(directory.shown, facts));
  if (by_kernel) {
    finding.evidence.push_back(
        "the mode bits and ACL allow search, but the kernel refuses it (EACCES): a security "
        "module (AppArmor, SELinux) or a missing capability decides");
    finding.fix.summary = "find what refuses the search: the security module's log says";
    finding.fix.commands.push_back("namei -l " + shell_quote(path_shown));
  } else {
    finding.evidence.push_back(refusal_reason(decision, user, facts, kSearch));
    finding.fix.summary = "give " + class_words(decision, facts, user) +
                          " search (x) permission on " + directory.shown +
                          "; read (r) on a directory only lists it and is not needed";
    finding.fix.commands.push_back(grant_command(decision, directory.shown, kSearch));
  }
  add_search_skip_note(finding, needed_by);
  return finding;
}

Finding unreadable(const std::string& shown, const FileFacts& facts, const AccessDecision& decision,
                   const UserIdentity& user, std::string_view needed_by, bool by_kernel) {
  Finding finding = make_finding(
      finding_code("permission.unreadable-file"),
      subject(shown, needed_by) + " cannot be opened for reading by " + describe_user(user));
  finding.evidence.push_back(checked_for(user));
  finding.evidence.push_back(facts_line(shown, facts));
  if (by_kernel) {
    finding.evidence.push_back(
        "the mode bits and ACL allow reading, but the kernel refuses it (EACCES): a security "
        "module (AppArmor, SELinux) decides");
    finding.fix.summary = "find what refuses the open: the security module's log says";
    finding.fix.commands.push_back("ls -lZ " + shell_quote(shown));
  } else {
    finding.evidence.push_back(refusal_reason(decision, user, facts, kRead));
    finding.fix.summary = "give " + class_words(decision, facts, user) +
                          " read (r) permission on " + shown +
                          "; the execute bit (x) is not needed to load it";
    finding.fix.commands.push_back(grant_command(decision, shown, kRead));
  }
  add_search_skip_note(finding, needed_by);
  return finding;
}

// dldoctor's own process could not look further: say so instead of guessing.
Finding not_inspectable(const PathWalk& walk, const UserIdentity& user) {
  Finding finding =
      make_finding(finding_code("permission.not-inspectable"),
                   "dldoctor cannot look up " + walk.failed_at +
                       " itself, so it cannot tell whether " + describe_user(user) + " can");
  finding.evidence.push_back("lstat " + walk.failed_at + ": " + std::strerror(walk.error));
  finding.evidence.push_back("dldoctor runs as " + describe_credentials(current_user()));
  finding.fix.summary = "run dldoctor as root (or as that user) to check this path for that user";
  return finding;
}

// The loader maps segments only for an ELF file it has accepted (open_verify,
// _dl_map_object_from_fd: this class and machine, ET_DYN), and asks for PROT_EXEC only for a
// PT_LOAD with PF_X. For a file it would refuse earlier, noexec is not what the host will see.
std::optional<elf::ProgramHeader> executable_segment(const std::string& path) {
  const elf::ReadOutcome outcome = elf::read_image(path);
  const auto* image = std::get_if<elf::Image>(&outcome);
  if (image == nullptr) return std::nullopt;
  if (image->identity.elf_class != elf::host_class() ||
      image->identity.machine != elf::host_machine() || image->identity.type != ET_DYN)
    return std::nullopt;
  for (const elf::ProgramHeader& header : image->program_headers)
    if (header.type == PT_LOAD && (header.flags & PF_X) != 0) return header;
  return std::nullopt;
}

// Where the file could go instead: a conventional library directory on a mount without noexec.
std::optional<std::string> executable_library_directory() {
  for (const char* candidate : {"/usr/local/lib", "/usr/lib", "/opt"}) {
    struct stat status;
    struct statvfs file_system;
    if (::stat(candidate, &status) == 0 && S_ISDIR(status.st_mode) &&
        ::statvfs(candidate, &file_system) == 0 && (file_system.f_flag & ST_NOEXEC) == 0)
      return candidate;
  }
  return std::nullopt;
}

std::string base_name(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::optional<Finding> noexec_mount(const PathWalk& walk, const std::string& shown,
                                    std::string_view needed_by) {
  struct statvfs file_system;
  if (::statvfs(walk.target.c_str(), &file_system) != 0 || (file_system.f_flag & ST_NOEXEC) == 0)
    return std::nullopt;
  const std::optional<elf::ProgramHeader> segment = executable_segment(walk.target);
  if (!segment) return std::nullopt;
  const std::optional<MountEntry> mount = mount_containing(walk.target, read_mountinfo());
  const std::string where = mount ? mount->mount_point : "its file system";
  Finding finding =
      make_finding(finding_code("permission.noexec-mount"),
                   subject(shown, needed_by) + " is on a file system mounted noexec (" + where +
                       "): the kernel refuses to map its code, for every user, root included");
  finding.evidence.push_back("statvfs " + shown + ": ST_NOEXEC is set");
  if (mount)
    finding.evidence.push_back("mount point " + mount->mount_point + ": " + mount->fs_type + " " +
                               mount->source + ", options " + mount->options +
                               " (/proc/self/mountinfo)");
  finding.evidence.push_back("PT_LOAD at offset " + hex_offset(segment->offset) +
                             " is executable (PF_X): the loader maps it with PROT_EXEC "
                             "(_dl_map_segments), which mmap refuses on a noexec mount (EPERM): "
                             "\"failed to map segment from shared object\"");
  const std::optional<std::string> destination = executable_library_directory();
  const std::string name = base_name(walk.target);
  if (destination) {
    finding.fix.summary = "move " + name + " to a file system mounted without noexec, such as " +
                          *destination + ", and load it from there" +
                          (needed_by.empty() ? "" : " (where the loader's search finds it)") +
                          "; remounting " + where +
                          " with exec works too, but undoes a deliberate hardening";
    finding.fix.commands.push_back("install -m 0644 " + shell_quote(shown) + " " +
                                   shell_quote(*destination + "/" + name));
  } else {
    finding.fix.summary =
        "move " + name + " to a file system mounted without noexec (findmnt lists the mounts)";
    finding.fix.commands.push_back("findmnt -o TARGET,OPTIONS");
  }
  return finding;
}

// The directories whose writers can replace what the path leads to: those the walk searched,
// and for a relative path also the ones above the current directory (renaming any of them
// swaps everything below).
std::vector<SearchedDirectory> directories_above(const PathWalk& walk) {
  std::vector<SearchedDirectory> directories;
  if (!walk.searched.empty() && walk.searched.front().physical != "/") {
    std::vector<SearchedDirectory> ancestors;
    std::string directory = walk.searched.front().physical;
    while (directory != "/") {
      directory = parent_directory(directory);
      ancestors.push_back({directory, directory});
    }
    directories.assign(ancestors.rbegin(), ancestors.rend());
  }
  for (const SearchedDirectory& directory : walk.searched) {
    bool seen = false;
    for (const SearchedDirectory& known : directories)
      seen = seen || known.physical == directory.physical;
    if (!seen) directories.push_back(directory);
  }
  return directories;
}

UserIdentity user_for(const Context& context, std::string& error) {
  if (!context.request.user) return current_user();
  auto resolved = resolve_user(*context.request.user);
  if (auto* message = std::get_if<std::string>(&resolved)) {
    error = *message;
    return {};
  }
  return std::get<UserIdentity>(std::move(resolved));
}

}  // namespace

namespace {

// The directories a user was found to be allowed to search, in this thread's outermost
// SearchPermissionMemo: (uid, directory). Only the allowed ones: a refusal is worked out again,
// with its evidence, each time.
struct SearchMemo {
  int depth = 0;
  std::set<std::pair<uid_t, std::string>> searchable;
  // The paths check_access found the user may open as the loader does (every directory of the
  // walk searchable, the file readable, its mount not noexec): (uid, path as asked).
  std::set<std::pair<uid_t, std::string>> openable;
};
thread_local SearchMemo search_memo;

std::optional<Finding> check_access_now(const std::string& path, const UserIdentity& user,
                                        std::string_view needed_by);

}  // namespace

SearchPermissionMemo::SearchPermissionMemo() { ++search_memo.depth; }
SearchPermissionMemo::~SearchPermissionMemo() {
  if (--search_memo.depth == 0) {
    search_memo.searchable.clear();
    search_memo.openable.clear();
  }
}

std::optional<Finding> check_access(const std::string& path, const UserIdentity& user,
                                    std::string_view needed_by) noexcept {
  try {
    const bool memo = search_memo.depth > 0;
    if (memo && search_memo.openable.count({user.uid, path}) != 0) return std::nullopt;
    std::optional<Finding> finding = check_access_now(path, user, needed_by);
    if (memo && !finding) search_memo.openable.insert({user.uid, path});
    return finding;
  } catch (...) {
    return std::nullopt;  // allocation failure: nothing found is better than a guess
  }
}

namespace {

std::optional<Finding> check_access_now(const std::string& path, const UserIdentity& user,
                                        std::string_view needed_by) {
  {
    const PathWalk walk = walk_path(path);
    if (walk.error != 0 && walk.error != EACCES) return std::nullopt;  // a bad-path matter
    const std::string path_shown = walk.error == 0 ? walk.target_shown : path;
    for (const SearchedDirectory& directory : walk.searched) {
      const bool memo = search_memo.depth > 0;
      if (memo && search_memo.searchable.count({user.uid, directory.physical}) != 0) continue;
      int error = 0;
      const std::optional<FileFacts> facts = read_file_facts(directory.physical, error);
      if (!facts) continue;
      const AccessDecision decision = decide_access(*facts, user, kSearch);
      const std::optional<bool> kernel = kernel_allows(user, directory.physical, X_OK);
      if (kernel.value_or(decision.granted)) {
        if (memo) search_memo.searchable.insert({user.uid, directory.physical});
        continue;
      }
      return unsearchable(directory, *facts, decision, user, path_shown, needed_by,
                          decision.granted);
    }
    if (walk.error == EACCES) {
      // Every rule allowed the walk, yet lstat was refused: dldoctor's own process may not look.
      if (!user.is_current_process) return not_inspectable(walk, user);
      int error = 0;
      const std::string parent = parent_directory(walk.failed_at);
      const std::optional<FileFacts> facts = read_file_facts(parent, error);
      if (!facts) return not_inspectable(walk, user);
      return unsearchable({parent, parent}, *facts, decide_access(*facts, user, kSearch), user,
                          path, needed_by, true);
    }
    int error = 0;
    const std::optional<FileFacts> facts = read_file_facts(walk.target, error);
    if (!facts) return std::nullopt;
    const AccessDecision decision = decide_access(*facts, user, kRead);
    if (!kernel_allows(user, walk.target, R_OK).value_or(decision.granted))
      return unreadable(walk.target_shown, *facts, decision, user, needed_by, decision.granted);
    if (S_ISREG(facts->mode)) {
      std::optional<Finding> finding = noexec_mount(walk, walk.target_shown, needed_by);
      if (finding) finding->evidence.insert(finding->evidence.begin(), checked_for(user));
      return finding;
    }
    return std::nullopt;
  }
}

// "bob (uid 1001)", or "uid 1001" without an entry.
std::string describe_user_id(uid_t uid) {
  const std::string name = user_name(uid);
  return name.empty() ? "uid " + std::to_string(uid) : name + " (uid " + std::to_string(uid) + ")";
}

}  // namespace

std::optional<Finding> check_writable_by_others(const std::string& path, const UserIdentity& user,
                                                std::string_view needed_by) noexcept {
  try {
    const PathWalk walk = walk_path(path);
    if (walk.error != 0) return std::nullopt;
    int error = 0;
    const std::optional<FileFacts> target = read_file_facts(walk.target, error);
    // A directory, a device, a FIFO: the identity stage refuses it as what it is; who may write
    // it is not the question (and /dev/zero's mode is the kernel's).
    if (!target || !S_ISREG(target->mode)) return std::nullopt;
    Finding finding = make_finding(finding_code("permission.writable-by-others"), "");
    std::string first_shown;
    bool system_only = true;   // every writable place found is one the system owns
    std::string sticky_shown;  // a sticky directory whose other writers cannot replace the file
    std::vector<uid_t> sticky_owners;  // who can still replace it there, other than root and user
    // The walk's directories, then the file: in a sticky directory, what can be replaced is the
    // entry the walk takes next.
    std::vector<SearchedDirectory> walked = directories_above(walk);
    walked.push_back({walk.target, walk.target_shown});
    auto entry_owner = [&](std::size_t at) -> std::optional<uid_t> {
      for (std::size_t next = at + 1; next < walked.size(); ++next) {
        struct stat status {};
        if (parent_directory(walked[next].physical) == walked[at].physical &&
            ::lstat(walked[next].physical.c_str(), &status) == 0)
          return status.st_uid;
      }
      return std::nullopt;
    };
    auto inspect = [&](std::size_t at, const FileFacts& facts) {
      const std::string& physical = walked[at].physical;
      const std::string& shown = walked[at].shown;
      const bool is_target = at + 1 == walked.size();
      if (!is_target && (facts.mode & S_ISVTX) != 0) {
        // Sticky (/tmp): only an entry's owner, the directory's owner and root may rename or
        // remove it (fs/namei.c may_delete), so its other writers cannot replace the entry the
        // walk takes next; what is left to trust is that entry's owner and the directory's.
        if (other_writers(facts).empty()) return;
        const std::optional<uid_t> next_owner = entry_owner(at);
        if (!next_owner) return;
        const auto trusted = [&](uid_t owner) { return owner == 0 || owner == user.uid; };
        if (trusted(*next_owner) && trusted(facts.owner)) return;
        for (const uid_t owner : {*next_owner, facts.owner})
          if (!trusted(owner) &&
              std::find(sticky_owners.begin(), sticky_owners.end(), owner) == sticky_owners.end())
            sticky_owners.push_back(owner);
        if (sticky_shown.empty()) sticky_shown = shown;
        finding.evidence.push_back(facts_line(shown, facts) +
                                   ": sticky, so its other writers cannot replace what they do "
                                   "not own; its owner and the owner of each entry still can");
        return;
      }
      const std::vector<OtherWriter> writers = other_writers(facts);
      if (writers.empty()) return;
      if (first_shown.empty()) first_shown = shown;
      const bool system = !is_target && is_system_directory(physical, facts.owner);
      system_only = system_only && system;
      std::string who;
      std::string chmod_removes;
      std::string setfacl_specs;
      for (const OtherWriter& writer : writers) {
        who += (who.empty() ? "" : " and ") + writer.who;
        if (writer.by_setfacl)
          setfacl_specs += (setfacl_specs.empty() ? "" : ",") + writer.remove;
        else
          chmod_removes += writer.remove.substr(0, 1);
      }
      finding.evidence.push_back(
          facts_line(shown, facts) + ": writable by " + who +
          (is_target ? ", who can rewrite it" : ", who can replace the names in it") +
          (system ? " (a directory of the system: its mode is the distribution's, not to change)"
                  : ""));
      if (system) return;
      if (!chmod_removes.empty())
        finding.fix.commands.push_back("chmod " + chmod_removes + "-w " + shell_quote(shown));
      if (!setfacl_specs.empty())
        finding.fix.commands.push_back("setfacl -m " + setfacl_specs + " " + shell_quote(shown));
    };
    for (std::size_t at = 0; at + 1 < walked.size(); ++at) {
      const std::optional<FileFacts> facts = read_file_facts(walked[at].physical, error);
      if (facts) inspect(at, *facts);
    }
    inspect(walked.size() - 1, *target);
    if (finding.evidence.empty()) return std::nullopt;
    const std::string subject_shown = subject(walk.target_shown, needed_by);
    if (first_shown.empty()) {
      // Only a sticky directory: nobody can replace the file but its owner and the directory's,
      // and one of them is neither root nor the user that loads it.
      std::string owners;
      for (const uid_t owner : sticky_owners)
        owners += (owners.empty() ? "" : " and ") + describe_user_id(owner);
      finding.summary = subject_shown + " is in " + sticky_shown +
                        ", which every user can write; it is sticky, so only root and " + owners +
                        " can replace the file: the host runs the code they choose";
      finding.evidence.push_back(facts_line(walk.target_shown, *target));
      finding.fix.summary = "install the plugin in a directory that only root" +
                            (user.is_root() ? "" : " or " + user_label(user)) +
                            " can write, or make sure " + owners +
                            (sticky_owners.size() == 1 ? " is" : " are") + " trusted";
      return finding;
    }
    finding.summary =
        first_shown == walk.target_shown
            ? subject_shown +
                  " can be written by users other than its owner and root: whoever can "
                  "write it chooses the code the host runs"
            : first_shown + ", a directory above " + subject_shown +
                  ", can be written by users other than its owner and root: they can replace "
                  "the file, and whoever can write it chooses the code the host runs";
    finding.fix.summary =
        finding.fix.commands.empty() && system_only
            ? "do not change a system directory's mode: install the plugin where only root or "
              "the host's user can write, or make sure everyone who can write there is trusted"
            : "take write permission away from everyone but the owner";
    return finding;
  } catch (...) {
    return std::nullopt;
  }
}

StageVerdict check_permissions(Context& context) {
  std::string unknown_user;
  const UserIdentity user = user_for(context, unknown_user);
  if (!unknown_user.empty()) {
    Finding finding = make_finding(
        finding_code("permission.unknown-user"),
        "cannot check for user " + context.request.user.value_or("") + ": " + unknown_user);
    finding.fix.summary = "give a user name from the user database (getent passwd) or a UID";
    finding.fix.commands.push_back("getent passwd " + shell_quote(*context.request.user));
    context.findings.push_back(std::move(finding));
    return StageVerdict::Stop;
  }
  // What the loader opens: the path as given, or where the path stage's search found it.
  const std::string& path = context.file.empty() ? context.request.path : context.file;
  if (std::optional<Finding> finding = check_access(path, user, "")) {
    const bool blocking = finding->severity == Severity::Error;
    context.findings.push_back(std::move(*finding));
    if (blocking) return StageVerdict::Stop;
  }
  if (std::optional<Finding> warning = check_writable_by_others(path, user, ""))
    context.findings.push_back(std::move(*warning));
  context.user = user;  // the dependency stage checks every library it resolves for this user
  return StageVerdict::Continue;
}

}  // namespace dldoctor
