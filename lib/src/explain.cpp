// explain: glibc's loader messages, each mapped to the families it can come from and the checks
// that tell them apart. The texts are those of glibc's elf/dl-load.c, dl-open.c, dl-lookup.c,
// dl-version.c and dl-error-skeleton.c (2.28 to 2.41); patterns tolerate the wording changes
// seen across those releases.
#include "dldoctor/explain.hpp"

#include <array>
#include <regex>
#include <string>

#include "checks/stage.hpp"

namespace dldoctor {
namespace {

struct KnownMessage {
  const char* pattern;  // ECMAScript regex matched against the message after its object prefix
  const char* kind;
  std::vector<Family> families;
  const char* meaning;
  std::vector<std::string> checks;
};

const std::vector<KnownMessage>& known_messages() {
  using F = Family;
  static const std::vector<KnownMessage> table = {
      // Go's plugin package and runtime (Go 1.19 src/plugin/plugin_dlopen.go, runtime/plugin.go),
      // as plugin.Open and Lookup return them, "plugin.Open(\"PATH\"): " taken off first.
      {R"(plugin was built with a different version of package (\S+))",
       "go: different version of package",
       {F::VersionConflict},
       "plugin.Open compared the hash of each package the Go plugin was linked with "
       "(go.link.pkghashbytes.<package>) with the host's, and this one differs: another version "
       "or directory of its module, another Go toolchain, or other build flags (-trimpath, "
       "-race, -tags) on one side",
       {"dldoctor check PLUGIN.so --host HOST names the package's module on each side, or the "
        "toolchain or flag that differs",
        "go version -m HOST lists the host's modules and build settings"}},
      {R"(plugin already loaded)",
       "go: plugin already loaded",
       {F::VersionConflict},
       "a Go plugin with the same plugin path (go.link.thispluginpath) is loaded already: a copy "
       "of it under another name, or a rebuild opened again (plugin.Open caches by real path and "
       "returns the old one for the same file)",
       {"go tool nm PLUGIN.so | grep thispluginpath, for each plugin the host opens"}},
      {R"(plugin: symbol (\S+) not found in plugin (\S+))",
       "go: symbol not found in plugin",
       {F::UnexportedSymbol},
       "plugin.Lookup(NAME) finds only <pluginpath>.NAME for an exported (upper-case) "
       "package-level function or variable of the plugin's main package; //export is cgo's C "
       "export and does not make one",
       {"go tool nm PLUGIN.so | grep ' T PLUGINPATH\\.' lists what Lookup can find"}},
      {R"(interface conversion: plugin\.Symbol is (.+), not (.+))",
       "go: type assertion on a plugin symbol",
       {F::SignatureMismatch},
       "plugin.Open and Lookup succeeded; the host's type assertion sym.(T) names another type "
       "than the plugin's symbol has (a function's parameters or results changed, or a variable, "
       "which Lookup returns as a pointer, asserted as its value)",
       {"dldoctor check PLUGIN.so --host HOST --signature 'NAME=T' reads the symbol's type from "
        "the plugin's DWARF",
        "use the comma-ok form, f, ok := sym.(T), to refuse the plugin instead of panicking"}},
      {R"(no plugin module data)",
       "go: no plugin module data",
       {F::WrongBuildMode},
       "the file given to plugin.Open is not a Go plugin (-buildmode=plugin): a C library or a "
       "-buildmode=c-shared Go library; the Go runtime dies with a fatal error",
       {"go tool nm FILE | grep go.link.thispluginpath: a Go plugin has it"}},
      {R"(^realpath failed$)",
       "go: realpath failed",
       {F::BadPath, F::MissingPermission},
       "plugin.Open resolves the name it is given with realpath, against the current directory, "
       "before any dlopen, and it failed: no file is there, or a directory on the path cannot "
       "be searched. A bare name (\"p.so\") is not searched for as dlopen "
       "would (LD_LIBRARY_PATH, RUNPATH, ld.so.cache); a name without its \".so\" gets none "
       "added",
       {"ls -l PATH from the directory the host runs in",
        "dldoctor check PATH --host HOST says where the file is and what plugin.Open does with the "
        "name"}},
      {R"(plugin: not implemented)",
       "go: plugin not implemented",
       {F::WrongBuildMode},
       "the Go host was built without cgo (CGO_ENABLED=0) or for a system without plugins "
       "(only Linux, FreeBSD and macOS have them): plugin.Open always fails",
       {"go version -m HOST: build CGO_ENABLED=1 is needed"}},
      {R"(cannot dynamically load position-independent executable)",
       "cannot dynamically load position-independent executable",
       {F::WrongBuildMode},
       "the file is a PIE program (ET_DYN with DF_1_PIE); glibc 2.30 and later refuse to dlopen "
       "one",
       {"readelf -d FILE | grep FLAGS_1 shows PIE", "rebuild the code with -shared -fPIC"}},
      {R"(cannot dynamically load executable)",
       "cannot dynamically load executable",
       {F::WrongBuildMode},
       "the file is a position-dependent program (ET_EXEC), linked at fixed addresses",
       {"readelf -h FILE shows Type: EXEC", "rebuild the code with -shared -fPIC"}},
      {R"(only ET_DYN and ET_EXEC can be loaded)",
       "only ET_DYN and ET_EXEC can be loaded",
       {F::WrongBuildMode},
       "the file is ELF but neither a shared object nor a program: usually an object file (.o, "
       "ET_REL)",
       {"readelf -h FILE shows its Type", "link the object with -shared"}},
      {R"(invalid ELF header)",
       "invalid ELF header",
       {F::WrongBuildMode},
       "the file does not start with the ELF magic: a static archive (.a), a GNU ld script "
       "(libfoo.so for -lfoo), a text file, or a damaged file",
       {"head -c 64 FILE | od -c: !<arch> is an archive, /* GNU ld script */ a linker script",
        "for a linker script, open the shared object it names (usually libNAME.so.N)"}},
      {R"(file too short)",
       "file too short",
       {F::WrongBuildMode},
       "the file is shorter than an ELF header (64 bytes): empty, truncated, or a short text "
       "file",
       {"ls -l FILE: 0 bytes means an interrupted build or copy", "file FILE"}},
      {R"(wrong ELF class: (ELFCLASS32|ELFCLASS64))",
       "wrong ELF class",
       {F::WrongBuildMode},
       "the file is built for the other word size (32-bit in a 64-bit process, or the reverse)",
       {"readelf -h FILE shows Class and Machine", "rebuild with the host's compiler"}},
      {R"(ELF file data encoding not (little|big)-endian|ELF file version ident does not match|ELF file OS ABI invalid|ELF file ABI version invalid|nonzero padding in e_ident|ELF file version does not match current one|ELF file's phentsize not the expected size)",
       "ELF identification rejected",
       {F::WrongBuildMode},
       "a field of the ELF identification (byte order, version, OS ABI, padding, entry size) is "
       "not what this loader accepts",
       {"readelf -h FILE", "rebuild with the host's toolchain"}},
      {R"(shared object cannot be dlopen\(\)ed)",
       "shared object cannot be dlopen()ed",
       {F::WrongBuildMode},
       "the library was linked with -z nodlopen (DF_1_NOOPEN): it may be a dependency, never "
       "dlopened",
       {"readelf -d FILE | grep FLAGS_1 shows NOOPEN", "relink without -z nodlopen"}},
      {R"(object file has no loadable segments|object file has no dynamic section)",
       "object file has no loadable segments / dynamic section",
       {F::WrongBuildMode},
       "the ELF file has no PT_LOAD or no PT_DYNAMIC: not a shared object",
       {"readelf -lW FILE"}},
      {R"(cannot read file data: Is a directory)",
       "cannot read file data: Is a directory",
       {F::WrongBuildMode},
       "the path names a directory",
       {"ls -l PATH: give the .so inside it"}},
      {R"(cannot read file data)",
       "cannot read file data",
       {F::WrongBuildMode, F::MissingPermission},
       "the file opened but could not be read to the end of its headers: truncated, or an I/O "
       "error",
       {"ls -l FILE", "readelf -lW FILE"}},
      {R"(cannot enable executable stack as shared object requires)",
       "cannot enable executable stack",
       {F::WrongBuildMode},
       "the library asks for an executable stack (PT_GNU_STACK with PF_X, usually from an "
       "assembly file without .note.GNU-stack) and the process or kernel does not allow it",
       {"readelf -lW FILE | grep GNU_STACK shows RWE", "link with -z noexecstack"}},
      {R"(cannot restore segment prot after reloc|cannot make segment writable for relocation)",
       "cannot change segment protection for relocation",
       {F::WrongBuildMode, F::MissingPermission},
       "the library has text relocations and the system forbids writable code (SELinux execmod)",
       {"readelf -d FILE | grep TEXTREL", "recompile with -fPIC"}},
      {R"(cannot allocate memory in static TLS block)",
       "cannot allocate memory in static TLS block",
       {F::WrongBuildMode},
       "the library uses the initial-exec TLS model (DF_STATIC_TLS) and the static TLS surplus "
       "is used up",
       {"readelf -d FILE | grep STATIC_TLS", "build with -ftls-model=global-dynamic"}},
      {R"(ASan runtime does not come first in initial library list)",
       "ASan runtime does not come first",
       {F::WrongBuildMode},
       "AddressSanitizer's runtime (libasan, or a plugin built with -fsanitize=address) was "
       "dlopened into a process that did not start with it; its constructor exits",
       {"readelf -d FILE | grep libasan shows the runtime it needs",
        "LD_PRELOAD=$(gcc -print-file-name=libasan.so) HOST, or build the host with "
        "-fsanitize=address"}},
      {R"(object '([^']*)' from LD_PRELOAD cannot be preloaded \(([^)]*)\): ignored)",
       "cannot be preloaded from LD_PRELOAD",
       {F::BadPath, F::WrongBuildMode, F::MissingPermission},
       "a library named in LD_PRELOAD was not loaded (the reason is in parentheses: not found, "
       "wrong ELF class, or permission) and the program went on without it",
       {"ls -l LIBRARY: LD_PRELOAD takes paths or names searched like DT_NEEDED",
        "file LIBRARY shows its class against the program's"}},
      {R"(cannot open shared object file: No such file or directory)",
       "cannot open shared object file: No such file or directory",
       {F::BadPath, F::WrongBuildMode, F::MissingPermission},
       "no file of this name was found where the loader looked, or the one found is built for "
       "another machine (open_verify skips it as if absent), or a copy it could not read was "
       "skipped (open_path goes on past EACCES, and the last error it reports is ENOENT)",
       {"if the name has no slash: it is searched on RPATH, LD_LIBRARY_PATH, RUNPATH, "
        "ld.so.cache and the default directories, never the current directory",
        "if the message names a dependency, not the plugin: the plugin's NEEDED library is not "
        "on the search path",
        "if the file exists: readelf -h FILE shows its Machine",
        "if a library of that name exists on the path: namei -l on it shows who may read it"}},
      {R"(cannot open shared object file: Permission denied)",
       "cannot open shared object file: Permission denied",
       {F::MissingPermission},
       "the file exists but this user cannot read it, or cannot search a directory above it",
       {"namei -l FILE shows the mode of every path component",
        "read permission on the file and search (x) on the directories are needed; execute on "
        "the file is not"}},
      {R"(failed to map segment from shared object)",
       "failed to map segment from shared object",
       {F::MissingPermission, F::WrongBuildMode},
       "mmap of a segment with PROT_EXEC failed: the file system is mounted noexec, or a "
       "security module refused it, or the segment lies past the end of a truncated file",
       {"findmnt -T FILE shows noexec among the options", "ls -l FILE against readelf -lW FILE"}},
      {R"(version `([^']+)' not found \(required by ([^)]+)\))",
       "version not found",
       {F::VersionConflict},
       "the library found provides no definition of the symbol version the requester was "
       "linked against: it is older than the one used at build time",
       {"objdump -T LIBRARY | grep VERSION shows the versions it defines",
        "readelf -V REQUESTER shows the versions it needs"}},
      {R"(undefined symbol: ([^,\s]+)(, version (\S+))?)",
       "undefined symbol",
       {F::UnexportedSymbol, F::VersionConflict, F::BadPath},
       "a symbol the plugin needs (or the host asked for) is defined by no object in scope: not "
       "exported (hidden, static, C++-mangled), defined only by a library loaded RTLD_LOCAL or a "
       "host not linked with -rdynamic, of another version, or missing from an older copy of a "
       "library that shadows the right one (LD_LIBRARY_PATH, RPATH)",
       {"nm -D --defined-only LIBRARY | grep NAME",
        "dldoctor tree PLUGIN: which copy of each library was chosen, and by which rule",
        "nm -D LIBRARY shows C++ names mangled (_Z...); nm -DC demangles them",
        "the host's own symbols are visible to plugins only with -rdynamic"}},
      {R"(Inconsistency detected by ld\.so: dl-lookup\.c: \d+: check_match: Assertion .*version->filename == NULL)",
       "check_match assertion",
       {F::VersionConflict},
       "a symbol bound to a version (.gnu.version_r) was found in the library that version was "
       "needed of, and that library has no symbol versions at all (no .gnu.version): glibc "
       "asserts and ends the process (exit status 127). An unversioned rebuild of a library the "
       "plugin was linked against with a version script",
       {"readelf -V PLUGIN shows the versions it needs, and of which library",
        "readelf -V LIBRARY: no .gnu.version section means no versions at all",
        "dldoctor check PLUGIN names the library and the symbols, without loading anything"}},
      {R"(no version information available \(required by ([^)]+)\))",
       "no version information available",
       {F::VersionConflict},
       "the library defines no symbol versions while the requester needs some of it: ldd and "
       "ld.so --list warn, and the load goes on without checking them (an unversioned build of "
       "a library the requester was linked against with versions)",
       {"readelf -V LIBRARY: no .gnu.version_d section", "readelf -V REQUESTER: what it needs"}},
      {R"(symbol (\S+) version (\S+) not defined in file (\S+) with link time reference)",
       "version not defined",
       {F::VersionConflict},
       "the requester was linked against a version of the symbol that the library found no "
       "longer (or not yet) defines: the library has the version node, but not this symbol in "
       "it",
       {"objdump -T LIBRARY | grep NAME shows the versions the symbol has there",
        "readelf -V REQUESTER shows the versions it needs"}},
      {R"(Inconsistency detected by ld\.so)",
       "Inconsistency detected by ld.so",
       {F::VersionConflict},
       "an assertion inside the loader failed: usually two copies of one library, or a library "
       "from another glibc, loaded into one process",
       {"LD_DEBUG=files HOST shows which files were loaded", "ldd PLUGIN for duplicates"}},
  };
  return table;
}

}  // namespace

std::optional<Explanation> explain(std::string_view message) noexcept {
  try {
    std::string text(message);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    bool lazy_binding = false;
    // "PROG: error while loading shared libraries: REST" (ld.so at program start) and
    // "PROG: symbol lookup error: REST" (lazy binding at the first call): keep REST.
    static const std::regex program_prefix(
        R"(^.*?: (error while loading shared libraries|symbol lookup error): (.*)$)");
    std::smatch prefix;
    if (std::regex_match(text, prefix, program_prefix)) {
      lazy_binding = prefix[1] == "symbol lookup error";
      text = prefix[2];
    }
    // Go's plugin.Open prefixes its errors with the path it was given, ".so" taken off as it
    // does when it names the plugin.
    static const std::regex go_prefix(R"re(^(?:.*: )?plugin\.Open\("(.*)"\): (.*)$)re");
    std::optional<std::string> go_path;
    if (std::regex_match(text, prefix, go_prefix)) {
      go_path = prefix[1].str();
      text = prefix[2];
    }
    // plugin.Open of a file that failed before in this process returns the first error again,
    // " (previous failure)" added, without trying again: explain the first error.
    static constexpr std::string_view kPrevious = " (previous failure)";
    const bool previous = go_path && text.ends_with(kPrevious);
    if (previous) text.resize(text.size() - kPrevious.size());
    // Each pattern compiled once per process, not once per call (thread-safe static init).
    static const std::vector<std::regex> patterns = [] {
      std::vector<std::regex> compiled;
      for (const KnownMessage& known : known_messages()) compiled.emplace_back(known.pattern);
      return compiled;
    }();
    for (std::size_t index = 0; index < known_messages().size(); ++index) {
      const KnownMessage& known = known_messages()[index];
      std::smatch match;
      if (!std::regex_search(text, match, patterns[index])) continue;
      Explanation explanation;
      explanation.message_kind = known.kind;
      explanation.families = known.families;
      explanation.meaning = known.meaning;
      explanation.checks = known.checks;
      // glibc prefixes the object: "OBJECT: MESSAGE" (_dl_signal_error's objname).
      std::string before = match.prefix().str();
      if (before.size() > 2 && before.ends_with(": ")) {
        before.resize(before.size() - 2);
        explanation.object = before;
      }
      const std::string kind = known.kind;
      if (previous)
        explanation.meaning =
            "plugin.Open failed on this file (the same real path) earlier in this process and "
            "returns that error again without trying again: a file fixed since then needs a new "
            "process. The first error: " +
            explanation.meaning;
      if (kind == "go: realpath failed") {
        // The name as the host gave it: plugin.Open takes ".so" off only after dlopen succeeds.
        explanation.object = go_path;
        if (go_path)
          explanation.next_command = "dldoctor check " + shell_quote(*go_path) + " --host HOST";
        return explanation;
      }
      if (kind.starts_with("go: ")) {
        if (go_path) explanation.object = *go_path;
        const std::string plugin =
            go_path ? (go_path->ends_with(".so") ? *go_path : *go_path + ".so") : "PLUGIN.so";
        if (kind == "go: different version of package") explanation.symbol = match[1].str();
        if (kind == "go: type assertion on a plugin symbol") {
          // The panic names the two types, not the symbol: NAME is the host's to fill in; and
          // "panic: " before it is the runtime's word, not an object.
          explanation.object = {};
          explanation.next_command = "dldoctor check " + shell_quote(plugin) +
                                     " --host HOST --signature " +
                                     shell_quote("NAME=" + match[2].str());
          return explanation;
        }
        if (kind == "go: symbol not found in plugin") {
          explanation.symbol = match[1].str();
          explanation.next_command =
              "dldoctor check " + shell_quote(plugin) + " --symbol " + shell_quote(match[1].str());
        } else {
          explanation.next_command = "dldoctor check " + shell_quote(plugin) + " --host HOST";
        }
        return explanation;
      }
      if (kind == "undefined symbol") {
        explanation.symbol = match[1].str();
        if (match[3].matched) explanation.symbol = match[1].str() + "@" + match[3].str();
        if (lazy_binding)
          explanation.meaning =
              "with RTLD_LAZY the plugin loaded, and the first call of a function no loaded "
              "object defines killed the process (exit status 127). Why no object defines it: " +
              explanation.meaning;
      }
      // The object to inspect: the requester for a missing version (the library it names is
      // only the one that lacks it), otherwise the object the message names.
      std::optional<std::string> inspect = explanation.object;
      if (kind == "version not found") {
        explanation.symbol = match[1].str();
        inspect = match[2].str();
      }
      if (kind == "no version information available") {
        // "REQUESTER: LIBRARY: no version information available (required by REQUESTER)"
        const std::size_t colon =
            explanation.object ? explanation.object->rfind(": ") : std::string::npos;
        if (colon != std::string::npos) explanation.object = explanation.object->substr(colon + 2);
        inspect = match[1].str();
      }
      if (kind == "cannot be preloaded from LD_PRELOAD") {
        // "ERROR: ld.so: object 'LIB' from LD_PRELOAD cannot be preloaded (WHY): ignored."
        explanation.object = match[1].str();
        inspect = explanation.object;
      }
      if (kind == "ASan runtime does not come first") explanation.object.reset();  // "==PID=="
      if (kind == "version not defined") {
        explanation.symbol = match[1].str() + "@" + match[2].str();
        inspect = explanation.object;
      }
      if (inspect && inspect->find('/') != std::string::npos)
        explanation.next_command = "dldoctor check " + shell_quote(*inspect);
      return explanation;
    }
  } catch (...) {
  }
  return std::nullopt;
}

}  // namespace dldoctor
