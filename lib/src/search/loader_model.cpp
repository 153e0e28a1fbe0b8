// A model of one process's loader: glibc 2.36's _dl_map_object (elf/dl-load.c) for each name,
// and _dl_map_object_deps' breadth-first walk over DT_NEEDED (elf/dl-deps.c). Each function below
// names the glibc step it models. Files are opened O_RDONLY and read, never mapped or run.
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "checks/process_maps.hpp"
#include "dldoctor/elf.hpp"
#include "dldoctor/search.hpp"
#include "search/ld_so_cache.hpp"
#include "search/platform.hpp"
#include "search/rooted_files.hpp"

namespace dldoctor::search {

std::string_view to_string(Rule rule) noexcept {
  switch (rule) {
    case Rule::Direct: return "direct";
    case Rule::AlreadyLoaded: return "already loaded";
    case Rule::Rpath: return "rpath";
    case Rule::LdLibraryPath: return "LD_LIBRARY_PATH";
    case Rule::Runpath: return "runpath";
    case Rule::LdSoCache: return "ld.so.cache";
    case Rule::DefaultPath: return "default path";
  }
  return "?";
}

std::string_view to_string(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::Found: return "found";
    case Outcome::NotFound: return "not found";
    case Outcome::PermissionDenied: return "permission denied";
    case Outcome::WrongClass: return "wrong ELF class";
    case Outcome::WrongMachine: return "wrong machine";
    case Outcome::Fatal: return "not loadable";
    case Outcome::OtherError: return "error";
  }
  return "?";
}

Environment Environment::from_process() {
  Environment environment;
  if (const char* value = std::getenv("LD_LIBRARY_PATH"); value != nullptr)
    environment.ld_library_path = value;
  return environment;
}

std::vector<std::string> system_directories() {
  std::vector<std::string> directories;
  for (const std::string& directory : system_directory_list())
    directories.push_back(directory.size() > 1 ? directory.substr(0, directory.size() - 1)
                                               : directory);
  return directories;
}

std::vector<std::string> hwcap_subdirectories() { return hwcap_subdirectory_list(); }

namespace {

// A loaded object of the modelled process (struct link_map, the parts the search reads).
struct LoadedObject {
  std::string name;                // l_name: the path it was opened by
  std::vector<std::string> names;  // l_libname: every name it answers to
  std::optional<std::string> soname;
  std::string origin;  // $ORIGIN: the directory of l_name, made absolute, not normalised
  std::vector<std::string> rpath_directories;    // expanded, each ending in '/'
  std::vector<std::string> runpath_directories;  // expanded, each ending in '/'
  bool has_runpath = false;
  std::uint64_t flags_1 = 0;
  std::vector<std::string> needed;
  int loader = -1;  // l_loader: the object whose request loaded it
  bool is_main = false;
  dev_t device = 0;
  ino_t inode = 0;
  bool has_file_id = false;
  int node = -1;
  bool versions_read = false;  // TreeRequest::versions: these came with the loader view
  std::vector<elf::VersionNeed> version_needs;
  std::vector<std::string> version_definitions;
  bool has_version_definitions = false;
};

// An object of the running process as dl_iterate_phdr shows it: spans of Process's copied
// text, until a name asks for it and it becomes a LoadedObject.
struct RunningObject {
  std::pair<std::size_t, std::size_t> name;
  std::optional<std::pair<std::size_t, std::size_t>> soname, rpath, runpath;
  std::uint64_t flags_1 = 0;
  std::uintptr_t base = 0;
  int object = -1;  // its LoadedObject, once made
};

enum class DirectoryStatus : unsigned char { Unknown, Nonexisting, Existing };

using LoadGeneration = std::pair<unsigned long long, unsigned long long>;

// What open_verify concluded of one candidate file.
struct Candidate {
  Outcome outcome = Outcome::NotFound;
  std::string why;
  int error_number = ENOENT;
  std::optional<elf::Image> image;
  dev_t device = 0;
  ino_t inode = 0;
};

std::string strip_trailing_slashes(std::string directory) {
  while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
  return directory;
}

class Process {
 public:
  explicit Process(Environment environment)
      : environment_(std::move(environment)), files_(environment_.root) {
    // The scratch space of the thread holds the objects of the last this_process resolution: a
    // model of a fresh process must not see them (it took libm, mapped here, as loaded there).
    running_.clear();
    running_text_.clear();
    objects_.reserve(4);
    tree_.nodes.reserve(4);
    tree_.trace.reserve(4);
  }

  Tree run(const TreeRequest& request) {
    read_versions_ = request.versions;
    Tree tree = run_model(request);
    for (LoadedObject& object : objects_) {
      if (object.node < 0 || !object.versions_read) continue;
      Node& node = tree.nodes[static_cast<std::size_t>(object.node)];
      node.versions_read = true;
      node.version_needs = std::move(object.version_needs);
      node.version_definitions = std::move(object.version_definitions);
      node.has_version_definitions = object.has_version_definitions;
    }
    return tree;
  }

  Tree run_model(const TreeRequest& request) {
    if (request.this_process) {
      const int host = add_running_objects();
      this_process_ = true;
      tree_.dlopen_trace_start = tree_.trace.size();
      stop_at_first_error_ = true;
      const int plugin = request_object(request.path, host, objects_[host].node);
      tree_.plugin = plugin >= 0 ? objects_[plugin].node : static_cast<int>(tree_.nodes.size()) - 1;
      if (plugin >= 0) walk_dependencies(plugin);
      return std::move(tree_);
    }
    choose_loader(request.host ? *request.host : request.path);
    add_interpreter();
    if (request.host) {
      // AT_SECURE: the kernel marks a set-user-ID or set-group-ID program run by another user,
      // and the loader then drops LD_LIBRARY_PATH and untrusted $ORIGIN expansions.
      struct stat host_status {};
      if (files_.stat(on_disk(*request.host), host_status) &&
          (((host_status.st_mode & S_ISUID) != 0 && host_status.st_uid != ::getuid()) ||
           ((host_status.st_mode & S_ISGID) != 0 && host_status.st_gid != ::getgid())))
        environment_.secure = true;
      origin_is_real_path_ = true;  // the host is exec'd
      const int host = load_main(*request.host);
      origin_is_real_path_ = false;
      if (host >= 0) walk_dependencies(host);
      if (tree_.error) return std::move(tree_);
      // The host's dlopen: the caller's map (the program, or the library that calls) is the
      // plugin's l_loader, and its RPATH chain and RUNPATH are the ones searched.
      const int caller = host >= 0 && request.caller ? caller_object(*request.caller, host) : host;
      tree_.dlopen_trace_start = tree_.trace.size();
      // dlopen stops at the first library it cannot load; ld.so --list goes on (trace mode).
      stop_at_first_error_ = true;
      const int plugin = request_object(request.path, caller, /*parent=*/
                                        caller >= 0 ? objects_[caller].node : -1);
      tree_.plugin = plugin >= 0 ? objects_[plugin].node : static_cast<int>(tree_.nodes.size()) - 1;
      if (plugin >= 0) walk_dependencies(plugin);
    } else {
      const int root = load_main(request.path);
      tree_.plugin = 0;
      if (root >= 0) walk_dependencies(root);
    }
    return std::move(tree_);
  }

  // The object that calls dlopen (TreeRequest::caller), among those the host has loaded: the
  // same file (device and inode), or the same name. One the host's start did not load (a module
  // the program dlopened earlier) is loaded now as the host's own dlopen would have loaded it,
  // before the plugin's. The host when the caller cannot be read.
  int caller_object(const std::string& path, int host) {
    struct stat status {};
    const bool have_id = files_.stat(on_disk(path), status);
    for (std::size_t i = 0; i < objects_.size(); ++i) {
      const LoadedObject& object = objects_[i];
      if (object.name == path || (have_id && object.has_file_id && object.device == status.st_dev &&
                                  object.inode == status.st_ino))
        return static_cast<int>(i);
    }
    const int loaded = request_object(path, host, objects_[host].node);
    if (loaded < 0) return host;
    walk_dependencies(loaded);
    return loaded;
  }

  // The loader of the object the modelled process starts from (the host, or the file itself):
  // an i386 program is started by /lib/ld-linux.so.2, which searches its own directories and
  // takes the cache's i386 entries. Its class and machine from e_ident and e_machine; an object
  // of a kind dldoctor knows no loader for is left to this process's loader, which refuses it.
  void choose_loader(const std::string& root) {
    const int fd = files_.open(on_disk(root), O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return;
    unsigned char header[EI_NIDENT + 4] = {};
    const bool read = ::pread(fd, header, sizeof header, 0) == static_cast<ssize_t>(sizeof header);
    ::close(fd);
    if (!read || header[EI_MAG0] != ELFMAG0 || header[EI_MAG1] != ELFMAG1 ||
        header[EI_MAG2] != ELFMAG2 || header[EI_MAG3] != ELFMAG3)
      return;
    const unsigned elf_class = header[EI_CLASS];
    // e_machine follows e_type, in the file's byte order.
    const unsigned char* machine_bytes = header + EI_NIDENT + 2;
    const std::uint16_t machine =
        header[EI_DATA] == ELFDATA2MSB
            ? static_cast<std::uint16_t>(machine_bytes[0] << 8 | machine_bytes[1])
            : static_cast<std::uint16_t>(machine_bytes[1] << 8 | machine_bytes[0]);
    if (const LoaderAbi* loader = loader_for(elf_class, machine, !files_.rooted())) {
      abi_ = loader;
      if (!loader->native)
        tree_.other_loader =
            loader->name + ": " + loader->interpreter + ", directories from " + loader->source;
    }
  }

  Resolution search_only(std::string_view name) {
    Resolution resolution;
    resolution.name = std::string(name);
    search(resolution, -1);
    return resolution;
  }

 private:
  // ---- Files ----

  // The directory relative names are taken from: Environment::cwd, or the process's own, asked
  // on first need (the loader itself never asks: the kernel resolves relative names).
  const std::string& cwd() const {
    if (environment_.cwd.empty()) {
      char buffer[4096];
      if (::getcwd(buffer, sizeof buffer) != nullptr) environment_.cwd = buffer;
    }
    return environment_.cwd;
  }

  // The subdirectories tried in each search directory, the directory itself ("") last. Built on
  // first need: a tree that the cache resolves entirely never asks, and telling the legacy
  // avx512_1 name apart takes a CPUID, which traps in a virtual machine.
  const std::vector<std::string>& hwcap_subdirectories_in_order() const {
    if (!abi_->native) return abi_->subdirectories;
    if (subdirectories_.empty()) {
      subdirectories_ = hwcap_subdirectory_list();
      if (subdirectories_.empty() || !subdirectories_.back().empty()) subdirectories_.push_back("");
    }
    return subdirectories_;
  }

  // Like _dl_load_cache_lookup, the cache is read on first need and kept for the whole run.
  const LdSoCache& ld_so_cache() const {
    if (!ld_so_cache_) {
      if (files_.rooted()) {
        // The root's own cache, read inside it (never ldconfig run), for this resolution.
        const int fd = files_.open(environment_.ld_so_cache, O_RDONLY);
        ld_so_cache_ = std::make_shared<const LdSoCache>(
            fd >= 0 ? LdSoCache::load(fd, environment_.ld_so_cache)
                    : LdSoCache::load(files_.root() + environment_.ld_so_cache));
        if (fd >= 0) ::close(fd);
      } else {
        ld_so_cache_ = cached_ld_so_cache(environment_.ld_so_cache);
      }
    }
    return *ld_so_cache_;
  }

  std::string on_disk(const std::string& path) const {
    if (!path.empty() && path[0] == '/') return path;
    if (files_.rooted()) return "/" + path;  // no process runs in the root: its "/" is the cwd
    return cwd() + "/" + path;
  }

  // What open_path makes of an open that failed with error: ENOENT and ENOTDIR are "not here",
  // EACCES is skipped and remembered, anything else ends the search.
  static Candidate failed_open(int error) {
    Candidate candidate;
    candidate.error_number = error;
    candidate.outcome = error == ENOENT || error == ENOTDIR ? Outcome::NotFound
                        : error == EACCES                   ? Outcome::PermissionDenied
                                                            : Outcome::OtherError;
    candidate.why = std::strerror(error);
    return candidate;
  }

  // open_verify: open O_RDONLY, then the ELF identity checks that decide whether the search goes
  // on (another class or machine: skipped) or the load fails here (not ELF, wrong type...).
  Candidate open_verify(const std::string& path) const {
    Candidate candidate;
    const int fd = files_.open(on_disk(path), O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return failed_open(errno);
    struct stat status {};
    if (::fstat(fd, &status) == 0) {
      candidate.device = status.st_dev;
      candidate.inode = status.st_ino;
    }
    if (S_ISDIR(status.st_mode)) {
      ::close(fd);
      candidate.outcome = Outcome::Fatal;
      candidate.error_number = EISDIR;
      candidate.why = "cannot read file data: Is a directory";
      return candidate;
    }
    elf::ReadOutcome outcome =
        S_ISREG(status.st_mode) ? elf::read_image_fd(fd, static_cast<std::uint64_t>(status.st_size),
                                                     read_versions_ ? elf::ReadParts::Versions
                                                                    : elf::ReadParts::LoaderView)
                                : elf::ReadOutcome(elf::ReadError{"not a regular file"});
    ::close(fd);
    if (const auto* error = std::get_if<elf::ReadError>(&outcome)) {
      candidate.outcome = Outcome::Fatal;
      candidate.why =
          error->message.rfind("not an ELF file", 0) == 0 ? "invalid ELF header" : error->message;
      return candidate;
    }
    elf::Image& image = std::get<elf::Image>(outcome);
    if (image.identity.elf_class != abi_->elf_class) {
      candidate.outcome = Outcome::WrongClass;
      candidate.why = "wrong ELF class: " + elf::class_name(image.identity.elf_class);
      return candidate;
    }
    if (image.identity.machine != abi_->machine) {
      candidate.outcome = Outcome::WrongMachine;
      candidate.why = "built for " + elf::machine_name(image.identity.machine);
      return candidate;
    }
    if (image.identity.type != ET_DYN && image.identity.type != ET_EXEC) {
      candidate.outcome = Outcome::Fatal;
      candidate.why = "only ET_DYN and ET_EXEC can be loaded";
      return candidate;
    }
    candidate.outcome = Outcome::Found;
    candidate.image = std::move(image);
    return candidate;
  }

  // ---- Dynamic string tokens and path lists (_dl_dst_substitute, fillin_rpath) ----

  // Expands $ORIGIN, $LIB and $PLATFORM (and their ${} forms). nullopt when the element must be
  // dropped: $ORIGIN of an object whose origin is unknown, or in secure mode for the program's
  // own RPATH/RUNPATH unless it expands into a system directory (glibc's trusted directories).
  std::optional<std::string> expand_tokens(const std::string& text, const LoadedObject& owner,
                                           std::vector<std::string>* notes) const {
    std::string out;
    bool used_origin = false;
    for (std::size_t i = 0; i < text.size();) {
      if (text[i] != '$') {
        out += text[i++];
        continue;
      }
      auto token = [&](std::string_view name) -> std::size_t {
        if (text.compare(i + 1, name.size(), name) == 0) {
          const std::size_t end = i + 1 + name.size();
          if (end == text.size() ||
              !(std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_'))
            return name.size() + 1;
        }
        const std::string braced = "{" + std::string(name) + "}";
        if (text.compare(i + 1, braced.size(), braced) == 0) return braced.size() + 1;
        return 0;
      };
      if (std::size_t length = token("ORIGIN"); length != 0) {
        if (owner.origin.empty()) return std::nullopt;
        out += owner.origin;
        used_origin = true;
        i += length;
      } else if (std::size_t lib = token("LIB"); lib != 0) {
        out += abi_->lib;
        i += lib;
      } else if (std::size_t platform = token("PLATFORM"); platform != 0) {
        out += abi_->platform;
        i += platform;
      } else {
        out += text[i++];
      }
    }
    if (used_origin && environment_.secure && owner.is_main) {
      const std::string directory = strip_trailing_slashes(out) + "/";
      bool trusted = false;
      for (const std::string& system : abi_->system_directories) trusted |= directory == system;
      if (!trusted) {
        if (notes != nullptr)
          notes->push_back("secure mode (setuid host): " + text + " of " + owner.name +
                           " dropped: $ORIGIN may only name a system directory");
        return std::nullopt;
      }
    }
    return out;
  }

  // fillin_rpath: split on the separators, expand tokens, "" means the current directory, drop
  // trailing slashes, add one, and keep each directory once.
  std::vector<std::string> directory_list(const std::string& text, std::string_view separators,
                                          const LoadedObject& owner,
                                          std::vector<std::string>* notes) const {
    std::vector<std::string> directories;
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find_first_of(separators, start);
      if (end == std::string::npos) end = text.size();
      std::string element = text.substr(start, end - start);
      start = end + 1;
      std::optional<std::string> expanded = element.find('$') != std::string::npos
                                                ? expand_tokens(element, owner, notes)
                                                : std::optional<std::string>(element);
      if (expanded) {
        std::string directory = expanded->empty() ? "./" : strip_trailing_slashes(*expanded) + "/";
        if (directory == "//") directory = "/";
        if (std::find(directories.begin(), directories.end(), directory) == directories.end())
          directories.push_back(directory);
      }
      if (end == text.size()) break;
    }
    return directories;
  }

  // ---- Objects ----

  // The loader itself is loaded before anything (rtld's own link map): its path, its SONAME and
  // its file identity, read once per process (it is the system's, not the inspected code).
  void add_interpreter() {
    auto read_interpreter = [this]() -> std::optional<LoadedObject> {
      LoadedObject rtld;
      rtld.name = abi_->interpreter;
      if (rtld.name.empty()) return std::nullopt;
      const Candidate candidate = open_verify(rtld.name);
      if (candidate.outcome != Outcome::Found) return std::nullopt;
      rtld.names.push_back(rtld.name);
      if (candidate.image->dynamic.soname) {
        rtld.soname = candidate.image->dynamic.soname;
        rtld.names.push_back(*rtld.soname);
      }
      rtld.device = candidate.device;
      rtld.inode = candidate.inode;
      rtld.has_file_id = true;
      return rtld;
    };
    if (!abi_->native || files_.rooted()) {
      if (std::optional<LoadedObject> own = read_interpreter()) objects_.push_back(*own);
      return;
    }
    static const std::optional<LoadedObject> interpreter = read_interpreter();
    if (interpreter) objects_.push_back(*interpreter);
  }

  // ---- The running process ----

  // The running program's file, read once: it does not change while the process runs.
  static const std::string& running_program() {
    static const std::string program = [] {
      char self[PATH_MAX];
      const ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
      return length > 0 ? std::string(self, static_cast<std::size_t>(length)) : std::string();
    }();
    return program;
  }

  // The file identity (st_dev, st_ino) of a running object: that of the file its mapping at base
  // came from, the device and inode /proc/self/maps gives for each mapping, which is what the
  // loader compared when it loaded it (_dl_map_object_from_fd keeps it in l_file_id). Not the
  // file at its name now: a build renamed over that name since is another file, which the loader
  // maps anew (a reload does exactly that). Each object's identity is asked once per process
  // (by address and name) while nothing is loaded or unloaded (the loader's dlpi_adds and
  // dlpi_subs counters, read with the running objects: a build closed and another opened under
  // its name may be mapped at its address), the mappings read when a candidate first needs
  // one; without /proc
  // (or for an object not mapped from offset 0 at its base, such as a program linked at a fixed
  // address), the file at the name.
  std::optional<std::pair<dev_t, ino_t>> running_file_id(std::string_view name,
                                                         std::uintptr_t base) {
    // Known for this process already: an object at the same address under the same name, with
    // no load or unload since, is the same mapping. An object with no file (the vDSO) is known
    // as such too.
    struct Known {
      std::string name;
      LoadGeneration generation;
      std::optional<std::pair<dev_t, ino_t>> id;
    };
    static std::mutex mutex;
    static std::map<std::uintptr_t, Known> known;
    {
      const std::lock_guard<std::mutex> lock(mutex);
      if (auto found = known.find(base); found != known.end() && found->second.name == name &&
                                         found->second.generation == load_generation_)
        return found->second.id;
    }
    if (!mappings_read_) {
      mappings_read_ = true;
      if (std::FILE* maps = std::fopen("/proc/self/maps", "re")) {
        char* line = nullptr;
        std::size_t capacity = 0;
        ssize_t length = 0;
        while ((length = ::getline(&line, &capacity, maps)) > 0) {
          Mapping mapping;
          if (parse_maps_line(std::string(line, static_cast<std::size_t>(length)), mapping) &&
              mapping.offset == 0 && mapping.inode != 0)
            mappings_.push_back({mapping.start, makedev(mapping.device_major, mapping.device_minor),
                                 static_cast<ino_t>(mapping.inode)});
        }
        std::free(line);
        std::fclose(maps);
      }
    }
    std::optional<std::pair<dev_t, ino_t>> id;
    for (const MappedFile& mapped : mappings_)
      if (mapped.start == base) id = std::make_pair(mapped.device, mapped.inode);
    if (!id && !name.empty() && name[0] == '/') {
      const std::string path(name);
      struct stat status {};
      if (::stat(path.c_str(), &status) == 0) id = std::make_pair(status.st_dev, status.st_ino);
    }
    const std::lock_guard<std::mutex> lock(mutex);
    known[base] = Known{std::string(name), load_generation_, id};
    return id;
  }

  // The objects this process's loader has mapped, in link-map order: their names, SONAMEs and
  // (for the program) RPATH, RUNPATH and DT_FLAGS_1, read where the loader keeps them, in the
  // mapped dynamic sections, and copied out while dl_iterate_phdr holds the loader's lock. No
  // file is opened, as none is by _dl_map_object for an object already loaded. Only the program
  // becomes a model object at once (it is the caller of the dlopen); another becomes one when a
  // name asks for it (find_loaded, find_same_file). Returns the program's object.
  int add_running_objects() {
    running_.clear();
    running_text_.clear();
    ::dl_iterate_phdr(
        [](dl_phdr_info* info, std::size_t, void* data) {
          static_cast<Process*>(data)->copy_running_object(*info);
          return 0;
        },
        this);
    LoadedObject program;
    program.is_main = true;
    // l_name is "" for the program; its origin is that of /proc/self/exe (_dl_get_origin).
    program.name = running_program();
    if (program.name.empty()) program.name = "(this process)";
    const std::size_t slash = program.name.rfind('/');
    program.origin = slash == std::string::npos ? cwd()
                     : slash == 0               ? "/"
                                                : program.name.substr(0, slash);
    if (!running_.empty()) {
      RunningObject& mapped = running_.front();
      mapped.object = static_cast<int>(objects_.size());
      program.flags_1 = mapped.flags_1;
      program.soname = text(mapped.soname);
      set_search_paths(program, text(mapped.rpath), text(mapped.runpath), nullptr);
    }
    program.names.push_back(program.name);
    // The tree's root: the running program. The other objects appear where the plugin's
    // dependencies ask for them, as already loaded.
    program.node = add_node(program.name, -1);
    Node& entry = tree_.nodes[static_cast<std::size_t>(program.node)];
    entry.path = program.name;
    entry.soname = program.soname;
    entry.rule = Rule::Direct;
    objects_.push_back(std::move(program));
    return static_cast<int>(objects_.size()) - 1;
  }

  // A span of running_text_, where the running objects' strings are copied.
  using TextSpan = std::pair<std::size_t, std::size_t>;
  std::optional<std::string> text(const std::optional<TextSpan>& span) const {
    if (!span) return std::nullopt;
    return running_text_.substr(span->first, span->second);
  }
  std::string_view view(const TextSpan& span) const {
    return std::string_view(running_text_).substr(span.first, span.second);
  }
  TextSpan keep(std::string_view value) {
    running_text_.append(value);
    return {running_text_.size() - value.size(), value.size()};
  }

  // One dl_iterate_phdr entry: its name and what its dynamic section says. glibc rewrites
  // DT_STRTAB to an absolute address where the section is writable (x86-64, AArch64) and leaves
  // it relative elsewhere (the vDSO, RISC-V, MIPS): whichever lies inside the object's segments
  // is the one.
  void copy_running_object(const dl_phdr_info& info) {
    load_generation_ = {info.dlpi_adds, info.dlpi_subs};
    RunningObject object;
    object.base = info.dlpi_addr;
    object.name = keep(info.dlpi_name != nullptr ? info.dlpi_name : "");
    const ElfW(Dyn)* dynamic = nullptr;
    ElfW(Addr) low = ~ElfW(Addr){0}, high = 0;
    for (ElfW(Half) i = 0; i < info.dlpi_phnum; ++i) {
      const ElfW(Phdr)& header = info.dlpi_phdr[i];
      if (header.p_type == PT_DYNAMIC)
        dynamic = reinterpret_cast<const ElfW(Dyn)*>(info.dlpi_addr + header.p_vaddr);
      if (header.p_type == PT_LOAD) {
        low = std::min(low, info.dlpi_addr + header.p_vaddr);
        high = std::max(high, info.dlpi_addr + header.p_vaddr + header.p_memsz);
      }
    }
    if (dynamic != nullptr) {
      ElfW(Addr) strtab = 0;
      std::optional<ElfW(Addr)> soname, rpath, runpath;
      for (const ElfW(Dyn)* entry = dynamic; entry->d_tag != DT_NULL; ++entry) {
        switch (entry->d_tag) {
          case DT_STRTAB: strtab = entry->d_un.d_ptr; break;
          case DT_SONAME: soname = entry->d_un.d_val; break;
          case DT_RPATH: rpath = entry->d_un.d_val; break;
          case DT_RUNPATH: runpath = entry->d_un.d_val; break;
          case DT_FLAGS_1: object.flags_1 = entry->d_un.d_val; break;
          default: break;
        }
      }
      if (strtab < low || strtab >= high) strtab += info.dlpi_addr;
      if (strtab >= low && strtab < high) {
        auto string_at = [&](std::optional<ElfW(Addr)> offset) -> std::optional<TextSpan> {
          if (!offset || *offset >= high - strtab) return std::nullopt;
          const char* value = reinterpret_cast<const char*>(strtab + *offset);
          return keep(std::string_view(value, ::strnlen(value, high - strtab - *offset)));
        };
        object.soname = string_at(soname);
        if (running_.empty()) {  // the program: the caller, whose search paths count
          object.rpath = string_at(rpath);
          object.runpath = string_at(runpath);
        }
      }
    }
    running_.push_back(object);
  }

  // The running object i as a model object, made on first need.
  int promote(std::size_t i) {
    RunningObject& mapped = running_[i];
    if (mapped.object >= 0) return mapped.object;
    LoadedObject object;
    object.name = std::string(view(mapped.name));
    object.names.push_back(object.name);
    object.soname = text(mapped.soname);
    object.flags_1 = mapped.flags_1;
    objects_.push_back(std::move(object));
    mapped.object = static_cast<int>(objects_.size()) - 1;
    return mapped.object;
  }

  // rtld's status of the system directories and LD_LIBRARY_PATH's (rtld_search_dirs,
  // env_path_list) outlives every dlopen: a directory found missing is not tried again in the
  // process, and one found existing is not stat'ed again. Only those lists are remembered:
  // RUNPATH and RPATH statuses belong to their objects.
  static std::map<std::string, std::vector<DirectoryStatus>>& process_directory_status() {
    static std::map<std::string, std::vector<DirectoryStatus>> status;
    return status;
  }
  static std::mutex& process_directory_mutex() {
    static std::mutex mutex;
    return mutex;
  }
  bool remembered_list(const std::string& directory) const {
    for (const std::string& system : abi_->system_directories)
      if (directory == system) return true;
    if (!ld_library_path_set() || environment_.secure) return false;
    if (!ld_library_path_directories_)
      ld_library_path_directories_ =
          directory_list(*environment_.ld_library_path, ":;", LoadedObject{}, nullptr);
    return std::find(ld_library_path_directories_->begin(), ld_library_path_directories_->end(),
                     directory) != ld_library_path_directories_->end();
  }

  // get-dynamic-info.h: an object with DT_RUNPATH has its DT_RPATH dropped altogether, and an
  // empty RUNPATH or RPATH string (-rpath '') is no search list at all (decompose_rpath). Needs
  // object.origin for $ORIGIN.
  void set_search_paths(LoadedObject& object, const std::optional<std::string>& rpath,
                        const std::optional<std::string>& runpath,
                        std::vector<std::string>* notes) const {
    object.has_runpath = runpath.has_value();
    if (rpath && !runpath && !rpath->empty())
      object.rpath_directories = directory_list(*rpath, ":", object, notes);
    if (runpath && !runpath->empty())
      object.runpath_directories = directory_list(*runpath, ":", object, notes);
  }

  int add_object(const std::string& requested, const std::string& path, const Candidate& found,
                 int loader, bool is_main, std::vector<std::string>* notes) {
    LoadedObject object;
    object.name = path;
    object.names.push_back(requested);
    object.loader = loader;
    object.is_main = is_main;
    object.device = found.device;
    object.inode = found.inode;
    object.has_file_id = true;
    const elf::DynamicInfo& dynamic = found.image->dynamic;
    object.soname = dynamic.soname;
    object.needed = dynamic.needed;
    object.flags_1 = dynamic.flags_1;
    if (read_versions_) {
      object.versions_read = true;
      object.version_needs = found.image->version_needs;
      object.version_definitions = found.image->version_definitions;
      object.has_version_definitions = found.image->has_version_definitions;
    }
    // _dl_new_object: the origin is the directory of the name it was opened by, made absolute
    // with the current directory, never normalised or resolved through symbolic links (so is the
    // root of `ld.so --list`). An exec'd program's is that of /proc/self/exe (_dl_get_origin):
    // its real path.
    std::string absolute = path[0] == '/' ? path : on_disk(path);
    if (is_main && origin_is_real_path_) {
      if (std::optional<std::string> real = files_.realpath(on_disk(path))) absolute = *real;
    }
    const std::size_t slash = absolute.rfind('/');
    object.origin = slash == 0 ? "/" : absolute.substr(0, slash);
    set_search_paths(object, dynamic.rpath, dynamic.runpath, notes);
    objects_.push_back(std::move(object));
    return static_cast<int>(objects_.size()) - 1;
  }

  // _dl_name_match_p, and the SONAME check of _dl_map_object's loop over loaded objects.
  int find_loaded(const std::string& name) {
    for (std::size_t i = 0; i < objects_.size(); ++i) {
      const LoadedObject& object = objects_[i];
      if (object.name == name) return static_cast<int>(i);
      for (const std::string& alias : object.names)
        if (alias == name) return static_cast<int>(i);
      if (object.soname && *object.soname == name) return static_cast<int>(i);
    }
    for (std::size_t i = 0; i < running_.size(); ++i) {
      const RunningObject& mapped = running_[i];
      if (mapped.object >= 0) continue;
      if ((mapped.name.second > 0 && view(mapped.name) == name) ||
          (mapped.soname && view(*mapped.soname) == name))
        return promote(i);
    }
    return -1;
  }

  // _dl_map_object_from_fd: a file that is already loaded under another name (same device and
  // inode) is that object, which gains the new name.
  int find_same_file(const Candidate& candidate) {
    // A running object's identity is looked up only now, when a candidate needs it.
    for (std::size_t i = 0; i < running_.size(); ++i) {
      const RunningObject& mapped = running_[i];
      if (mapped.object >= 0 && objects_[static_cast<std::size_t>(mapped.object)].has_file_id)
        continue;
      const auto id = running_file_id(
          i == 0 ? std::string_view(running_program()) : view(mapped.name), mapped.base);
      if (!id || id->first != candidate.device || id->second != candidate.inode) continue;
      LoadedObject& object = objects_[static_cast<std::size_t>(promote(i))];
      object.device = id->first;
      object.inode = id->second;
      object.has_file_id = true;
    }
    for (std::size_t i = 0; i < objects_.size(); ++i)
      if (objects_[i].has_file_id && objects_[i].device == candidate.device &&
          objects_[i].inode == candidate.inode)
        return static_cast<int>(i);
    return -1;
  }

  int add_node(const std::string& name, int parent) {
    Node node;
    node.name = name;
    node.parent = parent;
    tree_.nodes.push_back(std::move(node));
    const int index = static_cast<int>(tree_.nodes.size()) - 1;
    if (parent >= 0) tree_.nodes[static_cast<std::size_t>(parent)].children.push_back(index);
    return index;
  }

  int load_main(const std::string& path) {
    const int node = add_node(path, -1);
    Resolution resolution;
    resolution.name = path;
    resolution.steps.push_back({path, Rule::Direct, "", Outcome::NotFound, ""});
    Candidate candidate = open_verify(path);
    resolution.steps.back().outcome = candidate.outcome;
    resolution.steps.back().why = candidate.outcome == Outcome::Found ? "" : candidate.why;
    Node& entry = tree_.nodes[static_cast<std::size_t>(node)];
    entry.rule = Rule::Direct;
    if (candidate.outcome != Outcome::Found) {
      resolution.error = path + ": " + failure_message(candidate);
      if (!tree_.error) tree_.error = resolution.error;
      tree_.trace.push_back(std::move(resolution));
      entry.resolution = static_cast<int>(tree_.trace.size()) - 1;
      return -1;
    }
    resolution.path = path;
    resolution.rule = Rule::Direct;
    const int object = add_object(path, path, candidate, -1, true, &resolution.notes);
    objects_[static_cast<std::size_t>(object)].node = node;
    entry.path = path;
    entry.soname = objects_[static_cast<std::size_t>(object)].soname;
    tree_.trace.push_back(std::move(resolution));
    entry.resolution = static_cast<int>(tree_.trace.size()) - 1;
    return object;
  }

  static std::string failure_message(const Candidate& candidate) {
    switch (candidate.outcome) {
      case Outcome::WrongClass: return candidate.why;
      case Outcome::Fatal: return candidate.why;
      default:
        return std::string("cannot open shared object file: ") +
               std::strerror(candidate.outcome == Outcome::WrongMachine ? ENOENT
                                                                        : candidate.error_number);
    }
  }

  // _dl_map_object_deps: breadth first, each object's DT_NEEDED in order.
  void walk_dependencies(int first) {
    std::vector<int> queue{first};
    for (std::size_t next = 0; next < queue.size(); ++next) {
      const int requester = queue[next];
      const std::vector<std::string> needed = objects_[static_cast<std::size_t>(requester)].needed;
      const int parent = objects_[static_cast<std::size_t>(requester)].node;
      for (const std::string& name : needed) {
        if (stop_at_first_error_ && tree_.error) return;
        const std::size_t before = objects_.size();
        const int object = request_object(name, requester, parent);
        if (object >= 0 && static_cast<std::size_t>(object) >= before) queue.push_back(object);
      }
    }
  }

  // _dl_map_object: the already-loaded check, then the search (or the direct open of a name with
  // a slash), then the same-file check. Returns the object, or -1 when it was not found.
  int request_object(const std::string& raw_name, int requester, int parent) {
    const int node = add_node(raw_name, parent);
    const int loaded = find_loaded(raw_name);
    if (loaded >= 0) {
      Node& entry = tree_.nodes[static_cast<std::size_t>(node)];
      entry.rule = Rule::AlreadyLoaded;
      entry.path = objects_[static_cast<std::size_t>(loaded)].name;
      entry.soname = objects_[static_cast<std::size_t>(loaded)].soname;
      entry.repeated = true;
      return loaded;
    }
    Resolution resolution;
    resolution.name = raw_name;
    resolution.needed_by =
        requester >= 0 ? objects_[static_cast<std::size_t>(requester)].name : std::string();
    std::string name = raw_name;
    if (name.find('$') != std::string::npos && requester >= 0) {
      if (auto expanded =
              expand_tokens(name, objects_[static_cast<std::size_t>(requester)], nullptr))
        name = *expanded;
    }
    Candidate found;
    std::string found_path;
    if (name.find('/') != std::string::npos) {
      found = open_verify(name);
      resolution.steps.push_back({name, Rule::Direct, "", found.outcome,
                                  found.outcome == Outcome::Found ? "" : found.why});
      if (found.outcome == Outcome::Found) {
        found_path = name;
        resolution.rule = Rule::Direct;
      } else {
        resolution.error = name + ": " + failure_message(found);
      }
    } else {
      found = search(resolution, requester);
      if (resolution.path) found_path = *resolution.path;
    }

    Node& entry = tree_.nodes[static_cast<std::size_t>(node)];
    entry.rule = resolution.rule;
    entry.rule_owner = resolution.rule_owner;
    int object = -1;
    if (!found_path.empty()) {
      resolution.path = found_path;
      object = find_same_file(found);
      if (object >= 0) {
        objects_[static_cast<std::size_t>(object)].names.push_back(raw_name);
        entry.repeated = true;
      } else {
        object = add_object(raw_name, found_path, found, requester, false, &resolution.notes);
        objects_[static_cast<std::size_t>(object)].node = node;
      }
      entry.path = objects_[static_cast<std::size_t>(object)].name;
      entry.soname = objects_[static_cast<std::size_t>(object)].soname;
    } else if (!tree_.error) {
      tree_.error = resolution.error;
    }
    tree_.trace.push_back(std::move(resolution));
    entry.resolution = static_cast<int>(tree_.trace.size()) - 1;
    return object;
  }

  // A candidate of a directory search: what open_verify concludes of it. The name is lstat'ed
  // first: for the common answer, no such file, that costs what the loader's failed open costs
  // and gives the same errno (ENOENT, ENOTDIR, EACCES on a directory on the way), and it tells
  // a link to nothing apart, which a failed open cannot.
  Candidate probe(const std::string& path, bool& symbolic_link) const {
    struct stat link {};
    symbolic_link = false;
    if (!files_.lstat(on_disk(path), link)) return failed_open(errno);
    symbolic_link = S_ISLNK(link.st_mode);
    return open_verify(path);
  }

  // A name that is there as a link to nothing: say so, it explains the "not found".
  void note_dangling_link(const std::string& path, Candidate& candidate) const {
    const std::optional<std::string> target = files_.readlink(on_disk(path));
    candidate.why = "dangling symbolic link to " + target.value_or("?");
  }

  // open_path: each directory of a list, each hwcaps subdirectory inside it, skipping the ones
  // already known not to exist; a failed open makes the loader stat the directory to learn that.
  bool search_directories(Resolution& resolution, const std::vector<std::string>& directories,
                          Rule rule, const std::string& owner, Candidate& found,
                          bool& found_other_class, int& last_errno) {
    for (const std::string& directory : directories) {
      // The running process's system and LD_LIBRARY_PATH directories keep their status across
      // resolutions, held under the process's lock while this directory is searched.
      std::unique_lock<std::mutex> remembered;
      std::vector<DirectoryStatus>* status_list = nullptr;
      if (this_process_ && remembered_list(directory)) {
        remembered = std::unique_lock<std::mutex>(process_directory_mutex());
        status_list = &process_directory_status()[directory];
      } else {
        status_list = &directory_status_[directory];
      }
      std::vector<DirectoryStatus>& status = *status_list;
      const std::vector<std::string>& subdirectories = hwcap_subdirectories_in_order();
      status.resize(subdirectories.size(), DirectoryStatus::Unknown);
      for (std::size_t i = 0; i < subdirectories.size(); ++i) {
        if (status[i] == DirectoryStatus::Nonexisting) continue;
        const std::string path = directory + subdirectories[i] + resolution.name;
        bool symbolic_link = false;
        Candidate candidate = probe(path, symbolic_link);
        if (status[i] == DirectoryStatus::Unknown) {
          if (candidate.outcome == Outcome::Found) {
            status[i] = DirectoryStatus::Existing;
          } else {
            const std::string dir_path =
                on_disk(strip_trailing_slashes(directory + subdirectories[i]));
            struct stat dir_status {};
            status[i] = !files_.stat(dir_path, dir_status) || !S_ISDIR(dir_status.st_mode)
                            ? DirectoryStatus::Nonexisting
                            : DirectoryStatus::Existing;
          }
        }
        if (candidate.outcome == Outcome::NotFound && symbolic_link)
          note_dangling_link(path, candidate);
        resolution.steps.push_back({path, rule, owner, candidate.outcome,
                                    candidate.outcome == Outcome::Found ? "" : candidate.why});
        switch (candidate.outcome) {
          case Outcome::Found:
            found = std::move(candidate);
            resolution.path = path;
            resolution.rule = rule;
            resolution.rule_owner = owner;
            return true;
          case Outcome::WrongClass:
            found_other_class = true;
            last_errno = ENOENT;
            break;
          case Outcome::WrongMachine:
          case Outcome::NotFound:
          case Outcome::PermissionDenied: last_errno = candidate.error_number; break;
          case Outcome::Fatal:
            // open_verify signals the error itself: the whole load fails on this file.
            resolution.error = path + ": " + candidate.why;
            found = std::move(candidate);
            return true;
          case Outcome::OtherError:
            // open_path gives up on anything but ENOENT and EACCES.
            last_errno = candidate.error_number;
            resolution.notes.push_back("the search stopped at " + path + ": " + candidate.why);
            return true;
        }
      }
    }
    return false;
  }

  // _dl_map_object's search for a name without a slash, in glibc's order.
  Candidate search(Resolution& resolution, int requester) {
    resolution.steps.reserve(4);  // a search tries a few names at least: grow once, not twice
    Candidate found;
    bool other_class = false;
    int last_errno = ENOENT;
    const LoadedObject* loader =
        requester >= 0 ? &objects_[static_cast<std::size_t>(requester)] : nullptr;
    auto finished = [&] { return resolution.path.has_value() || !resolution.error.empty(); };

    // 1. DT_RPATH of the requester, then of its loader and on up, then of the program; only
    //    while the requester has no DT_RUNPATH.
    if (loader != nullptr && loader->has_runpath) {
      bool any_rpath = false;
      for (int l = requester; l >= 0; l = objects_[static_cast<std::size_t>(l)].loader)
        any_rpath |= !objects_[static_cast<std::size_t>(l)].rpath_directories.empty();
      if (any_rpath)
        resolution.notes.push_back("RPATH ignored: " + loader->name +
                                   " has RUNPATH, which turns off every RPATH for its requests");
    } else {
      bool did_main = false;
      for (int l = requester; l >= 0 && !finished();
           l = objects_[static_cast<std::size_t>(l)].loader) {
        const LoadedObject& object = objects_[static_cast<std::size_t>(l)];
        if (object.rpath_directories.empty()) continue;
        search_directories(resolution, object.rpath_directories, Rule::Rpath, object.name, found,
                           other_class, last_errno);
        did_main |= object.is_main;
      }
      if (!finished() && !did_main) {
        for (std::size_t i = 0; i < objects_.size(); ++i) {
          const LoadedObject& object = objects_[i];
          if (!object.is_main || static_cast<int>(i) == requester) continue;
          if (!object.rpath_directories.empty())
            search_directories(resolution, object.rpath_directories, Rule::Rpath, object.name,
                               found, other_class, last_errno);
        }
      }
    }
    // 2. LD_LIBRARY_PATH (dropped by the loader in secure mode).
    if (!finished() && ld_library_path_set()) {
      if (environment_.secure) {
        resolution.notes.push_back("LD_LIBRARY_PATH ignored: secure mode (setuid or setgid host)");
      } else {
        const LoadedObject* main = main_object();
        LoadedObject none;
        const std::vector<std::string> directories = directory_list(
            *environment_.ld_library_path, ":;", main != nullptr ? *main : none, &resolution.notes);
        search_directories(resolution, directories, Rule::LdLibraryPath, "", found, other_class,
                           last_errno);
      }
    }
    // 3. DT_RUNPATH of the requester only: never of the objects that loaded it.
    if (!finished() && loader != nullptr && !loader->runpath_directories.empty())
      search_directories(resolution, loader->runpath_directories, Rule::Runpath, loader->name,
                         found, other_class, last_errno);
    if (!finished() && loader != nullptr && loader->runpath_directories.empty()) {
      for (int l = loader->loader; l >= 0; l = objects_[static_cast<std::size_t>(l)].loader)
        if (!objects_[static_cast<std::size_t>(l)].runpath_directories.empty()) {
          resolution.notes.push_back("RUNPATH of " + objects_[static_cast<std::size_t>(l)].name +
                                     " not used: RUNPATH serves only the object's own requests");
          break;
        }
    }
    // 4. /etc/ld.so.cache, unless the requester (or the program) has DF_1_NODEFLIB and the
    //    cached file lies in a system directory.
    const LoadedObject* flags_owner = loader != nullptr ? loader : main_object();
    const bool nodeflib = flags_owner != nullptr && (flags_owner->flags_1 & DF_1_NODEFLIB) != 0;
    if (!finished()) {
      std::optional<std::string> cached =
          abi_->native
              ? ld_so_cache().lookup(resolution.name)
              : ld_so_cache().lookup(resolution.name, abi_->cache_flags, abi_->glibc_hwcaps);
      if (!cached)
        resolution.notes.push_back(environment_.ld_so_cache + ": no entry for " + resolution.name);
      if (cached) {
        bool skip = false;
        if (nodeflib) {
          const std::string directory = cached->substr(0, cached->rfind('/') + 1);
          for (const std::string& system : abi_->system_directories) skip |= directory == system;
          if (skip)
            resolution.notes.push_back("ld.so.cache entry " + *cached +
                                       " skipped: DF_1_NODEFLIB forbids system directories");
        }
        if (!skip) {
          Candidate candidate = open_verify(*cached);
          resolution.steps.push_back({*cached, Rule::LdSoCache, "", candidate.outcome,
                                      candidate.outcome == Outcome::Found ? "" : candidate.why});
          if (candidate.outcome == Outcome::Found) {
            found = std::move(candidate);
            resolution.path = *cached;
            resolution.rule = Rule::LdSoCache;
          } else if (candidate.outcome == Outcome::Fatal) {
            resolution.error = *cached + ": " + candidate.why;
          } else {
            if (candidate.outcome == Outcome::WrongClass) other_class = true;
            last_errno = candidate.error_number;
          }
        }
      }
    }
    // 5. The default directories, unless DF_1_NODEFLIB.
    if (!finished()) {
      if (nodeflib)
        resolution.notes.push_back("default directories skipped: DF_1_NODEFLIB");
      else
        search_directories(resolution, abi_->system_directories, Rule::DefaultPath, "", found,
                           other_class, last_errno);
    }
    if (!finished()) {
      if (other_class)
        resolution.error = resolution.name + ": wrong ELF class: " +
                           elf::class_name(abi_->elf_class == ELFCLASS64 ? ELFCLASS32 : ELFCLASS64);
      else
        resolution.error =
            resolution.name + ": cannot open shared object file: " + std::strerror(last_errno);
    }
    return found;
  }

  const LoadedObject* main_object() const {
    for (const LoadedObject& object : objects_)
      if (object.is_main) return &object;
    return nullptr;
  }

  mutable Environment environment_;  // mutable: cwd() fills in the current directory lazily
  RootedFiles files_;                // this machine's file system, or Environment::root
  mutable std::shared_ptr<const LdSoCache> ld_so_cache_;  // see ld_so_cache()
  bool this_process_ = false;                             // TreeRequest::this_process
  mutable std::optional<std::vector<std::string>> ld_library_path_directories_;
  bool read_versions_ = false;  // TreeRequest::versions

  // glibc _dl_init_paths: "if (llp != NULL && *llp != '\0')": an empty LD_LIBRARY_PATH is no
  // list at all (while ":" is two empty entries, the current directory twice).
  bool ld_library_path_set() const {
    return environment_.ld_library_path && !environment_.ld_library_path->empty();
  }
  // this_process: what the loader has mapped, and their names and search paths. Scratch space
  // of the thread, kept from one resolution to the next (a resolution never nests in another):
  // the copy is made again each time, into memory that is already there.
  std::vector<RunningObject>& running_ = scratch_running_objects();
  std::string& running_text_ = scratch_running_text();
  static std::vector<RunningObject>& scratch_running_objects() {
    thread_local std::vector<RunningObject> objects;
    return objects;
  }
  static std::string& scratch_running_text() {
    thread_local std::string text;
    return text;
  }
  bool stop_at_first_error_ = false;
  bool origin_is_real_path_ = false;
  // The loader the modelled process starts with: this process's, or that of the program's (or
  // the library's) own class and machine (choose_loader).
  const LoaderAbi* abi_ = &native_loader();
  // How many objects the loader had loaded and unloaded when the running objects were read
  // (dl_phdr_info's dlpi_adds and dlpi_subs): running_file_id's memory is of one generation.
  LoadGeneration load_generation_{};
  // The file mappings at offset 0 of this process (running_file_id), read on first need.
  struct MappedFile {
    std::uintptr_t start;
    dev_t device;
    ino_t inode;
  };
  std::vector<MappedFile> mappings_;
  bool mappings_read_ = false;
  mutable std::vector<std::string> subdirectories_;  // see hwcap_subdirectories_in_order()
  std::vector<LoadedObject> objects_;
  std::map<std::string, std::vector<DirectoryStatus>> directory_status_;
  Tree tree_;
};

}  // namespace

Tree resolve_tree(const TreeRequest& request) noexcept {
  try {
    Process process(request.environment);
    return process.run(request);
  } catch (...) {
    Tree tree;
    tree.error = "dldoctor ran out of memory while resolving the dependency tree";
    return tree;
  }
}

Resolution resolve_name(std::string_view name, const Environment& environment) noexcept {
  try {
    Process process(environment);
    return process.search_only(name);
  } catch (...) {
    Resolution resolution;
    resolution.name = std::string(name);
    resolution.error = "dldoctor ran out of memory while searching";
    return resolution;
  }
}

}  // namespace dldoctor::search
