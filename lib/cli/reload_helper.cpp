// dldoctor-reload: `dldoctor reload`'s child, a dynamically linked host that runs the library's
// Reloader on a plugin being rebuilt (the static command cannot dlopen as a normal host does).
// It loads the build at PATH, then watches PATH and takes each new build, saying for each what
// it loaded and whether the previous build left the process; until it has reloaded TIMES times
// or TIMEOUT_MS pass without a new build. Exit status 0 when every build was taken, 1 when one
// was refused (the previous one is kept and the Report says why), 2 on a usage error.
// Usage: dldoctor-reload PATH TIMES TIMEOUT_MS now|lazy own|copy [SYMBOL...]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dldoctor/dldoctor.hpp"
#include "render/printable.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// The builds this process maps now (/proc/self/maps), one per file: the build's own file at the
// path ("p.so"; "p.so (deleted)" once a new build was renamed over it), or a private copy beside
// it (".p.so.reload-PID-N") or in memory ("memfd:p.so.reload-PID-N").
void say_mapped(const std::string& path, const std::string& base) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::set<std::string> inodes;
  std::vector<std::string> builds;
  const std::string marker = base + ".reload-";
  const std::optional<dldoctor::FileVersion> at_path = dldoctor::file_version(path);
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, permissions, offset, device, inode, name;
    fields >> range >> permissions >> offset >> device >> inode;
    std::getline(fields >> std::ws, name);
    const bool deleted = name.size() > 10 && name.ends_with(" (deleted)");
    if (deleted) name.resize(name.size() - 10);
    const bool in_memory = name.starts_with("/memfd:");  // the kernel's name: "/memfd:" + its own
    const std::size_t slash = in_memory ? 6 : name.rfind('/');
    const std::string file = slash == std::string::npos ? name : name.substr(slash + 1);
    std::string shown;
    if (file.starts_with(marker) || file.starts_with("." + marker))
      shown = (in_memory ? "memfd:" : "") + file;
    else if (file == base && (deleted || (at_path && std::to_string(at_path->inode) == inode)))
      shown = base + (deleted ? " (deleted: an earlier build)" : "");
    if (shown.empty() || !inodes.insert(device + ":" + inode).second) continue;
    builds.push_back(dldoctor::render::printable(shown));
  }
  std::string names;
  for (const std::string& build : builds) names += " " + build;
  std::printf("mapped now:%s\n", names.empty() ? " none" : names.c_str());
}

void say_loaded(const dldoctor::Reloaded& reloaded) {
  const bool in_memory = reloaded.loaded_from.rfind("/proc/self/fd/", 0) == 0;
  if (!reloaded.private_copy)
    std::printf("build %llu: loaded, from its own file, as %s (a name no object was loaded by)\n",
                static_cast<unsigned long long>(reloaded.generation),
                dldoctor::render::printable(reloaded.loaded_from).c_str());
  else
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
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s PATH TIMES TIMEOUT_MS now|lazy own|copy [SYMBOL...]\n",
                 argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const long times = std::strtol(argv[2], nullptr, 10);
  const auto timeout = std::chrono::milliseconds(std::strtol(argv[3], nullptr, 10));
  dldoctor::ReloadOptions options;
  options.mode = std::string(argv[4]) == "lazy" ? dldoctor::Mode::Lazy : dldoctor::Mode::Now;
  options.private_copy = std::string(argv[5]) == "copy";
  for (int i = 6; i < argc; ++i) options.symbols.emplace_back(argv[i]);
  dldoctor::Reloader reloader(path, options);
  const std::size_t slash = path.rfind('/');
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  bool refused = false;
  auto take = [&] {
    dldoctor::Result<dldoctor::Reloaded> reloaded = reloader.reload();
    if (reloaded.ok()) {
      say_loaded(reloaded.value());
      say_mapped(path, base);
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
