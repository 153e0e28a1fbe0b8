// Hot reload (reload.*): the static findings (--reload, --loaded), a running process's view (--pid)
// with a file really rewritten in place under it, Library::close's report of what stayed mapped,
// and the Reloader on a plugin rebuilt ten times. Every plugin is built here, with the C compiler.
#include <dlfcn.h>
#include <elf.h>
#include <gtest/gtest.h>
#include <link.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "checks/process_maps.hpp"
#include "dldoctor/dldoctor.hpp"
#include "process.hpp"
#include "scratch_directory.hpp"

namespace fs = std::filesystem;

// Built with AddressSanitizer (gcc says so with __SANITIZE_ADDRESS__, clang with __has_feature).
#if defined(__SANITIZE_ADDRESS__)
#define DLDOCTOR_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DLDOCTOR_UNDER_ASAN 1
#endif
#endif

namespace dldoctor {
namespace {

// This file's scratch directories: /tmp/dldoctor-reload-XXXXXX.
struct ScratchDirectory : dldoctor::testing::ScratchDirectory {
  ScratchDirectory() : dldoctor::testing::ScratchDirectory("dldoctor-reload") {}
};

// cc -shared -fPIC [flags] -o out: source is C unless flags say -x c++.
bool build(const fs::path& out, const std::string& source, std::vector<std::string> flags = {}) {
  const fs::path file = out.string() + ".src";
  std::ofstream(file) << source;
  std::vector<std::string> argv{DLDOCTOR_CC, "-shared", "-fPIC", "-o", out.string()};
  argv.insert(argv.end(), flags.begin(), flags.end());
  const bool cxx = std::find(flags.begin(), flags.end(), "c++") != flags.end();
  argv.insert(argv.end(), {cxx ? "-xc++" : "-xc", file.string()});
  testing::ProcessOptions options;
  options.set_environment = {{"LC_ALL", "C"}};
  const testing::ProcessResult built = testing::run_process(argv, options);
  EXPECT_EQ(built.exit_status, 0) << built.describe() << "\n" << built.err;
  fs::remove(file);
  return built.exit_status == 0;
}

std::string answer_source(int value) {
  return "int answer(void) { return " + std::to_string(value) + "; }\n";
}

const Finding* find(const Report& report, const std::string& code) {
  for (const Finding& finding : report.findings)
    if (finding.code == code) return &finding;
  return nullptr;
}

bool evidence_has(const Finding& finding, const std::string& text) {
  for (const std::string& line : finding.evidence)
    if (line.find(text) != std::string::npos) return true;
  return false;
}

std::string codes(const Report& report) {
  std::string text;
  for (const Finding& finding : report.findings) text += finding.code + " ";
  return text;
}

Report check(const std::string& path, bool reload, std::vector<std::string> loaded = {},
             std::optional<int> pid = std::nullopt) {
  LoadRequest request{path};
  request.reload = reload;
  request.loaded = std::move(loaded);
  request.pid = pid;
  return diagnose(request);
}

constexpr const char* kUniqueSource =
    "inline int& counter() { static int n = 0; return n; }\n"
    "extern \"C\" int answer() { return ++counter(); }\n";

// ---- what dlclose will not unload, said only when a reload is asked about ----

TEST(ReloadStatic, UniqueSymbolsAreNamedOnlyWhenTheHostReloads) {
  ScratchDirectory scratch;
  const fs::path unique = scratch.path / "unique.so";
  const fs::path plain = scratch.path / "plain.so";
  ASSERT_TRUE(build(unique, kUniqueSource, {"-x", "c++", "-g"}));
  ASSERT_TRUE(build(plain, kUniqueSource, {"-x", "c++", "-fno-gnu-unique"}));
  EXPECT_EQ(find(check(unique, false), "reload.gnu-unique"), nullptr)
      << "a host that never reloads is told nothing of it";
  const Report report = check(unique, true);
  const Finding* finding = find(report, "reload.gnu-unique");
  ASSERT_NE(finding, nullptr) << codes(report);
  EXPECT_EQ(finding->severity, Severity::Warning);
  EXPECT_EQ(finding->family, Family::VersionConflict);
  EXPECT_TRUE(evidence_has(*finding, "exports counter()::n (_ZZ7countervE1n)"))
      << finding->evidence.front();
  EXPECT_TRUE(evidence_has(*finding, "STB_GNU_UNIQUE"));
  // The compile unit of counter(), whose static it is, from the DWARF's ranges.
  EXPECT_TRUE(evidence_has(*finding, ", from " + unique.string() + ".src"))
      << finding->evidence.front();
  EXPECT_NE(finding->fix.summary.find("-fno-gnu-unique"), std::string::npos);
  EXPECT_TRUE(report.loads);
  EXPECT_EQ(find(check(plain, true), "reload.gnu-unique"), nullptr)
      << "-fno-gnu-unique makes it a weak symbol, which dlclose unloads";
}

TEST(ReloadStatic, NodeleteThreadLocalDestructorsAndThreads) {
  ScratchDirectory scratch;
  const fs::path nodelete = scratch.path / "nodelete.so";
  const fs::path tls = scratch.path / "tls.so";
  const fs::path threads = scratch.path / "threads.so";
  ASSERT_TRUE(build(nodelete, answer_source(1), {"-Wl,-z,nodelete"}));
  ASSERT_TRUE(build(tls,
                    "struct S { ~S() {} int v = 1; };\n"
                    "thread_local S s;\n"
                    "extern \"C\" int answer() { return s.v; }\n",
                    {"-x", "c++"}));
  ASSERT_TRUE(build(threads,
                    "#include <pthread.h>\n"
                    "static void* run(void* p) { return p; }\n"
                    "int start(void) { pthread_t t; return pthread_create(&t, 0, run, 0); }\n"));
  const Report nodelete_report = check(nodelete, true);
  const Finding* finding = find(nodelete_report, "reload.nodelete");
  ASSERT_NE(finding, nullptr);
  EXPECT_TRUE(evidence_has(*finding, "DF_1_NODELETE"));
  const Report tls_report = check(tls, true);
  finding = find(tls_report, "reload.thread-local-destructor");
  ASSERT_NE(finding, nullptr) << codes(tls_report);
  EXPECT_TRUE(evidence_has(*finding, "__cxa_thread_atexit"));
  const Report threads_report = check(threads, true);
  finding = find(threads_report, "reload.starts-threads");
  ASSERT_NE(finding, nullptr);
  EXPECT_TRUE(evidence_has(*finding, "pthread_create"));
  // The plain one has none of them.
  const fs::path plain = scratch.path / "plain.so";
  ASSERT_TRUE(build(plain, answer_source(1)));
  EXPECT_TRUE(check(plain, true).findings.empty()) << codes(check(plain, true));
}

// ---- a file the host has loaded (--loaded) ----

TEST(ReloadLoaded, TheSameNameOrTheSameInodeIsTheLoadedObject) {
  ScratchDirectory scratch;
  const fs::path plugin = scratch.path / "p.so";
  const fs::path other = scratch.path / "other.so";
  ASSERT_TRUE(build(plugin, answer_source(1)));
  ASSERT_TRUE(build(other, answer_source(2)));
  const fs::path link = scratch.path / "link.so";
  fs::create_hard_link(plugin, link);

  const Report same = check(plugin, false, {plugin});
  const Finding* finding = find(same, "reload.same-path");
  ASSERT_NE(finding, nullptr) << codes(same);
  EXPECT_TRUE(evidence_has(*finding, "the same name"));
  EXPECT_NE(finding->summary.find("already"), std::string::npos);
  const Report link_report = check(link, false, {plugin});
  finding = find(link_report, "reload.same-path");
  ASSERT_NE(finding, nullptr) << "a hard link is the same inode: _dl_map_object_from_fd";
  EXPECT_TRUE(evidence_has(*finding, "inode"));
  // Another spelling of the same path: the loader opens it and finds the inode it has mapped.
  const Report absolute = check((scratch.path / "." / "p.so").string(), false, {plugin.string()});
  finding = find(absolute, "reload.same-path");
  ASSERT_NE(finding, nullptr) << codes(absolute);
  EXPECT_TRUE(evidence_has(*finding, "both resolve to")) << finding->evidence.front();
  EXPECT_EQ(find(check(other, false, {plugin}), "reload.same-path"), nullptr)
      << "another file under another name is loaded beside it";
}

// ---- a running process (--pid) ----

// A child that dlopens path, says so on a pipe and waits until its stdin pipe closes.
struct LoadedInChild {
  pid_t pid = -1;
  int release = -1;
  explicit LoadedInChild(const std::string& path) {
    int ready[2], hold[2];
    if (::pipe(ready) != 0 || ::pipe(hold) != 0) return;
    pid = ::fork();
    if (pid == 0) {
      ::close(ready[0]);
      ::close(hold[1]);
      void* handle = ::dlopen(path.c_str(), RTLD_NOW);
      const char byte = handle != nullptr ? 'y' : 'n';
      if (::write(ready[1], &byte, 1) != 1) ::_exit(3);
      char ignored;
      while (::read(hold[0], &ignored, 1) > 0) {
      }
      ::_exit(0);
    }
    ::close(ready[1]);
    ::close(hold[0]);
    release = hold[1];
    char byte = 0;
    if (::read(ready[0], &byte, 1) != 1 || byte != 'y') pid = -1;
    ::close(ready[0]);
  }
  ~LoadedInChild() {
    if (release >= 0) ::close(release);
    if (pid > 0) ::waitpid(pid, nullptr, 0);
  }
};

TEST(ReloadProcess, AFileRewrittenInPlaceUnderAMappingIsFound) {
  ScratchDirectory scratch;
  const fs::path plugin = scratch.path / "live.so";
  const fs::path bigger = scratch.path / "bigger.so";
  const fs::path renamed = scratch.path / "renamed.so";
  ASSERT_TRUE(build(plugin, answer_source(1)));
  ASSERT_TRUE(build(bigger, answer_source(2) + "char pad[300000] = {1};\n"));
  ASSERT_TRUE(build(renamed, answer_source(3)));
  LoadedInChild child(plugin);
  ASSERT_GT(child.pid, 0);

  // Mapped and unchanged: the loader would return it.
  Report report = check(plugin, false, {}, child.pid);
  EXPECT_NE(find(report, "reload.same-path"), nullptr) << codes(report);
  EXPECT_EQ(find(report, "reload.rewritten-in-place"), nullptr) << codes(report);

  // cp over it: the same inode, new bytes.
  {
    std::ifstream in(bigger, std::ios::binary);
    std::ofstream out(plugin, std::ios::binary | std::ios::trunc);
    out << in.rdbuf();
  }
  report = check(plugin, false, {}, child.pid);
  const Finding* finding = find(report, "reload.rewritten-in-place");
  ASSERT_NE(finding, nullptr) << codes(report);
  EXPECT_EQ(finding->severity, Severity::Error);
  EXPECT_TRUE(evidence_has(*finding, "rewritten in place: the file's PT_LOAD segment"))
      << finding->evidence[1];
  EXPECT_TRUE(evidence_has(*finding, "process " + std::to_string(child.pid)));

  // A new file renamed over: the process maps the old inode, deleted.
  fs::rename(renamed, plugin);
  report = check(plugin, false, {}, child.pid);
  finding = find(report, "reload.same-path");
  ASSERT_NE(finding, nullptr) << codes(report);
  EXPECT_TRUE(evidence_has(*finding, "deleted")) << finding->evidence.front();
  EXPECT_EQ(find(report, "reload.rewritten-in-place"), nullptr);
}

TEST(ReloadProcess, TheMapsParserTakesNamesWithSpacesAndTheDeletedMark) {
  Mapping mapping;
  ASSERT_TRUE(parse_maps_line(
      "7f0000001000-7f0000002000 r-xp 00001000 fe:01 1234                       /tmp/a b.so "
      "(deleted)",
      mapping));
  EXPECT_EQ(mapping.start, 0x7f0000001000u);
  EXPECT_EQ(mapping.offset, 0x1000u);
  EXPECT_EQ(mapping.device_major, 0xfeu);
  EXPECT_EQ(mapping.device_minor, 1u);
  EXPECT_EQ(mapping.inode, 1234u);
  EXPECT_EQ(mapping.path, "/tmp/a b.so");
  EXPECT_TRUE(mapping.deleted);
  ASSERT_TRUE(parse_maps_line("7f0000001000-7f0000002000 rw-p 00000000 00:00 0", mapping));
  EXPECT_EQ(mapping.path, "");
  EXPECT_FALSE(parse_maps_line("7f0000001000 rw-p 00000000 00:00 0", mapping));
  EXPECT_FALSE(parse_maps_line("zz-7f0000002000 rw-p 00000000 00:00 0", mapping));
}

// A small library's segments as the loader maps them: read-only, code, read-only data, and the
// data segment that starts in the page where the read-only data ends (relro split in two).
elf::Image layout_image() {
  elf::Image image;
  auto load = [&](std::uint64_t offset, std::uint64_t vaddr, std::uint64_t size,
                  std::uint32_t flags) {
    elf::ProgramHeader header;
    header.type = PT_LOAD;
    header.offset = offset;
    header.vaddr = vaddr;
    header.filesz = size;
    header.memsz = size;
    header.flags = flags;
    image.program_headers.push_back(header);
  };
  load(0x0, 0x0, 0x4f0, PF_R);
  load(0x1000, 0x1000, 0x141, PF_R | PF_X);
  load(0x2000, 0x2000, 0xcc, PF_R);
  load(0x2e28, 0x3e28, 0x1ec, PF_R | PF_W);
  return image;
}

std::vector<Mapping> layout_mappings(std::uint64_t base) {
  auto at = [&](std::uint64_t start, std::uint64_t end, const char* permissions,
                std::uint64_t offset) {
    Mapping mapping;
    mapping.start = base + start;
    mapping.end = base + end;
    mapping.permissions = permissions;
    mapping.offset = offset;
    mapping.inode = 7;
    return mapping;
  };
  return {at(0x0, 0x1000, "r--p", 0x0), at(0x1000, 0x2000, "r-xp", 0x1000),
          at(0x2000, 0x3000, "r--p", 0x2000), at(0x3000, 0x4000, "r--p", 0x2000),
          at(0x4000, 0x5000, "rw-p", 0x3000)};
}

std::string layout_of(const std::vector<Mapping>& mappings, const elf::Image& image) {
  std::vector<const Mapping*> pointers;
  for (const Mapping& mapping : mappings) pointers.push_back(&mapping);
  return layout_change(pointers, image);
}

TEST(ReloadProcess, MappingsAreComparedWithTheSegmentsTheFileHasNow) {
  const std::uint64_t base = 0x7f0000000000;
  const elf::Image image = layout_image();
  EXPECT_EQ(layout_of(layout_mappings(base), image), "") << "the file as it was mapped";
  // The code segment moved a page further in the new build.
  elf::Image moved = image;
  moved.program_headers[1].vaddr = 0x2000;
  moved.program_headers[2].vaddr = 0x3000;
  EXPECT_NE(layout_of(layout_mappings(base), moved).find("now put it at"), std::string::npos)
      << layout_of(layout_mappings(base), moved);
  // Code where the process maps data without execute permission.
  elf::Image swapped = image;
  swapped.program_headers[1].flags = PF_R;
  EXPECT_NE(layout_of(layout_mappings(base), swapped).find("executable"), std::string::npos);
  // A data segment that grew: the process maps only the pages of the old one.
  elf::Image grown = image;
  grown.program_headers[3].filesz = 0x30000;
  EXPECT_NE(layout_of(layout_mappings(base), grown).find("now spans"), std::string::npos);
  // A mapping longer than the segment it is in now.
  std::vector<Mapping> longer = layout_mappings(base);
  longer[1].end += 0x1000;
  longer[2].start += 0x1000;
  longer[2].offset += 0x1000;
  EXPECT_FALSE(layout_of(longer, image).empty());
  // A mapped offset that no segment covers any more.
  elf::Image shorter = image;
  shorter.program_headers.pop_back();
  EXPECT_FALSE(layout_of(layout_mappings(base), shorter).empty());
}

// ---- Library::close ----

bool mapped_here(const std::string& path) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(path) != std::string::npos) return true;
  return false;
}

TEST(LibraryClose, SaysWhetherTheObjectLeftAndWhyNot) {
  ScratchDirectory scratch;
  const fs::path plain = scratch.path / "plain.so";
  const fs::path nodelete = scratch.path / "nodelete.so";
  const fs::path unique = scratch.path / "unique.so";
  ASSERT_TRUE(build(plain, answer_source(1)));
  ASSERT_TRUE(build(nodelete, answer_source(1), {"-Wl,-z,nodelete"}));
  ASSERT_TRUE(build(unique, kUniqueSource, {"-x", "c++"}));

  Result<Library> library = Library::open(plain);
  ASSERT_TRUE(library.ok());
  Report closed = library->close();
  EXPECT_TRUE(closed.findings.empty()) << codes(closed);
  EXPECT_FALSE(mapped_here(plain.string()));
  EXPECT_EQ(library->native_handle(), nullptr);

  // A second handle of the host's own keeps it.
  void* other = ::dlopen(plain.c_str(), RTLD_NOW);
  ASSERT_NE(other, nullptr);
  library = Library::open(plain);
  ASSERT_TRUE(library.ok());
  closed = library->close();
  const Finding* finding = find(closed, "reload.still-mapped");
  ASSERT_NE(finding, nullptr);
  EXPECT_TRUE(evidence_has(*finding, "another handle"));
  ::dlclose(other);
  EXPECT_FALSE(mapped_here(plain.string()));

  library = Library::open(nodelete);
  ASSERT_TRUE(library.ok());
  finding = find(closed = library->close(), "reload.still-mapped");
  ASSERT_NE(finding, nullptr);
  EXPECT_TRUE(evidence_has(*finding, "DF_1_NODELETE"));
  EXPECT_TRUE(mapped_here(nodelete.string()));

  library = Library::open(unique);
  ASSERT_TRUE(library.ok());
  auto answer = library->lookup<int()>("answer");
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ((*answer.value())(), 1);
  finding = find(closed = library->close(), "reload.still-mapped");
  ASSERT_NE(finding, nullptr) << "glibc keeps an object whose unique symbol was bound";
  EXPECT_TRUE(evidence_has(*finding, "STB_GNU_UNIQUE")) << finding->evidence.back();
}

// ---- the Reloader ----

int call_answer(Library& library) {
  auto answer = library.lookup<int()>("answer");
  return answer.ok() ? (*answer.value())() : -1;
}

// The builds of directory/p.so this process maps now, counted by inode (/proc/self/maps): the
// build's own file ("p.so", "p.so (deleted)" once renamed over) or a private copy beside it
// (".p.so.reload-") or in memory ("/memfd:p.so.reload-"). An earlier test's builds are elsewhere
// (the one whose unique symbol keeps its first build mapped for good).
int builds_mapped(const fs::path& directory) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::set<std::string> inodes;
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, permissions, offset, device, inode, name;
    fields >> range >> permissions >> offset >> device >> inode;
    std::getline(fields >> std::ws, name);
    if (const std::size_t deleted = name.find(" (deleted)"); deleted != std::string::npos)
      name.resize(deleted);
    const bool beside = name.starts_with(directory.string() + "/") &&
                        (name.ends_with("/p.so") || name.find("p.so.reload-") != std::string::npos);
    if (beside || name.starts_with("/memfd:p.so.reload-")) inodes.insert(device + ":" + inode);
  }
  return static_cast<int>(inodes.size());
}

// The reloader with its default (the build's own file under a new spelling of its path) and with
// a private copy of each build.
class ReloaderModes : public ::testing::TestWithParam<bool> {};

INSTANTIATE_TEST_SUITE_P(Reloader, ReloaderModes, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "PrivateCopy" : "OwnFile"; });

TEST_P(ReloaderModes, TenRebuildsEachRunTheNewestCodeAndLeaveNoOldObject) {
  ScratchDirectory scratch;
  const fs::path plugin = scratch.path / "p.so";
  ReloadOptions options;
  options.symbols = {"answer"};
  options.private_copy = GetParam();
  Reloader reloader(plugin.string(), options);
  for (int build_number = 1; build_number <= 10; ++build_number) {
    // The build writes a new file and renames it over, as install does.
    const fs::path fresh = scratch.path / "p.so.new";
    ASSERT_TRUE(build(fresh, answer_source(build_number)));
    fs::rename(fresh, plugin);
    ASSERT_TRUE(build_number == 1 || reloader.changed());
    Result<Reloaded> reloaded = reloader.reload();
    ASSERT_TRUE(reloaded.ok()) << render_text(reloaded.report());
    EXPECT_EQ(reloaded->generation, static_cast<std::uint64_t>(build_number));
    EXPECT_EQ(reloaded->private_copy, GetParam()) << reloaded->loaded_from;
    if (!GetParam()) {
      // The build's own file, by a name no object was loaded by.
      EXPECT_NE(reloaded->loaded_from, plugin.string());
      EXPECT_TRUE(fs::equivalent(reloaded->loaded_from, plugin)) << reloaded->loaded_from;
    }
    EXPECT_TRUE(reloaded->previous.findings.empty()) << codes(reloaded->previous);
    ASSERT_NE(reloader.current(), nullptr);
    EXPECT_EQ(call_answer(*reloader.current()), build_number);
    EXPECT_FALSE(reloader.changed());
    EXPECT_EQ(builds_mapped(scratch.path), 1) << "the old build left the process";
  }
  if (!GetParam()) return;
  // A build written into the file in place after the reload does not reach the loaded copy.
  {
    const fs::path other = scratch.path / "other.so";
    ASSERT_TRUE(build(other, answer_source(99) + "char pad[300000] = {1};\n"));
    std::ifstream in(other, std::ios::binary);
    std::ofstream out(plugin, std::ios::binary | std::ios::trunc);
    out << in.rdbuf();
  }
  EXPECT_EQ(call_answer(*reloader.current()), 10);
  EXPECT_TRUE(reloader.changed());
}

// The file loaded now, reloaded as it is: the loader would match its inode and hand back the
// loaded object, so the reloader copies it; a rebuild after that is its own file again.
TEST(Reloader, TheFileLoadedNowIsReloadedFromACopy) {
  ScratchDirectory scratch;
  const fs::path plugin = scratch.path / "p.so";
  ASSERT_TRUE(build(plugin, answer_source(1)));
  Reloader reloader(plugin.string());
  ASSERT_TRUE(reloader.reload().ok());
  Result<Reloaded> again = reloader.reload();
  ASSERT_TRUE(again.ok()) << render_text(again.report());
  EXPECT_TRUE(again->private_copy) << again->loaded_from;
  EXPECT_EQ(again->generation, 2u);
  EXPECT_TRUE(again->previous.findings.empty()) << codes(again->previous);
  EXPECT_EQ(call_answer(*reloader.current()), 1);
  EXPECT_EQ(builds_mapped(scratch.path), 1);
  const fs::path fresh = scratch.path / "p.so.new";
  ASSERT_TRUE(build(fresh, answer_source(3)));
  fs::rename(fresh, plugin);
  Result<Reloaded> rebuilt = reloader.reload();
  ASSERT_TRUE(rebuilt.ok()) << render_text(rebuilt.report());
  EXPECT_FALSE(rebuilt->private_copy) << rebuilt->loaded_from;
  EXPECT_EQ(call_answer(*reloader.current()), 3);
}

// A new build this process has loaded already by another name (the host's own dlopen of it):
// the loader matches its device and inode and hands back that object, not a new one. The
// reloader sees it by the name the object was loaded by, lets that handle go, and loads a copy.
TEST(Reloader, ABuildLoadedElsewhereInTheProcessIsCopied) {
  ScratchDirectory scratch;
  const fs::path plugin = scratch.path / "p.so";
  ASSERT_TRUE(build(plugin, answer_source(1)));
  Reloader reloader(plugin.string());
  ASSERT_TRUE(reloader.reload().ok());
  const fs::path fresh = scratch.path / "p.so.new";
  ASSERT_TRUE(build(fresh, answer_source(2)));
  void* elsewhere = ::dlopen(fresh.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(elsewhere, nullptr) << ::dlerror();
  fs::rename(fresh, plugin);
  Result<Reloaded> reloaded = reloader.reload();
  ASSERT_TRUE(reloaded.ok()) << render_text(reloaded.report());
  EXPECT_TRUE(reloaded->private_copy) << reloaded->loaded_from;
  EXPECT_EQ(call_answer(*reloader.current()), 2);
  link_map* mine = nullptr;
  link_map* theirs = nullptr;
  ASSERT_EQ(::dlinfo(reloader.current()->native_handle(), RTLD_DI_LINKMAP, &mine), 0);
  ASSERT_EQ(::dlinfo(elsewhere, RTLD_DI_LINKMAP, &theirs), 0);
  EXPECT_NE(mine, theirs) << "the reloader's build is an object of its own";
  ::dlclose(elsewhere);
}

TEST(Reloader, AFailedReloadKeepsTheOldBuild) {
  ScratchDirectory scratch;
  const fs::path plugin = scratch.path / "p.so";
  ASSERT_TRUE(build(plugin, answer_source(1)));
  ReloadOptions options;
  options.symbols = {"answer"};
  Reloader reloader(plugin.string(), options);
  ASSERT_TRUE(reloader.reload().ok());
  // A new build without the asked symbol.
  const fs::path fresh = scratch.path / "p.so.new";
  ASSERT_TRUE(build(fresh, "int answer_renamed(void) { return 2; }\n"));
  fs::rename(fresh, plugin);
  Result<Reloaded> refused = reloader.reload();
  ASSERT_FALSE(refused.ok());
  ASSERT_FALSE(refused.report().findings.empty());
  EXPECT_EQ(refused.report().findings.front().code, "symbol.not-found") << codes(refused.report());
  EXPECT_EQ(call_answer(*reloader.current()), 1);
  EXPECT_EQ(reloader.generation(), 1u);
  // A file that is no ELF at all.
  std::ofstream(plugin) << "not a library\n";
  refused = reloader.reload();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(call_answer(*reloader.current()), 1);
  EXPECT_EQ(builds_mapped(scratch.path), 1);
}

// A build that needs a library beside it ($ORIGIN): loaded from its own directory (its copy made
// beside the build, not in memory), so that the loader finds its library.
TEST_P(ReloaderModes, ABuildWithALibraryBesideItIsLoadedBesideIt) {
  ScratchDirectory scratch;
  const fs::path plugin = scratch.path / "p.so";
  const fs::path dep = scratch.path / "libreloaddep.so";
  ASSERT_TRUE(build(dep, "int dep_value(void) { return 40; }\n", {"-Wl,-soname,libreloaddep.so"}));
  ASSERT_TRUE(build(plugin, "int dep_value(void);\nint answer(void) { return dep_value() + 2; }\n",
                    {"-L" + scratch.path.string(), "-Wl,--no-as-needed", "-lreloaddep",
                     "-Wl,-rpath,$ORIGIN", "-Wl,--enable-new-dtags"}));
  ReloadOptions options;
  options.symbols = {"answer"};
  options.private_copy = GetParam();
  Reloader reloader(plugin.string(), options);
  Result<Reloaded> reloaded = reloader.reload();
  ASSERT_TRUE(reloaded.ok()) << render_text(reloaded.report());
  EXPECT_EQ(reloaded->private_copy, GetParam());
  EXPECT_EQ(call_answer(*reloader.current()), 42);
  EXPECT_TRUE(fs::equivalent(fs::path(reloaded->loaded_from).parent_path(), scratch.path))
      << reloaded->loaded_from << ": it must be where $ORIGIN finds libreloaddep.so";
}

// A build that needs no library from disk but opens one later through its own RUNPATH
// (dlopen("libhelper.so") from its code: the caller's $ORIGIN): its copy not made in memory,
// where $ORIGIN would be /proc/self/fd.
TEST_P(ReloaderModes, ABuildThatOpensALibraryBesideItLaterKeepsItsOrigin) {
  ScratchDirectory scratch;
  const fs::path plugin = scratch.path / "p.so";
  ASSERT_TRUE(
      build(scratch.path / "libreloadhelper.so", "int helper_value(void) { return 42; }\n"));
  ASSERT_TRUE(build(plugin,
                    "#include <dlfcn.h>\n"
                    "int answer(void) {\n"
                    "  void* h = dlopen(\"libreloadhelper.so\", RTLD_NOW);\n"
                    "  if (!h) return -2;\n"
                    "  int (*f)(void) = (int (*)(void))dlsym(h, \"helper_value\");\n"
                    "  return f ? f() : -3;\n"
                    "}\n",
                    {"-Wl,-rpath,$ORIGIN", "-Wl,--enable-new-dtags"}));
  ReloadOptions options;
  options.private_copy = GetParam();
  Reloader reloader(plugin.string(), options);
  Result<Reloaded> reloaded = reloader.reload();
  ASSERT_TRUE(reloaded.ok()) << render_text(reloaded.report());
  EXPECT_EQ(reloaded->private_copy, GetParam());
  EXPECT_TRUE(fs::equivalent(fs::path(reloaded->loaded_from).parent_path(), scratch.path))
      << reloaded->loaded_from << ": it must be where its $ORIGIN finds libreloadhelper.so";
#ifndef DLDOCTOR_UNDER_ASAN
  // Under AddressSanitizer the plugin's dlopen is the runtime's interceptor's, whose RUNPATH,
  // not the plugin's, the loader then uses: the call itself shows it only without one.
  EXPECT_EQ(call_answer(*reloader.current()), 42) << "libreloadhelper.so not found from the copy";
#endif
}

// A build whose library (not loaded yet) is what would end the process: it needs DEP_2.0 of a
// library that defines no versions. The plugin itself needs no version: only a diagnosis of the
// libraries it brings refuses it.
TEST(Reloader, ALibraryTheBuildBringsIsCheckedToo) {
  ScratchDirectory scratch;
  const fs::path plugin = scratch.path / "p.so";
  const fs::path map = scratch.path / "dep.map";
  std::ofstream(map) << "DEP_2.0 { global: dep_value; local: *; };\n";
  ASSERT_TRUE(build(scratch.path / "libvdep2.so", "int dep_value(void) { return 40; }\n",
                    {"-Wl,--version-script=" + map.string(), "-Wl,-soname,libvdep2.so"}));
  ASSERT_TRUE(build(scratch.path / "libmid.so",
                    "int dep_value(void);\nint mid_value(void) { return dep_value() + 2; }\n",
                    {"-L" + scratch.path.string(), "-Wl,--no-as-needed", "-lvdep2",
                     "-Wl,-rpath,$ORIGIN", "-Wl,--enable-new-dtags", "-Wl,-soname,libmid.so"}));
  ASSERT_TRUE(build(scratch.path / "libvdep2.so", "int dep_value(void) { return 40; }\n",
                    {"-Wl,-soname,libvdep2.so"}));
  ASSERT_TRUE(build(plugin, "int mid_value(void);\nint answer(void) { return mid_value(); }\n",
                    {"-L" + scratch.path.string(), "-Wl,--no-as-needed", "-lmid",
                     "-Wl,-rpath,$ORIGIN", "-Wl,--enable-new-dtags"}));
  Reloader reloader(plugin.string());
  Result<Reloaded> refused = reloader.reload();
  ASSERT_FALSE(refused.ok()) << "the process would have died in dlopen";
  EXPECT_NE(find(refused.report(), "version.unversioned-provider"), nullptr)
      << codes(refused.report());
}

// A build the loader would kill this process for: it needs a version of a library that defines
// none (ld.so's check_match assertion). Refused before dlopen, with the finding; the process
// goes on, with the previous build.
TEST(Reloader, ABuildThatWouldEndTheProcessIsRefusedBeforeDlopen) {
  ScratchDirectory scratch;
  const fs::path plugin = scratch.path / "p.so";
  ASSERT_TRUE(build(plugin, answer_source(1)));
  ReloadOptions options;
  options.symbols = {"answer"};
  Reloader reloader(plugin.string(), options);
  ASSERT_TRUE(reloader.reload().ok());

  const fs::path dep = scratch.path / "libvdep.so";
  const fs::path map = scratch.path / "dep.map";
  std::ofstream(map) << "DEP_2.0 { global: dep_value; local: *; };\n";
  ASSERT_TRUE(build(dep, "int dep_value(void) { return 40; }\n",
                    {"-Wl,--version-script=" + map.string(), "-Wl,-soname,libvdep.so"}));
  const fs::path fresh = scratch.path / "p.so.new";
  ASSERT_TRUE(build(fresh, "int dep_value(void);\nint answer(void) { return dep_value() + 2; }\n",
                    {"-L" + scratch.path.string(), "-Wl,--no-as-needed", "-lvdep",
                     "-Wl,-rpath,$ORIGIN", "-Wl,--enable-new-dtags"}));
  // The library rebuilt without its version script: the plugin's DEP_2.0 need meets nothing.
  ASSERT_TRUE(build(dep, "int dep_value(void) { return 40; }\n", {"-Wl,-soname,libvdep.so"}));
  fs::rename(fresh, plugin);
  Result<Reloaded> refused = reloader.reload();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(find(refused.report(), "version.unversioned-provider"), nullptr)
      << codes(refused.report());
  EXPECT_EQ(call_answer(*reloader.current()), 1) << "the previous build stays loaded";

  // The same with the unversioned library loaded in this process already: the loader would not
  // look for it, and its dynamic section in memory says it defines no versions.
  void* loaded_dep = ::dlopen(dep.c_str(), RTLD_NOW | RTLD_GLOBAL);
  ASSERT_NE(loaded_dep, nullptr) << ::dlerror();
  refused = reloader.reload();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(find(refused.report(), "version.unversioned-provider"), nullptr)
      << codes(refused.report());
  EXPECT_EQ(call_answer(*reloader.current()), 1);
  ::dlclose(loaded_dep);
}

TEST(Reloader, AUniqueSymbolKeepsTheOldObjectAndSaysSoYetTheNewCodeRuns) {
  ScratchDirectory scratch;
  const fs::path plugin = scratch.path / "p.so";
  Reloader reloader(plugin.string());
  for (int build_number = 1; build_number <= 3; ++build_number) {
    const fs::path fresh = scratch.path / "p.so.new";
    ASSERT_TRUE(build(fresh,
                      "inline int& reloaded_counter() { static int n = 0; return n; }\n"
                      "extern \"C\" int answer() { return ++reloaded_counter() * 0 + " +
                          std::to_string(build_number) + "; }\n",
                      {"-x", "c++"}));
    fs::rename(fresh, plugin);
    Result<Reloaded> reloaded = reloader.reload();
    ASSERT_TRUE(reloaded.ok()) << render_text(reloaded.report());
    EXPECT_EQ(call_answer(*reloader.current()), build_number);
    // A unique symbol is the process's, by name: a name of its own here, so that the object of
    // an earlier test defining counter()::n does not own it. The first build to define it owns it
    // for the whole process (glibc's table of unique symbols): later builds bind to its copy, and
    // only it is kept.
    if (build_number == 2) {
      const Finding* finding = find(reloaded->previous, "reload.still-mapped");
      ASSERT_NE(finding, nullptr) << "build 1 is kept by its unique symbol";
      EXPECT_TRUE(evidence_has(*finding, "STB_GNU_UNIQUE"));
    }
    if (build_number == 3) {
      EXPECT_TRUE(reloaded->previous.findings.empty())
          << "build 2 bound reloaded_counter()::n to build 1's, defines none of its own in use, "
             "and leaves";
    }
  }
}

}  // namespace
}  // namespace dldoctor
