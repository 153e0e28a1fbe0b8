// dldoctor run: the program runs unmodified, with the recorder of lib/cli/run/ in it (LD_AUDIT
// for the loader's searches, LD_PRELOAD for each failure's result and caller); each failed
// dlopen and each missed dlsym is then diagnosed by the library's own stages, as a LoadRequest
// with the program's context: the name asked, the mode, the program as the host, the
// LD_LIBRARY_PATH it started with and the directory it was in. The search the real loader made
// is held against the model's (search::resolve_tree): a difference is said, so that every run
// checks the model.
#include "run.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "checks/stage.hpp"
#include "dldoctor/dldoctor.hpp"
#include "helper_path.hpp"
#include "render/printable.hpp"
#include "run/record.h"

namespace dldoctor::cli {
namespace {

constexpr int kExitCannotRun = 2;

int cannot_run(const std::string& why) {
  std::cerr << "dldoctor run: " << why << "\n";
  return kExitCannotRun;
}

std::string quoted(const std::string& word) { return render::printable(shell_quote(word)); }

// ---- the program, before it runs ----

// execvp's search: a name without a slash is looked for in PATH.
std::optional<std::string> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::stringstream directories(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string directory; std::getline(directories, directory, ':');) {
    const std::string candidate = (directory.empty() ? "." : directory) + "/" + name;
    struct stat status {};
    if (::stat(candidate.c_str(), &status) == 0 && S_ISREG(status.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return std::nullopt;
}

// The dynamic loader (ld-linux*.so*, ld.so*), by its SONAME.
bool is_the_loader(const std::string& path) {
  elf::ReadOutcome outcome = elf::read_image(path, elf::ReadParts::LoaderView);
  const auto* image = std::get_if<elf::Image>(&outcome);
  return image != nullptr && image->dynamic.soname &&
         (image->dynamic.soname->rfind("ld-linux", 0) == 0 ||
          image->dynamic.soname->rfind("ld.so", 0) == 0);
}

// Why the loader will not run the recorder in this program, or "". A script is judged by its
// interpreter (what the kernel runs, binfmt_script), once.
std::string refusal(const std::string& program, int depth = 0) {
  std::ifstream file(program, std::ios::binary);
  char start[256] = {};
  file.read(start, sizeof start - 1);
  if (file.gcount() >= 2 && start[0] == '#' && start[1] == '!' && depth == 0) {
    std::string line(start + 2, static_cast<std::size_t>(file.gcount()) - 2);
    line = line.substr(0, line.find('\n'));
    const std::size_t begin = line.find_first_not_of(" \t");
    if (begin == std::string::npos) return "";
    line = line.substr(begin);
    return refusal(line.substr(0, line.find_first_of(" \t")), depth + 1);
  }
  struct stat status {};
  if (::stat(program.c_str(), &status) != 0) return "";  // exec says why
  // The kernel's secure-execution mode (AT_SECURE): a set-user-ID or set-group-ID program that
  // changes this user's ids, or one with file capabilities. glibc's loader then ignores
  // LD_PRELOAD and LD_AUDIT entries with a slash (elf/rtld.c: __libc_enable_secure).
  struct statvfs mount {};
  const bool nosuid = ::statvfs(program.c_str(), &mount) == 0 && (mount.f_flag & ST_NOSUID) != 0;
  if (!nosuid && (status.st_mode & S_ISUID) != 0 && status.st_uid != ::getuid())
    return quoted(program) + " is set-user-ID (owner uid " + std::to_string(status.st_uid) +
           "): the loader runs it in secure-execution mode and ignores LD_AUDIT and LD_PRELOAD, "
           "so dldoctor would see nothing (check its plugins with dldoctor check PATH --host " +
           quoted(program) + ")";
  if (!nosuid && (status.st_mode & S_ISGID) != 0 && (status.st_mode & S_IXGRP) != 0 &&
      status.st_gid != ::getgid())
    return quoted(program) + " is set-group-ID (group " + std::to_string(status.st_gid) +
           "): the loader runs it in secure-execution mode and ignores LD_AUDIT and LD_PRELOAD, "
           "so dldoctor would see nothing (check its plugins with dldoctor check PATH --host " +
           quoted(program) + ")";
  if (::getxattr(program.c_str(), "security.capability", nullptr, 0) >= 0)
    return quoted(program) +
           " has file capabilities (security.capability): the loader runs it in secure-execution "
           "mode and ignores LD_AUDIT and LD_PRELOAD, so dldoctor would see nothing (check its "
           "plugins with dldoctor check PATH --host " +
           quoted(program) + ")";
  elf::ReadOutcome outcome = elf::read_image(program, elf::ReadParts::LoaderView);
  const auto* image = std::get_if<elf::Image>(&outcome);
  if (image == nullptr) return "";  // not ELF: exec says what it makes of it
  // The loader itself run as a program (ld.so PROGRAM) has no PT_INTERP either, and is the one
  // that reads LD_AUDIT and LD_PRELOAD.
  if (!image->has_interpreter() && !is_the_loader(program))
    return quoted(program) +
           " is statically linked (no PT_INTERP): no dynamic loader runs in it, so there is "
           "nothing to audit or interpose" +
           (image->dynamic.present ? ""
                                   : ", and it cannot dlopen a plugin as a dynamic program does");
  return "";
}

// ---- the records ----

struct Field {
  std::vector<std::string> values;
  const std::string& at(std::size_t i) const {
    static const std::string empty;
    return i < values.size() ? values[i] : empty;
  }
};

struct Record {
  std::uint32_t kind = 0;
  int pid = 0;
  int tid = 0;
  Field fields;
};

// The largest record the recorder writes: the audit module's buffer and a header. A larger
// size is not a record (the descriptor is the program's too: it can write anything there).
constexpr std::size_t kLargestRecord = 64 * 1024 + 4096;

// Whole records from data, from offset on; offset is left at the first byte not consumed (a
// record still being written, unless this is the last read: then it never will be). Garbage
// is skipped up to the next magic number.
std::vector<Record> parse_records(const std::string& data, std::size_t& offset, bool last) {
  std::vector<Record> records;
  const std::size_t header_size = sizeof(dldoctor_run_header);
  while (offset + header_size <= data.size()) {
    dldoctor_run_header header{};
    std::memcpy(&header, data.data() + offset, header_size);
    if (header.magic != DLDOCTOR_RUN_MAGIC || header.size < header_size ||
        header.size > kLargestRecord) {
      ++offset;
      continue;
    }
    if (offset + header.size > data.size()) {
      if (!last) break;  // not all there yet
      ++offset;          // cut short for good
      continue;
    }
    Record record;
    record.kind = header.kind;
    record.pid = header.pid;
    record.tid = header.tid;
    std::size_t at = offset + header_size;
    const std::size_t end = offset + header.size;
    bool whole = true;
    for (std::uint32_t i = 0; i < header.fields; ++i) {
      std::uint32_t length = 0;
      if (at + sizeof length > end) {
        whole = false;
        break;
      }
      std::memcpy(&length, data.data() + at, sizeof length);
      at += sizeof length;
      if (length > end - at) {
        whole = false;
        break;
      }
      record.fields.values.emplace_back(data.data() + at, length);
      at += length;
    }
    offset = end;
    if (whole) records.push_back(std::move(record));
  }
  return records;
}

struct Process {
  std::string exe;
  std::string cwd;
  std::optional<std::string> ld_library_path;
};

// One name the loader searched for, as the audit module saw it: la_objsearch's LA_SER_ORIG call,
// then one call per file tried.
struct SearchedName {
  std::string name;
  std::string requested_by;
  std::vector<std::pair<unsigned, std::string>> tried;  // LA_SER_* flag, path
  std::optional<std::string> opened;                    // the file mapped for it (la_objopen)
};

struct Failure {
  bool dlsym = false;
  int pid = 0;
  // The process image it happened in (exec keeps the pid: a shell's failure is not the
  // program's it execs next).
  Process process;
  std::string name;  // dlopen's file, or dlsym's symbol
  bool name_null = false;
  std::string version;  // dlvsym's
  std::string object;   // dlsym: the handle's object
  int mode = 0;
  std::string lmid;  // dlmopen's namespace, "" for dlopen
  std::string caller;
  std::string error;
  std::string cwd;
  std::vector<SearchedName> searches;  // dlopen, when the audit module sent them
  bool searches_lost = false;
  bool searches_dropped = false;  // they were another dlopen's (a thread raced this one)
};

std::vector<SearchedName> searched_names(const Field& fields, bool& lost) {
  std::vector<SearchedName> names;
  const std::size_t triples = fields.values.empty() ? 0 : (fields.values.size() - 1) / 3;
  lost = !fields.values.empty() && fields.values.back() == "1";
  for (std::size_t i = 0; i < triples; ++i) {
    const unsigned flag =
        static_cast<unsigned>(std::strtoul(fields.at(3 * i).c_str(), nullptr, 10));
    const std::string& requester = fields.at(3 * i + 1);
    const std::string& name = fields.at(3 * i + 2);
    if (flag == LA_SER_ORIG) {
      names.push_back({name, requester, {}, std::nullopt});
    } else if (flag == 0) {  // la_objopen: the object the last search found
      if (!names.empty() && !names.back().opened) names.back().opened = name;
    } else if (!names.empty()) {
      names.back().tried.emplace_back(flag, name);
    }
  }
  return names;
}

class Recording {
 public:
  // Takes the records of data[offset...]; returns the failures they complete.
  std::vector<Failure> add(const std::vector<Record>& records) {
    std::vector<Failure> done;
    for (const Record& record : records) {
      switch (record.kind) {
        case DLDOCTOR_RUN_START: {
          Process& process = processes_[record.pid];
          process.exe = record.fields.at(0);
          process.cwd = record.fields.at(1);
          // ld.so PROGRAM: the program is argv[0], relative to where it ran.
          if (const std::string& argv0 = record.fields.at(6);
              is_the_loader(process.exe) && argv0.find('/') != std::string::npos)
            process.exe =
                argv0[0] == '/' || process.cwd.empty() ? argv0 : process.cwd + "/" + argv0;
          if (record.fields.at(2) == "1") process.ld_library_path = record.fields.at(3);
          break;
        }
        case DLDOCTOR_RUN_SEARCH: last_search_[{record.pid, record.tid}] = record.fields; break;
        case DLDOCTOR_RUN_DLOPEN_FAILED: {
          Failure failure;
          failure.pid = record.pid;
          failure.process = processes_[record.pid];
          failure.name = record.fields.at(0);
          failure.name_null = record.fields.at(1) == "1";
          failure.mode = std::atoi(record.fields.at(2).c_str());
          failure.lmid = record.fields.at(3);
          failure.caller = record.fields.at(4);
          failure.error = record.fields.at(5);
          failure.cwd = record.fields.at(6);
          const auto search = last_search_.find({record.pid, record.tid});
          if (search != last_search_.end()) {
            failure.searches = searched_names(search->second, failure.searches_lost);
            last_search_.erase(search);
            if (!failure.searches.empty() && failure.searches.front().name != failure.name) {
              failure.searches.clear();
              failure.searches_dropped = true;
            }
          }
          done.push_back(std::move(failure));
          break;
        }
        case DLDOCTOR_RUN_DLSYM_MISSED: {
          // Go's plugin.Open looks up PLUGINPATH..inittask and runs it only if it is there
          // (src/plugin/plugin_dlopen.go, open): a package with nothing to initialise has none.
          const std::string& symbol = record.fields.at(0);
          const std::string_view probe = "..inittask";
          if (symbol.size() > probe.size() &&
              symbol.compare(symbol.size() - probe.size(), probe.size(), probe) == 0)
            break;
          Failure failure;
          failure.dlsym = true;
          failure.pid = record.pid;
          failure.process = processes_[record.pid];
          failure.name = record.fields.at(0);
          failure.version = record.fields.at(1);
          failure.object = record.fields.at(2);
          failure.caller = record.fields.at(3);
          failure.error = record.fields.at(4);
          done.push_back(std::move(failure));
          break;
        }
        default: break;  // a kind a newer recorder writes
      }
    }
    return done;
  }
  const std::map<int, Process>& processes() const { return processes_; }

 private:
  std::map<int, Process> processes_;
  std::map<std::pair<int, int>, Field> last_search_;
};

// ---- diagnosis ----

// What diagnose and resolve_tree read of this process (search::Environment::from_process): the
// recorded program's LD_LIBRARY_PATH and directory, for the time of one diagnosis.
class ProgramContext {
 public:
  ProgramContext(const std::optional<std::string>& library_path, const std::string& cwd) {
    if (const char* now = std::getenv("LD_LIBRARY_PATH")) saved_path_ = now;
    if (library_path)
      ::setenv("LD_LIBRARY_PATH", library_path->c_str(), 1);
    else
      ::unsetenv("LD_LIBRARY_PATH");
    char here[4096];
    if (::getcwd(here, sizeof here) != nullptr) saved_cwd_ = here;
    changed_cwd_ = !cwd.empty() && ::chdir(cwd.c_str()) == 0;
  }
  ProgramContext(const ProgramContext&) = delete;
  ProgramContext& operator=(const ProgramContext&) = delete;
  ~ProgramContext() {
    if (saved_path_)
      ::setenv("LD_LIBRARY_PATH", saved_path_->c_str(), 1);
    else
      ::unsetenv("LD_LIBRARY_PATH");
    if (changed_cwd_ && !saved_cwd_.empty() && ::chdir(saved_cwd_.c_str()) != 0) {
    }
  }

 private:
  std::optional<std::string> saved_path_;
  std::string saved_cwd_;
  bool changed_cwd_ = false;
};

std::string rule_of_flag(unsigned flag) {
  switch (flag) {
    case LA_SER_RUNPATH: return "RPATH or RUNPATH";
    case LA_SER_LIBPATH: return "LD_LIBRARY_PATH";
    case LA_SER_CONFIG: return "ld.so.cache";
    case LA_SER_DEFAULT: return "default path";
    case LA_SER_SECURE: return "secure directory";
    default: return "flag " + std::to_string(flag);
  }
}

struct Diagnosed {
  Failure failure;
  std::string program;  // the process's executable
  // A library called dlopen, and the model's search for the name, with that library's RPATH
  // chain and RUNPATH, finds this file.
  std::optional<std::string> found_by_caller;
  Report report;
  // The model against the real loader: empty when they agree or there was nothing to compare.
  std::vector<std::string> disagreements;
  std::size_t compared_paths = 0;
};

// Each name the audit module saw searched (not the ones with a slash: the loader opens those
// as they are, and la_objsearch sees only LA_SER_ORIG) against the model's search for the same
// name, in order: the same files, in the same order.
void compare_with_model(Diagnosed& diagnosed, const search::Tree& tree) {
  std::vector<bool> used(tree.trace.size(), false);
  for (const SearchedName& searched : diagnosed.failure.searches) {
    if (searched.name.find('/') != std::string::npos) continue;
    const search::Resolution* model = nullptr;
    for (std::size_t i = tree.dlopen_trace_start; i < tree.trace.size(); ++i) {
      if (used[i] || tree.trace[i].name != searched.name) continue;
      used[i] = true;
      model = &tree.trace[i];
      break;
    }
    if (model == nullptr) {
      diagnosed.disagreements.push_back("the loader searched for " +
                                        render::printable(searched.name) +
                                        "; dldoctor's model did not search for it");
      continue;
    }
    std::vector<std::string> modelled;
    for (const search::SearchStep& step : model->steps)
      if (step.rule != search::Rule::AlreadyLoaded) modelled.push_back(step.path);
    std::vector<std::string> real;
    for (const auto& [flag, path] : searched.tried) real.push_back(path);
    diagnosed.compared_paths += real.size();
    if (modelled == real) continue;
    std::size_t first = 0;
    while (first < real.size() && first < modelled.size() && real[first] == modelled[first])
      ++first;
    diagnosed.disagreements.push_back(
        render::printable(searched.name) + ": the loader tried " + std::to_string(real.size()) +
        " files, dldoctor's model " + std::to_string(modelled.size()) +
        "; the first difference: " + "the loader " +
        (first < real.size() ? "tried " + render::printable(real[first]) : "stopped") +
        ", the model " +
        (first < modelled.size() ? "tried " + render::printable(modelled[first]) : "stopped"));
  }
}

Diagnosed diagnose_failure(const Failure& failure) {
  Diagnosed diagnosed;
  diagnosed.failure = failure;
  diagnosed.program = failure.process.exe;
  ProgramContext context(failure.process.ld_library_path,
                         !failure.cwd.empty() ? failure.cwd : failure.process.cwd);
  if (failure.dlsym) {
    // The handle's object ("" is the main program: dlopen(NULL)).
    const std::string object = failure.object.empty() ? diagnosed.program : failure.object;
    LoadRequest request{object, Mode::Now};
    request.symbols = {failure.name};
    if (!diagnosed.program.empty() && object != diagnosed.program) request.host = diagnosed.program;
    diagnosed.report = diagnose(request);
    return diagnosed;
  }
  // The program is the host: its RPATH and RUNPATH, and what it has loaded. When the caller is
  // a library, the loader searches with that library's RPATH chain and RUNPATH (glibc
  // dl_open_worker_begin: call_map), never the program's RUNPATH: the caller is the model's too.
  LoadRequest request{failure.name, (failure.mode & RTLD_NOW) != 0 ? Mode::Now : Mode::Lazy};
  if (!diagnosed.program.empty()) request.host = diagnosed.program;
  if (!failure.caller.empty() && failure.caller != diagnosed.program)
    request.caller = failure.caller;
  diagnosed.report = diagnose(request);
  search::TreeRequest tree_request;
  tree_request.path = failure.name;
  tree_request.host = request.host;
  tree_request.caller = request.caller;
  tree_request.environment = search::Environment::from_process();
  const search::Tree tree = search::resolve_tree(tree_request);
  if (request.caller && failure.name.find('/') == std::string::npos && tree.plugin >= 0 &&
      static_cast<std::size_t>(tree.plugin) < tree.nodes.size() &&
      tree.nodes[static_cast<std::size_t>(tree.plugin)].path)
    diagnosed.found_by_caller = tree.nodes[static_cast<std::size_t>(tree.plugin)].path;
  compare_with_model(diagnosed, tree);
  return diagnosed;
}

// ---- output ----

std::string mode_text(int mode) {
  std::string text = (mode & RTLD_NOW) != 0 ? "RTLD_NOW" : "RTLD_LAZY";
  if ((mode & RTLD_GLOBAL) != 0) text += "|RTLD_GLOBAL";
  if ((mode & RTLD_NOLOAD) != 0) text += "|RTLD_NOLOAD";
  if ((mode & RTLD_NODELETE) != 0) text += "|RTLD_NODELETE";
  if ((mode & RTLD_DEEPBIND) != 0) text += "|RTLD_DEEPBIND";
  return text;
}

std::string c_string(const std::string& text) {
  nlohmann::json quoted_text = render::valid_utf8(text);
  return render::printable(quoted_text.dump());
}

std::string indent(const std::string& text, const std::string& prefix) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end == std::string::npos ? end : end - start);
    out += line.empty() ? "\n" : prefix + line + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// The files tried for one name, for people: each directory once, with the hwcaps
// subdirectories tried in it counted, as `dldoctor tree` says them.
std::vector<std::string> describe_tried(const SearchedName& searched) {
  std::vector<std::string> subdirectories = search::hwcap_subdirectories();
  std::vector<std::string> lines;
  std::size_t hwcaps = 0;
  for (const auto& [flag, path] : searched.tried) {
    bool in_subdirectory = false;
    for (const std::string& sub : subdirectories) {
      if (sub.empty()) continue;  // (each ends in '/': "glibc-hwcaps/x86-64-v3/", "tls/")
      const std::string tail = "/" + sub + searched.name;
      if (path.size() > tail.size() &&
          path.compare(path.size() - tail.size(), tail.size(), tail) == 0)
        in_subdirectory = true;
    }
    if (in_subdirectory) {
      ++hwcaps;
      continue;
    }
    std::string line = "tried " + render::printable(path) + " [" + rule_of_flag(flag) + "]";
    if (hwcaps > 0) line += " (and " + std::to_string(hwcaps) + " hwcaps subdirectories before it)";
    hwcaps = 0;
    lines.push_back(line);
  }
  if (hwcaps > 0) lines.push_back("tried " + std::to_string(hwcaps) + " hwcaps subdirectories");
  return lines;
}

std::string requester_text(const std::string& object, const std::string& program) {
  if (object.empty()) return render::printable(program) + " (the program)";
  return render::printable(object);
}

// The process is named by its pid when it is not the one dldoctor started (a child of it).
std::string render_failure_text(const Diagnosed& diagnosed, TextStyle style, pid_t started) {
  const Failure& failure = diagnosed.failure;
  std::string out = "dldoctor run: " + render::printable(diagnosed.program) +
                    (failure.pid == started ? "" : " (pid " + std::to_string(failure.pid) + ")") +
                    ": ";
  if (failure.dlsym) {
    out += std::string(failure.version.empty() ? "dlsym" : "dlvsym") + "(" +
           requester_text(failure.object, diagnosed.program) + ", " + c_string(failure.name) +
           (failure.version.empty() ? "" : ", " + c_string(failure.version)) + ") found nothing\n";
  } else {
    out += std::string(failure.lmid.empty() ? "dlopen(" : "dlmopen(" + failure.lmid + ", ") +
           (failure.name_null ? "NULL" : c_string(failure.name)) + ", " + mode_text(failure.mode) +
           ") failed\n";
  }
  out += "  called from " + requester_text(failure.caller, diagnosed.program) + "\n";
  out += "  dlerror: " + render::printable(failure.error) + "\n";
  if (diagnosed.found_by_caller)
    out += "  (the search of the library that called, with its RPATH chain and RUNPATH, finds " +
           render::printable(*diagnosed.found_by_caller) + ")\n";
  if (!failure.dlsym) {
    if (failure.searches.empty()) {
      out += failure.searches_dropped
                 ? "  the loader's search was not recorded (another thread's dlopen came between)\n"
                 : "  the loader searched nothing (the name has a slash, or is loaded already)\n";
    }
    for (const SearchedName& searched : failure.searches) {
      out += "  the loader looked for " + render::printable(searched.name) + " for " +
             requester_text(searched.requested_by, diagnosed.program);
      if (searched.tried.empty()) {
        out += searched.name.find('/') != std::string::npos
                   ? ": a path, opened as given (not searched)\n"
                   : ": tried no file\n";
        continue;
      }
      out += ", " + std::to_string(searched.tried.size()) +
             (searched.tried.size() == 1 ? " file:\n" : " files, in this order:\n");
      for (const std::string& line : describe_tried(searched)) out += "    " + line + "\n";
    }
    if (failure.searches_lost) out += "  (more searches were made than the recorder keeps)\n";
    if (!diagnosed.disagreements.empty()) {
      out += "  dldoctor's model of this search differs from the real loader's:\n";
      for (const std::string& line : diagnosed.disagreements) out += "    " + line + "\n";
    } else if (diagnosed.compared_paths > 0) {
      out += "  dldoctor's model of this search agrees with the real loader (" +
             std::to_string(diagnosed.compared_paths) +
             (diagnosed.compared_paths == 1 ? " file)\n" : " files, in the same order)\n");
    }
  }
  out += indent(render_text(diagnosed.report, style), "  ");
  return out;
}

nlohmann::json render_failure_json(const Diagnosed& diagnosed) {
  const Failure& failure = diagnosed.failure;
  using render::valid_utf8;
  nlohmann::json out{
      {"pid", failure.pid},
      {"program", valid_utf8(diagnosed.program)},
      {"requested_by", valid_utf8(failure.caller.empty() ? diagnosed.program : failure.caller)},
      {"error", valid_utf8(failure.error)},
      {"report", nlohmann::json::parse(render_json(diagnosed.report))}};
  if (failure.dlsym) {
    out["call"] = failure.version.empty() ? "dlsym" : "dlvsym";
    out["symbol"] = valid_utf8(failure.name);
    if (!failure.version.empty()) out["version"] = valid_utf8(failure.version);
    out["object"] = valid_utf8(failure.object.empty() ? diagnosed.program : failure.object);
    return out;
  }
  out["call"] = failure.lmid.empty() ? "dlopen" : "dlmopen";
  out["name"] = failure.name_null ? nlohmann::json() : nlohmann::json(valid_utf8(failure.name));
  out["mode"] = mode_text(failure.mode);
  if (!failure.lmid.empty()) out["namespace"] = std::atoll(failure.lmid.c_str());
  nlohmann::json searches = nlohmann::json::array();
  for (const SearchedName& searched : failure.searches) {
    nlohmann::json tried = nlohmann::json::array();
    for (const auto& [flag, path] : searched.tried)
      tried.push_back({{"path", valid_utf8(path)}, {"source", rule_of_flag(flag)}});
    searches.push_back(
        {{"name", valid_utf8(searched.name)},
         {"requested_by",
          valid_utf8(searched.requested_by.empty() ? diagnosed.program : searched.requested_by)},
         {"tried", std::move(tried)}});
  }
  out["searches"] = std::move(searches);
  out["searches_complete"] = !failure.searches_lost && !failure.searches_dropped;
  if (diagnosed.found_by_caller) out["diagnosed_path"] = valid_utf8(*diagnosed.found_by_caller);
  out["model_agrees"] = diagnosed.disagreements.empty();
  if (!diagnosed.disagreements.empty()) out["model_disagreements"] = diagnosed.disagreements;
  return out;
}

// ---- running ----

std::string read_from(int fd, std::size_t& file_offset) {
  std::string data;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, static_cast<off_t>(file_offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
    file_offset += static_cast<std::size_t>(n);
  }
  return data;
}

std::string list_with(const std::string& first, const char* variable) {
  const char* old = std::getenv(variable);
  return old != nullptr && *old != '\0' ? first + ":" + old : first;
}

struct Scratch {
  std::string directory;
  std::string records;
  ~Scratch() {
    if (!records.empty()) ::unlink(records.c_str());
    if (!directory.empty()) ::rmdir(directory.c_str());
  }
};

}  // namespace

int run_program(const RunOptions& options, TextStyle style) {
  if (options.command.empty()) return cannot_run("no command given (dldoctor run -- CMD ARGS...)");
  const std::optional<std::string> program = find_program(options.command.front());
  if (!program) return cannot_run(quoted(options.command.front()) + ": command not found");
  if (const std::string why = refusal(*program); !why.empty()) return cannot_run(why);
  const std::string preload = helper_path("dldoctor-run-preload.so");
  const std::string audit = helper_path("dldoctor-run-audit.so");
  for (const std::string& module : {preload, audit}) {
    if (::access(module.c_str(), R_OK) != 0)
      return cannot_run("the recorder " + quoted(module) + ": " + std::strerror(errno));
    // LD_PRELOAD splits at spaces and colons, LD_AUDIT at colons (elf/rtld.c).
    if (module.find_first_of(": \t") != std::string::npos)
      return cannot_run("the recorder's path " + quoted(module) +
                        " has a colon or a space, which LD_PRELOAD and LD_AUDIT split at");
  }
  std::ofstream report_file;
  if (!options.report_file.empty()) {
    report_file.open(options.report_file, std::ios::trunc);
    if (!report_file)
      return cannot_run("--report " + quoted(options.report_file) + ": " + std::strerror(errno));
  }
  std::ostream& out = options.report_file.empty() ? std::cerr : report_file;

  Scratch scratch;
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmpdir != nullptr && *tmpdir == '/' ? tmpdir : "/tmp") + "/dldoctor-run-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    return cannot_run("a directory for the records: " + std::string(std::strerror(errno)));
  scratch.directory = pattern;
  scratch.records = pattern + "/records";
  const int records =
      ::open(scratch.records.c_str(), O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  if (records < 0) return cannot_run(scratch.records + ": " + std::strerror(errno));
  int exec_error[2];
  if (::pipe2(exec_error, O_CLOEXEC) != 0)
    return cannot_run(std::string("pipe: ") + std::strerror(errno));

  std::vector<std::string> arguments = options.command;
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  std::cout.flush();
  std::cerr.flush();
  // Like time(1): the terminal's ^C and ^\ are the program's to act on; dldoctor reports after.
  struct sigaction ignore {
  }, old_int{}, old_quit{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGINT, &ignore, &old_int);
  ::sigaction(SIGQUIT, &ignore, &old_quit);
  const pid_t child = ::fork();
  if (child < 0) return cannot_run(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGQUIT, &old_quit, nullptr);
    ::close(exec_error[0]);
    // The program's descriptor for the records: inherited (children follow), and out of the
    // way of the program's own numbers.
    int fd = ::fcntl(records, F_DUPFD, 900);
    if (fd < 0) {  // a descriptor limit below 900: the number it has, inherited
      fd = records;
      ::fcntl(fd, F_SETFD, 0);
    }
    if (options.no_follow) {
      const char* preload_was = std::getenv("LD_PRELOAD");
      const char* audit_was = std::getenv("LD_AUDIT");
      ::setenv(DLDOCTOR_RUN_ENV_PRELOAD_WAS, preload_was != nullptr ? preload_was : "", 1);
      ::setenv(DLDOCTOR_RUN_ENV_AUDIT_WAS, audit_was != nullptr ? audit_was : "", 1);
      ::setenv(DLDOCTOR_RUN_ENV_NO_FOLLOW, "1", 1);
    } else {
      ::unsetenv(DLDOCTOR_RUN_ENV_NO_FOLLOW);
    }
    ::setenv("LD_PRELOAD", list_with(preload, "LD_PRELOAD").c_str(), 1);
    ::setenv("LD_AUDIT", list_with(audit, "LD_AUDIT").c_str(), 1);
    ::setenv(DLDOCTOR_RUN_ENV_FD, std::to_string(fd).c_str(), 1);
    ::setenv(DLDOCTOR_RUN_ENV_FILE, scratch.records.c_str(), 1);
    ::setenv(DLDOCTOR_RUN_ENV_AUDIT, std::string(DLDOCTOR_RUN_AUDIT_ROOM, '0').c_str(), 1);
    ::execv(program->c_str(), argv.data());
    const int error = errno;
    if (::write(exec_error[1], &error, sizeof error) < 0) {
    }
    ::_exit(127);
  }
  ::close(exec_error[1]);
  int error = 0;
  const bool exec_failed = ::read(exec_error[0], &error, sizeof error) == sizeof error;
  ::close(exec_error[0]);

  Recording recording;
  std::vector<Diagnosed> diagnosed;
  std::size_t file_offset = 0, parsed = 0;
  std::string data;
  const auto take = [&](bool last) {
    data += read_from(records, file_offset);
    for (Failure& failure : recording.add(parse_records(data, parsed, last))) {
      diagnosed.push_back(diagnose_failure(failure));
      if (options.live && !options.json)
        out << render_failure_text(diagnosed.back(), style, child) << std::flush;
    }
  };
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(child, &status, options.live ? WNOHANG : 0);
    if (done == child) break;
    if (done < 0 && errno != EINTR) break;
    if (options.live) {
      take(false);
      ::poll(nullptr, 0, 100);
    }
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGQUIT, &old_quit, nullptr);
  if (exec_failed) {
    ::close(records);
    return cannot_run(quoted(*program) + ": " + std::strerror(error));
  }
  take(true);
  ::close(records);
  const int exit_status = WIFEXITED(status)     ? WEXITSTATUS(status)
                          : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                                : kExitCannotRun;

  if (options.json) {
    nlohmann::json report;
    nlohmann::json command = nlohmann::json::array();
    for (const std::string& word : options.command) command.push_back(render::valid_utf8(word));
    report["command"] = std::move(command);
    if (WIFEXITED(status)) report["exit_status"] = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) report["signal"] = WTERMSIG(status);
    nlohmann::json processes = nlohmann::json::array();
    for (const auto& [pid, process] : recording.processes())
      processes.push_back({{"pid", pid}, {"program", render::valid_utf8(process.exe)}});
    report["processes"] = std::move(processes);
    nlohmann::json failures = nlohmann::json::array();
    for (const Diagnosed& one : diagnosed) failures.push_back(render_failure_json(one));
    report["failures"] = std::move(failures);
    out << report.dump(2) << "\n";
    return exit_status;
  }
  if (!options.live)
    for (const Diagnosed& one : diagnosed) out << render_failure_text(one, style, child);
  if (recording.processes().empty()) {
    out << "dldoctor run: the recorder did not start in " << quoted(*program)
        << ": nothing was recorded (a program that clears LD_PRELOAD and LD_AUDIT before it "
           "execs another, or one the loader does not start)\n";
  } else if (diagnosed.empty()) {
    out << "dldoctor run: no dlopen failed and no dlsym missed (" << recording.processes().size()
        << (recording.processes().size() == 1 ? " process" : " processes") << " recorded)\n";
  }
  return exit_status;
}

}  // namespace dldoctor::cli
