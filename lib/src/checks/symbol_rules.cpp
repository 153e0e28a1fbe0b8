#include "checks/symbol_rules.hpp"

#include <cxxabi.h>
#include <elf.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

#include "checks/finding_helpers.hpp"
#include "checks/stage.hpp"
#include "elf/dwarf_sources.hpp"

namespace dldoctor {
namespace {

bool exportable(const elf::Symbol& symbol) {
  return symbol.defined() &&
         (symbol.binding == STB_GLOBAL || symbol.binding == STB_WEAK ||
          symbol.binding == STB_GNU_UNIQUE) &&
         (symbol.visibility == STV_DEFAULT || symbol.visibility == STV_PROTECTED) &&
         symbol.type != STT_FILE && symbol.type != STT_SECTION;
}

// Levenshtein distance, or limit + 1 as soon as it must exceed limit (most names are far off).
std::size_t edit_distance(const std::string& a, const std::string& b, std::size_t limit) {
  const std::size_t length_gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (length_gap > limit) return limit + 1;
  thread_local std::vector<std::size_t> row;
  row.assign(b.size() + 1, 0);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    std::size_t best = row[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
      best = std::min(best, row[j]);
    }
    if (best > limit) return limit + 1;
  }
  return row[b.size()];
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// "ns::hello(char const*)" -> "ns::hello": the qualified name a person writes.
std::string function_name(const std::string& demangled) {
  int depth = 0;
  for (std::size_t i = 0; i < demangled.size(); ++i) {
    const char c = demangled[i];
    if (c == '<') ++depth;
    if (c == '>') --depth;
    if (c == '(' && depth == 0) return demangled.substr(0, i);
  }
  return demangled;
}

}  // namespace

std::string demangle(const std::string& name) {
  if (name.rfind("_Z", 0) != 0) return name;
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> text(
      abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), std::free);
  return status == 0 && text ? std::string(text.get()) : name;
}

const elf::Symbol* find_exported(const elf::Image& image, const std::string& name) {
  for (const elf::Symbol& symbol : image.dynamic_symbols)
    if (symbol.name == name && exportable(symbol)) return &symbol;
  return nullptr;
}

std::string describe_symbol(const elf::Symbol& symbol) {
  static const char* const kTypes[] = {"NOTYPE", "OBJECT", "FUNC", "SECTION",
                                       "FILE",   "COMMON", "TLS"};
  static const char* const kBindings[] = {"LOCAL", "GLOBAL", "WEAK"};
  static const char* const kVisibilities[] = {"DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED"};
  std::string text = symbol.type < 7 ? kTypes[symbol.type] : "type " + std::to_string(symbol.type);
  text += " ";
  text += symbol.binding < 3                 ? kBindings[symbol.binding]
          : symbol.binding == STB_GNU_UNIQUE ? "UNIQUE"
                                             : "binding " + std::to_string(symbol.binding);
  text += " ";
  text += kVisibilities[symbol.visibility & 3];
  text += " " + symbol.name;
  if (!symbol.version.empty()) text += (symbol.version_hidden ? "@" : "@@") + symbol.version;
  if (!symbol.defined())
    text += " (undefined)";
  else if (!symbol.section_name.empty())
    text += " (section " + symbol.section_name + ", " + std::to_string(symbol.size) + " bytes)";
  return text;
}

SymbolVerdict classify_symbol(const elf::Image& image, const std::string& name,
                              bool hidden_by_default) {
  SymbolVerdict verdict;
  if (const elf::Symbol* exported = find_exported(image, name)) {
    verdict.kind = SymbolVerdict::Kind::Exported;
    verdict.symbol = exported;
    return verdict;
  }
  // .symtab keeps what the link made local. GNU ld lists a file's own locals (static) after that
  // file's STT_FILE entry, and the globals it made local (hidden visibility, a version script's
  // local:) after an STT_FILE entry with an empty name.
  if (image.symbol_table) {
    for (const elf::Symbol& symbol : *image.symbol_table) {
      // Exported entries are .dynsym's business (and the mangled-name check's below).
      if (!symbol.defined() || symbol.type == STT_FILE || exportable(symbol)) continue;
      // A C++ static function is local and still mangled (_ZL20dldoctor_case_answerv).
      if (symbol.name != name &&
          (symbol.name.rfind("_Z", 0) != 0 || function_name(demangle(symbol.name)) != name))
        continue;
      verdict.symbol = &symbol;
      if (symbol.binding == STB_LOCAL && !symbol.file.empty() && symbol.visibility == STV_DEFAULT) {
        verdict.kind = SymbolVerdict::Kind::Static;
        verdict.code = "symbol.static";
      } else if (!image.version_definitions.empty() && symbol.visibility == STV_DEFAULT &&
                 !hidden_by_default) {
        verdict.kind = SymbolVerdict::Kind::VersionScriptLocal;
        verdict.code = "symbol.version-script-local";
        for (const std::string& node : image.version_definitions)
          verdict.version_nodes += (verdict.version_nodes.empty() ? "" : ", ") + node;
      } else {
        verdict.kind = SymbolVerdict::Kind::Hidden;
        verdict.code = "symbol.hidden";
      }
      return verdict;
    }
  }
  // The C++ name of a function asked for by its plain name: "hello" or "ns::hello" for
  // _ZN2ns5helloEPKc.
  const std::vector<elf::Symbol>* tables[] = {&image.dynamic_symbols,
                                              image.symbol_table ? &*image.symbol_table : nullptr};
  for (const std::vector<elf::Symbol>* table : tables) {
    if (table == nullptr) continue;
    for (const elf::Symbol& symbol : *table) {
      if (symbol.name.rfind("_Z", 0) != 0 || !exportable(symbol)) continue;
      const std::string demangled = demangle(symbol.name);
      const std::string qualified = function_name(demangled);
      if (qualified == name || qualified.ends_with("::" + name)) {
        verdict.kind = SymbolVerdict::Kind::Mangled;
        verdict.code = "symbol.cxx-mangled";
        verdict.symbol = &symbol;
        verdict.demangled = demangled;
        return verdict;
      }
    }
  }
  if (!image.symbol_table) {
    verdict.kind = SymbolVerdict::Kind::StrippedUnknown;
    verdict.code = "symbol.not-exported";
    return verdict;
  }
  // Did you mean: same letters in another case, one a prefix of the other, or a few edits away.
  verdict.kind = SymbolVerdict::Kind::Absent;
  verdict.code = "symbol.not-found";
  const std::size_t allowed = std::max<std::size_t>(2, name.size() / 4);
  std::vector<std::pair<std::size_t, std::string>> near;
  for (const elf::Symbol& symbol : image.dynamic_symbols) {
    if (!exportable(symbol)) continue;
    const std::string plain =
        symbol.name.rfind("_Z", 0) == 0 ? function_name(demangle(symbol.name)) : symbol.name;
    std::size_t score = edit_distance(name, plain, allowed);
    if (score > 0 && plain.size() == name.size() && lower(plain) == lower(name)) score = 0;
    const bool prefix = plain.size() > 3 && name.size() > 3 &&
                        (plain.rfind(name, 0) == 0 || name.rfind(plain, 0) == 0);
    if (score <= allowed || prefix)
      near.emplace_back(prefix ? std::min(score, allowed) : score, symbol.name);
  }
  std::sort(near.begin(), near.end());
  for (std::size_t i = 0; i < near.size() && i < 3; ++i) verdict.near.push_back(near[i].second);
  return verdict;
}

// The finding for a name dlsym cannot find in this file: why, with the entries that show it.
Finding lookup_failure(const std::string& path, const elf::Image& image, const std::string& name) {
  SymbolVerdict verdict = classify_symbol(image, name);
  // Made local by the link: the debug information's compiler flags (read only now, they cost a
  // DWARF scan) say whether -fvisibility=hidden did it.
  std::vector<std::string> hidden_units;
  if (verdict.kind == SymbolVerdict::Kind::Hidden ||
      verdict.kind == SymbolVerdict::Kind::VersionScriptLocal) {
    for (const elf::CompileUnit& unit : elf::compile_units(path))
      if (unit.producer.find("-fvisibility=hidden") != std::string::npos)
        hidden_units.push_back(unit.source + ": " + unit.producer);
    if (!hidden_units.empty()) verdict = classify_symbol(image, name, true);
  }
  Finding finding;
  finding.family = Family::UnexportedSymbol;
  finding.code = verdict.code;
  finding.stops_load = false;  // dlopen succeeds; the host's dlsym of this name fails
  const std::string file = base_of(path);
  switch (verdict.kind) {
    case SymbolVerdict::Kind::Static:
      finding.summary = name + " is static in " + file + ": it never leaves its source file";
      finding.evidence.push_back(".symtab: " + describe_symbol(*verdict.symbol) +
                                 ", local, listed after FILE " + verdict.symbol->file);
      finding.evidence.push_back(".dynsym: no " + name);
      finding.fix.summary =
          "remove `static` and export it: extern \"C\" "
          "__attribute__((visibility(\"default\"))) on its definition";
      break;
    case SymbolVerdict::Kind::Hidden:
      verdict.producers = hidden_units;
      finding.summary = name + " is defined in " + file + " but hidden: not in .dynsym";
      finding.evidence.push_back(".symtab: " + describe_symbol(*verdict.symbol) +
                                 ", made LOCAL by the link (ld turns hidden symbols local)");
      finding.evidence.push_back(".dynsym: no " + name);
      for (const std::string& producer : verdict.producers)
        finding.evidence.push_back("compiled with -fvisibility=hidden: " + producer);
      finding.fix.summary =
          "mark it for export: __attribute__((visibility(\"default\"))) (or the "
          "project's export macro) on its declaration";
      break;
    case SymbolVerdict::Kind::VersionScriptLocal:
      finding.summary =
          name + " is defined in " + file + " but a version script's local: makes it local";
      finding.evidence.push_back(".symtab: " + describe_symbol(*verdict.symbol) +
                                 ", made LOCAL by the link");
      finding.evidence.push_back("version nodes defined by the version script: " +
                                 verdict.version_nodes);
      finding.evidence.push_back(".dynsym: no " + name);
      finding.fix.summary = "add it to the global: list of the version script (" +
                            verdict.version_nodes + " { global: ... " + name + "; local: *; };)";
      break;
    case SymbolVerdict::Kind::Mangled:
      finding.summary = name + " is exported only under its C++ name " + verdict.symbol->name +
                        " (" + verdict.demangled + ")";
      finding.evidence.push_back(".dynsym: " + describe_symbol(*verdict.symbol));
      finding.evidence.push_back("c++filt " + verdict.symbol->name + ": " + verdict.demangled);
      // extern "C" cannot give a qualified name (ns::f) a plain symbol: then only the mangled
      // name can be looked up.
      finding.fix.summary =
          name.find("::") != std::string::npos
              ? "look it up by its mangled name: dlsym(handle, \"" + verdict.symbol->name + "\")"
              : "declare it extern \"C\" to export it as " + name +
                    ", or look it up by its mangled name: dlsym(handle, \"" + verdict.symbol->name +
                    "\")";
      finding.fix.commands.push_back("nm -D --defined-only " + shell_quote(path) + " | grep " +
                                     shell_quote(verdict.symbol->name));
      break;
    case SymbolVerdict::Kind::StrippedUnknown:
      finding.summary = name + " is not exported by " + file +
                        ", and without a .symtab hidden and absent cannot be told apart";
      finding.evidence.push_back(".dynsym: no " + name);
      finding.evidence.push_back("no .symtab: the file is stripped");
      finding.fix.summary =
          "check the definition for static, hidden visibility or a version "
          "script, or inspect an unstripped build";
      finding.fix.commands.push_back("nm -D --defined-only " + shell_quote(path));
      break;
    case SymbolVerdict::Kind::Absent:
    default:
      finding.summary = "no object in " + file + "'s scope defines " + name;
      finding.evidence.push_back(".dynsym and .symtab of " + file + ": no " + name);
      if (!verdict.near.empty()) {
        std::string near;
        for (const std::string& candidate : verdict.near)
          near += (near.empty() ? "" : ", ") + candidate;
        finding.evidence.push_back("did you mean: " + near);
        finding.fix.summary = "look up the name the plugin exports: " + verdict.near.front();
      } else {
        finding.fix.summary = "define and export " + name + " in the plugin";
      }
      finding.fix.commands.push_back("nm -D --defined-only " + shell_quote(path));
      break;
  }
  return finding;
}

}  // namespace dldoctor
