// The steps every hot-reload case's host takes the same way, so that each case's host.cpp shows
// only its scenario: put a build at the live path, replace it, look at /proc/self/maps, pause.
// Each host is run as: host --live LIVE --next NEXT [--pause] [its own flags] FIRST [SYMBOL] [MODE]
//   FIRST  build 1 of the plugin, copied to LIVE before the host loads LIVE;
//   NEXT   build 2, put at LIVE (or beside it) the way the case teaches, while build 1 is loaded;
//   --pause  after the replacement, print "ready" and wait until standard input is closed: the
//            case runner diagnoses the running process (dldoctor check --pid) in between.
// Every line a host prints is a fact the case's manifest matches ("output": regexes, in order).
#pragma once

#include <dlfcn.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

extern char** environ;

namespace reload {

struct Arguments {
  std::string live;   // where the host loads its plugin from
  std::string next;   // build 2
  std::string first;  // build 1
  std::string symbol = "dldoctor_case_answer";
  bool pause = false;
  std::set<std::string> flags;  // the case's own switches (--new-path, --shutdown...)
};

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "host: %s\n", what.c_str());
  std::exit(70);
}

inline Arguments parse(int argc, char** argv) {
  Arguments arguments;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--live" && i + 1 < argc) {
      arguments.live = argv[++i];
    } else if (arg == "--next" && i + 1 < argc) {
      arguments.next = argv[++i];
    } else if (arg == "--pause") {
      arguments.pause = true;
    } else if (arg.rfind("--", 0) == 0) {
      arguments.flags.insert(arg);
    } else {
      positional.push_back(arg);
    }
  }
  if (arguments.live.empty() || arguments.next.empty() || positional.empty())
    fail("usage: host --live LIVE --next NEXT [--pause] [FLAG]... FIRST [SYMBOL] [MODE]");
  arguments.first = positional[0];
  if (positional.size() > 1) arguments.symbol = positional[1];
  return arguments;
}

// Runs a command the way a deploy script does (argv[0] looked up in PATH), and prints it.
inline void run(const std::vector<std::string>& command) {
  std::vector<char*> pointers;
  std::string shown;
  for (const std::string& word : command) {
    pointers.push_back(const_cast<char*>(word.c_str()));
    shown += (shown.empty() ? "" : " ") + word;
  }
  pointers.push_back(nullptr);
  pid_t child = 0;
  if (posix_spawnp(&child, pointers[0], nullptr, nullptr, pointers.data(), environ) != 0)
    fail("cannot run " + shown);
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail(shown + " failed");
  std::printf("ran: %s\n", shown.c_str());
  std::fflush(stdout);
}

// How PATH is in /proc/self/maps: "is mapped", "is mapped (deleted)" (the file the process
// maps has been unlinked or renamed over), or "is not mapped". PATH as the kernel prints it:
// absolute, symbolic links resolved (realpath, taken while the file exists).
inline std::string mapping_of(const std::string& real_path) {
  std::ifstream maps("/proc/self/maps");
  bool mapped = false;
  bool deleted = false;
  for (std::string line; std::getline(maps, line);) {
    const std::size_t at = line.find('/');
    if (at == std::string::npos) continue;
    const std::string name = line.substr(at);
    if (name == real_path) mapped = true;
    if (name == real_path + " (deleted)") deleted = true;
  }
  if (deleted) return "is mapped (deleted)";
  return mapped ? "is mapped" : "is not mapped";
}

inline std::string real_path_of(const std::string& path) {
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) == nullptr) fail("realpath " + path);
  return resolved;
}

// The runner's moment to diagnose the running process: the plugin has been replaced, the host
// has not reloaded yet.
inline void pause_for_diagnosis(const Arguments& arguments) {
  if (!arguments.pause) return;
  std::printf("ready\n");
  std::fflush(stdout);
  char byte;
  while (read(STDIN_FILENO, &byte, 1) > 0) {
  }
}

inline void* open_plugin(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) fail(std::string("dlopen failed: ") + dlerror());
  return handle;
}

using Answer = int (*)();

inline Answer answer_of(void* handle, const std::string& symbol) {
  void* address = dlsym(handle, symbol.c_str());
  if (address == nullptr) fail("dlsym failed: " + symbol);
  return reinterpret_cast<Answer>(address);
}

// Prints "WHAT PATH: SYMBOL() = VALUE", flushed before the call's result is known to no one else.
inline void print_answer(const char* what, const std::string& path, const std::string& symbol,
                         int value) {
  std::printf("%s %s: %s() = %d\n", what, path.c_str(), symbol.c_str(), value);
  std::fflush(stdout);
}

}  // namespace reload
