// The findings of a real load that did not return (--load): what the child's end says of the
// plugin's constructors. dlopen maps the objects, relocates them, then runs their initialisers
// (glibc elf/dl-init.c, _dl_init: each object's DT_INIT and DT_INIT_ARRAY, dependencies first);
// a signal, an abort() or an exit() there ends the host inside dlopen, and a constructor that
// blocks never lets dlopen return. The place is given by function where the file has symbols:
// the child reports the faulting instruction and the stack as mapping + file offset, and the
// offset is turned into an address through the file's PT_LOAD segments.
#include <elf.h>

#include <csignal>
#include <cstring>
#include <string_view>

#include "checks/finding_helpers.hpp"
#include "checks/stage.hpp"
#include "dldoctor/elf.hpp"
#include "dldoctor/render.hpp"
#include "load_in_child.hpp"
#include "signature/mangled.hpp"

namespace dldoctor::cli {
namespace {

namespace elf = dldoctor::elf;

struct Location {
  std::string path;
  std::uint64_t offset = 0;
};

std::optional<Location> parse_location(const std::string& text) {
  const std::size_t plus = text.rfind("+0x");
  if (plus == std::string::npos || plus == 0) return std::nullopt;
  Location location{text.substr(0, plus), 0};
  try {
    location.offset = std::stoull(text.substr(plus + 3), nullptr, 16);
  } catch (...) {
    return std::nullopt;
  }
  if (location.path == "?") return std::nullopt;
  return location;
}

// "init_plugin (p.so+0x1139)", the function of the file's symbol tables that holds the offset,
// or "p.so+0x1139" when none does.
std::string describe(const Location& location) {
  const std::string where = base_of(location.path) + "+" + elf::hex(location.offset);
  const elf::ReadOutcome read = elf::read_image(location.path);
  const auto* image = std::get_if<elf::Image>(&read);
  if (image == nullptr) return where;
  std::optional<std::uint64_t> address;
  for (const elf::ProgramHeader& segment : image->program_headers)
    if (segment.type == PT_LOAD && location.offset >= segment.offset &&
        location.offset - segment.offset < segment.filesz)
      address = segment.vaddr + (location.offset - segment.offset);
  if (!address) return where;
  auto find = [&](const std::vector<elf::Symbol>& symbols) -> std::string {
    for (const elf::Symbol& symbol : symbols)
      if (symbol.type == STT_FUNC && symbol.defined() && symbol.size > 0 &&
          *address >= symbol.value && *address - symbol.value < symbol.size)
        return symbol.name;
    return "";
  };
  std::string name = image->symbol_table ? find(*image->symbol_table) : "";
  if (name.empty()) name = find(image->dynamic_symbols);
  if (name.empty()) return where;
  const std::optional<std::string> readable = signature::demangle(name);
  return (readable ? *readable : name) + " (" + where + ")";
}

bool is_runtime(const std::string& path) {
  const std::string base = base_of(path);
  return base.starts_with("libc.so") || base.starts_with("ld-linux") || base.starts_with("libc-") ||
         base == "dldoctor-load" || base.starts_with("libgcc_s");
}

// The innermost place of the stack that is not the C library, the loader or the helper: the
// plugin's own code (or its dependency's), which called abort() or faulted.
std::optional<Location> culprit(const ChildLoad& load) {
  if (auto pc = parse_location(load.pc); pc && !is_runtime(pc->path)) return pc;
  for (const std::string& frame : load.frames)
    if (auto location = parse_location(frame); location && !is_runtime(location->path)) {
      // A return address is the instruction after the call: one byte back is inside it.
      if (location->offset > 0) --location->offset;
      return location;
    }
  return std::nullopt;
}

std::string signal_name(int signal_number) {
  const char* text = ::strsignal(signal_number);
  return std::to_string(signal_number) + " (" + (text != nullptr ? text : "?") + ")";
}

}  // namespace

std::vector<Finding> findings_of_load(const std::string& path, const ChildLoad& load,
                                      std::chrono::seconds timeout) {
  std::vector<Finding> findings;
  const LoadAttempt& attempt = load.attempt;
  if (attempt.loaded) return findings;
  const std::string file = base_of(path);
  const std::string initialisers =
      "dlopen runs each object's DT_INIT and DT_INIT_ARRAY functions (its constructors, "
      "dependencies first: glibc elf/dl-init.c) before it returns";
  if (load.timed_out) {
    Finding finding = make_finding(
        finding_code("mode.constructor-hang"),
        "dlopen of " + file + " did not return within " + std::to_string(timeout.count()) +
            " s: a constructor blocks (a lock, a read, a thread it waits for), and a host "
            "hangs in dlopen");
    finding.evidence.push_back(initialisers);
    finding.evidence.push_back("the child was killed after --timeout " +
                               std::to_string(timeout.count()));
    finding.fix.summary =
        "make the plugin's constructors return: do the blocking work in an "
        "init function the host calls after dlopen (a constructor that waits "
        "for a thread deadlocks on the loader's lock)";
    findings.push_back(std::move(finding));
    return findings;
  }
  if (!load.loader_assertion.empty()) {
    Finding finding =
        make_finding(finding_code("mode.loader-assertion"),
                     "ld.so stopped the process loading " + file + ": " + load.loader_assertion);
    finding.evidence.push_back(
        "ld.so's own consistency check failed (_dl_assert): the loader "
        "ends the process, exit status " +
        std::to_string(attempt.exit_status.value_or(127)));
    finding.fix.summary = "run dldoctor check " + shell_quote(path) +
                          " without --load: a symbol-version need that a provider without "
                          "version information answers is the usual cause";
    findings.push_back(std::move(finding));
    return findings;
  }
  if (attempt.signal && load.signal_in_dlopen) {
    const bool aborted = *attempt.signal == SIGABRT;
    const std::optional<Location> where = culprit(load);
    const std::string place = where ? describe(*where) : "";
    Finding finding = make_finding(
        aborted ? finding_code("mode.constructor-abort") : finding_code("mode.constructor-crash"),
        std::string(aborted ? "a constructor called abort()" : "a constructor crashed") +
            " while dlopen loaded " + file + (place.empty() ? "" : ", in " + place) + ": signal " +
            signal_name(*attempt.signal) + ", which ends the host inside dlopen");
    finding.evidence.push_back(initialisers);
    if (auto pc = parse_location(load.pc))
      finding.evidence.push_back("the signal came at " + describe(*pc));
    // The stack below the signal handler of dldoctor-load, innermost first, by function.
    std::string stack;
    std::size_t shown = 0;
    for (const std::string& frame : load.frames) {
      std::optional<Location> location = parse_location(frame);
      if (!location || base_of(location->path) == "dldoctor-load" || shown == 8) continue;
      if (location->offset > 0) --location->offset;  // inside the call, not after it
      stack += (stack.empty() ? "" : " < ") + describe(*location);
      ++shown;
    }
    if (!stack.empty()) finding.evidence.push_back("the stack, innermost first: " + stack);
    finding.fix.summary =
        place.empty() ? "debug the plugin's constructors (gdb --args HOST, catch the signal)"
                      : "fix " + place.substr(0, place.find(" (")) +
                            ", which runs at load time, or move its work out of the constructor";
    findings.push_back(std::move(finding));
    return findings;
  }
  if (load.exit_in_dlopen) {
    Finding finding = make_finding(finding_code("mode.constructor-exit"),
                                   "a constructor called exit() while dlopen loaded " + file +
                                       ": the host ends inside "
                                       "dlopen with status " +
                                       std::to_string(attempt.exit_status.value_or(-1)));
    finding.evidence.push_back(initialisers);
    finding.evidence.push_back("the child's atexit handler ran before dlopen returned");
    finding.fix.summary =
        "a plugin must not end its host: report the error from an init "
        "function the host calls, instead of exit()";
    findings.push_back(std::move(finding));
  }
  return findings;
}

}  // namespace dldoctor::cli
