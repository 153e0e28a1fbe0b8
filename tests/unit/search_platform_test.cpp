// The search model's facts about this machine's loader agree with what the loader says of itself
// (`ld.so --help`) and with ldconfig's reading of /etc/ld.so.cache (`ldconfig -p`).
#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include "dldoctor/elf.hpp"
#include "dldoctor/search.hpp"
#include "search/ld_so_cache.hpp"
#include "search/platform.hpp"
#include "search/rooted_files.hpp"

namespace dldoctor::search {
namespace {

std::string output_of(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  std::string out;
  if (!pipe) return out;
  char buffer[4096];
  while (std::size_t got = std::fread(buffer, 1, sizeof buffer, pipe.get()))
    out.append(buffer, got);
  return out;
}

const char* kLoader = "/lib64/ld-linux-x86-64.so.2";

TEST(LoaderFacts, SystemDirectoriesAreThoseLdSoReports) {
  if (::access(kLoader, X_OK) != 0) GTEST_SKIP() << kLoader << " is not this machine's loader";
  const std::string help = output_of(std::string(kLoader) + " --help");
  std::vector<std::string> reported;
  std::istringstream lines(help);
  const std::regex system_dir(R"(^\s+(\S+) \(system search path\)$)");
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_match(line, match, system_dir)) reported.push_back(match[1]);
  }
  ASSERT_FALSE(reported.empty()) << help;
  EXPECT_EQ(system_directories(), reported);
}

TEST(LoaderFacts, HwcapsSubdirectoriesAreThoseLdSoSearches) {
  if (::access(kLoader, X_OK) != 0) GTEST_SKIP() << kLoader << " is not this machine's loader";
  const std::string help = output_of(std::string(kLoader) + " --help");
  // "Subdirectories of glibc-hwcaps directories, in priority order:" then "  x86-64-v3
  // (supported, searched)" lines; only the searched ones count.
  std::vector<std::string> searched;
  bool in_section = false;
  std::istringstream lines(help);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("Subdirectories of glibc-hwcaps", 0) == 0) {
      in_section = true;
      continue;
    }
    if (in_section && (line.empty() || line[0] != ' ')) break;
    if (in_section && line.find("searched") != std::string::npos) {
      std::istringstream words(line);
      std::string name;
      words >> name;
      searched.push_back("glibc-hwcaps/" + name + "/");
    }
  }
  std::vector<std::string> modelled;
  for (const std::string& subdirectory : hwcap_subdirectories())
    if (subdirectory.rfind("glibc-hwcaps/", 0) == 0) modelled.push_back(subdirectory);
  EXPECT_EQ(modelled, searched) << help;
  ASSERT_FALSE(hwcap_subdirectories().empty());
  EXPECT_EQ(hwcap_subdirectories().back(), "") << "the directory itself is tried last";
}

TEST(LdSoCacheFile, EveryEntryLdconfigListsIsReadWithTheSamePath) {
  const std::string listing = output_of("/sbin/ldconfig -p 2>/dev/null");
  if (listing.empty()) GTEST_SKIP() << "ldconfig -p printed nothing";
  const LdSoCache cache = LdSoCache::load("/etc/ld.so.cache");
  ASSERT_TRUE(cache.error().empty()) << cache.error();
  // "\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1"
  const std::regex entry(R"(^\s+(\S+) \(libc6,x86-64[^)]*\) => (\S+)$)");
  std::istringstream lines(listing);
  std::size_t compared = 0;
  std::map<std::string, std::string> first_path;
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (!std::regex_match(line, match, entry)) continue;
    first_path.emplace(match[1], match[2]);
  }
  for (const auto& [key, path] : first_path) {
    EXPECT_EQ(cache.lookup(key), path) << key;
    ++compared;
  }
  EXPECT_GT(compared, 10u);
  std::cout << compared << " names looked up in /etc/ld.so.cache agree with ldconfig -p\n";
}

TEST(LdSoCacheFile, OldFormatIsRead) {
  // "ld.so-1.7.0", nlibs, then {flags, key, value} with offsets from the end of the entries.
  std::string file = "ld.so-1.7.0";
  file.push_back('\0');
  auto put32 = [&](std::uint32_t value) { file.append(reinterpret_cast<char*>(&value), 4); };
  put32(1);
  const std::string strings = std::string("libold.so.1") + '\0' + "/opt/old/libold.so.1" + '\0';
  put32(0x0303);
  put32(0);
  put32(12);
  file += strings;
  char path[] = "/tmp/dldoctor-cache-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, file.data(), file.size()), static_cast<ssize_t>(file.size()));
  ::close(fd);
  const LdSoCache cache = LdSoCache::load(path);
  ::unlink(path);
  EXPECT_EQ(cache.lookup("libold.so.1"), "/opt/old/libold.so.1");
  EXPECT_FALSE(cache.lookup("libnew.so.1"));
}

TEST(LdSoCacheFile, GarbageIsAnEmptyCacheWithAReason) {
  char path[] = "/tmp/dldoctor-cache-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "garbage", 7), 7);
  ::close(fd);
  const LdSoCache cache = LdSoCache::load(path);
  ::unlink(path);
  EXPECT_TRUE(cache.entries().empty());
  EXPECT_FALSE(cache.error().empty());
}

TEST(ResolveTree, ProgramDependenciesComeFromTheCacheAndLibcOnce) {
  if (::access("/usr/bin/ls", R_OK) != 0) GTEST_SKIP() << "/usr/bin/ls is not readable";
  TreeRequest request;
  request.path = "/usr/bin/ls";
  request.environment.ld_library_path.reset();
  const Tree tree = resolve_tree(request);
  EXPECT_FALSE(tree.error) << *tree.error;
  int libc_found = 0;
  for (const Node& node : tree.nodes) {
    if (node.name != "libc.so.6") continue;
    if (!node.repeated) {
      ++libc_found;
      EXPECT_EQ(node.rule, Rule::LdSoCache);
    } else {
      EXPECT_EQ(node.rule, Rule::AlreadyLoaded);
    }
  }
  EXPECT_EQ(libc_found, 1) << "libc.so.6 is searched for once, then already loaded";
}

TEST(ResolveName, MissingNameTriesEverySystemDirectoryAndSaysSo) {
  Environment environment;
  const Resolution resolution = resolve_name("libdldoctor-no-such-library.so.7", environment);
  EXPECT_FALSE(resolution.path);
  EXPECT_EQ(resolution.error,
            "libdldoctor-no-such-library.so.7: cannot open shared object file: No such file or "
            "directory");
  EXPECT_EQ(resolution.steps.size(), system_directories().size() * hwcap_subdirectories().size());
}

// ---- objects of another kind, resolved by their own loader ----

// What Debian 12's i386 loader of libc6-i386 (/lib/ld-linux.so.2 --help) says of its search.
constexpr const char* kI386Help =
    "Shared library search path:\n"
    "  (libraries located via /etc/ld.so.cache)\n"
    "  /lib32 (system search path)\n"
    "  /usr/lib32 (system search path)\n"
    "  /lib (system search path)\n"
    "  /usr/lib (system search path)\n"
    "\n"
    "No subdirectories of glibc-hwcaps directories are searched.\n"
    "\n"
    "Legacy HWCAP subdirectories under library search path directories:\n"
    "  i686 (AT_PLATFORM; supported, searched)\n"
    "  tls (supported, searched)\n";

TEST(ForeignLoaders, ItsHelpGivesItsDirectoriesAndSubdirectories) {
  LoaderAbi abi;
  parse_loader_help(kI386Help, abi);
  EXPECT_EQ(abi.system_directories,
            (std::vector<std::string>{"/lib32/", "/usr/lib32/", "/lib/", "/usr/lib/"}));
  // _dl_important_hwcaps: tls first, the platform last, every subset largest first.
  EXPECT_EQ(abi.subdirectories, (std::vector<std::string>{"tls/i686/", "tls/", "i686/", ""}));
  EXPECT_EQ(abi.platform, "i686");
  EXPECT_TRUE(abi.glibc_hwcaps.empty());
}

TEST(ForeignLoaders, ThisMachinesOwnKindIsTheNativeLoader) {
  const LoaderAbi* native = loader_for(elf::host_class(), elf::host_machine());
  ASSERT_NE(native, nullptr);
  EXPECT_TRUE(native->native);
  EXPECT_EQ(native->system_directories, system_directory_list());
  EXPECT_EQ(loader_for(ELFCLASS64, 0xfffe), nullptr) << "a machine no loader is known for";
}

// The "name => path" lines of `ld.so --list` (not the vdso's nor the loader's own).
std::map<std::string, std::string> listed(const std::string& listing) {
  std::map<std::string, std::string> found;
  std::istringstream lines(listing);
  const std::regex entry(R"(^\s+(\S+) => (\S+)( \(0x[0-9a-f]+\))?$)");
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_match(line, match, entry)) found[match[1]] = match[2];
  }
  return found;
}

// libtree's scenario 05_32_bits: a 32-bit program whose RUNPATH names lib32 beside it, where its
// libx.so is, and libc.so.6 from the cache's i386 entries: resolved as the i386 loader
// (/lib/ld-linux.so.2) resolves it, which ld.so --list of that loader shows.
TEST(ForeignLoaders, AnI386ProgramIsResolvedAsItsOwnLoaderDoes) {
  const char* loader = "/lib/ld-linux.so.2";
  if (::access(loader, X_OK) != 0) GTEST_SKIP() << loader << " is not installed (libc6-i386)";
  if (::access("/lib32/libc.so.6", R_OK) != 0) GTEST_SKIP() << "no /lib32/libc.so.6";
  char pattern[] = "/tmp/dldoctor-i386-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string dir = pattern;
  ASSERT_EQ(::mkdir((dir + "/lib32").c_str(), 0755), 0);
  std::ofstream(dir + "/x.c") << "int x_value(void) { return 5; }\n";
  std::ofstream(dir + "/exe.c") << "int x_value(void);\nvoid _start(void) { x_value(); }\n";
  const std::string clang = "clang --target=i686-linux-gnu -fPIC -nostdlib -fuse-ld=lld ";
  const bool built = std::system((clang + "-shared -Wl,-soname,libx.so -o " + dir +
                                  "/lib32/libx.so " + dir + "/x.c 2>/dev/null")
                                     .c_str()) == 0 &&
                     std::system((clang +
                                  "-pie -Wl,--dynamic-linker=/lib/ld-linux.so.2 "
                                  "-Wl,-rpath,'$ORIGIN/lib32' -Wl,--enable-new-dtags -L" +
                                  dir + "/lib32 -lx /lib32/libc.so.6 -o " + dir + "/exe32 " + dir +
                                  "/exe.c 2>/dev/null")
                                     .c_str()) == 0;
  if (!built) {
    std::system(("rm -rf " + dir).c_str());
    GTEST_SKIP() << "clang cannot build i686 objects here";
  }
  const std::string exe = dir + "/exe32";
  const std::map<std::string, std::string> expected =
      listed(output_of(std::string(loader) + " --list " + exe));
  ASSERT_EQ(expected.size(), 2u) << "ld-linux.so.2 --list " << exe;

  TreeRequest request;
  request.path = exe;
  const Tree tree = resolve_tree(request);
  EXPECT_FALSE(tree.error) << *tree.error;
  std::map<std::string, std::string> modelled;
  for (const Node& node : tree.nodes)
    if (node.parent >= 0 && node.path && expected.count(node.name) != 0)
      modelled[node.name] = *node.path;
  EXPECT_EQ(modelled, expected);

  // Without libx.so: both loaders miss it, and the model says what the i386 loader says.
  ASSERT_EQ(std::remove((dir + "/lib32/libx.so").c_str()), 0);
  const std::string said = output_of(std::string(loader) + " --list " + exe + " 2>&1");
  const Tree missing = resolve_tree(request);
  ASSERT_TRUE(missing.error);
  EXPECT_EQ(*missing.error, "libx.so: cannot open shared object file: No such file or directory");
  EXPECT_NE(said.find(*missing.error), std::string::npos) << said;
  std::system(("rm -rf " + dir).c_str());
}

// Inside a root, an absolute symbolic link names the root's file, never this machine's: a link
// to /etc/hostname (there on this machine) is dangling inside an empty root.
TEST(RootedFiles, AbsoluteLinksAndDotDotStayInsideTheRoot) {
  if (::access("/etc/hostname", R_OK) != 0) GTEST_SKIP() << "no /etc/hostname to point at";
  char pattern[] = "/tmp/dldoctor-root-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::string root = pattern;
  ASSERT_EQ(::mkdir((root + "/etc").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("/etc/hostname", (root + "/etc/absolute").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../../../etc/hostname", (root + "/etc/dotdot").c_str()), 0);
  std::ofstream(root + "/etc/own") << "the root's\n";
  const RootedFiles files(root);
  for (const char* link : {"/etc/absolute", "/etc/dotdot"}) {
    const int plain = ::open((root + link).c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(plain, 0) << "outside a root the link names this machine's file";
    if (plain >= 0) ::close(plain);
    errno = 0;
    EXPECT_EQ(files.open(link, O_RDONLY), -1) << link << " escaped the root";
    EXPECT_EQ(errno, ENOENT) << link;
    struct stat status {};
    EXPECT_TRUE(files.lstat(link, status)) << link;
    EXPECT_TRUE(S_ISLNK(status.st_mode)) << link;
  }
  const int own = files.open("/etc/own", O_RDONLY);
  EXPECT_GE(own, 0);
  if (own >= 0) ::close(own);
  EXPECT_EQ(files.realpath("/etc/../etc/own"), std::optional<std::string>("/etc/own"));
  EXPECT_EQ(files.readlink("/etc/absolute"), std::optional<std::string>("/etc/hostname"));
  std::system(("rm -rf " + root).c_str());
}

}  // namespace
}  // namespace dldoctor::search
