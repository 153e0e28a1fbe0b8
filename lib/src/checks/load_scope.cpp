// The load scope that the version and symbol stages share: every object of the modelled tree,
// read from its file once, in the order glibc's _dl_map_object_deps builds l_searchlist
// (breadth-first), with the names each answers to.
#include <algorithm>
#include <map>

#include "checks/finding_helpers.hpp"
#include "checks/stage.hpp"
#include "checks/symbol_rules.hpp"

namespace dldoctor {

const search::Tree& tree_of(Context& context) {
  if (!context.tree) {
    search::TreeRequest request;
    request.path = context.file.empty() ? context.request.path : context.file;
    request.host = context.request.host;
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
    elf::ReadOutcome outcome = elf::read_image(*node.path);
    auto* image = std::get_if<elf::Image>(&outcome);
    if (image == nullptr) continue;
    bool below_plugin = false;
    for (int at = index; at >= 0; at = tree.nodes[static_cast<std::size_t>(at)].parent)
      below_plugin |= at == tree.plugin;
    // In this process, an object the plugin needs that is loaded already was checked when it
    // was loaded, and is the host's as much as the program is.
    const bool loaded_before =
        context.request.this_process && node.rule == search::Rule::AlreadyLoaded;
    ScopeObject object{
        *node.path,
        std::move(*image),
        ((context.request.host || context.request.this_process) && !below_plugin) || loaded_before,
        {node.name, *node.path},
        index};
    if (object.image.dynamic.soname) object.names.push_back(*object.image.dynamic.soname);
    at_path.emplace(*node.path, scope.size());
    scope.push_back(std::move(object));
  }
  return scope;
}

const ExportIndex& export_index(Context& context) {
  if (context.exports) return *context.exports;
  const std::vector<ScopeObject>& scope = load_scope(context);
  ExportIndex& index = context.exports.emplace();
  std::size_t count = 0;
  for (const ScopeObject& object : scope) count += object.image.dynamic_symbols.size();
  index.reserve(count);
  for (const ScopeObject& object : scope)
    for (const elf::Symbol& symbol : object.image.dynamic_symbols)
      if (exportable(symbol.binding, symbol.type, symbol.visibility, symbol.defined()))
        index[symbol.name].push_back({&object, &symbol});
  return index;
}

}  // namespace dldoctor
