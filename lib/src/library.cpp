#include "dldoctor/library.hpp"

#include <cxxabi.h>
#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checks/stage.hpp"
#include "checks/symbol_rules.hpp"

namespace dldoctor {
namespace {
int dlopen_flags(Mode mode) noexcept {
  return (mode == Mode::Lazy ? RTLD_LAZY : RTLD_NOW) | RTLD_LOCAL;
}

// Only reached after the loader has refused the file: the cost of the diagnosis never touches
// the success path.
[[gnu::cold, gnu::noinline]] Report explain_failed_open(const std::string& path, Mode mode,
                                                        const char* loader_message) noexcept {
  Report report = diagnose(LoadRequest{path, mode});
  LoadAttempt attempt;
  attempt.loaded = false;
  attempt.message = loader_message != nullptr ? loader_message : "dlopen failed";
  report.load = std::move(attempt);
  report.loads = false;
  return report;
}

}  // namespace

Result<Library> Library::open(const std::string& path, Mode mode) noexcept {
  if (void* handle = ::dlopen(path.c_str(), dlopen_flags(mode)); handle != nullptr)
    return Library(handle);
  return explain_failed_open(path, mode, ::dlerror());
}

Result<Library> Library::open_checked(const std::string& path, Mode mode) noexcept {
  try {
    return open_checked(LoadRequest{path, mode});
  } catch (...) {  // the request's copy of path: only allocation can fail
    return open(path, mode);
  }
}

Result<Library> Library::open_checked(const LoadRequest& request) noexcept {
  const std::string& path = request.path;
  const Mode mode = request.mode;
  Report report;
  try {
    LoadRequest in_this_process = request;
    in_this_process.this_process = true;
    in_this_process.host.reset();
    report = diagnose(in_this_process);
  } catch (...) {
    return open(path, mode);
  }
  if (report.has_errors()) {
    LoadAttempt attempt;
    attempt.message = "not loaded: dldoctor found what would make the load fail (see findings)";
    report.load = std::move(attempt);
    report.loads = false;
    return report;
  }
  return open(path, mode);
}

// What lookup<R(Args...)> has decided, per name and type: the address and, for a mismatch, the
// Report. Looked through under a mutex (lookup is const and may run on several threads); an
// entry's name pointer is compared first, since a host nearly always passes the same literal.
struct Library::TypedLookups {
  struct Entry {
    const char* name_pointer;
    std::string name;
    const std::type_info* type;
    void* address;
    std::shared_ptr<const Report> mismatch;
  };
  std::mutex mutex;
  std::vector<Entry> entries;

  const Entry* find(const char* name, const std::type_info& type) const noexcept {
    for (const Entry& entry : entries)
      if ((entry.name_pointer == name || entry.name == name) && *entry.type == type) return &entry;
    return nullptr;
  }
};

Library& Library::operator=(Library&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) ::dlclose(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
    delete typed_.exchange(other.typed_.exchange(nullptr, std::memory_order_acq_rel),
                           std::memory_order_acq_rel);
  }
  return *this;
}

void Library::release_typed_lookups() noexcept {
  delete typed_.exchange(nullptr, std::memory_order_acq_rel);
}

Library::~Library() {
  delete typed_.load(std::memory_order_acquire);
  if (handle_ != nullptr) ::dlclose(handle_);
}

namespace {

// T as the C++ demangler spells it: "double (double, double)", what the signature grammar reads.
std::string spelling_of(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> text(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 && text ? std::string(text.get()) : std::string();
}

}  // namespace

void* Library::lookup_typed(const char* name, const std::type_info& type,
                            std::shared_ptr<const Report>* mismatch) const noexcept {
  TypedLookups* typed = typed_.load(std::memory_order_acquire);
  if (typed != nullptr) {
    std::lock_guard<std::mutex> lock(typed->mutex);
    if (const TypedLookups::Entry* known = typed->find(name, type)) {
      if (known->mismatch) {
        *mismatch = known->mismatch;
        return nullptr;
      }
      return known->address;
    }
  }
  void* address = ::dlsym(handle_, name);
  if (address == nullptr || name == nullptr) return address;  // the caller reads dlerror()
  try {
    // The object that defines the address (dlsym(handle) may have found it in a dependency).
    Dl_info info{};
    std::shared_ptr<const Report> found;
    if (::dladdr(address, &info) != 0 && info.dli_fname != nullptr && info.dli_fname[0] != '\0') {
      const std::string text = spelling_of(type);
      if (!text.empty())
        if (std::optional<Report> report = check_loaded_signature(info.dli_fname, name, text))
          found = std::make_shared<const Report>(std::move(*report));
    }
    if (typed == nullptr) {
      auto* made = new TypedLookups();
      if (typed_.compare_exchange_strong(typed, made, std::memory_order_acq_rel))
        typed = made;
      else
        delete made;  // another thread made it first: typed now points at theirs
    }
    std::lock_guard<std::mutex> lock(typed->mutex);
    if (typed->find(name, type) == nullptr)
      typed->entries.push_back({name, name, &type, address, found});
    if (found) {
      *mismatch = std::move(found);
      return nullptr;
    }
  } catch (...) {
    // Out of memory: the pointer, unchecked, as dlsym gave it.
  }
  return address;
}

Report Library::explain_lookup(const char* name) const noexcept {
  Report report;
  try {
    const std::string wanted = name != nullptr ? name : "";
    link_map* map = nullptr;
    if (handle_ == nullptr || ::dlinfo(handle_, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr) {
      report.findings.push_back(LookupError("no loaded object").report().findings.front());
      return report;
    }
    report.path = map->l_name;
    if (std::optional<Finding> finding = explain_unexported(report.path, wanted))
      report.findings.push_back(std::move(*finding));
  } catch (...) {
  }
  return report;
}

}  // namespace dldoctor
