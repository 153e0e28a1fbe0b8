// Scenario: a deploy step replaces the plugin of a running host, which calls build 1 once more,
// then reloads (dlclose, dlopen of the path). Broken (--in-place): `cp new.so live.so` truncates
// and rewrites the very file the host maps: the kernel drops build 1's pages, and the call reads
// them again from build 2's bytes; past build 2's end that is SIGBUS. Fixed (--rename): build 2 is
// a new file renamed over the path (`cp` to a new name, `mv`): the host's mapping keeps build 1's
// file, unlinked, until dlclose; then dlopen reads build 2.
#include <sys/stat.h>

#include <cstdio>
#include <string>

#include "reload_host.hpp"

int main(int argc, char** argv) {
  const reload::Arguments arguments = reload::parse(argc, argv);
  const bool in_place = arguments.flags.count("--in-place") > 0;
  if (in_place == (arguments.flags.count("--rename") > 0))
    reload::fail("say how build 2 replaces build 1: --in-place or --rename");
  reload::run({"cp", arguments.first, arguments.live});
  const std::string live = reload::real_path_of(arguments.live);
  void* plugin = reload::open_plugin(live);
  const reload::Answer answer = reload::answer_of(plugin, arguments.symbol);
  reload::print_answer("loaded", live, arguments.symbol, answer());
  Dl_info where{};
  if (dladdr(reinterpret_cast<void*>(answer), &where) != 0)
    std::printf("%s is at offset 0x%lx of the mapping\n", arguments.symbol.c_str(),
                static_cast<unsigned long>(reinterpret_cast<char*>(answer) -
                                           static_cast<char*>(where.dli_fbase)));

  if (in_place) {
    reload::run({"cp", arguments.next, live});
  } else {
    reload::run({"cp", arguments.next, live + ".new"});
    reload::run({"mv", "-f", live + ".new", live});
  }
  struct stat replaced {};
  if (stat(live.c_str(), &replaced) == 0)
    std::printf("%s is now %lld bytes\n", live.c_str(), static_cast<long long>(replaced.st_size));
  std::printf("before the reload: %s %s\n", live.c_str(), reload::mapping_of(live).c_str());
  std::fflush(stdout);
  reload::pause_for_diagnosis(arguments);

  // The host serves one more request with the build it has loaded (broken: it dies here).
  reload::print_answer("build 1 once more,", live, arguments.symbol, answer());
  dlclose(plugin);
  void* reloaded = reload::open_plugin(live);
  reload::print_answer("reloaded", live, arguments.symbol,
                       reload::answer_of(reloaded, arguments.symbol)());
  dlclose(reloaded);
  return 0;
}
