// The loader's search, as data: where glibc's ld.so looks for a needed library, in which order,
// by which rule, and why each candidate was skipped. A model of _dl_map_object (elf/dl-load.c),
// never a call to it: nothing is mapped, nothing is run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dldoctor/elf.hpp"

namespace dldoctor::search {

// How a library was found, or where a candidate came from (libtree's "[runpath]", "[rpath]").
enum class Rule {
  Direct,         // the name has a slash: opened as given, relative to the current directory
  AlreadyLoaded,  // a loaded object already answers to the name (its path, a name, its SONAME)
  Rpath,          // DT_RPATH of the requester or of an object up its loader chain
  LdLibraryPath,  // the LD_LIBRARY_PATH environment variable
  Runpath,        // DT_RUNPATH of the requester only
  LdSoCache,      // /etc/ld.so.cache
  DefaultPath,    // the system directories
};
std::string_view to_string(Rule rule) noexcept;  // "rpath", "LD_LIBRARY_PATH", "ld.so.cache", ...

// What became of one candidate file.
enum class Outcome {
  Found,             // this file is the one loaded
  NotFound,          // no such file (or a component is not a directory)
  PermissionDenied,  // open failed with EACCES: the search goes on (glibc open_path)
  WrongClass,        // an ELF file of the other class: skipped, remembered for the error message
  WrongMachine,      // an ELF file of another machine: skipped as if absent
  Fatal,             // opened but not loadable (invalid ELF header, ...): the load fails here
  OtherError,        // open failed otherwise (EIO, ELOOP...): glibc stops the search
};
std::string_view to_string(Outcome outcome) noexcept;

struct SearchStep {
  std::string path;  // the file tried, spelt exactly as the loader spells it (LD_DEBUG=libs)
  Rule rule = Rule::DefaultPath;
  std::string rule_owner;  // the object whose RPATH or RUNPATH this directory came from
  Outcome outcome = Outcome::NotFound;
  std::string why;  // "not found", "wrong ELF class: ELFCLASS32", "Permission denied", ...
};

struct Resolution {
  std::string name;       // the name searched for (a DT_NEEDED entry or the dlopen argument)
  std::string needed_by;  // the requesting object's path ("" for the host's dlopen)
  std::optional<std::string> path;  // the file chosen; nullopt when the search failed
  Rule rule = Rule::DefaultPath;    // how it was found (meaningful when path is set)
  std::string rule_owner;
  std::vector<SearchStep> steps;   // every candidate, in the loader's order
  std::vector<std::string> notes;  // why whole sources were skipped ("RPATH of p.so ignored...")
  std::string error;  // the loader's message when the search failed, as dlerror() would say it
};

struct Environment {
  std::optional<std::string> ld_library_path;  // nullopt: unset
  std::string ld_so_cache = "/etc/ld.so.cache";
  bool secure = false;  // AT_SECURE (setuid/setgid host): LD_LIBRARY_PATH and $ORIGIN dropped
  std::string cwd;      // "" means the current directory
  // A root directory the modelled process's "/" is (an extracted image, a sysroot): every file,
  // the ld.so.cache and the loader included, is the root's, and every symbolic link is resolved
  // inside it. "": this machine's own file system.
  std::string root;
  static Environment from_process();  // this process's LD_LIBRARY_PATH and current directory
};

// One object of the modelled process: the host, a library or the plugin.
struct Node {
  std::string name;                 // as requested
  std::optional<std::string> path;  // the file, or nullopt when missing
  std::optional<std::string> soname;
  Rule rule = Rule::Direct;
  std::string rule_owner;
  int parent = -1;            // the node that needed it first; -1 for roots
  std::vector<int> children;  // what it needs, in DT_NEEDED order (indices into nodes)
  bool repeated = false;      // already loaded when asked for again: not expanded again
  int resolution = -1;        // index into Tree::trace, -1 when no search took place
  // Filled by check_versions: what the object that needed this one misses in it, as ld.so --list
  // says it: "version `VER_2' not found (required by ./exe_v2)".
  std::vector<std::string> unmet_versions;
  // With TreeRequest::versions: the object's version needs and definitions, read with it.
  bool versions_read = false;
  std::vector<elf::VersionNeed> version_needs;
  std::vector<std::string> version_definitions;
  bool has_version_definitions = false;
};

struct Tree {
  std::vector<Node> nodes;             // nodes[0] is the root (the host when one is given)
  std::vector<Resolution> trace;       // every search, in the order the loader runs them
  std::optional<std::string> error;    // the first failure, as the loader would report it
  int plugin = 0;                      // the node of the file asked about (the root without a host)
  std::size_t dlopen_trace_start = 0;  // trace entries before it are the host's own start-up
  // The loader whose search this is, when it is not this process's own (an i386 program's):
  // "i386: /lib/ld-linux.so.2, directories from its own `/lib/ld-linux.so.2 --help`". "" else.
  std::string other_loader;
};

struct TreeRequest {
  std::string path;                 // the library or program to resolve
  std::optional<std::string> host;  // a host program: path is then dlopened by it
  // The host's object that calls dlopen (LoadRequest::caller): the search for path is its
  // request, with its RPATH chain and RUNPATH. One the host's start does not load is modelled
  // as loaded by the host before. nullopt, or no host: the program is the caller.
  std::optional<std::string> caller;
  Environment environment = Environment::from_process();
  // Model a dlopen(path) by the running process itself, now (host is then ignored): the objects
  // its loader has mapped (dl_iterate_phdr, with their names, SONAMEs and search paths read
  // from the loader's own view in memory) answer to their names without a search, the running
  // program is the caller, and the system and LD_LIBRARY_PATH directories found missing by an
  // earlier resolution in this process stay missing, as rtld's search-path status does for the
  // life of a process. What explains a failed dlopen in the same process (Library::open).
  bool this_process = false;
  // Read each object's symbol versions with it (DT_VERNEED, DT_VERDEF: a few more bytes of the
  // same file), into Node::version_needs..., for check_versions (dldoctor tree, as ld.so --list).
  bool versions = false;
};

// glibc _dl_check_map_versions over the tree, as ld.so --list runs it: each version a node needs
// (.gnu.version_r) that the node it names does not define (.gnu.version_d) is marked on that edge
// (Node::unmet_versions of the provider under the needer), and the first becomes Tree::error when
// there is none yet. Weak needs and providers without version definitions are not failures.
// Reads each file's version sections (elf::ReadParts::Versions). Never throws.
void check_versions(Tree& tree) noexcept;

// Models what ld.so does for `ld.so --list PATH` (no host), or for the host's dlopen(PATH)
// after its own start-up (with a host): the breadth-first order of _dl_map_object_deps, the
// already-loaded check, and every search. Never throws.
Tree resolve_tree(const TreeRequest& request) noexcept;

// The search for one name as the loader's default (no RPATH or RUNPATH) would run it, for
// explanations: where would this name be found?
Resolution resolve_name(std::string_view name, const Environment& environment) noexcept;

// The directories searched last (the system search path), and the subdirectories tried inside
// every directory (glibc-hwcaps and legacy hwcaps), in the loader's priority order.
std::vector<std::string> system_directories();
std::vector<std::string> hwcap_subdirectories();

}  // namespace dldoctor::search
