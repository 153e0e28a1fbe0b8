// dldoctor-reload: `dldoctor reload`'s child, a dynamically linked host that runs the library's
// Reloader on a plugin being rebuilt (the static command cannot dlopen as a normal host does).
// It loads the build at PATH, then watches PATH and takes each new build, saying for each what
// it loaded and whether the previous build left the process; until it has reloaded TIMES times
// or TIMEOUT_MS pass without a new build. Exit status 0 when every build was taken, 1 when one
// was refused (the previous one is kept and the Report says why), 2 on a usage error.
// Usage: dldoctor-reload PATH TIMES TIMEOUT_MS now|lazy [SYMBOL...]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "dldoctor/dldoctor.hpp"
#include "render/printable.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// The reloader's copies this process maps now (/proc/self/maps), by name: a file beside the build
// (".p.so.reload-PID-N") or in memory ("/memfd:p.so.reload-PID-N (deleted)").
void say_mapped(const std::string& base) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::set<std::string> copies;
  const std::string marker = base + ".reload-";
  while (std::getline(maps, line)) {
    const std::size_t at = line.find(marker);
    if (at == std::string::npos) continue;
    const bool in_memory = line.find("/memfd:") != std::string::npos;
    std::string name = line.substr(at);
    if (const std::size_t deleted = name.find(" (deleted)"); deleted != std::string::npos)
      name.resize(deleted);
    copies.insert((in_memory ? "memfd:" : ".") + name);
  }
  std::string names;
  for (const std::string& copy : copies) names += " " + dldoctor::render::printable(copy);
  std::printf("mapped now:%s\n", names.empty() ? " none" : names.c_str());
}

void say_loaded(const dldoctor::Reloaded& reloaded) {
  const bool in_memory = reloaded.loaded_from.rfind("/proc/self/fd/", 0) == 0;
  std::printf("build %llu: loaded, from its own copy %s\n",
              static_cast<unsigned long long>(reloaded.generation),
              in_memory ? "in memory (a memfd: it needs nothing beside it)"
                        : dldoctor::render::printable(reloaded.loaded_from).c_str());
  if (reloaded.generation == 1) return;
  if (reloaded.previous.findings.empty())
    std::printf("build %llu: unloaded (no longer in the process's objects)\n",
                static_cast<unsigned long long>(reloaded.generation - 1));
  else
    std::printf("build %llu: still mapped:\n%s",
                static_cast<unsigned long long>(reloaded.generation - 1),
                dldoctor::render_text(reloaded.previous).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s PATH TIMES TIMEOUT_MS now|lazy [SYMBOL...]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const long times = std::strtol(argv[2], nullptr, 10);
  const auto timeout = std::chrono::milliseconds(std::strtol(argv[3], nullptr, 10));
  dldoctor::ReloadOptions options;
  options.mode = std::string(argv[4]) == "lazy" ? dldoctor::Mode::Lazy : dldoctor::Mode::Now;
  for (int i = 5; i < argc; ++i) options.symbols.emplace_back(argv[i]);
  dldoctor::Reloader reloader(path, options);
  const std::size_t slash = path.rfind('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  bool refused = false;
  auto take = [&] {
    dldoctor::Result<dldoctor::Reloaded> reloaded = reloader.reload();
    if (reloaded.ok()) {
      say_loaded(reloaded.value());
      say_mapped(base);
    } else {
      refused = true;
      std::printf("new build refused%s:\n%s",
                  reloader.current() != nullptr ? " (the previous build stays loaded)" : "",
                  dldoctor::render_text(reloaded.report()).c_str());
    }
    std::fflush(stdout);
  };
  take();
  long reloads = 0;
  Clock::time_point last_change = Clock::now();
  std::optional<dldoctor::FileVersion> seen = dldoctor::file_version(path);
  while (reloads < times && Clock::now() - last_change < timeout) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::optional<dldoctor::FileVersion> now = dldoctor::file_version(path);
    if (now == seen) continue;
    // A build still being written: wait until two looks agree.
    seen = now;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (dldoctor::file_version(path) != seen) continue;
    last_change = Clock::now();
    ++reloads;
    take();
  }
  return refused ? 1 : 0;
}
