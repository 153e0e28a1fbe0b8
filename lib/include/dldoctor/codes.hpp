// Every finding code dldoctor publishes, with its family and severity: the one list that the
// stages make findings from (make_finding takes a code from here, checked when it compiles), that
// `dldoctor codes` prints and that docs/cli.md's table is generated from, so none can drift.
#pragma once

#include <span>
#include <string_view>

#include "dldoctor/report.hpp"

namespace dldoctor {

enum class CodeSeverity {
  Error,
  Warning,
  ErrorOrWarning,  // decided by what was found (path.shadowed-dependency)
};

struct FindingCode {
  std::string_view code;  // "<area>.<what>", stable once published
  Family family;
  CodeSeverity severity;
  std::string_view meaning;         // what it says, for people (Markdown)
  std::string_view loader_message;  // what glibc 2.36 says for it, "" when there is nothing
};

inline constexpr FindingCode kFindingCodes[] = {
    {"path.not-found", Family::BadPath, CodeSeverity::Error, "no file at the path",
     "`cannot open shared object file: No such file or directory`"},
    {"path.dangling-symlink", Family::BadPath, CodeSeverity::Error,
     "a symbolic link whose target does not exist",
     "`cannot open shared object file: No such file or directory`"},
    {"path.not-a-directory", Family::BadPath, CodeSeverity::Error,
     "a component of the path is a file, not a directory (`ENOTDIR`)",
     "`cannot open shared object file: Not a directory`"},
    {"path.unreachable", Family::BadPath, CodeSeverity::Error,
     "`stat` fails for another reason (`ELOOP`, `ENAMETOOLONG`...)",
     "`cannot open shared object file: <reason>`"},
    {"path.bare-name", Family::BadPath, CodeSeverity::Error,
     "`dlopen(\"name.so\")` with the file in the current directory, which is never searched",
     "`cannot open shared object file: No such file or directory`"},
    {"path.relative-to-cwd", Family::BadPath, CodeSeverity::Error,
     "a relative path that exists relative to the host, not to the current directory",
     "`cannot open shared object file: No such file or directory`"},
    {"path.missing-dependency", Family::BadPath, CodeSeverity::Error,
     "a `DT_NEEDED` library not on the search path; the evidence lists the paths considered",
     "`libdep.so: cannot open shared object file: No such file or directory` (names the "
     "dependency)"},
    {"path.runpath-not-inherited", Family::BadPath, CodeSeverity::Error,
     "the library is on the RUNPATH of an object above the requester, which serves only its own "
     "requests",
     "`libdep2.so: cannot open shared object file: No such file or directory`"},
    {"path.shadowed-dependency", Family::BadPath, CodeSeverity::ErrorOrWarning,
     "a copy found first (`LD_LIBRARY_PATH`, RPATH) shadows the one RUNPATH names; an error when "
     "it lacks symbols the requester needs",
     "`undefined symbol: NAME`, or none"},
    {"path.insecure-runpath", Family::BadPath, CodeSeverity::Warning,
     "RUNPATH or RPATH with an empty entry, `.`, a relative directory, or one that others can "
     "write",
     "none (it loads)"},
    {"permission.unsearchable-directory", Family::MissingPermission, CodeSeverity::Error,
     "a directory above the file lacks search (`x`) permission for this user",
     "`cannot open shared object file: Permission denied`"},
    {"permission.unreadable-file", Family::MissingPermission, CodeSeverity::Error,
     "the file cannot be opened for reading by this user (the execute bit is not needed)",
     "`cannot open shared object file: Permission denied`"},
    {"permission.noexec-mount", Family::MissingPermission, CodeSeverity::Error,
     "the file system is mounted `noexec`: the loader cannot map code from it",
     "`failed to map segment from shared object`"},
    {"permission.writable-by-others", Family::MissingPermission, CodeSeverity::Warning,
     "the file or a directory above it can be written by users other than its owner and root",
     "none (it loads)"},
    {"permission.unknown-user", Family::MissingPermission, CodeSeverity::Error,
     "the user the request names is one the user database does not know (the command refuses such "
     "a `--user` with exit status 2 instead)",
     ""},
    {"permission.not-inspectable", Family::MissingPermission, CodeSeverity::Warning,
     "dldoctor could not read a path component's metadata to decide", ""},
    {"mode.constructor-crash", Family::WrongBuildMode, CodeSeverity::Error,
     "with `--load`: a constructor of the plugin (or of a library it needs) was killed by a "
     "signal while dlopen ran it; the function, from the file's symbols",
     "none: the host dies of the signal inside dlopen (SIGSEGV: exit status 139)"},
    {"mode.constructor-abort", Family::WrongBuildMode, CodeSeverity::Error,
     "with `--load`: a constructor called abort() (an assertion, a C++ exception nobody "
     "catches) while dlopen ran it; the function that called it",
     "none: the host dies of SIGABRT inside dlopen (exit status 134)"},
    {"mode.constructor-exit", Family::WrongBuildMode, CodeSeverity::Error,
     "with `--load`: a constructor called exit() while dlopen ran it, ending the host", ""},
    {"mode.constructor-hang", Family::WrongBuildMode, CodeSeverity::Error,
     "with `--load`: dlopen did not return within `--timeout` seconds: a constructor blocks",
     "none: the host hangs in dlopen"},
    {"mode.loader-assertion", Family::WrongBuildMode, CodeSeverity::Error,
     "with `--load`: ld.so's own consistency check stopped the process (`_dl_assert`)",
     "`Inconsistency detected by ld.so: dl-lookup.c: 107: check_match: Assertion ... failed!`"},
    {"mode.directory", Family::WrongBuildMode, CodeSeverity::Error, "the path is a directory",
     "`cannot read file data: Is a directory`"},
    {"mode.not-regular-file", Family::WrongBuildMode, CodeSeverity::Error,
     "a FIFO, socket or device",
     "a device such as `/dev/null`: `file too short`; a FIFO: none, because `dlopen` blocks in "
     "`open`"},
    {"mode.unreadable", Family::WrongBuildMode, CodeSeverity::Error,
     "opening or reading the file failed for a reason other than permissions (`EIO`...)",
     "`cannot open shared object file: <reason>` or `cannot read file data: <reason>`"},
    {"mode.empty-file", Family::WrongBuildMode, CodeSeverity::Error,
     "0 bytes: an interrupted build, copy or download", "`file too short`"},
    {"mode.static-archive", Family::WrongBuildMode, CodeSeverity::Error,
     "an `ar` archive (`!<arch>`, or a thin `!<thin>`)", "`invalid ELF header`"},
    {"mode.linker-script", Family::WrongBuildMode, CodeSeverity::Error,
     "a GNU ld script, such as a development `libfoo.so` or `libc.so`", "`invalid ELF header`"},
    {"mode.not-elf", Family::WrongBuildMode, CodeSeverity::Error, "any other file that is not ELF",
     "`file too short` (under 64 bytes) or `invalid ELF header`"},
    {"mode.foreign-format", Family::WrongBuildMode, CodeSeverity::Error,
     "a plugin of another platform: a Windows PE/COFF DLL, a macOS Mach-O dylib, bundle or "
     "universal binary, a WebAssembly module, a Java class, a zip (JAR, wheel); the format, "
     "its machine and its platform are named",
     "`invalid ELF header`"},
    {"mode.static-tls", Family::WrongBuildMode, CodeSeverity::Error,
     "initial-exec TLS (`DF_STATIC_TLS`) larger than the static TLS glibc keeps for dlopened "
     "objects (1664 bytes by default): built to be loaded at start-up (libtsan, liblsan)",
     "`cannot allocate memory in static TLS block`"},
    {"mode.sanitizer-runtime", Family::WrongBuildMode, CodeSeverity::Error,
     "AddressSanitizer's runtime, or a plugin built with `-fsanitize=address`, dlopened by a host "
     "that was not: the runtime must be first in the process and exits",
     "`==PID==ASan runtime does not come first in initial library list; ...`, exit status 1"},
    {"mode.malformed-elf", Family::WrongBuildMode, CodeSeverity::Error,
     "ELF headers that cannot be read: truncated, a wrong `e_phentsize`, tables out of range",
     "`file too short`, `ELF file's phentsize not the expected size`, `cannot read file data`..."},
    {"mode.elf-class", Family::WrongBuildMode, CodeSeverity::Error,
     "32-bit in a 64-bit process, or the reverse", "`wrong ELF class: ELFCLASS32`"},
    {"mode.elf-ident", Family::WrongBuildMode, CodeSeverity::Error,
     "the byte order, ELF version or OS ABI is not one this loader accepts",
     "`ELF file data encoding not little-endian`, `ELF file OS ABI invalid`..."},
    {"mode.wrong-machine", Family::WrongBuildMode, CodeSeverity::Error,
     "`e_machine` of another architecture",
     "`cannot open shared object file: No such file or directory`"},
    {"mode.object-file", Family::WrongBuildMode, CodeSeverity::Error,
     "a relocatable object (`ET_REL`), never linked", "`only ET_DYN and ET_EXEC can be loaded`"},
    {"mode.not-loadable-type", Family::WrongBuildMode, CodeSeverity::Error,
     "another `e_type` (`ET_CORE`...)", "`only ET_DYN and ET_EXEC can be loaded`"},
    {"mode.no-loadable-segments", Family::WrongBuildMode, CodeSeverity::Error,
     "no `PT_LOAD` segment", "`object file has no loadable segments`"},
    {"mode.executable", Family::WrongBuildMode, CodeSeverity::Error,
     "a position-dependent program (`ET_EXEC`)", "`cannot dynamically load executable`"},
    {"mode.pie-executable", Family::WrongBuildMode, CodeSeverity::Error,
     "a PIE program (`ET_DYN` with `DF_1_PIE`)",
     "`cannot dynamically load position-independent executable`"},
    {"mode.no-dynamic-section", Family::WrongBuildMode, CodeSeverity::Error,
     "no `PT_DYNAMIC` segment", "`object file has no dynamic section`"},
    {"mode.nodlopen", Family::WrongBuildMode, CodeSeverity::Error,
     "linked with `-z nodlopen` (`DF_1_NOOPEN`)", "`shared object cannot be dlopen()ed`"},
    {"mode.executable-stack", Family::WrongBuildMode, CodeSeverity::Warning,
     "the plugin asks for an executable stack (`PT_GNU_STACK` with execute, or none on x86): "
     "glibc 2.36's dlopen makes the whole process's stack executable; glibc 2.41 and SELinux "
     "refuse it",
     "none here: it loads; `cannot enable executable stack as shared object requires` on glibc "
     "2.41 and later"},
    {"mode.text-relocations", Family::WrongBuildMode, CodeSeverity::Warning,
     "`DT_TEXTREL`: the loader writes into the code to relocate it",
     "none (it loads), unless writable code is forbidden: `cannot make segment writable for "
     "relocation`"},
    {"symbol.not-found", Family::UnexportedSymbol, CodeSeverity::Error,
     "no symbol of that name anywhere (with the nearest exported names as \"did you mean\"); also "
     "`Library::lookup`'s cheap failure",
     "`undefined symbol: NAME`"},
    {"symbol.cxx-mangled", Family::UnexportedSymbol, CodeSeverity::Error,
     "the name is exported only under its C++ mangled name", "`undefined symbol: NAME`"},
    {"symbol.static", Family::UnexportedSymbol, CodeSeverity::Error,
     "defined `static`: local to its source file", "`undefined symbol: NAME`"},
    {"symbol.hidden", Family::UnexportedSymbol, CodeSeverity::Error,
     "defined with hidden visibility (`-fvisibility=hidden`, an attribute)",
     "`undefined symbol: NAME`"},
    {"symbol.version-script-local", Family::UnexportedSymbol, CodeSeverity::Error,
     "made local by a version script's `local:`", "`undefined symbol: NAME`"},
    {"symbol.not-exported", Family::UnexportedSymbol, CodeSeverity::Error,
     "not in `.dynsym`, and the file has no `.symtab` to tell hidden from absent",
     "`undefined symbol: NAME`"},
    {"symbol.undefined", Family::UnexportedSymbol, CodeSeverity::Error,
     "a symbol the plugin or a library of it needs, defined by no object in scope",
     "`undefined symbol: NAME`"},
    {"symbol.host-not-exported", Family::UnexportedSymbol, CodeSeverity::Error,
     "the plugin calls a function of the host, which was linked without `-rdynamic`",
     "`undefined symbol: NAME`"},
    {"symbol.rtld-local-scope", Family::UnexportedSymbol, CodeSeverity::Error,
     "defined by a library beside the plugin that is not in its scope (not `DT_NEEDED`; opened "
     "`RTLD_LOCAL`)",
     "`undefined symbol: NAME`"},
    {"symbol.lazy-binding-exit", Family::UnexportedSymbol, CodeSeverity::Error,
     "with `RTLD_LAZY` it loads, and the first call of the function kills the host",
     "`symbol lookup error: ... undefined symbol: NAME`, exit status 127"},
    {"version.soname-bump", Family::VersionConflict, CodeSeverity::Error,
     "a needed library (`libfoo.so.2`) is not on the search path while another major version of "
     "it (`libfoo.so.1`) is: built against a version this system does not have",
     "`libfoo.so.2: cannot open shared object file: No such file or directory`"},
    {"version.cxx11-abi", Family::VersionConflict, CodeSeverity::Error,
     "a C++ function taking or returning `std::string` or `std::list` is needed in one of "
     "libstdc++'s two ABIs and exported in the other: `_GLIBCXX_USE_CXX11_ABI` differs between "
     "the two builds",
     "`undefined symbol: _Z8dep_nameB5cxx11v` (a mangled name)"},
    {"version.interposed-symbol", Family::VersionConflict, CodeSeverity::Warning,
     "a name the plugin defines and exports is defined first by the host or a library it "
     "loaded: every reference, the plugin's own calls included, binds to that one (`--host`)",
     ""},
    {"version.two-copies", Family::VersionConflict, CodeSeverity::Warning,
     "the plugin brings one version of a library (`libfoo.so.2`) while the host has loaded "
     "another (`libfoo.so.1`): the names both define bind to the host's copy (`--host`)",
     ""},
    {"version.soname-mismatch", Family::VersionConflict, CodeSeverity::Warning,
     "a needed `libfoo.so.2` is a file whose DT_SONAME is `libfoo.so.1` (a link or copy under "
     "another major version's name): it loads, and the requester runs another ABI",
     "none (it loads)"},
    {"version.node-not-found", Family::VersionConflict, CodeSeverity::Error,
     "an object needs a symbol version (`.gnu.version_r`) that the library it names does not "
     "define (`.gnu.version_d`): built against a newer copy than the one found",
     "``PROVIDER: version `DEP_2.0' not found (required by ./p.so)``"},
    {"version.symbol-not-in-version", Family::VersionConflict, CodeSeverity::Error,
     "a symbol is needed in a version (`NAME@VERSION`) that the library defines, but the "
     "library has the name only in another version",
     "`undefined symbol: NAME, version VERSION`"},
    {"version.unversioned-provider", Family::VersionConflict, CodeSeverity::Error,
     "an object needs a version of a library that has no symbol versions at all (no "
     "`.gnu.version`): ld.so stops the process when it binds a symbol of that version",
     "`Inconsistency detected by ld.so: dl-lookup.c: 107: check_match: Assertion ... failed!`, "
     "exit status 127"},
    {"version.no-version-information", Family::VersionConflict, CodeSeverity::Warning,
     "an object needs versions of a library that defines none: the loader does not check them, "
     "and loads it",
     "none at dlopen; `ld.so --list` and `ldd`: `no version information available (required by "
     "...)`"},
    {"version.api-mismatch", Family::VersionConflict, CodeSeverity::Error,
     "the plugin declares (`<dldoctor/plugin.h>`) a version of the host's plugin API outside "
     "the range the host accepts (`--api NAME=MIN..MAX`): the host refuses it before `dlopen`",
     "none: the loader does not know plugin APIs (without the check, the host runs code built "
     "against other structures)"},
    {"version.api-undeclared", Family::VersionConflict, CodeSeverity::Error,
     "the host accepts plugins of an API (`--api NAME=...`) and the plugin declares none of that "
     "name (no `DLDOCTOR_PLUGIN_API` note)",
     "none: the loader does not know plugin APIs"},
    {"signature.mismatch", Family::SignatureMismatch, CodeSeverity::ErrorOrWarning,
     "the function the plugin exports has another type than the host calls it with "
     "(`--signature`): parameters, return type or `...` differ, so its arguments are read from "
     "other registers; a warning when only a pointee's `const` differs. The source is named: "
     "the plugin's `DLDOCTOR_SIGNATURE`, its DWARF, or the C++ mangled name",
     "none: it loads and is found; the call returns a wrong value or crashes"},
    {"signature.data-as-function", Family::SignatureMismatch, CodeSeverity::Error,
     "the name is a data object (`STT_OBJECT`) and the host calls it as a function",
     "none: the call jumps into data (SIGSEGV)"},
    {"signature.object-size", Family::SignatureMismatch, CodeSeverity::Error,
     "a data object the host reads as another type: its size (`st_size`) is not the asked "
     "type's, or it is a function",
     "none: the host reads past it, or reads code"},
    {"signature.struct-layout-drift", Family::SignatureMismatch, CodeSeverity::Error,
     "a structure host and plugin both describe (`DLDOCTOR_STRUCT`, or DWARF) is laid out "
     "differently: a field added, moved or resized between the headers they were built with "
     "(`--host`)",
     "none: fields are read at the wrong offsets"},
    {"signature.unverifiable", Family::SignatureMismatch, CodeSeverity::Warning,
     "the asked signature cannot be checked: no `DLDOCTOR_SIGNATURE`, no debug information, a C "
     "name (or the signature does not parse)",
     ""},
    {"go.host-without-cgo", Family::WrongBuildMode, CodeSeverity::Error,
     "the Go host links the plugin package but was built without cgo (`CGO_ENABLED=0`): its "
     "`plugin.Open` is a stub that fails for every file (`--host`)",
     "`plugin: not implemented`"},
    {"go.package-version", Family::VersionConflict, CodeSeverity::Error,
     "a Go host and a Go plugin were built with different copies of a package (another version "
     "of its module, or another directory for it): their `go.link.pkghashbytes.<package>` "
     "differ (`--host`)",
     "`plugin.Open(\"./p\"): plugin was built with a different version of package PKG`"},
    {"go.replaced-module", Family::VersionConflict, CodeSeverity::Error,
     "a Go host and a Go plugin require the same version of a module, and one side replaces it "
     "(a `replace` directive to a local copy) while the other builds the module itself (from "
     "the module cache or `vendor/`): another copy, another package hash (`--host`)",
     "`plugin.Open(\"./p\"): plugin was built with a different version of package PKG`"},
    {"go.toolchain", Family::VersionConflict, CodeSeverity::Error,
     "a Go host and a Go plugin were built by different Go toolchains: every package's hash "
     "differs, the standard library's too (`--host`)",
     "`plugin was built with a different version of package runtime/internal/sys` (or another)"},
    {"go.build-flags", Family::VersionConflict, CodeSeverity::Error,
     "a Go host and a Go plugin were built from the same sources with the same Go but other "
     "build settings (`-trimpath`, `-race`, `-tags`, `-gcflags`...): the package hashes differ "
     "(`--host`)",
     "`plugin was built with a different version of package PKG`"},
    {"go.type-mismatch", Family::SignatureMismatch, CodeSeverity::Error,
     "the Go type the host asserts a plugin symbol to (`--signature 'Name=func(string) int'`, "
     "the host's `sym.(func(string) int)`) is not the type the plugin's DWARF gives it: the "
     "assertion panics, or its comma-ok form gives false",
     "`panic: interface conversion: plugin.Symbol is func(string, int) int, not func(string) "
     "int`"},
    {"go.unexported-name", Family::UnexportedSymbol, CodeSeverity::Error,
     "the name asked of a Go plugin (`plugin.Lookup`) begins with a lower-case letter: only "
     "exported (upper-case) package-level functions and variables of its main package can be "
     "looked up; `//export` is cgo's C export and does not make one",
     "`plugin: symbol NAME not found in plugin PLUGINPATH`"},
    {"go.not-plugin", Family::WrongBuildMode, CodeSeverity::Error,
     "a Go host (`--host`) gives `plugin.Open` a file that is no Go plugin: a C library, or a Go "
     "library built with `-buildmode=c-shared`; `dlopen` loads it, then the Go runtime finds no "
     "plugin module data and kills the host",
     "`fatal error: runtime: no plugin module data` (exit status 2)"},
    {"go.bare-name", Family::BadPath, CodeSeverity::Error,
     "a Go host (`--host`) opens a bare name (`plugin.Open(\"p.so\")`) that is not in the "
     "current directory: Go resolves the name with `realpath` against the current directory and "
     "searches no library path, as `dlopen` would",
     "`plugin.Open(\"p.so\"): realpath failed`"},
    {"reload.same-path", Family::VersionConflict, CodeSeverity::Warning,
     "the host has this file loaded already (`--loaded`, `--pid`: the same path, or another "
     "path to the same inode): `dlopen` returns the object it loaded before, with its old code, "
     "and never reads the new build",
     "none: `dlopen` succeeds and returns the old handle"},
    {"reload.rewritten-in-place", Family::VersionConflict, CodeSeverity::Error,
     "the file a running process (`--pid`) has mapped was rewritten in place (`cp` over it, not "
     "a new file renamed over): the process's pages now come from the new bytes",
     "none: the process crashes (`SIGBUS`, `SIGSEGV`) or runs a mix of both builds"},
    {"reload.gnu-unique", Family::VersionConflict, CodeSeverity::Warning,
     "the plugin defines `STB_GNU_UNIQUE` symbols (an inline function's static, a template's "
     "static member): `dlclose` never unloads it, and a reload keeps the old code (`--reload`)",
     "none: `dlclose` returns 0 and the object stays mapped"},
    {"reload.nodelete", Family::VersionConflict, CodeSeverity::Warning,
     "the plugin is linked with `-z nodelete` (`DF_1_NODELETE`): `dlclose` never unloads it "
     "(`--reload`)",
     "none: `dlclose` returns 0 and the object stays mapped"},
    {"reload.thread-local-destructor", Family::VersionConflict, CodeSeverity::Warning,
     "the plugin registers destructors of `thread_local` objects "
     "(`__cxa_thread_atexit_impl`): while a thread that used one lives, `dlclose` does not "
     "unload it (`--reload`)",
     "none: `dlclose` returns 0 and the object stays mapped"},
    {"reload.starts-threads", Family::VersionConflict, CodeSeverity::Warning,
     "the plugin starts threads (`pthread_create`, `std::thread`): one still running when the "
     "host calls `dlclose` executes unmapped code (`--reload`)",
     "none: the process dies with `SIGSEGV` after `dlclose`"},
    {"reload.go-same-file", Family::VersionConflict, CodeSeverity::Warning,
     "a Go host calls `plugin.Open` again on a file it opened before (`--loaded`): Go returns "
     "what it returned then (the old plugin, or `(previous failure)`) and never reads the file "
     "again",
     "none, or `plugin.Open(\"./p\"): ... (previous failure)`"},
    {"reload.go-plugin-already-loaded", Family::VersionConflict, CodeSeverity::Error,
     "a Go plugin whose plugin path (`-pluginpath`, by default its package's path) equals one "
     "the host has loaded (`--loaded`): Go plugins are never unloaded, and one plugin path is "
     "loaded once",
     "`plugin.Open(\"./p2\"): plugin already loaded`"},
    {"reload.still-mapped", Family::VersionConflict, CodeSeverity::Warning,
     "after `Library::close`, the object is still mapped in this process: another handle, an "
     "object that depends on it, `STB_GNU_UNIQUE`, `-z nodelete` or a `thread_local` keeps it",
     "none: `dlclose` returns 0"},
    {"internal.out-of-memory", Family::WrongBuildMode, CodeSeverity::Error,
     "dldoctor itself ran out of memory while inspecting the file", ""},
};

// The entry of a code that is known when the program compiles: an unknown one does not compile.
consteval const FindingCode& finding_code(std::string_view code) {
  for (const FindingCode& known : kFindingCodes)
    if (known.code == code) return known;
  throw "not a finding code of kFindingCodes (lib/include/dldoctor/codes.hpp)";
}

// The same at run time: nullptr for a code dldoctor does not publish.
inline const FindingCode* find_finding_code(std::string_view code) noexcept {
  for (const FindingCode& known : kFindingCodes)
    if (known.code == code) return &known;
  return nullptr;
}

inline std::span<const FindingCode> finding_codes() noexcept { return kFindingCodes; }

// "error", "warning", "error or warning".
std::string_view to_string(CodeSeverity severity) noexcept;

}  // namespace dldoctor
