// Reloader (reloader.hpp): diagnose, load under a fresh name, resolve, then retire the old one.
#include "dldoctor/reloader.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <string_view>
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

FileVersion version_of(const struct stat& status) {
  return FileVersion{
      status.st_dev, status.st_ino, status.st_size,
      static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1000000000 + status.st_mtim.tv_nsec};
}

// What the reloader reads of a new build before anything is loaded, from one open of it.
struct Precheck {
  std::optional<FileVersion> version;  // the build's identity, from the same fstat
  // None of the few ways a new build ends or changes this process inside dlopen can happen
  // (below): the loader may answer first.
  bool nothing_fatal = false;
  // No RUNPATH or RPATH, and every library it needs loaded: nothing is looked for beside it.
  bool needs_no_directory = false;
};

// What a failed dlopen cannot undo: the few ways a new build ends or changes this process
// inside dlopen, before dlopen can return an error. ld.so's check_match assertion (a version
// needed of a provider without version definitions: version.unversioned-provider), an executable
// stack (no PT_GNU_STACK, or one with PF_X: the whole process's stacks become executable), a
// sanitizer runtime that must come first (it exits), and RTLD_LAZY (a function no object
// defines ends the process at its first call). Everything else makes dlopen or dlsym fail, and
// then the failure is diagnosed. nothing_fatal when none of those can happen: every library the
// build needs is loaded in this process already, and each one it needs versions of defines
// versions (its DT_VERDEF, read from its dynamic section in memory). Any doubt: false, and the
// full diagnosis decides.
Precheck precheck(const std::string& path, Mode mode) {
  Precheck result;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return result;
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    ::close(fd);
    return result;
  }
  result.version = version_of(status);
  if (mode == Mode::Lazy) {
    ::close(fd);
    return result;
  }
  elf::ReadOutcome outcome =
      elf::read_image_fd(fd, static_cast<std::uint64_t>(status.st_size), elf::ReadParts::Versions);
  ::close(fd);
  const auto* image = std::get_if<elf::Image>(&outcome);
  if (image == nullptr) return result;
  bool stack_ok = false;
  for (const elf::ProgramHeader& header : image->program_headers)
    if (header.type == PT_GNU_STACK) stack_ok = (header.flags & PF_X) == 0;
  if (!stack_ok) return result;
  // The loaded objects by file name (what a DT_NEEDED entry matches, _dl_name_match_p after the
  // SONAME), and their dynamic sections, viewed in place: they live as long as the objects are
  // loaded, through this call.
  struct Loaded {
    std::string_view base;
    const ElfW(Dyn) * dynamic = nullptr;
  };
  std::vector<Loaded> loaded;
  loaded.reserve(32);
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        Loaded object;
        const std::string_view name = info->dlpi_name != nullptr ? info->dlpi_name : "";
        const std::size_t slash = name.rfind('/');
        object.base = slash == std::string_view::npos ? name : name.substr(slash + 1);
        for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i)
          if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            object.dynamic =
                reinterpret_cast<const ElfW(Dyn)*>(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
        static_cast<std::vector<Loaded>*>(data)->push_back(object);
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
      return result;
    if (find(needed) == nullptr) return result;  // a library to load from disk: diagnose it all
  }
  // Only the providers of the versions it needs are read for their DT_VERDEF.
  for (const elf::VersionNeed& need : image->version_needs) {
    const Loaded* provider = find(need.file);
    if (provider == nullptr || provider->dynamic == nullptr) return result;
    bool defines_versions = false;
    for (const ElfW(Dyn)* entry = provider->dynamic; entry->d_tag != DT_NULL; ++entry)
      defines_versions = defines_versions || entry->d_tag == DT_VERDEF;
    if (!defines_versions) return result;
  }
  // Every library it needs is loaded: the loader looks for nothing, here or later through its
  // RUNPATH or RPATH, when it has none.
  result.nothing_fatal = true;
  result.needs_no_directory = !image->dynamic.runpath && !image->dynamic.rpath;
  return result;
}

// The names the loaded objects were opened by (their l_name).
bool loaded_by_name(const std::string& name) {
  struct Search {
    const std::string* name;
    bool found = false;
  } search{&name};
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* search = static_cast<Search*>(data);
        search->found = info->dlpi_name != nullptr && *search->name == info->dlpi_name;
        return search->found ? 1 : 0;
      },
      &search);
  return search.found;
}

// The build's own path, spelled so that no loaded object was opened by that name. The loader
// first matches the name it is given, as a string, against the names of the loaded objects
// (_dl_map_object, _dl_name_match_p), and only then opens the file and compares its device and
// inode with theirs (_dl_map_object_from_fd): "dir/./p.so" and "dir/.//p.so" are the same file
// and new names. The attempt's number in binary, most significant bit first, is spelled "./" for
// a one and "/" for a zero, so different numbers give different names (and none is the plain
// path), some 2 characters a bit.
std::string spelled_path(const std::string& path, std::uint64_t attempt) {
  const std::size_t slash = path.rfind('/');
  std::string spelled = slash == std::string::npos ? "." : path.substr(0, slash);
  spelled += '/';
  for (int bit = 63 - std::countl_zero(attempt); bit >= 0; --bit)
    spelled += ((attempt >> bit) & 1) != 0 ? "./" : "/";
  spelled += slash == std::string::npos ? path : path.substr(slash + 1);
  return spelled;
}

// The name the loader gave the object a handle refers to (its l_name).
std::string loaded_name(void* handle) {
  link_map* map = nullptr;
  if (::dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr || map->l_name == nullptr)
    return {};
  return map->l_name;
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
  return version_of(status);
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
  if (!copy.owned) return;  // the build's own file
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
    // 1. The new build, diagnosed in this process's own context (its loaded objects, its global
    //    scope) when it could end the process inside dlopen: what would, or would not load, is
    //    refused here. Otherwise the loader's own answer comes first, and a failure is diagnosed
    //    then (Library::open), as cheap as the raw calls when the build is good.
    const Precheck checked = precheck(path_, options_.mode);
    if (!checked.nothing_fatal) {
      LoadRequest request{path_, options_.mode};
      request.symbols = options_.symbols;
      request.this_process = true;
      Report diagnosis = diagnose(request);
      if (has_error(diagnosis)) return diagnosis;
    }
    // 2. A name the loader has never seen, so that it cannot hand back the old object: the
    //    build's own file under a new spelling of its path, unless a private copy is asked for,
    //    or the file is the one loaded now (not replaced by a new file but written into, or not
    //    changed: the loader would match its inode).
    const bool same_file = checked.version && current_version_ &&
                           checked.version->device == current_version_->device &&
                           checked.version->inode == current_version_->inode;
    std::optional<Library> opened;
    Copy copy;
    if (!options_.private_copy && !same_file) {
      std::uint64_t attempt = ++attempts_;
      copy.path = spelled_path(path_, attempt);
      while (loaded_by_name(copy.path)) copy.path = spelled_path(path_, attempt = ++attempts_);
      Result<Library> own = Library::open(copy.path, options_.mode);
      if (!own) {
        Report report = std::move(own).report();
        report.path = path_;
        return report;
      }
      // The loader matched a loaded object by its device and inode (another handle of this
      // build's file, opened elsewhere in this process): that object, not a new one, came back.
      // Its handle is let go, and the build copied.
      if (loaded_name(own->native_handle()) == copy.path) opened.emplace(std::move(own.value()));
    }
    if (!opened) {
      copy = Copy{};
      copy.owned = true;
      if (std::optional<Report> failure = make_copy(checked.needs_no_directory, copy))
        return std::move(*failure);
      Result<Library> copied = Library::open(copy.path, options_.mode);
      if (!copied) {
        release(copy, false);
        Report report = std::move(copied).report();
        report.path = path_;
        return report;
      }
      opened.emplace(std::move(copied.value()));
    }
    // 3. Resolved before anything of the old one is touched.
    for (const std::string& symbol : options_.symbols) {
      auto address = opened->lookup_address(symbol.c_str());
      if (!address) {
        // Why the name is missing, from the build's file (or its copy: the same bytes).
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
    reloaded.private_copy = copy.owned;
    std::optional<Library> previous = std::move(current_);
    std::optional<Copy> previous_copy = std::exchange(current_copy_, copy);
    current_ = std::move(opened);
    current_version_ = checked.version;
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

std::optional<Report> Reloader::make_copy(bool needs_no_directory, Copy& copy) {
  // In memory when nothing is looked for beside the build, else beside it (hidden, unique to
  // this process), so that $ORIGIN in its RUNPATH names the same directory.
  const std::string name =
      base_of(path_) + ".reload-" + std::to_string(::getpid()) + "-" + std::to_string(++copies_);
  if (options_.directory.empty() && needs_no_directory) {
    if (const std::optional<int> fd = memory_copy(path_, name)) {
      copy.fd = *fd;
      copy.path = "/proc/self/fd/" + std::to_string(*fd);
      return std::nullopt;
    }
  }
  const std::string directory = options_.directory.empty() ? parent_of(path_) : options_.directory;
  copy.path = directory + "/." + name;
  if (std::string why = copy_file(path_, copy.path); !why.empty())
    return reloader_failure(path_, "dldoctor::Reloader could not copy the new build: " + why);
  return std::nullopt;
}

}  // namespace dldoctor
