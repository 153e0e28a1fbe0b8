// Scenario: the same 2.0 host, written with dldoctor: Library::open_checked with the API range it
// accepts reads the plugin's note before dlopen, and refuses a plugin built for 1.0.
// Usage: host-checked PATH; exit 0 filled, 1 refused (the plugin is then not mapped at all).
#include <dlfcn.h>

#include <cstdio>

#include "dldoctor/dldoctor.hpp"
#include "greeter.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: host-checked PATH\n");
    return 64;
  }
  dldoctor::LoadRequest request{argv[1]};
  // This host speaks 2.x of the API, any minor version: org.example.greeter=2..2.
  request.apis.push_back(
      std::get<dldoctor::ApiRange>(dldoctor::parse_api_range(GREETER_API_NAME "=2..2")));
  dldoctor::Result<dldoctor::Library> plugin = dldoctor::Library::open_checked(request);
  if (!plugin) {
    std::fputs(dldoctor::render_text(plugin.report()).c_str(), stdout);
    std::printf("refused; mapped: %s\n",
                dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD) != nullptr ? "yes" : "no");
    return 1;
  }
  auto fill = plugin->lookup<void(greeting*)>("greeter_fill");
  if (!fill) return 2;
  greeting hello{-1, 0, -1};
  fill.value()(&hello);
  std::printf("loaded %s; greeter_fill() = %d\n", argv[1], hello.answer);
  return 0;
}
