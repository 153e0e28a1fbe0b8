// Reloader (reloader.hpp): diagnose, copy to a fresh name, load, resolve, then retire the old one.
#include "dldoctor/reloader.hpp"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "checks/finding_helpers.hpp"
#include "dldoctor/elf.hpp"

namespace dldoctor {
namespace {

bool has_error(const Report& report) {
  return std::any_of(report.findings.begin(), report.findings.end(),
                     [](const Finding& finding) { return finding.severity == Severity::Error; });
}

// A Report for what the reloader itself could not do (no finding: nothing is wrong with the
// plugin), its words in load->message.
Report reloader_failure(const std::string& path, std::string message) {
  Report report;
  report.path = path;
  report.loads = false;
  LoadAttempt attempt;
  attempt.loaded = false;
  attempt.message = std::move(message);
  report.load = std::move(attempt);
  return report;
}

// Copies source to a new file destination (which must not exist), with its permission bits.
std::string copy_file(const std::string& source, const std::string& destination) {
  const int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return source + ": " + std::strerror(errno);
  struct stat status {};
  if (::fstat(in, &status) != 0) {
    const std::string why = source + ": " + std::strerror(errno);
    ::close(in);
    return why;
  }
  const int out =
      ::open(destination.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, status.st_mode & 0755);
  if (out < 0) {
    const std::string why = destination + ": " + std::strerror(errno);
    ::close(in);
    return why;
  }
  off_t left = status.st_size;
  std::string why;
  while (left > 0) {
    const ssize_t sent = ::sendfile(out, in, nullptr, static_cast<std::size_t>(left));
    if (sent <= 0) {
      why = destination + ": " + (sent < 0 ? std::strerror(errno) : "the source ended early");
      break;
    }
    left -= sent;
  }
  ::close(in);
  if (::close(out) != 0 && why.empty()) why = destination + ": " + std::strerror(errno);
  if (!why.empty()) ::unlink(destination.c_str());
  return why;
}

// What a failed dlopen cannot undo: the few ways a new build ends or changes this process
// inside dlopen, before dlopen can return an error. ld.so's check_match assertion (a version
// needed of a provider without version definitions: version.unversioned-provider), an executable
// stack (no PT_GNU_STACK, or one with PF_X: the whole process's stacks become executable), a
// sanitizer runtime that must come first (it exits), and RTLD_LAZY (a function no object
// defines ends the process at its first call). Everything else makes dlopen or dlsym fail, and
// then the failure is diagnosed. True when none of those can happen: every library the build
// needs is loaded in this process already, and each one it needs versions of defines versions
// (its DT_VERDEF, read from its dynamic section in memory). Any doubt: false, and the full
// diagnosis decides.
bool nothing_fatal_possible(const std::string& path, Mode mode, bool& needs_no_directory) {
  needs_no_directory = false;
  if (mode == Mode::Lazy) return false;
  elf::ReadOutcome outcome = elf::read_image(path, elf::ReadParts::Versions);
  const auto* image = std::get_if<elf::Image>(&outcome);
  if (image == nullptr) return false;
  bool stack_ok = false;
  for (const elf::ProgramHeader& header : image->program_headers)
    if (header.type == PT_GNU_STACK) stack_ok = (header.flags & PF_X) == 0;
  if (!stack_ok) return false;
  struct Loaded {
    std::string base;
    bool defines_versions = false;
  };
  std::vector<Loaded> loaded;
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        Loaded object;
        const std::string name = info->dlpi_name != nullptr ? info->dlpi_name : "";
        object.base = base_of(name);
        for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
          if (info->dlpi_phdr[i].p_type != PT_DYNAMIC) continue;
          const auto* entry =
              reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
          for (; entry->d_tag != DT_NULL; ++entry)
            object.defines_versions = object.defines_versions || entry->d_tag == DT_VERDEF;
        }
        static_cast<std::vector<Loaded>*>(data)->push_back(std::move(object));
        return 0;
      },
      &loaded);
  auto find = [&](const std::string& needed) -> const Loaded* {
    for (const Loaded& object : loaded)
      if (object.base == needed) return &object;
    return nullptr;
  };
  for (const std::string& needed : image->dynamic.needed) {
    if (needed.find("libasan") != std::string::npos || needed.find("libtsan") != std::string::npos)
      return false;
    if (find(needed) == nullptr) return false;  // a library to load from disk: diagnose it all
  }
  for (const elf::VersionNeed& need : image->version_needs) {
    const Loaded* provider = find(need.file);
    if (provider == nullptr || !provider->defines_versions) return false;
  }
  // Every library it needs is loaded: the loader looks for nothing, here or later through its
  // RUNPATH or RPATH, when it has none.
  needs_no_directory = !image->dynamic.runpath && !image->dynamic.rpath;
  return true;
}

// The build copied into an anonymous in-memory file, as /proc/self/fd/N; nullopt when it fails.
std::optional<int> memory_copy(const std::string& source, const std::string& name) {
  const int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return std::nullopt;
  struct stat status {};
  const int out = ::fstat(in, &status) == 0 ? ::memfd_create(name.c_str(), MFD_CLOEXEC) : -1;
  off_t left = out >= 0 ? status.st_size : 0;
  bool copied = out >= 0;
  while (copied && left > 0) {
    const ssize_t sent = ::sendfile(out, in, nullptr, static_cast<std::size_t>(left));
    copied = sent > 0;
    left -= copied ? sent : 0;
  }
  ::close(in);
  if (copied) return out;
  if (out >= 0) ::close(out);
  return std::nullopt;
}

}  // namespace

std::optional<FileVersion> file_version(const std::string& path) noexcept {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return std::nullopt;
  return FileVersion{
      status.st_dev, status.st_ino, status.st_size,
      static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1000000000 + status.st_mtim.tv_nsec};
}

Reloader::Reloader(std::string path, ReloadOptions options) noexcept
    : path_(std::move(path)), options_(std::move(options)) {}

Reloader::~Reloader() {
  const bool had = current_.has_value();
  current_.reset();
  if (had && current_copy_) release(*current_copy_, false);
  for (const int fd : kept_descriptors_) ::close(fd);
}

void Reloader::release(const Copy& copy, bool still_mapped) noexcept {
  if (copy.fd < 0) {
    ::unlink(copy.path.c_str());
  } else if (still_mapped) {
    try {
      kept_descriptors_.push_back(copy.fd);
    } catch (...) {  // out of memory: keeping the number unused matters more than the descriptor
    }
  } else {
    ::close(copy.fd);
  }
}

bool Reloader::changed() const noexcept { return file_version(path_) != current_version_; }

Result<Reloaded> Reloader::reload() noexcept {
  try {
    const std::optional<FileVersion> version = file_version(path_);
    // 1. The new build, diagnosed in this process's own context (its loaded objects, its global
    //    scope) when it could end the process inside dlopen: what would, or would not load, is
    //    refused here. Otherwise the loader's own answer comes first, and a failure is diagnosed
    //    then (Library::open), as cheap as the raw calls when the build is good.
    bool needs_no_directory = false;
    if (!nothing_fatal_possible(path_, options_.mode, needs_no_directory)) {
      LoadRequest request{path_, options_.mode};
      request.symbols = options_.symbols;
      request.this_process = true;
      Report diagnosis = diagnose(request);
      if (has_error(diagnosis)) return diagnosis;
    }
    // 2. A copy under a name the loader has never seen, which no later write to the build's path
    //    reaches: in memory when nothing is looked for beside the build, else beside it (hidden,
    //    unique to this process), so that $ORIGIN in its RUNPATH names the same directory.
    const std::string name = base_of(path_) + ".reload-" + std::to_string(::getpid()) + "-" +
                             std::to_string(generation_ + 1);
    Copy copy;
    if (options_.directory.empty() && needs_no_directory) {
      if (const std::optional<int> fd = memory_copy(path_, name)) {
        copy.fd = *fd;
        copy.path = "/proc/self/fd/" + std::to_string(*fd);
      }
    }
    if (copy.fd < 0) {
      const std::string directory =
          options_.directory.empty() ? parent_of(path_) : options_.directory;
      copy.path = directory + "/." + name;
      if (std::string why = copy_file(path_, copy.path); !why.empty())
        return reloader_failure(path_, "dldoctor::Reloader could not copy the new build: " + why);
    }
    // 3. Loaded and resolved before anything of the old one is touched.
    Result<Library> opened = Library::open(copy.path, options_.mode);
    if (!opened) {
      release(copy, false);
      Report report = std::move(opened).report();
      report.path = path_;
      return report;
    }
    for (const std::string& symbol : options_.symbols) {
      auto address = opened->lookup_address(symbol.c_str());
      if (!address) {
        // Why the name is missing, from the build's file (its copy: the same bytes).
        Report report = opened->explain_lookup(symbol.c_str());
        report.path = path_;
        const bool still_mapped = !opened->close().findings.empty();
        release(copy, still_mapped);
        return report;
      }
    }
    // 4. The swap: the new one is current, then the old one is closed and its copy removed.
    Reloaded reloaded;
    reloaded.generation = ++generation_;
    reloaded.loaded_from = copy.path;
    std::optional<Library> previous = std::move(current_);
    std::optional<Copy> previous_copy = std::exchange(current_copy_, copy);
    current_.emplace(std::move(opened.value()));
    current_version_ = version;
    if (previous) {
      reloaded.previous = previous->close();
      previous.reset();
      if (previous_copy) release(*previous_copy, !reloaded.previous.findings.empty());
    }
    return reloaded;
  } catch (...) {
    return reloader_failure(path_, "dldoctor::Reloader ran out of memory");
  }
}

}  // namespace dldoctor
