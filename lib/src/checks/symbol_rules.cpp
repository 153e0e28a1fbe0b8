#include "checks/symbol_rules.hpp"

#include <cxxabi.h>
#include <elf.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <variant>

#include "checks/finding_helpers.hpp"
#include "checks/stage.hpp"
#include "elf/dwarf_sources.hpp"

namespace dldoctor {
namespace {

using elf::SymbolTable;

inline bool is_exportable(const elf::Symbol& symbol) {
  return exportable(symbol.binding, symbol.type, symbol.visibility, symbol.defined());
}

inline bool is_exportable(const elf::SymbolRef& symbol) {
  return exportable(symbol.binding, symbol.type, symbol.visibility, symbol.defined());
}

bool mangled(const char* name) { return name[0] == '_' && name[1] == 'Z'; }

bool same_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
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

// A symbol the link made local (found in .symtab, not exported): static, hidden, or local by a
// version script's local:.
void settle_made_local(SymbolVerdict& verdict, const elf::Image& image, bool hidden_by_default) {
  const elf::Symbol& symbol = *verdict.symbol;
  verdict.version_nodes.clear();
  if (symbol.binding == STB_LOCAL && !symbol.file.empty() && symbol.visibility == STV_DEFAULT) {
    verdict.kind = SymbolVerdict::Kind::Static;
    verdict.code = finding_code("symbol.static").code;
  } else if (!image.version_definitions.empty() && symbol.visibility == STV_DEFAULT &&
             !hidden_by_default) {
    verdict.kind = SymbolVerdict::Kind::VersionScriptLocal;
    verdict.code = finding_code("symbol.version-script-local").code;
    for (const std::string& node : image.version_definitions)
      verdict.version_nodes += (verdict.version_nodes.empty() ? "" : ", ") + node;
  } else {
    verdict.kind = SymbolVerdict::Kind::Hidden;
    verdict.code = finding_code("symbol.hidden").code;
  }
}

// How many leading bytes a and b share, compared a word at a time: near symbol names share
// most of theirs ("dldoctor_bench_fn_").
inline std::size_t common_prefix(std::string_view a, std::string_view b) noexcept {
  const std::size_t size = std::min(a.size(), b.size());
  std::size_t at = 0;
  for (; at + 8 <= size; at += 8) {
    std::uint64_t x = 0;
    std::uint64_t y = 0;
    std::memcpy(&x, a.data() + at, 8);
    std::memcpy(&y, b.data() + at, 8);
    if (const std::uint64_t differ = x ^ y; differ != 0) {
      const int bits = std::endian::native == std::endian::little ? std::countr_zero(differ)
                                                                  : std::countl_zero(differ);
      return at + static_cast<std::size_t>(bits) / 8;
    }
  }
  while (at < size && a[at] == b[at]) ++at;
  return at;
}

// The Levenshtein distance of a (1 to 64 bytes) and b, a column of the classic table at a time
// in the bits of two words (Myers 1999, in Hyyro's form for the distance between whole strings):
// bit i of pv / mv says that D[i + 1][j] - D[i][j] is +1 / -1. Branch-free, which matters more
// here than the size of the table: the names compared differ unpredictably.
inline std::size_t bit_parallel_distance(std::string_view a, std::string_view b) noexcept {
  const std::size_t m = a.size();
  const std::uint64_t last = std::uint64_t{1} << (m - 1);
  std::uint64_t pv = ~std::uint64_t{0};
  std::uint64_t mv = 0;
  std::size_t score = m;  // D[m][0]
  for (const char c : b) {
    std::uint64_t eq = 0;  // the positions of a that hold c
    for (std::size_t i = 0; i < m; ++i) eq |= static_cast<std::uint64_t>(a[i] == c) << i;
    const std::uint64_t xv = eq | mv;
    const std::uint64_t xh = (((eq & pv) + pv) ^ pv) | eq;
    std::uint64_t ph = mv | ~(xh | pv);
    std::uint64_t mh = pv & xh;
    score += static_cast<std::size_t>((ph & last) != 0);
    score -= static_cast<std::size_t>((mh & last) != 0);
    // D[0][j] = j: the row above the table grows by one each column.
    ph = (ph << 1) | 1;
    mh <<= 1;
    pv = mh | ~(xv | ph);
    mv = ph & xv;
  }
  return score;
}

// Levenshtein distance of a and b when it is at most limit, otherwise limit + 1.
std::size_t bounded_edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  // The distance does not change when a common prefix and suffix are dropped (some optimal
  // alignment matches them), and near symbol names share most of theirs.
  const std::size_t shared = common_prefix(a, b);
  a.remove_prefix(shared);
  b.remove_prefix(shared);
  while (!a.empty() && !b.empty() && a.back() == b.back()) {
    a.remove_suffix(1);
    b.remove_suffix(1);
  }
  if (a.size() > b.size()) std::swap(a, b);
  const std::size_t over = limit + 1;
  if (b.size() - a.size() > limit) return over;
  if (a.empty()) return b.size();
  // Within one edit, the ends differ at that edit alone: with them dropped, one byte at most is
  // left on either side. (The common case once three names one edit away are kept.)
  if (limit <= 1) return b.size() <= 1 ? b.size() : over;
  if (a.size() <= 64) return std::min(bit_parallel_distance(a, b), over);
  // Longer than a word of bits (rare for a symbol name, even after the common ends): one row of
  // the classic table, only within limit of its diagonal: a cell (i, j) with
  // |i - j| > limit costs more than limit, so everything outside the band is `over`, and values
  // saturate there. A row whose band is all over limit ends it.
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = std::min(j, over);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    const std::size_t from = i > limit ? i - limit : 1;
    const std::size_t to = std::min(b.size(), i + limit);
    std::size_t diagonal = row[from - 1];
    row[from - 1] = from == 1 ? std::min(i, over) : over;
    std::size_t best = row[from - 1];
    for (std::size_t j = from; j <= to; ++j) {
      const std::size_t above = row[j];
      const std::size_t value =
          std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1), over});
      diagonal = above;
      row[j] = value;
      best = std::min(best, value);
    }
    if (best > limit) return over;
  }
  return row[b.size()];
}

// Did you mean: exported names with the same letters in another case, one a prefix of the other,
// or a few edits away; the three nearest, by distance then name.
std::vector<std::string> near_names(const elf::SymbolIndex& index, const std::string& name) {
  const std::size_t allowed = std::max<std::size_t>(2, name.size() / 4);
  constexpr std::size_t kKept = 3;
  std::pair<std::size_t, std::string_view> nearest[kKept];  // sorted, the first `kept` in use
  std::size_t kept = 0;
  std::string demangled;
  const std::size_t count = index.size(SymbolTable::Dynamic);
  for (std::size_t i = 1; i < count; ++i) {
    const elf::SymbolRef symbol = index.at(SymbolTable::Dynamic, i);
    if (!is_exportable(symbol)) continue;
    std::string_view plain = symbol.name;
    if (mangled(symbol.name)) {
      demangled = function_name(demangle(symbol.name));
      plain = demangled;
    }
    const bool prefix = plain.size() > 3 && name.size() > 3 &&
                        common_prefix(plain, name) == std::min(plain.size(), name.size());
    // Once three are kept, a name further off than the third cannot take its place (a prefix
    // scores at least its distance too), so the distance need not be known beyond that.
    const std::size_t limit = kept == kKept ? std::min(allowed, nearest[kKept - 1].first) : allowed;
    std::size_t score = bounded_edit_distance(name, plain, limit);
    if (score > 0 && same_ignoring_case(plain, name)) score = 0;
    if (score > allowed && !prefix) continue;
    // Keep the three smallest (score, name) pairs: what sorting every candidate and taking the
    // first three gives, without keeping the others.
    const std::pair<std::size_t, std::string_view> candidate(
        prefix ? std::min(score, allowed) : score, symbol.name);
    if (kept == kKept && !(candidate < nearest[kKept - 1])) continue;
    std::size_t at = kept < kKept ? kept++ : kKept - 1;
    for (; at > 0 && candidate < nearest[at - 1]; --at) nearest[at] = nearest[at - 1];
    nearest[at] = candidate;
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < kept; ++i) names.emplace_back(nearest[i].second);
  return names;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  return bounded_edit_distance(a, b, limit);
}

std::string demangle(const std::string& name) {
  if (name.rfind("_Z", 0) != 0) return name;
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> text(
      abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), std::free);
  return status == 0 && text ? std::string(text.get()) : name;
}

const elf::Symbol* find_exported(const elf::Image& image, const std::string& name) {
  for (const elf::Symbol& symbol : image.dynamic_symbols)
    if (symbol.name == name && is_exportable(symbol)) return &symbol;
  return nullptr;
}

std::optional<elf::SymbolRef> find_exported(const elf::SymbolIndex& index,
                                            const std::string& name) noexcept {
  // One pass over .dynsym comparing names in place: as cheap as following .gnu.hash for a table
  // of this size, and it trusts nothing but the entries themselves.
  const std::size_t count = index.size(SymbolTable::Dynamic);
  for (std::size_t i = 1; i < count; ++i) {
    if (!index.name_is(SymbolTable::Dynamic, i, name.data(), name.size())) continue;
    const elf::SymbolRef symbol = index.at(SymbolTable::Dynamic, i);
    if (is_exportable(symbol)) return symbol;
  }
  return std::nullopt;
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

SymbolVerdict classify_symbol(const elf::SymbolIndex& index, const std::string& name,
                              bool hidden_by_default) {
  SymbolVerdict verdict;
  if (const std::optional<elf::SymbolRef> exported = find_exported(index, name)) {
    verdict.kind = SymbolVerdict::Kind::Exported;
    verdict.symbol = index.materialise(SymbolTable::Dynamic, *exported);
    return verdict;
  }
  // .symtab keeps what the link made local. GNU ld lists a file's own locals (static) after that
  // file's STT_FILE entry, and the globals it made local (hidden visibility, a version script's
  // local:) after an STT_FILE entry with an empty name.
  if (index.has_symbol_table()) {
    const std::size_t count = index.size(SymbolTable::Static);
    for (std::size_t i = 1; i < count; ++i) {
      const elf::SymbolRef symbol = index.at(SymbolTable::Static, i);
      // Exported entries are .dynsym's business (and the mangled-name check's below).
      if (!symbol.defined() || symbol.type == STT_FILE || is_exportable(symbol)) continue;
      // A C++ static function is local and still mangled (_ZL20dldoctor_case_answerv).
      if (!index.name_is(SymbolTable::Static, i, name.data(), name.size()) &&
          (!mangled(symbol.name) || function_name(demangle(symbol.name)) != name))
        continue;
      verdict.symbol = index.materialise(SymbolTable::Static, symbol);
      settle_made_local(verdict, index.image(), hidden_by_default);
      return verdict;
    }
  }
  // The C++ name of a function asked for by its plain name: "hello" or "ns::hello" for
  // _ZN2ns5helloEPKc.
  for (const SymbolTable table : {SymbolTable::Dynamic, SymbolTable::Static}) {
    if (table == SymbolTable::Static && !index.has_symbol_table()) continue;
    const std::size_t count = index.size(table);
    for (std::size_t i = 1; i < count; ++i) {
      const elf::SymbolRef symbol = index.at(table, i);
      if (!is_exportable(symbol) || !mangled(symbol.name)) continue;
      std::string demangled = demangle(symbol.name);
      const std::string qualified = function_name(demangled);
      if (qualified == name || qualified.ends_with("::" + name)) {
        verdict.kind = SymbolVerdict::Kind::Mangled;
        verdict.code = finding_code("symbol.cxx-mangled").code;
        verdict.symbol = index.materialise(table, symbol);
        verdict.demangled = std::move(demangled);
        return verdict;
      }
    }
  }
  // The near names come from .dynsym, which a stripped file keeps: a typo is found either way.
  verdict.near = near_names(index, name);
  if (!index.has_symbol_table()) {
    verdict.kind = SymbolVerdict::Kind::StrippedUnknown;
    verdict.code = finding_code("symbol.not-exported").code;
    return verdict;
  }
  verdict.kind = SymbolVerdict::Kind::Absent;
  verdict.code = finding_code("symbol.not-found").code;
  return verdict;
}

namespace {

// The finding for a name dlsym cannot find in this file: why, with the entries that show it.
Finding unexported_finding(const std::string& path, const elf::SymbolIndex& index,
                           const std::string& name, SymbolVerdict verdict) {
  // Made local by the link: the compiler flags of the unit that defines it (DW_AT_producer, read
  // only now) say whether -fvisibility=hidden did it.
  std::vector<std::string> hidden_units;
  if (verdict.kind == SymbolVerdict::Kind::Hidden ||
      verdict.kind == SymbolVerdict::Kind::VersionScriptLocal) {
    for (const elf::CompileUnit& unit :
         elf::compile_units_at(path, index.file_bytes(), index.debug_sections(), index.big_endian(),
                               verdict.symbol->value))
      if (unit.producer.find("-fvisibility=hidden") != std::string::npos)
        hidden_units.push_back(unit.source + ": " + unit.producer);
    if (!hidden_units.empty()) settle_made_local(verdict, index.image(), true);
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
      if (!verdict.near.empty()) {
        finding.evidence.push_back("did you mean: " + joined(verdict.near));
        finding.fix.summary = "look up the name the plugin exports: " + verdict.near.front() +
                              " (or, if " + name +
                              " is meant to be exported, check its definition for static, hidden "
                              "visibility or a version script)";
      } else {
        finding.fix.summary =
            "check the definition for static, hidden visibility or a version "
            "script, or inspect an unstripped build";
      }
      finding.fix.commands.push_back("nm -D --defined-only " + shell_quote(path));
      break;
    case SymbolVerdict::Kind::Absent:
    default:
      finding.summary = "no object in " + file + "'s scope defines " + name;
      finding.evidence.push_back(".dynsym and .symtab of " + file + ": no " + name);
      if (!verdict.near.empty()) {
        finding.evidence.push_back("did you mean: " + joined(verdict.near));
        finding.fix.summary = "look up the name the plugin exports: " + verdict.near.front();
      } else {
        finding.fix.summary = "define and export " + name + " in the plugin";
      }
      finding.fix.commands.push_back("nm -D --defined-only " + shell_quote(path));
      break;
  }
  return finding;
}
}  // namespace

Finding lookup_failure(const std::string& path, const elf::SymbolIndex& index,
                       const std::string& name) {
  return unexported_finding(path, index, name, classify_symbol(index, name));
}

std::optional<Finding> explain_unexported(const std::string& path, const std::string& name) {
  elf::SymbolIndexOutcome outcome = elf::read_symbol_index(path);
  if (const auto* index = std::get_if<elf::SymbolIndex>(&outcome)) {
    SymbolVerdict verdict = classify_symbol(*index, name);
    if (verdict.kind == SymbolVerdict::Kind::Exported) return std::nullopt;
    return unexported_finding(path, *index, name, std::move(verdict));
  }
  Finding finding = make_finding(finding_code("symbol.not-found"), "undefined symbol: " + name);
  finding.stops_load = false;  // dlopen succeeds; the host's dlsym of this name fails
  finding.evidence.push_back("cannot read " + path + ": " +
                             std::get<elf::ReadError>(outcome).message);
  return finding;
}

}  // namespace dldoctor
