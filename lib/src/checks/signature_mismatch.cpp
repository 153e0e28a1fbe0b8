// The signature stage (signature-mismatch family): the loader binds a name, never a type, so a
// host that casts dlsym's result to another function type than the plugin defines calls it with
// its arguments in the wrong registers (System V x86-64: an int in %edi where the callee reads a
// double from %xmm0), and gets a wrong value or a crash, with no message at all. For each
// `--signature 'NAME=TYPE'` the host states, the plugin's definition is read from the best
// source its file has, strongest first, and the stage says which one it used:
//   1. a DLDOCTOR_SIGNATURE note (<dldoctor/plugin.h>), checked by the compiler that built it;
//   2. DWARF (the plugin built with -g): the real prototype, through typedefs;
//   3. the C++ mangled name: the parameter types, not the return type;
// and with none of them, that the type cannot be checked, and what to add (a warning: no
// accusation without evidence). With --host, the structures that host and plugin both describe
// (DLDOCTOR_STRUCT notes, or DWARF for those the asked signatures pass) are compared field by
// field. Nothing is loaded.
#include <algorithm>
#include <map>

#include "checks/finding_helpers.hpp"
#include "checks/stage.hpp"
#include "checks/symbol_rules.hpp"
#include "go/go_type.hpp"
#include "signature/compare.hpp"
#include "signature/dwarf_prototype.hpp"
#include "signature/mangled.hpp"
#include "signature/parse.hpp"

namespace dldoctor {
namespace {

namespace sig = signature;

// One exported definition the host's lookup can reach: dlsym(handle) searches the plugin and its
// dependencies, breadth-first (the plugin's tree in scope order, the host's objects not at all).
struct Candidate {
  const ScopeObject* object;
  const elf::Symbol* symbol;
};

std::vector<Candidate> candidates_for(const std::string& name,
                                      const std::vector<ScopeObject>& scope) {
  std::vector<Candidate> found;
  const bool qualified = name.find("::") != std::string::npos;
  for (const ScopeObject& object : scope) {
    if (object.from_host) continue;
    if (!qualified) {
      if (const elf::Symbol* symbol = find_exported(object.image, name)) {
        found.push_back({&object, symbol});
        return found;  // the first definition is the one dlsym returns
      }
      continue;
    }
    std::vector<std::string> names;
    for (const elf::Symbol& symbol : object.image.dynamic_symbols)
      if (exportable(symbol.binding, symbol.type, symbol.visibility, symbol.defined()))
        names.push_back(symbol.name);
    for (const sig::Overload& overload : sig::overloads_of(name, names))
      if (const elf::Symbol* symbol = find_exported(object.image, overload.symbol))
        found.push_back({&object, symbol});
    if (!found.empty()) return found;
  }
  return found;
}

// What the plugin's file says the definition is, and from which source.
struct Definition {
  // SymbolTable: a data object asked as data, checked by its st_size alone.
  enum class Source { Descriptor, Dwarf, MangledName, SymbolTable, None } source = Source::None;
  std::string described;  // for evidence: where it was read, and what it says
  std::string spelled;    // the definition for a summary: "int add(int, int)"
  std::optional<sig::FunctionType> function;
  sig::TypeRef object_type;                // DWARF: a data object's type
  std::vector<std::string> not_available;  // why the stronger sources said nothing
};

Definition definition_of(const Candidate& candidate) {
  Definition definition;
  const std::string& symbol = candidate.symbol->name;
  const std::string file = base_of(candidate.object->path);
  // 1. The plugin's own descriptor.
  for (const elf::DeclaredSignature& declared : candidate.object->image.declared_signatures) {
    if (declared.symbol != symbol) continue;
    auto parsed = sig::parse_signature(declared.symbol + "=" + declared.text);
    if (const auto* signature = std::get_if<sig::Signature>(&parsed);
        signature != nullptr && signature->function() != nullptr) {
      definition.source = Definition::Source::Descriptor;
      definition.function = *signature->function();
      definition.spelled = sig::to_string(*signature->function(), symbol);
      definition.described = file + "'s DLDOCTOR_SIGNATURE note at " + elf::hex(declared.offset) +
                             ": " + sig::to_string(*signature->function(), symbol) +
                             " (checked by the compiler that built it)";
      return definition;
    }
    definition.not_available.push_back("its DLDOCTOR_SIGNATURE note says " + declared.text +
                                       ", which dldoctor cannot read as a type");
  }
  if (definition.not_available.empty())
    definition.not_available.push_back("no DLDOCTOR_SIGNATURE note (<dldoctor/plugin.h>)");
  // 2. DWARF.
  auto declaration = sig::read_declaration(candidate.object->path, symbol);
  if (const auto* found = std::get_if<sig::Declaration>(&declaration)) {
    definition.source = Definition::Source::Dwarf;
    const std::string where = found->source.empty() ? "" : " (" + found->source + ")";
    if (found->kind == sig::Declaration::Kind::Function) {
      definition.function = found->function;
      definition.spelled =
          sig::to_string(found->function, found->name.empty() ? symbol : found->name);
      definition.described =
          file + "'s DWARF" + where + ": " +
          sig::to_string(found->function, found->name.empty() ? symbol : found->name);
    } else {
      definition.object_type = found->type;
      definition.described =
          file + "'s DWARF" + where + ": " + symbol + " is an object of type " +
          (found->type ? sig::spelled_with_size(*found->type) : std::string("<?>"));
    }
    return definition;
  } else {
    definition.not_available.push_back(std::get<sig::NotDescribed>(declaration).reason);
  }
  // 3. The mangled name.
  auto demangled = sig::demangle_function(symbol);
  if (const auto* function = std::get_if<sig::DemangledFunction>(&demangled)) {
    definition.source = Definition::Source::MangledName;
    definition.function = function->function;
    definition.spelled = function->text;
    definition.described = "the C++ mangled name, " + symbol + ", demangles to " + function->text +
                           (function->return_type_known
                                ? ""
                                : " (a mangled name carries no return type: it is not compared)");
    return definition;
  }
  definition.not_available.push_back(std::get<sig::NotDemangled>(demangled).reason);
  return definition;
}

Severity worst(const std::vector<sig::Difference>& differences) {
  for (const sig::Difference& difference : differences)
    if (difference.severity == Severity::Error) return Severity::Error;
  return Severity::Warning;
}

std::string asked_text(const sig::Signature& asked) {
  if (const sig::FunctionType* function = asked.function()) return sig::to_string(*function);
  return asked.type ? sig::to_string(*asked.type) : std::string("<?>");
}

// The differences of one candidate against what the host asks, from its best source.
struct Verdict {
  Candidate candidate;
  Definition definition;
  std::vector<sig::Difference> differences;
};

Verdict judge(const sig::Signature& asked, const Candidate& candidate) {
  Verdict verdict{candidate, {}, {}};
  const sig::Sides sides{"the host's call", "the plugin's definition"};
  // The symbol's kind first: the symbol table says it, whatever the sources.
  sig::SymbolFacts facts{candidate.symbol->type, candidate.symbol->size, nullptr};
  verdict.definition = definition_of(candidate);
  facts.type = verdict.definition.object_type;
  if (asked.type) {
    verdict.differences = sig::compare_object(*asked.type, facts, sides);
    if (!verdict.differences.empty()) return verdict;
    if (asked.function() == nullptr && verdict.definition.source == Definition::Source::None &&
        candidate.symbol->size != 0 && sig::size_of(*asked.type)) {
      verdict.definition.source = Definition::Source::SymbolTable;  // its size is its evidence
      verdict.definition.described =
          "its symbol table entry: " + std::to_string(candidate.symbol->size) + " bytes";
    }
  }
  if (asked.function() != nullptr && verdict.definition.function)
    verdict.differences =
        sig::compare_functions(*asked.function(), *verdict.definition.function, sides);
  return verdict;
}

// requested: how the host asked, for evidence ("--signature 'add=...'", "lookup<...>").
Finding mismatch_finding(const sig::Signature& asked, const Verdict& verdict,
                         const std::string& requested) {
  const std::string file = base_of(verdict.candidate.object->path);
  const std::string& symbol = verdict.candidate.symbol->name;
  const bool data_as_function = std::any_of(
      verdict.differences.begin(), verdict.differences.end(),
      [](const sig::Difference& d) { return d.kind == sig::DifferenceKind::DataAsFunction; });
  const bool object_size = std::any_of(verdict.differences.begin(), verdict.differences.end(),
                                       [](const sig::Difference& d) {
                                         return d.kind == sig::DifferenceKind::ObjectSize ||
                                                d.kind == sig::DifferenceKind::FunctionAsData;
                                       });
  Finding finding;
  if (data_as_function) {
    finding = make_finding(finding_code("signature.data-as-function"),
                           file + "'s " + symbol + " is a data object (STT_OBJECT, " +
                               std::to_string(verdict.candidate.symbol->size) +
                               " bytes), and the host calls it as " + asked_text(asked) +
                               ": the call jumps into data, which is not executable");
  } else if (object_size) {
    finding = make_finding(finding_code("signature.object-size"),
                           file + "'s " + symbol + " is not the " + asked_text(asked) +
                               " the host reads: " + verdict.differences.front().summary);
  } else {
    finding = make_finding(
        finding_code("signature.mismatch"),
        file + " defines " +
            (verdict.definition.spelled.empty() ? symbol : verdict.definition.spelled) +
            ", and the host calls it as " + asked_text(asked) + ": " +
            verdict.differences.front().summary);
    finding.severity = worst(verdict.differences);
  }
  finding.stops_load = false;  // dlopen and dlsym succeed; the call goes wrong
  finding.evidence.push_back("the host asks " + requested);
  finding.evidence.push_back(file + " .dynsym: " + describe_symbol(*verdict.candidate.symbol));
  if (verdict.definition.source != Definition::Source::None)
    finding.evidence.push_back("source: " + verdict.definition.described);
  for (const sig::Difference& difference : verdict.differences)
    finding.evidence.push_back(sig::to_string(difference));
  finding.fix.summary =
      data_as_function || object_size
          ? "use " + symbol +
                " as what it is, or export the function the host means under this name"
          : "call it as the plugin defines it (cast dlsym's result to " +
                (verdict.definition.function && verdict.definition.function->return_type
                     ? sig::to_string(*verdict.definition.function)
                     : "a pointer to " + (verdict.definition.spelled.empty()
                                              ? std::string("the plugin's type")
                                              : verdict.definition.spelled)) +
                "), or rebuild the plugin against the host's header";
  finding.fix.commands.push_back("nm -D " + shell_quote(verdict.candidate.object->path) +
                                 " | grep -wF " + shell_quote(symbol));
  return finding;
}

// A C++ name with several exported overloads, none of the asked type: one finding, naming each
// (a host that looks up the mangled name of the asked one finds nothing: dlsym fails).
Finding overloads_finding(const sig::Signature& asked, const std::vector<Verdict>& verdicts,
                          const std::string& requested) {
  const Verdict* first = &verdicts.front();
  for (const Verdict& verdict : verdicts)
    if (!verdict.differences.empty()) {
      first = &verdict;
      break;
    }
  Finding finding = mismatch_finding(asked, *first, "--signature '" + requested + "'");
  std::vector<std::string> spelled;
  for (const Verdict& verdict : verdicts)
    spelled.push_back(verdict.definition.spelled.empty() ? verdict.candidate.symbol->name
                                                         : verdict.definition.spelled);
  const std::string file = base_of(first->candidate.object->path);
  finding.summary = "no overload of " + asked.name + " that " + file + " exports is the " +
                    asked_text(asked) + " the host calls: it exports " + joined(spelled) +
                    " (a lookup of the asked overload's mangled name finds nothing)";
  finding.severity = Severity::Error;
  for (const Verdict& verdict : verdicts) {
    if (&verdict == first) continue;
    finding.evidence.push_back(first->candidate.object->path == verdict.candidate.object->path
                                   ? file +
                                         " .dynsym: " + describe_symbol(*verdict.candidate.symbol)
                                   : verdict.candidate.object->path +
                                         " .dynsym: " + describe_symbol(*verdict.candidate.symbol));
    if (!verdict.definition.described.empty())
      finding.evidence.push_back("source: " + verdict.definition.described);
    for (const sig::Difference& difference : verdict.differences)
      finding.evidence.push_back(sig::to_string(difference));
  }
  finding.fix.summary = "look up the overload the plugin exports, by its mangled name (" +
                        first->candidate.symbol->name + " is " + spelled.front() +
                        "), or rebuild the plugin against the host's header";
  return finding;
}

Finding unverifiable_finding(const std::string& requested, const Verdict& verdict) {
  const std::string file = base_of(verdict.candidate.object->path);
  const std::string& symbol = verdict.candidate.symbol->name;
  Finding finding =
      make_finding(finding_code("signature.unverifiable"),
                   file + " exports " + symbol +
                       ", and says nothing of its type: it has no descriptor, no "
                       "debug information for it, and a C name; the host's " +
                       requested.substr(requested.find('=') + 1) + " cannot be checked");
  finding.stops_load = false;
  finding.evidence.push_back(file + " .dynsym: " + describe_symbol(*verdict.candidate.symbol));
  for (const std::string& why : verdict.definition.not_available)
    finding.evidence.push_back("no answer: " + why);
  finding.fix.summary =
      "describe it in the plugin with <dldoctor/plugin.h>: DLDOCTOR_SIGNATURE(RET, " + symbol +
      ", PARAMETER TYPES...); after its definition (checked when the plugin compiles), or ship "
      "the plugin with its debug information (-g)";
  return finding;
}

// ---- Structures both sides describe ----

sig::TypeRef record_of(const elf::DeclaredStruct& declared) {
  sig::Layout layout;
  layout.size = declared.size;
  layout.alignment = declared.align;
  for (const elf::DeclaredField& field : declared.fields)
    layout.fields.push_back(
        {field.name, field.offset, std::nullopt,
         sig::make_array(sig::make_builtin(sig::Builtin::UnsignedChar), field.size)});
  std::string name = declared.type;
  sig::RecordTag tag = sig::RecordTag::None;
  for (auto [prefix, value] :
       {std::pair{"struct ", sig::RecordTag::Struct}, std::pair{"union ", sig::RecordTag::Union},
        std::pair{"class ", sig::RecordTag::Class}})
    if (name.starts_with(prefix)) {
      name = name.substr(std::string_view(prefix).size());
      tag = value;
    }
  return sig::make_record(name, tag, layout);
}

// The records an asked signature passes (by value, or through pointers and references).
void records_in(const sig::TypeRef& type, std::vector<std::string>* names, int depth = 0) {
  if (!type || depth > 8) return;
  if (type->kind == sig::Type::Kind::Record && !type->name.empty()) {
    if (std::find(names->begin(), names->end(), type->name) == names->end())
      names->push_back(type->name);
    return;
  }
  if (type->kind == sig::Type::Kind::Function && type->function) {
    records_in(type->function->return_type, names, depth + 1);
    for (const sig::TypeRef& parameter : type->function->parameters)
      records_in(parameter, names, depth + 1);
    return;
  }
  records_in(type->target, names, depth + 1);
}

void layout_finding(Context& context, const std::string& type, const std::string& host_source,
                    const std::string& plugin_source, const std::string& plugin_path,
                    const std::vector<sig::Difference>& differences) {
  const std::string file = base_of(plugin_path);
  const std::string host = base_of(*context.request.host);
  Finding finding = make_finding(finding_code("signature.struct-layout-drift"),
                                 type + " is laid out differently in " + host + " and in " + file +
                                     ": " + differences.front().summary);
  finding.stops_load = false;
  finding.evidence.push_back("the host's: " + host_source);
  finding.evidence.push_back("the plugin's: " + plugin_source);
  for (const sig::Difference& difference : differences)
    finding.evidence.push_back(sig::to_string(difference));
  finding.fix.summary =
      "build the host and the plugin from the same version of the header "
      "that defines " +
      type + " (or version the structure: a size field, an API version)";
  context.findings.push_back(std::move(finding));
}

void check_struct_layouts(Context& context, const std::vector<std::string>& asked_records) {
  if (!context.request.host) return;
  elf::ReadOutcome host_read = elf::read_image(*context.request.host);
  const auto* host = std::get_if<elf::Image>(&host_read);
  if (host == nullptr) return;
  const std::string plugin_path = context.file;
  const elf::Image& plugin = *context.image;
  std::vector<std::string> compared;
  // Descriptors on both sides: every structure both describe.
  for (const elf::DeclaredStruct& mine : plugin.declared_structs)
    for (const elf::DeclaredStruct& theirs : host->declared_structs) {
      if (mine.type != theirs.type) continue;
      compared.push_back(mine.type);
      auto differences = sig::compare_layouts(*record_of(theirs), *record_of(mine));
      if (!differences.empty())
        layout_finding(context, mine.type,
                       "DLDOCTOR_STRUCT note at " + elf::hex(theirs.offset) + " (" +
                           std::to_string(theirs.size) + " bytes)",
                       "DLDOCTOR_STRUCT note at " + elf::hex(mine.offset) + " (" +
                           std::to_string(mine.size) + " bytes)",
                       plugin_path, differences);
    }
  // DWARF of both, for the records the asked signatures pass.
  for (const std::string& name : asked_records) {
    if (std::any_of(compared.begin(), compared.end(),
                    [&](const std::string& type) { return type.ends_with(name); }))
      continue;
    auto in_host = sig::read_record(*context.request.host, name);
    auto in_plugin = sig::read_record(plugin_path, name);
    const auto* host_type = std::get_if<sig::TypeRef>(&in_host);
    const auto* plugin_type = std::get_if<sig::TypeRef>(&in_plugin);
    if (host_type == nullptr || plugin_type == nullptr || !*host_type || !*plugin_type) continue;
    auto differences = sig::compare_layouts(**host_type, **plugin_type);
    if (!differences.empty())
      layout_finding(
          context, sig::to_string(**plugin_type),
          "DWARF of " + base_of(*context.request.host) + ": " + sig::spelled_with_size(**host_type),
          "DWARF of " + base_of(plugin_path) + ": " + sig::spelled_with_size(**plugin_type),
          plugin_path, differences);
  }
}

}  // namespace

std::optional<Report> check_loaded_signature(const std::string& path, const std::string& symbol,
                                             const std::string& type_text) noexcept {
  try {
    auto parsed = sig::parse_signature(symbol + "=" + type_text);
    const auto* asked = std::get_if<sig::Signature>(&parsed);
    if (asked == nullptr) return std::nullopt;  // a type the grammar cannot read: no accusation
    elf::ReadOutcome read = elf::read_image(path);
    auto* image = std::get_if<elf::Image>(&read);
    if (image == nullptr) return std::nullopt;
    const ScopeObject object(path, std::make_shared<const ScopeImage>(std::move(*image)), false,
                             {path}, 0);
    const elf::Symbol* defined = find_exported(object.image, symbol);
    if (defined == nullptr) return std::nullopt;
    const Verdict verdict = judge(*asked, Candidate{&object, defined});
    if (worst(verdict.differences) != Severity::Error || verdict.differences.empty())
      return std::nullopt;
    Report report;
    report.path = path;
    report.loads = true;
    report.findings.push_back(
        mismatch_finding(*asked, verdict, "lookup<" + type_text + ">(\"" + symbol + "\")"));
    return report;
  } catch (...) {
    return std::nullopt;
  }
}

StageVerdict check_signatures(Context& context) {
  if (!context.image) return StageVerdict::Continue;
  const bool structs = context.request.host && !context.image->declared_structs.empty();
  if (context.request.signatures.empty() && !structs) return StageVerdict::Continue;
  const search::Tree& tree = tree_of(context);
  if (tree.error) return StageVerdict::Continue;  // the dependency stage has said why
  const std::vector<ScopeObject>& scope = load_scope(context);
  std::vector<std::string> asked_records;
  for (const std::string& requested : context.request.signatures) {
    // A Go type ("Hello=func(string) string"): what a Go host's type assertion compares.
    if (const std::size_t equals = requested.find('=');
        equals != std::string::npos && go::looks_like_go_type(requested.substr(equals + 1))) {
      const std::string name = requested.substr(0, equals);
      const std::string type = requested.substr(equals + 1);
      if (auto findings = go_signature(context.file, *context.image, name, type)) {
        for (Finding& finding : *findings) context.findings.push_back(std::move(finding));
        continue;
      }
      Finding finding = make_finding(
          finding_code("signature.unverifiable"),
          "--signature '" + requested + "' names a Go type, and " + base_of(context.file) +
              " is not a Go plugin (-buildmode=plugin): a C host does not assert Go types");
      finding.stops_load = false;
      context.findings.push_back(std::move(finding));
      continue;
    }
    auto parsed = sig::parse_signature(requested);
    if (const auto* error = std::get_if<sig::ParseError>(&parsed)) {
      Finding finding =
          make_finding(finding_code("signature.unverifiable"),
                       "--signature '" + requested + "' does not parse: " + error->message);
      finding.stops_load = false;
      context.findings.push_back(std::move(finding));
      continue;
    }
    const sig::Signature& asked = std::get<sig::Signature>(parsed);
    records_in(asked.type, &asked_records);
    const std::vector<Candidate> candidates = candidates_for(asked.name, scope);
    if (candidates.empty()) {
      // Not exported at all: dlsym fails, which the symbol family explains.
      if (std::find(context.request.symbols.begin(), context.request.symbols.end(), asked.name) ==
          context.request.symbols.end())
        if (auto finding = explain_unexported(context.file, asked.name))
          context.findings.push_back(std::move(*finding));
      continue;
    }
    std::vector<Verdict> verdicts;
    bool matched = false;
    for (const Candidate& candidate : candidates) {
      verdicts.push_back(judge(asked, candidate));
      const Verdict& verdict = verdicts.back();
      matched |=
          verdict.differences.empty() && verdict.definition.source != Definition::Source::None;
    }
    if (matched) continue;  // an overload (or the one definition) is what the host asks for
    if (verdicts.size() > 1) {
      context.findings.push_back(overloads_finding(asked, verdicts, requested));
      continue;
    }
    for (const Verdict& verdict : verdicts) {
      if (!verdict.differences.empty())
        context.findings.push_back(
            mismatch_finding(asked, verdict, "--signature '" + requested + "'"));
      else if (verdict.definition.source == Definition::Source::None)
        context.findings.push_back(unverifiable_finding(requested, verdict));
    }
  }
  check_struct_layouts(context, asked_records);
  return StageVerdict::Continue;
}

}  // namespace dldoctor
