// The static diagnosis: reads the files the loader would read and says why a load fails,
// without ever mapping or running the inspected code.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dldoctor/plugin_api.hpp"
#include "dldoctor/report.hpp"

namespace dldoctor {

// How the host will call dlopen. Lazy and Now matter once symbols are checked (RTLD_LAZY defers
// the undefined-symbol failure to the first call).
enum class Mode { Now, Lazy };

struct LoadRequest {
  LoadRequest() = default;
  // The common request; the other fields are set by name.
  LoadRequest(std::string load_path, Mode load_mode = Mode::Now)  // NOLINT: implicit by design
      : path(std::move(load_path)), mode(load_mode) {}

  std::string path;  // as the host passes it to dlopen
  Mode mode = Mode::Now;
  // The program that calls dlopen: a bare name is searched with its RPATH and RUNPATH, and the
  // libraries it has loaded already are not searched again. nullopt: a host that needs only libc.
  std::optional<std::string> host;
  // The names the host will look up with dlsym: each must be exported by the plugin or its
  // dependencies.
  std::vector<std::string> symbols;
  // The types the host calls them with, "NAME=RET(ARGS)" or "NAME=TYPE" for data (--signature):
  // each is compared with what the plugin's file says of NAME (signature-mismatch).
  std::vector<std::string> signatures;
  // Directories where dldoctor may look for a library that provides what the one found lacks
  // (a symbol version, for example): never searched by the loader model, only suggested (--search).
  std::vector<std::string> search_directories;
  // The user that will load the plugin, as a name or a numeric uid; nullopt: the current user.
  std::optional<std::string> user;
  // The plugin APIs the host accepts (--api NAME=MIN..MAX): the plugin must declare each one,
  // with <dldoctor/plugin.h>, at a version in its range. Checked from the file, before anything
  // is loaded, as the host's own check would be.
  std::vector<ApiRange> apis;
  // Model this very process as the host (Library::open_checked): the objects it has loaded
  // answer to their names without a search, and its global scope, asked of its own loader
  // (dlsym(RTLD_DEFAULT)), is where the plugin's undefined symbols bind and whose definitions
  // precede the plugin's. host is then ignored.
  bool this_process = false;
  // The host will close the plugin and load a new build of it (--reload): what keeps an object
  // mapped after dlclose (STB_GNU_UNIQUE, -z nodelete, thread_local destructors) and threads
  // that outlive it are reported, as reload.* warnings.
  bool reload = false;
  // Files the host process has loaded already (--loaded), or, for a Go host, has called
  // plugin.Open on: a path the loader would answer with the loaded object (the same name, the
  // same inode) is reported, and a Go plugin whose plugin path one of them has. Implies reload.
  std::vector<std::string> loaded;
  // The object of the host that calls dlopen, when it is not the program itself: a library the
  // program needs (its plugin loader), or one it has loaded before (Python's _ctypes module).
  // glibc searches with the caller's RPATH chain and RUNPATH (dl_open_worker_begin's call_map),
  // never the program's RUNPATH. Needs host; nullopt: the program calls.
  std::optional<std::string> caller;
  // A running process that is the host (--pid): its mapped files are what it has loaded, and the
  // file at path, mapped by it and rewritten in place since, is reported. Implies reload.
  std::optional<int> pid;

  bool about_reload() const noexcept { return reload || !loaded.empty() || pid.has_value(); }
};

// Runs the stages in the loader's order (path, permissions, identity, ...); a stage that finds
// a blocking error stops the ones after it, as the loader would. Never throws.
Report diagnose(const LoadRequest& request) noexcept;

}  // namespace dldoctor
