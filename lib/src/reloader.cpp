// Reloader (reloader.hpp): diagnose, copy to a fresh name, load, resolve, then retire the old one.
#include "dldoctor/reloader.hpp"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "checks/finding_helpers.hpp"

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
  current_.reset();
  for (const std::string& copy : copies_) ::unlink(copy.c_str());
  if (made_directory_) ::rmdir(directory_.c_str());
}

bool Reloader::changed() const noexcept { return file_version(path_) != current_version_; }

Result<Reloaded> Reloader::reload() noexcept {
  try {
    const std::optional<FileVersion> version = file_version(path_);
    // 1. The new build, diagnosed in this process's own context (its loaded objects, its global
    //    scope): what would not load, or would end the process, is refused here.
    LoadRequest request{path_, options_.mode};
    request.symbols = options_.symbols;
    request.this_process = true;
    Report diagnosis = diagnose(request);
    if (has_error(diagnosis)) return diagnosis;
    // 2. A copy under a name the loader has never seen. By default beside the build, so that
    //    $ORIGIN in its RUNPATH names the same directory; hidden, and unique to this process.
    if (directory_.empty()) {
      if (!options_.directory.empty()) {
        directory_ = options_.directory;
      } else {
        directory_ = parent_of(path_);
      }
    }
    const std::string copy = directory_ + "/." + base_of(path_) + ".reload-" +
                             std::to_string(::getpid()) + "-" + std::to_string(generation_ + 1);
    if (std::string why = copy_file(path_, copy); !why.empty())
      return reloader_failure(path_, "dldoctor::Reloader could not copy the new build: " + why);
    // 3. Loaded and resolved before anything of the old one is touched.
    Result<Library> opened = Library::open(copy, options_.mode);
    if (!opened) {
      ::unlink(copy.c_str());
      Report report = std::move(opened).report();
      report.path = path_;
      return report;
    }
    for (const std::string& symbol : options_.symbols) {
      auto address = opened->lookup_address(symbol.c_str());
      if (!address) {
        Report report = address.report();
        report.path = path_;
        (void)opened->close();
        ::unlink(copy.c_str());
        return report;
      }
    }
    // 4. The swap: the new one is current, then the old one is closed and its copy removed.
    Reloaded reloaded;
    reloaded.generation = ++generation_;
    reloaded.loaded_from = copy;
    std::optional<Library> previous = std::move(current_);
    const std::string previous_copy = std::exchange(current_copy_, copy);
    current_.emplace(std::move(opened.value()));
    current_version_ = version;
    copies_.push_back(copy);
    if (previous) {
      reloaded.previous = previous->close();
      previous.reset();
      ::unlink(previous_copy.c_str());
      copies_.erase(std::remove(copies_.begin(), copies_.end(), previous_copy), copies_.end());
    }
    return reloaded;
  } catch (...) {
    return reloader_failure(path_, "dldoctor::Reloader ran out of memory");
  }
}

}  // namespace dldoctor
