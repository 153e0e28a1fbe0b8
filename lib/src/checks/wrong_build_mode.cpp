// Stage 3, identity (wrong-build-mode family): is the file a shared object this process can load?
// The checks run in the order of glibc's open_verify (elf/dl-load.c): file length, e_ident magic,
// class, byte order, versions, OS ABI, then e_machine (a mismatch makes the candidate "not found",
// ENOENT, which is why dlopen says "No such file or directory" for a file that exists), e_type
// and e_phentsize; then those of _dl_map_object_from_fd: a PT_LOAD and a PT_DYNAMIC present, no
// executables, and for a dlopen request (__RTLD_DLOPEN) no PIE (DF_1_PIE) and no DF_1_NOOPEN.
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string_view>

#include "checks/finding_helpers.hpp"
#include "checks/foreign_format.hpp"
#include "checks/stage.hpp"
#include "elf/dwarf_sources.hpp"

namespace dldoctor {
namespace {

// "plugin-exe" -> "plugin-exe.so", "libp.a" -> "libp.so", "p.o" -> "p.so": the shared object a
// rebuild should produce, in the current directory.
std::string shared_object_name(const std::string& path) {
  std::string name = base_of(path);
  for (std::string_view extension : {".o", ".a", ".so", ".obj"}) {
    if (name.size() > extension.size() && name.ends_with(extension)) {
      name.resize(name.size() - extension.size());
      break;
    }
  }
  return name + ".so";
}

// ---- Rebuild commands from what the debug information says of the build ----

struct BuildHints {
  std::string compiler = "c++";
  std::vector<std::string> sources;
  std::vector<std::string> producers;
};

std::string relative_to_cwd(const std::string& path) {
  std::error_code error;
  const std::filesystem::path cwd = std::filesystem::current_path(error);
  if (error) return path;
  const std::string prefix = cwd.string() + "/";
  return path.rfind(prefix, 0) == 0 ? path.substr(prefix.size()) : path;
}

BuildHints build_hints(const std::string& path) {
  BuildHints hints;
  bool any_cxx = false;
  bool any_c = false;
  for (const elf::CompileUnit& unit : elf::compile_units(path)) {
    hints.sources.push_back(relative_to_cwd(unit.source));
    hints.producers.push_back(unit.producer);
    if (unit.producer.rfind("GNU C++", 0) == 0) any_cxx = true;
    if (unit.producer.rfind("GNU C", 0) == 0 && unit.producer.rfind("GNU C++", 0) != 0)
      any_c = true;
    for (std::string_view extension : {".cpp", ".cc", ".cxx", ".C"})
      if (unit.source.ends_with(extension)) any_cxx = true;
  }
  if (!any_cxx && any_c) hints.compiler = "cc";
  return hints;
}

std::string rebuild_command(const BuildHints& hints, const std::string& flags,
                            const std::string& output) {
  std::string command = hints.compiler + " " + flags + " -o " + shell_quote(output);
  if (hints.sources.empty()) return command + " <the plugin's sources>";
  for (const std::string& source : hints.sources) command += " " + shell_quote(source);
  return command;
}

void add_producer_evidence(Finding& finding, const BuildHints& hints) {
  if (!hints.producers.empty() && !hints.producers.front().empty())
    finding.evidence.push_back("compiled by: " + hints.producers.front() + " (DW_AT_producer)");
}

// ---- Files that are not ELF at all ----

bool looks_like_text(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](unsigned char c) {
    return c == '\n' || c == '\r' || c == '\t' || (c >= 0x20 && c < 0x7f) || c >= 0x80;
  });
}

std::string first_line(std::string_view text) {
  std::string line(text.substr(0, text.find('\n')));
  if (line.size() > 72) line = line.substr(0, 72) + "...";
  return line;
}

std::string strip_comments(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 2, "/*") == 0) {
      const std::size_t end = text.find("*/", i + 2);
      if (end == std::string_view::npos) break;
      i = end + 2;
      out += ' ';
    } else {
      out += text[i++];
    }
  }
  return out;
}

struct ScriptInput {
  std::string name;
  bool as_needed = false;
};

// The inputs of a GNU ld script's GROUP(...) and INPUT(...) commands, in order. Names are
// separated by blanks or commas; AS_NEEDED(...) marks the ones inside it.
std::vector<ScriptInput> linker_script_inputs(std::string_view script_text) {
  const std::string text = strip_comments(script_text);
  std::vector<ScriptInput> inputs;
  for (std::string_view command : {"GROUP", "INPUT"}) {
    std::size_t at = 0;
    while ((at = text.find(command, at)) != std::string::npos) {
      std::size_t i = text.find_first_not_of(" \t\r\n", at + command.size());
      at += command.size();
      if (i == std::string::npos || text[i] != '(') continue;
      int depth = 0;
      bool as_needed = false;
      bool after_as_needed = false;  // "AS_NEEDED (" may have blanks before its parenthesis
      std::string token;
      auto flush = [&] {
        if (token == "AS_NEEDED")
          after_as_needed = true;
        else if (!token.empty())
          inputs.push_back({token, as_needed});
        token.clear();
      };
      for (; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '(') {
          flush();
          if (after_as_needed) as_needed = true;
          after_as_needed = false;
          ++depth;
        } else if (c == ')') {
          flush();
          if (--depth == 0) break;
          as_needed = false;
        } else if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
          flush();
        } else {
          token += c;
        }
      }
    }
  }
  return inputs;
}

// A GNU ld script: the comment ld's own scripts start with, or a GROUP or INPUT command (the name
// followed by an opening parenthesis), as in every development .so that is a script.
bool is_linker_script(std::string_view head) {
  if (!looks_like_text(head)) return false;
  if (head.find("GNU ld script") != std::string_view::npos) return true;
  const std::string text = strip_comments(head);
  for (std::string_view command : {"GROUP", "INPUT"}) {
    for (std::size_t at = text.find(command); at != std::string::npos;
         at = text.find(command, at + 1)) {
      const std::size_t next = text.find_first_not_of(" \t\r\n", at + command.size());
      const bool starts_statement =
          at == 0 || std::isspace(static_cast<unsigned char>(text[at - 1])) || text[at - 1] == ';';
      if (starts_statement && next != std::string::npos && text[next] == '(') return true;
    }
  }
  return false;
}

void diagnose_linker_script(Context& context) {
  const std::string& path = context.probe.path;
  Finding finding = make_finding(
      finding_code("mode.linker-script"),
      path + " is a GNU ld linker script for the static linker (-l), not a shared object");
  finding.evidence.push_back("first line: " + first_line(context.probe.head));
  const std::vector<ScriptInput> inputs = linker_script_inputs(context.probe.head);
  std::optional<std::string> library_path;
  std::optional<std::string> soname;
  for (const ScriptInput& input : inputs) {
    finding.evidence.push_back(std::string("names ") + input.name +
                               (input.as_needed ? " (AS_NEEDED)" : ""));
    if (library_path || input.as_needed || input.name.rfind("-l", 0) == 0) continue;
    // ld resolves relative names against its search path; the script's own directory is where
    // development symlinks and their targets live.
    const std::string candidate =
        input.name[0] == '/' ? input.name : parent_of(path) + "/" + input.name;
    elf::ReadOutcome outcome = elf::read_image(candidate);
    if (const auto* image = std::get_if<elf::Image>(&outcome);
        image != nullptr && image->identity.type == ET_DYN && !image->is_pie()) {
      library_path = candidate;
      soname = image->dynamic.soname;
    }
  }
  if (library_path) {
    const std::string name = soname.value_or(base_of(*library_path));
    finding.evidence.push_back(*library_path + " is a shared object" +
                               (soname ? " with DT_SONAME " + *soname : std::string()));
    const bool system_path =
        library_path->rfind("/lib", 0) == 0 || library_path->rfind("/usr/lib", 0) == 0;
    const std::string target = system_path ? name : *library_path;
    finding.fix.summary = "open the shared object the script names: dlopen(\"" + target +
                          "\", RTLD_NOW)" +
                          (system_path ? " (its SONAME; the loader finds it on the search path)"
                                       : " (by path; its SONAME is " + name + ")");
    finding.fix.commands.push_back("dldoctor check " + shell_quote(*library_path));
  } else {
    finding.fix.summary =
        "open the real shared object (usually the same name with a version suffix, .so.N) "
        "instead of the development linker script";
    finding.fix.commands.push_back("ls -l " + shell_quote(parent_of(path)));
  }
  context.findings.push_back(std::move(finding));
}

void diagnose_not_elf(Context& context) {
  const FileProbe& probe = context.probe;
  const std::string_view head = probe.head;
  if (const std::optional<ForeignFormat> foreign = foreign_format(head)) {
    Finding finding = make_finding(
        finding_code("mode.foreign-format"),
        probe.path + " is " + foreign->format +
            (foreign->machine.empty() ? "" : " for " + foreign->machine) +
            ", not an ELF shared object: " +
            (foreign->platform.empty() ? "no" : foreign->platform + "'s format, which no") +
            " Linux loader reads");
    finding.evidence.push_back(foreign->evidence);
    finding.evidence.push_back(
        "the loader says 'invalid ELF header' (an ELF file starts with 7f "
        "45 4c 46)");
    finding.fix.summary =
        "the Linux host needs the Linux build of the same plugin (an ELF .so, "
        "for " +
        elf::machine_label(elf::host_machine()) +
        "): build it on or for Linux, or take it from the Linux package";
    finding.fix.commands.push_back("file " + shell_quote(probe.path));
    context.findings.push_back(std::move(finding));
    return;
  }
  Finding finding = make_finding(finding_code("mode.not-elf"), "");
  if (looks_like_text(head)) {
    finding.summary = probe.path + " is a text file of " + std::to_string(probe.size) +
                      " bytes, not an ELF shared object";
    finding.evidence.push_back("first line: " + first_line(head));
  } else {
    char bytes[64] = {};
    const std::size_t shown = std::min<std::size_t>(head.size(), 4);
    for (std::size_t i = 0; i < shown; ++i)
      std::snprintf(bytes + 3 * i, 4, "%02x ", static_cast<unsigned char>(head[i]));
    finding.summary = probe.path + " is not an ELF file";
    finding.evidence.push_back(std::string("first bytes: ") + bytes +
                               "(an ELF file starts with 7f 45 4c 46)");
  }
  finding.evidence.push_back(probe.size < 64 ? "the loader says 'file too short' (under 64 bytes)"
                                             : "the loader says 'invalid ELF header'");
  finding.fix.summary = "point the host at the built shared object; this path holds something else";
  finding.fix.commands.push_back("file " + shell_quote(probe.path));
  context.findings.push_back(std::move(finding));
}

// ---- Archives: read their members with libelf ----

std::vector<std::string> archive_members(const std::string& path) {
  std::vector<std::string> members;
  elf_version(EV_CURRENT);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return members;
  Elf* archive = elf_begin(fd, ELF_C_READ, nullptr);
  if (archive != nullptr && elf_kind(archive) == ELF_K_AR) {
    Elf_Cmd command = ELF_C_READ;
    for (Elf* member; members.size() < 1000 && (member = elf_begin(fd, command, archive));) {
      const Elf_Arhdr* header = elf_getarhdr(member);
      if (header != nullptr && header->ar_name != nullptr && header->ar_name[0] != '/')
        members.emplace_back(header->ar_name);
      command = elf_next(member);
      elf_end(member);
    }
  }
  if (archive != nullptr) elf_end(archive);
  ::close(fd);
  return members;
}

void diagnose_archive(Context& context) {
  const std::string& path = context.probe.path;
  Finding finding = make_finding(
      finding_code("mode.static-archive"),
      path + " is a static archive (ar) of object files, which only the static linker reads");
  const bool thin = context.probe.head.starts_with("!<thin>\n");
  finding.evidence.push_back(thin ? "starts with the thin-archive magic !<thin>: its members are "
                                    "paths to object files kept beside it, not copies"
                                  : "starts with the ar magic !<arch>");
  const std::vector<std::string> members = archive_members(path);
  std::string listing;
  for (const std::string& member : members) listing += (listing.empty() ? "" : ", ") + member;
  if (!members.empty())
    finding.evidence.push_back(std::to_string(members.size()) + " member(s): " + listing);
  finding.fix.summary =
      "link the archive's objects into a shared object (they must have been compiled with "
      "-fPIC)";
  finding.fix.commands.push_back("c++ -shared -o " + shell_quote(shared_object_name(path)) +
                                 " -Wl,--whole-archive " + shell_quote(path) +
                                 " -Wl,--no-whole-archive");
  context.findings.push_back(std::move(finding));
}

void diagnose_non_regular(Context& context) {
  const FileProbe& probe = context.probe;
  if (probe.kind == FileKind::Directory) {
    Finding finding = make_finding(finding_code("mode.directory"), probe.path + " is a directory");
    finding.evidence.push_back(
        "the loader's read fails with EISDIR: 'cannot read file data: Is "
        "a directory'");
    std::vector<std::string> libraries;
    if (std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(probe.path.c_str()), ::closedir); dir) {
      while (const dirent* entry = ::readdir(dir.get())) {
        const std::string name = entry->d_name;
        if (name.find(".so") != std::string::npos) libraries.push_back(name);
      }
    }
    std::sort(libraries.begin(), libraries.end());
    for (std::size_t i = 0; i < libraries.size() && i < 5; ++i)
      finding.evidence.push_back("inside it: " + libraries[i]);
    // Build systems keep a target's objects in a directory named after it (Meson: plugin.so.p/),
    // where a shell's completion stops: the library is the file beside it.
    std::string sibling = probe.path;
    while (sibling.size() > 1 && sibling.ends_with("/")) sibling.pop_back();
    for (std::string_view suffix : {".p", ".d", ".dir"}) {
      if (sibling.ends_with(suffix)) {
        sibling.resize(sibling.size() - suffix.size());
        struct stat status;
        if (::stat(sibling.c_str(), &status) == 0 && S_ISREG(status.st_mode)) {
          finding.evidence.push_back("beside it: " + sibling + ", a regular file");
          finding.fix.summary = "give the path of the file beside it: " + sibling;
          finding.fix.commands.push_back("ls -l " + shell_quote(sibling));
          context.findings.push_back(std::move(finding));
          return;
        }
      }
    }
    const std::string prefix = probe.path.ends_with("/") ? probe.path : probe.path + "/";
    finding.fix.summary =
        libraries.empty()
            ? "give the path of a shared object file, not of a directory"
            : "give the path of the shared object inside it, e.g. " + prefix + libraries.front();
    finding.fix.commands.push_back("ls -l " + shell_quote(probe.path));
    context.findings.push_back(std::move(finding));
    return;
  }
  Finding finding =
      make_finding(finding_code("mode.not-regular-file"),
                   probe.path + " is " + describe(probe.kind) + ", not a regular file");
  finding.evidence.push_back("stat: " + describe(probe.kind));
  finding.fix.summary = "give the path of a shared object file";
  finding.fix.commands.push_back("ls -l " + shell_quote(probe.path));
  context.findings.push_back(std::move(finding));
}

// ---- ELF files: the loader's identity checks in its order ----

// ---- Objects that can only be loaded at start-up ----

// glibc 2.36's static TLS surplus with the default tunables (elf/dl-tls.c,
// _dl_tls_static_surplus_init): 4 namespaces (glibc.rtld.nns), 192 bytes of initial-exec TLS
// for each libc but the first, 144 for other libraries in each, and glibc.rtld.optional_static_tls
// (512): 3 * 192 + 4 * 144 + 512 = 1664 bytes. A dlopened object whose TLS uses the initial-exec
// model (DF_STATIC_TLS) must fit its whole block there, or dlopen fails.

// The surplus as GLIBC_TUNABLES sets it in this environment (the host's, when it is the same).
std::uint64_t static_tls_surplus() {
  std::uint64_t nns = 4;
  std::uint64_t optional = 512;
  if (const char* tunables = std::getenv("GLIBC_TUNABLES")) {
    const std::string text = tunables;
    auto value_of = [&](const std::string& name, std::uint64_t* out) {
      const std::size_t at = text.find(name + "=");
      if (at != std::string::npos)
        *out = std::strtoull(text.c_str() + at + name.size() + 1, nullptr, 0);
    };
    value_of("glibc.rtld.nns", &nns);
    value_of("glibc.rtld.optional_static_tls", &optional);
  }
  if (nns == 0) nns = 1;
  return (nns - 1) * 192 + nns * 144 + optional;
}

// PT_GNU_STACK says whether an object needs an executable stack; without one, the x86 loader
// assumes it does (glibc's DEFAULT_STACK_PERMS, PF_R|PF_W|PF_X). glibc 2.36's dlopen of such an
// object makes the stack of every thread of the process executable (_dl_map_object_from_fd,
// then _dl_make_stack_executable, elf/dl-load.c): it loads, and the process has lost its
// non-executable stack. glibc 2.41 refuses the load instead, and SELinux's execmem does too.
void diagnose_executable_stack(Context& context, const elf::Image& image) {
  const elf::ProgramHeader* stack = nullptr;
  for (const elf::ProgramHeader& header : image.program_headers)
    if (header.type == PT_GNU_STACK) stack = &header;
  const bool x86 = image.identity.machine == EM_X86_64 || image.identity.machine == EM_386;
  if (stack != nullptr ? (stack->flags & PF_X) == 0 : !x86) return;
  const std::string path = context.file;
  Finding finding = make_finding(
      finding_code("mode.executable-stack"),
      path +
          (stack != nullptr ? " asks for an executable stack (PT_GNU_STACK with PF_X)"
                            : " has no PT_GNU_STACK, so the loader assumes it needs an "
                              "executable stack") +
          ": glibc 2.36's dlopen makes the whole process's stack executable to load it; glibc "
          "2.41 and SELinux (execmem) refuse it");
  finding.evidence.push_back(stack != nullptr
                                 ? "PT_GNU_STACK flags " + elf::hex(stack->flags) + " (RWE)"
                                 : "no PT_GNU_STACK program header (x86: DEFAULT_STACK_PERMS is "
                                   "read, write, execute)");
  finding.evidence.push_back(
      "an object asks for it when one of its objects was built without a .note.GNU-stack "
      "section (hand-written assembly), or uses a nested function's trampoline, or was linked "
      "with -z execstack");
  finding.fix.summary =
      "link the plugin with -Wl,-z,noexecstack, after finding the object "
      "that asks: one whose .note.GNU-stack section is missing or has the "
      "x flag (readelf -SW OBJECT.o | grep GNU-stack)";
  finding.fix.commands.push_back(
      rebuild_command(build_hints(path), "-shared -fPIC -Wl,-z,noexecstack", path));
  context.findings.push_back(std::move(finding));
}

void diagnose_static_tls(Context& context, const elf::Image& image) {
  if ((image.dynamic.flags & DF_STATIC_TLS) == 0) return;
  const auto tls = std::find_if(image.program_headers.begin(), image.program_headers.end(),
                                [](const elf::ProgramHeader& h) { return h.type == PT_TLS; });
  if (tls == image.program_headers.end()) return;
  const std::uint64_t align = std::max<std::uint64_t>(tls->align, 1);
  const std::uint64_t block = (tls->memsz + align - 1) / align * align;
  const std::uint64_t surplus = static_tls_surplus();
  if (block <= surplus) return;
  const std::string& path = context.probe.path;
  Finding finding = make_finding(
      finding_code("mode.static-tls"),
      path + " uses initial-exec TLS (DF_STATIC_TLS) for a " + std::to_string(block) +
          "-byte block, more than the " + std::to_string(surplus) +
          " bytes of static TLS glibc keeps for objects loaded after start-up: dlopen fails");
  finding.evidence.push_back("DT_FLAGS " + elf::hex(image.dynamic.flags) +
                             " has DF_STATIC_TLS (0x10)");
  finding.evidence.push_back("PT_TLS: p_memsz " + elf::hex(tls->memsz) + ", p_align " +
                             elf::hex(tls->align));
  finding.evidence.push_back(
      "glibc 2.36 reserves (glibc.rtld.nns - 1) * 192 + glibc.rtld.nns * 144 + "
      "glibc.rtld.optional_static_tls bytes (1664 with the defaults) for dlopened initial-exec "
      "TLS");
  finding.fix.summary =
      "load it at start-up instead (link the host against it, or LD_PRELOAD it: its TLS is then "
      "part of the initial block), or rebuild it with -ftls-model=global-dynamic; a larger "
      "GLIBC_TUNABLES=glibc.rtld.optional_static_tls also works";
  finding.fix.commands.push_back("LD_PRELOAD=" + shell_quote(path) + " HOST");
  finding.fix.commands.push_back(
      "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=" + std::to_string(block + 512) + " HOST");
  context.findings.push_back(std::move(finding));
}

// AddressSanitizer's runtime checks, in its constructor, that it is the first object of the
// initial library list, and calls exit(1) when it is not: it cannot be dlopened, and neither can
// a plugin built with -fsanitize=address into a host that was not.
bool is_asan_runtime(const std::string& name) {
  const std::string base = base_of(name);
  return base.rfind("libasan.so", 0) == 0 || base.rfind("libhwasan.so", 0) == 0;
}

bool host_has_asan(const Context& context) {
  if (context.request.this_process) {
    void* loaded = ::dlopen("libasan.so.8", RTLD_NOW | RTLD_NOLOAD);
    if (loaded != nullptr) ::dlclose(loaded);
    return loaded != nullptr;
  }
  // The environment the host starts in is this one (as for LD_LIBRARY_PATH): ld.so loads the
  // LD_PRELOAD libraries, separated by spaces or colons, first (rtld.c, handle_preload_list).
  if (const char* preload = std::getenv("LD_PRELOAD")) {
    std::string_view list = preload;
    while (!list.empty()) {
      const std::size_t end = list.find_first_of(" :");
      const std::string_view entry = list.substr(0, end);
      const std::size_t slash = entry.rfind('/');
      if (is_asan_runtime(std::string(slash == entry.npos ? entry : entry.substr(slash + 1))))
        return true;
      if (end == std::string_view::npos) break;
      list.remove_prefix(end + 1);
    }
  }
  if (!context.request.host) return false;
  elf::ReadOutcome host = elf::read_image(*context.request.host, elf::ReadParts::LoaderView);
  const auto* image = std::get_if<elf::Image>(&host);
  return image != nullptr &&
         std::any_of(image->dynamic.needed.begin(), image->dynamic.needed.end(), is_asan_runtime);
}

void diagnose_sanitizer_runtime(Context& context, const elf::Image& image) {
  const std::string& path = context.probe.path;
  std::string runtime;
  if (image.dynamic.soname && is_asan_runtime(*image.dynamic.soname))
    runtime = *image.dynamic.soname;
  for (const std::string& needed : image.dynamic.needed)
    if (runtime.empty() && is_asan_runtime(needed)) runtime = needed;
  if (runtime.empty() || host_has_asan(context)) return;
  const bool itself = image.dynamic.soname && *image.dynamic.soname == runtime;
  Finding finding = make_finding(
      finding_code("mode.sanitizer-runtime"),
      (itself ? path + " is AddressSanitizer's runtime, "
              : path + " was built with -fsanitize=address and needs " + runtime + ", ") +
          "which must be the first library of the process: loaded by dlopen, it stops the host "
          "(exit status 1)");
  finding.evidence.push_back(itself ? "DT_SONAME " + runtime : "DT_NEEDED " + runtime);
  finding.evidence.push_back(
      "its constructor prints '==PID==ASan runtime does not come first in "
      "initial library list; you should either link runtime to your "
      "application or manually preload it with LD_PRELOAD.' and exits");
  finding.fix.summary =
      "run the host with the runtime preloaded, or build the host with "
      "-fsanitize=address too; for a plugin that ships, build it without it";
  finding.fix.commands.push_back("LD_PRELOAD=$(gcc -print-file-name=" + runtime + ") HOST");
  finding.stops_load = true;
  context.findings.push_back(std::move(finding));
}

void diagnose_elf_identity(Context& context, const elf::Image& image) {
  const std::string& path = context.probe.path;
  const elf::Identity& id = image.identity;
  const std::string output = shared_object_name(path);

  if (id.elf_class != elf::host_class()) {
    Finding finding =
        make_finding(finding_code("mode.elf-class"),
                     path + " is a " + std::string(id.elf_class == ELFCLASS32 ? "32" : "64") +
                         "-bit ELF file; this process is " +
                         (elf::host_class() == ELFCLASS64 ? "64" : "32") + "-bit");
    finding.evidence.push_back("e_ident[EI_CLASS] " + elf::class_name(id.elf_class) +
                               ", this process is " + elf::class_name(elf::host_class()));
    finding.evidence.push_back("e_machine " + elf::machine_name(id.machine));
    finding.fix.summary = "rebuild the plugin for " + elf::machine_label(elf::host_machine()) +
                          " with the host's compiler (or load it from a host of its own class)";
    finding.fix.commands.push_back(rebuild_command(build_hints(path), "-shared -fPIC", output));
    context.findings.push_back(std::move(finding));
    return;
  }
  const unsigned host_order = [] {
    const std::uint16_t probe = 1;
    return *reinterpret_cast<const unsigned char*>(&probe) == 1 ? ELFDATA2LSB : ELFDATA2MSB;
  }();
  if (id.byte_order != host_order || id.ident_version != EV_CURRENT || id.version != EV_CURRENT ||
      (id.os_abi != ELFOSABI_SYSV && id.os_abi != ELFOSABI_GNU)) {
    Finding finding =
        make_finding(finding_code("mode.elf-ident"), path +
                                                         " has ELF identification fields this "
                                                         "loader does not accept");
    if (id.byte_order != host_order)
      finding.evidence.push_back(std::string("e_ident[EI_DATA] ") +
                                 (id.byte_order == ELFDATA2MSB ? "big-endian" : "little-endian") +
                                 ", this process is the other byte order");
    if (id.ident_version != EV_CURRENT || id.version != EV_CURRENT)
      finding.evidence.push_back("ELF version " + std::to_string(id.ident_version) + "/" +
                                 std::to_string(id.version) + ", expected 1");
    if (id.os_abi != ELFOSABI_SYSV && id.os_abi != ELFOSABI_GNU)
      finding.evidence.push_back("e_ident[EI_OSABI] " + std::to_string(id.os_abi) +
                                 ", expected 0 (SYSV) or 3 (GNU)");
    finding.fix.summary = "rebuild the plugin with the host's toolchain";
    finding.fix.commands.push_back(rebuild_command(build_hints(path), "-shared -fPIC", output));
    context.findings.push_back(std::move(finding));
    return;
  }
  if (id.machine != elf::host_machine()) {
    Finding finding =
        make_finding(finding_code("mode.wrong-machine"),
                     path + " is built for " + elf::machine_name(id.machine) +
                         ", and this process is " + elf::machine_name(elf::host_machine()));
    finding.evidence.push_back("e_machine " + elf::machine_name(id.machine) + ", this process is " +
                               elf::machine_name(elf::host_machine()));
    finding.evidence.push_back(
        "glibc's open_verify skips a file of another machine as if it were absent, so dlopen "
        "says 'No such file or directory' for a file that exists");
    finding.fix.summary = "rebuild the plugin for " + elf::machine_label(elf::host_machine()) +
                          " with the native compiler (a cross-built plugin needs a host of its "
                          "own machine)";
    finding.fix.commands.push_back(rebuild_command(build_hints(path), "-shared -fPIC", output));
    context.findings.push_back(std::move(finding));
    return;
  }
  if (id.type == ET_REL) {
    Finding finding = make_finding(
        finding_code("mode.object-file"),
        path + " is a relocatable object file (.o), which must be linked before it can be loaded");
    finding.evidence.push_back("e_type ET_REL: the loader takes only ET_DYN and ET_EXEC");
    const BuildHints hints = build_hints(path);
    add_producer_evidence(finding, hints);
    const bool pic =
        std::any_of(hints.producers.begin(), hints.producers.end(), [](const std::string& p) {
          return p.find("-fPIC") != std::string::npos || p.find("-fpic") != std::string::npos;
        });
    if (!hints.producers.empty() && !pic) {
      finding.fix.summary = "recompile the object with -fPIC and link it as a shared object";
      finding.fix.commands.push_back(rebuild_command(hints, "-shared -fPIC", output));
    } else {
      finding.fix.summary =
          "link the object into a shared object (if the link says 'recompile with -fPIC', "
          "rebuild the object with -fPIC first)";
      finding.fix.commands.push_back(hints.compiler + " -shared -o " + shell_quote(output) + " " +
                                     shell_quote(path));
    }
    context.findings.push_back(std::move(finding));
    return;
  }
  if (id.type != ET_DYN && id.type != ET_EXEC) {
    Finding finding = make_finding(finding_code("mode.not-loadable-type"),
                                   path + " is an ELF file of type " + elf::type_name(id.type) +
                                       ", which the loader cannot load");
    finding.evidence.push_back("e_type " + elf::type_name(id.type) +
                               ": only ET_DYN and ET_EXEC can be loaded");
    finding.fix.summary = "point the host at the plugin's shared object";
    finding.fix.commands.push_back("file " + shell_quote(path));
    context.findings.push_back(std::move(finding));
    return;
  }
  const bool has_load = std::any_of(image.program_headers.begin(), image.program_headers.end(),
                                    [](const elf::ProgramHeader& h) { return h.type == PT_LOAD; });
  if (!has_load) {
    Finding finding = make_finding(finding_code("mode.no-loadable-segments"),
                                   path + " has no PT_LOAD segment to map");
    finding.evidence.push_back(std::to_string(image.program_headers.size()) +
                               " program headers, none of type PT_LOAD");
    finding.fix.summary = "rebuild the plugin as a shared object";
    finding.fix.commands.push_back(rebuild_command(build_hints(path), "-shared -fPIC", output));
    context.findings.push_back(std::move(finding));
    return;
  }
  if (id.type == ET_EXEC) {
    Finding finding =
        make_finding(finding_code("mode.executable"),
                     path + " is a position-dependent executable (ET_EXEC), not a shared object");
    finding.evidence.push_back("e_type ET_EXEC: fixed load addresses, entry point " +
                               elf::hex(id.entry));
    if (image.has_interpreter())
      finding.evidence.push_back("PT_INTERP present: it asks for a program interpreter");
    const BuildHints hints = build_hints(path);
    add_producer_evidence(finding, hints);
    finding.fix.summary = "build the plugin's code as a shared object with -shared -fPIC";
    finding.fix.commands.push_back(rebuild_command(hints, "-shared -fPIC", output));
    context.findings.push_back(std::move(finding));
    return;
  }
  if (image.is_pie()) {
    Finding finding =
        make_finding(finding_code("mode.pie-executable"),
                     path + " is a position-independent executable (PIE), not a shared object");
    finding.evidence.push_back("e_type ET_DYN with DF_1_PIE (DT_FLAGS_1 " +
                               elf::hex(image.dynamic.flags_1) + ")");
    if (image.has_interpreter())
      finding.evidence.push_back("PT_INTERP present: it asks for a program interpreter");
    const BuildHints hints = build_hints(path);
    add_producer_evidence(finding, hints);
    finding.fix.summary =
        "link the code with -shared instead of -pie (glibc 2.30 and later refuse to dlopen a PIE)";
    finding.fix.commands.push_back(rebuild_command(hints, "-shared -fPIC", output));
    context.findings.push_back(std::move(finding));
    return;
  }
  if (!image.dynamic.present) {
    Finding finding = make_finding(finding_code("mode.no-dynamic-section"),
                                   path + " has no dynamic section (PT_DYNAMIC)");
    finding.evidence.push_back("no PT_DYNAMIC program header");
    finding.fix.summary = "rebuild the plugin as a shared object";
    finding.fix.commands.push_back(rebuild_command(build_hints(path), "-shared -fPIC", output));
    context.findings.push_back(std::move(finding));
    return;
  }
  if (image.dynamic.has_flags_1 && (image.dynamic.flags_1 & DF_1_NOOPEN) != 0) {
    Finding finding =
        make_finding(finding_code("mode.nodlopen"),
                     path + " was linked with -z nodlopen, which forbids dlopen of it");
    finding.evidence.push_back("DT_FLAGS_1 " + elf::hex(image.dynamic.flags_1) +
                               " has DF_1_NOOPEN (0x40)");
    finding.fix.summary = "relink the plugin without the -Wl,-z,nodlopen flag";
    finding.fix.commands.push_back(rebuild_command(build_hints(path), "-shared -fPIC", output));
    context.findings.push_back(std::move(finding));
    return;
  }
  if (image.dynamic.textrel || (image.dynamic.flags & DF_TEXTREL) != 0) {
    Finding finding = make_finding(
        finding_code("mode.text-relocations"),
        path + " has text relocations: the loader must write into its code to load it");
    if (image.dynamic.textrel) finding.evidence.push_back("DT_TEXTREL present");
    if ((image.dynamic.flags & DF_TEXTREL) != 0)
      finding.evidence.push_back("DT_FLAGS " + elf::hex(image.dynamic.flags) +
                                 " has DF_TEXTREL (0x4)");
    finding.evidence.push_back(
        "code pages are made writable during relocation and cannot be shared between processes; "
        "SELinux (execmod) and hardened kernels refuse it");
    const BuildHints hints = build_hints(path);
    add_producer_evidence(finding, hints);
    finding.fix.summary = "recompile every object of the plugin with -fPIC";
    finding.fix.commands.push_back(rebuild_command(hints, "-shared -fPIC", output));
    context.findings.push_back(std::move(finding));
  }
  diagnose_executable_stack(context, image);
  diagnose_static_tls(context, image);
  diagnose_sanitizer_runtime(context, image);
}

}  // namespace

StageVerdict check_identity(Context& context) {
  const FileProbe& probe = context.probe;
  if (probe.kind != FileKind::Regular) {
    diagnose_non_regular(context);
    return StageVerdict::Stop;
  }
  if (probe.open_errno != 0) {
    Finding finding =
        make_finding(finding_code("mode.unreadable"),
                     "cannot read " + probe.path + ": " + std::strerror(probe.open_errno));
    finding.fix.summary = "check the file and the device it is on";
    finding.fix.commands.push_back("ls -l " + shell_quote(probe.path));
    context.findings.push_back(std::move(finding));
    return StageVerdict::Stop;
  }
  if (probe.size == 0) {
    Finding finding =
        make_finding(finding_code("mode.empty-file"), probe.path + ": the file is empty (0 bytes)");
    finding.evidence.push_back(probe.path + ": 0 bytes; the loader says 'file too short'");
    finding.fix.summary =
        "rebuild or copy the plugin again: an empty file is what an interrupted "
        "build, copy or download leaves";
    finding.fix.commands.push_back("ls -l " + shell_quote(probe.path));
    context.findings.push_back(std::move(finding));
    return StageVerdict::Stop;
  }
  const std::string_view head = probe.head;
  if (head.starts_with("!<arch>\n") || head.starts_with("!<thin>\n")) {
    diagnose_archive(context);
    return StageVerdict::Stop;
  }
  if (!head.starts_with(ELFMAG)) {
    if (is_linker_script(head))
      diagnose_linker_script(context);
    else
      diagnose_not_elf(context);
    return StageVerdict::Stop;
  }
  // A Go plugin for a Go host is read without its .symtab (thousands of symbols): the Go plugin
  // stage reads the few it needs in place, and when the package hashes differ (the failure
  // plugin.Open reports) no other stage runs. The stage reads it whole otherwise.
  const bool go_host =
      context.request.host && !context.request.about_reload() && is_go_plugin_host(context);
  elf::ReadOutcome outcome = elf::read_image(
      probe.path, go_host ? elf::ReadParts::DynamicSymbols : elf::ReadParts::Everything);
  if (go_host) {
    const auto* image = std::get_if<elf::Image>(&outcome);
    const bool go_plugin =
        image != nullptr && std::any_of(image->dynamic_symbols.begin(),
                                        image->dynamic_symbols.end(), [](const elf::Symbol& s) {
                                          return s.name.starts_with("go.link.pkghashbytes.");
                                        });
    if (go_plugin)
      context.symbol_table_deferred = true;
    else if (image != nullptr)
      outcome = elf::read_image(probe.path);
  }
  if (const auto* error = std::get_if<elf::ReadError>(&outcome)) {
    Finding finding = make_finding(finding_code("mode.malformed-elf"), error->message);
    finding.evidence.push_back(probe.path + ": " + std::to_string(probe.size) + " bytes");
    finding.fix.summary = "rebuild or copy the plugin again: the file is damaged or truncated";
    finding.fix.commands.push_back("readelf -lW " + shell_quote(probe.path));
    context.findings.push_back(std::move(finding));
    return StageVerdict::Stop;
  }
  context.image = std::move(std::get<elf::Image>(outcome));
  const std::size_t before = context.findings.size();
  diagnose_elf_identity(context, *context.image);
  for (std::size_t i = before; i < context.findings.size(); ++i)
    if (context.findings[i].severity == Severity::Error) return StageVerdict::Stop;
  return StageVerdict::Continue;
}

}  // namespace dldoctor
