// search::check_versions: glibc's _dl_check_map_versions (elf/dl-version.c) over a resolved
// tree, as `ld.so --list` runs it (and ldd prints): every version a loaded object needs of
// another must be defined there. The check stage does more (checks/version_conflict.cpp:
// bindings, the ld.so assertion); this is what a tree shows on its edges.
#include <algorithm>
#include <map>

#include "dldoctor/elf.hpp"
#include "dldoctor/search.hpp"

namespace dldoctor::search {
namespace {

// One object's versions: those the model read with it (pointers into the tree's node), or those
// read from the file here.
struct Versions {
  bool read = false;
  const std::vector<elf::VersionNeed>* needs = nullptr;
  const std::vector<std::string>* definitions = nullptr;
  bool has_definitions = false;
  elf::Image image;  // owns what was read here
};

}  // namespace

void check_versions(Tree& tree) noexcept {
  try {
    std::map<std::string, Versions> by_path;
    // What the model read with each object (TreeRequest::versions), else the file once more.
    for (const Node& node : tree.nodes) {
      if (!node.path || !node.versions_read) continue;
      Versions& versions = by_path[*node.path];
      if (versions.read) continue;
      versions.read = true;
      versions.needs = &node.version_needs;
      versions.definitions = &node.version_definitions;
      versions.has_definitions = node.has_version_definitions;
    }
    static const std::vector<elf::VersionNeed> kNoNeeds;
    static const std::vector<std::string> kNoDefinitions;
    auto versions_of = [&](const std::string& path) -> const Versions& {
      Versions& versions = by_path[path];
      if (versions.read) return versions;
      versions.read = true;
      versions.needs = &kNoNeeds;
      versions.definitions = &kNoDefinitions;
      elf::ReadOutcome outcome = elf::read_image(path, elf::ReadParts::Versions);
      if (auto* image = std::get_if<elf::Image>(&outcome)) {
        versions.image = std::move(*image);
        versions.needs = &versions.image.version_needs;
        versions.definitions = &versions.image.version_definitions;
        versions.has_definitions = versions.image.has_version_definitions;
      }
      return versions;
    };
    // find_needed: the loaded object that answers to the name (a name it was asked by, its
    // SONAME, its path).
    auto node_named = [&](const std::string& name) -> int {
      for (std::size_t i = 0; i < tree.nodes.size(); ++i) {
        const Node& node = tree.nodes[i];
        if (node.path && (node.name == name || node.soname == name || *node.path == name))
          return static_cast<int>(i);
      }
      return -1;
    };
    std::optional<std::string> first_error;
    for (std::size_t i = 0; i < tree.nodes.size(); ++i) {
      const Node& needer = tree.nodes[i];
      if (!needer.path || needer.repeated) continue;
      for (const elf::VersionNeed& need : *versions_of(*needer.path).needs) {
        const int found = node_named(need.file);
        if (found < 0) continue;
        // The edge: the child of this needer by that name, else the object itself.
        int edge = found;
        for (const int child : needer.children)
          if (tree.nodes[static_cast<std::size_t>(child)].name == need.file) edge = child;
        const std::string provider = *tree.nodes[static_cast<std::size_t>(found)].path;
        const Versions& offered = versions_of(provider);
        if (!offered.has_definitions) continue;  // match_symbol: nothing to check against
        for (const elf::NeededVersion& version : need.versions) {
          if (version.weak || std::find(offered.definitions->begin(), offered.definitions->end(),
                                        version.name) != offered.definitions->end())
            continue;
          const std::string message =
              "version `" + version.name + "' not found (required by " + *needer.path + ")";
          tree.nodes[static_cast<std::size_t>(edge)].unmet_versions.push_back(message);
          if (!first_error) first_error = provider + ": " + message;
        }
      }
    }
    if (first_error && !tree.error) tree.error = *first_error;
  } catch (...) {
    // Out of memory: the tree stays as it was resolved.
  }
}

}  // namespace dldoctor::search
