// Scenario: a host holds two handles of its plugin (its own and its registry's); build 2 is renamed
// over the path and the host reloads with dlclose + dlopen of that path: the loader returns
// build 1. Broken: one dlclose leaves the object loaded (its reference count is 1), and dlopen of a
// path already loaded returns the loaded object, by name, without reading the file: the old code
// runs. Fixed (--new-path): build 2 is put at a path of its own, and dlopen of a new path loads it.
#include <cstdio>
#include <string>

#include "reload_host.hpp"

int main(int argc, char** argv) {
  const reload::Arguments arguments = reload::parse(argc, argv);
  const bool new_path = arguments.flags.count("--new-path") > 0;
  reload::run({"cp", arguments.first, arguments.live});
  const std::string live = reload::real_path_of(arguments.live);
  void* plugin = reload::open_plugin(live);
  void* registry = reload::open_plugin(live);  // another part of the host, which never lets go
  reload::print_answer("loaded", live, arguments.symbol,
                       reload::answer_of(plugin, arguments.symbol)());

  // Build 2 arrives: written beside the live file and renamed over it (or, fixed, at a path of
  // its own, a new name per build).
  std::string target = live;
  if (new_path) {
    target = live.substr(0, live.rfind('.')) + "-2.so";
    reload::run({"cp", arguments.next, target});
  } else {
    reload::run({"cp", arguments.next, live + ".new"});
    reload::run({"mv", "-f", live + ".new", live});
  }
  reload::pause_for_diagnosis(arguments);

  dlclose(plugin);
  std::printf("after dlclose: %s %s\n", live.c_str(), reload::mapping_of(live).c_str());
  void* reloaded = reload::open_plugin(target);
  std::printf("dlopen %s returned %s handle\n", target.c_str(),
              reloaded == registry ? "the old" : "a new");
  reload::print_answer("reloaded", target, arguments.symbol,
                       reload::answer_of(reloaded, arguments.symbol)());
  dlclose(reloaded);
  dlclose(registry);
  return 0;
}
