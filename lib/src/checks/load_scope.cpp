// The load scope that the version and symbol stages share: every object of the modelled tree,
// read from its file once, in the order glibc's _dl_map_object_deps builds l_searchlist
// (breadth-first), with the names each answers to.
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>

#include "checks/finding_helpers.hpp"
#include "checks/stage.hpp"
#include "checks/symbol_rules.hpp"

namespace dldoctor {

const search::Tree& tree_of(Context& context) {
  if (!context.tree) {
    search::TreeRequest request;
    request.path = context.file.empty() ? context.request.path : context.file;
    request.host = context.request.host;
    request.caller = context.request.caller;
    request.this_process = context.request.this_process;
    context.tree = search::resolve_tree(request);
  }
  return *context.tree;
}

const std::vector<ScopeObject>& load_scope(Context& context) {
  if (context.scope) return *context.scope;
  const search::Tree& tree = tree_of(context);
  std::vector<ScopeObject>& scope = context.scope.emplace();
  std::vector<int> order;
  std::vector<int> queue{0};
  if (tree.nodes.empty()) return scope;
  for (std::size_t next = 0; next < queue.size(); ++next) {
    const int index = queue[next];
    order.push_back(index);
    for (int child : tree.nodes[static_cast<std::size_t>(index)].children) queue.push_back(child);
  }
  std::map<std::string, std::size_t> at_path;
  for (int index : order) {
    const search::Node& node = tree.nodes[static_cast<std::size_t>(index)];
    if (!node.path) continue;
    // A repeated node names an object loaded earlier (ld.so itself, first of all): it is in the
    // scope once, at its first place, and answers to this name too.
    if (const auto known = at_path.find(*node.path); known != at_path.end()) {
      std::vector<std::string>& names = scope[known->second].names;
      if (std::find(names.begin(), names.end(), node.name) == names.end())
        names.push_back(node.name);
      continue;
    }
    // The plugin was read whole by the identity stage (the Go plugin stage may have read it
    // again); every other object is read here, or shared with the diagnoses before this one.
    std::shared_ptr<const ScopeImage> image =
        index == tree.plugin && context.image && !context.symbol_table_deferred
            ? std::make_shared<const ScopeImage>(ScopeImage::Borrowed{}, *context.image)
            : scope_image(*node.path);
    if (image == nullptr) continue;
    bool below_plugin = false;
    for (int at = index; at >= 0; at = tree.nodes[static_cast<std::size_t>(at)].parent)
      below_plugin |= at == tree.plugin;
    // In this process, an object the plugin needs that is loaded already was checked when it
    // was loaded, and is the host's as much as the program is.
    const bool loaded_before =
        context.request.this_process && node.rule == search::Rule::AlreadyLoaded;
    ScopeObject object(
        *node.path, std::move(image),
        ((context.request.host || context.request.this_process) && !below_plugin) || loaded_before,
        {node.name, *node.path}, index);
    if (object.image.dynamic.soname) object.names.push_back(*object.image.dynamic.soname);
    at_path.emplace(*node.path, scope.size());
    scope.push_back(std::move(object));
  }
  return scope;
}

namespace {

// The files scope_image has read while a ScopedImageCache lives, by path and identity, the most
// recently used last.
struct ImageCache {
  struct Entry {
    std::string path;
    dev_t device;
    ino_t inode;
    off_t size;
    std::int64_t modified_ns;
    std::shared_ptr<const ScopeImage> image;
  };
  static constexpr std::size_t kEntries = 96;
  std::mutex mutex;
  int users = 0;
  std::list<Entry> entries;
};

ImageCache& image_cache() {
  static ImageCache cache;
  return cache;
}

std::shared_ptr<const ScopeImage> read_shared(const std::string& path) {
  elf::ReadOutcome outcome = elf::read_image(path);
  auto* image = std::get_if<elf::Image>(&outcome);
  if (image == nullptr) return nullptr;
  return std::make_shared<const ScopeImage>(std::move(*image));
}

}  // namespace

ScopedImageCache::ScopedImageCache() {
  ImageCache& cache = image_cache();
  const std::lock_guard<std::mutex> lock(cache.mutex);
  ++cache.users;
}

ScopedImageCache::~ScopedImageCache() {
  ImageCache& cache = image_cache();
  const std::lock_guard<std::mutex> lock(cache.mutex);
  if (--cache.users == 0) cache.entries.clear();
}

std::shared_ptr<const ScopeImage> scope_image(const std::string& path) {
  ImageCache& cache = image_cache();
  {
    const std::lock_guard<std::mutex> lock(cache.mutex);
    if (cache.users == 0) return read_shared(path);
  }
  // The file's identity now: a file replaced or rewritten since is read again.
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return read_shared(path);
  const std::int64_t modified =
      static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1000000000 + status.st_mtim.tv_nsec;
  auto same = [&](const ImageCache::Entry& entry) {
    return entry.path == path && entry.device == status.st_dev && entry.inode == status.st_ino &&
           entry.size == status.st_size && entry.modified_ns == modified;
  };
  {
    const std::lock_guard<std::mutex> lock(cache.mutex);
    for (auto it = cache.entries.begin(); it != cache.entries.end(); ++it)
      if (same(*it)) {
        cache.entries.splice(cache.entries.end(), cache.entries, it);
        return cache.entries.back().image;
      }
  }
  // Read outside the lock (two threads may read one file at once; the second keeps its own).
  std::shared_ptr<const ScopeImage> image = read_shared(path);
  if (image == nullptr) return image;
  const std::lock_guard<std::mutex> lock(cache.mutex);
  if (cache.users == 0) return image;
  cache.entries.push_back({path, status.st_dev, status.st_ino, status.st_size, modified, image});
  if (cache.entries.size() > ImageCache::kEntries) cache.entries.pop_front();
  return image;
}

const ExportIndex& export_index(Context& context) {
  if (!context.exports) context.exports.emplace(load_scope(context));
  return *context.exports;
}

}  // namespace dldoctor
