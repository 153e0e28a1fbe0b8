// Scenario: a host reloads its plugin the careful way: build 2 is renamed over the live path, the
// host closes its only handle, then opens the path again (the host of reload-gnu-unique and
// reload-nodelete; see cases/common/reload_host.hpp for its arguments).
// The loader keeps a plugin with an STB_GNU_UNIQUE symbol or -z nodelete after dlclose; the
// reopen of its path returns that object, build 1; any other plugin is unloaded, and build 2 runs.
#include <cstdio>
#include <string>

#include "reload_host.hpp"

int main(int argc, char** argv) {
  const reload::Arguments arguments = reload::parse(argc, argv);
  reload::run({"cp", arguments.first, arguments.live});
  const std::string live = reload::real_path_of(arguments.live);
  void* plugin = reload::open_plugin(live);
  reload::print_answer("loaded", live, arguments.symbol,
                       reload::answer_of(plugin, arguments.symbol)());

  reload::run({"cp", arguments.next, live + ".new"});
  reload::run({"mv", "-f", live + ".new", live});
  reload::pause_for_diagnosis(arguments);

  std::printf("dlclose returned %d\n", dlclose(plugin));
  std::printf("after dlclose: %s %s\n", live.c_str(), reload::mapping_of(live).c_str());
  void* reloaded = reload::open_plugin(live);
  reload::print_answer("reloaded", live, arguments.symbol,
                       reload::answer_of(reloaded, arguments.symbol)());
  dlclose(reloaded);
  return 0;
}
