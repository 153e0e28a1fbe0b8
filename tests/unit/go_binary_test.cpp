// Reading Go binaries (lib/src/go): the build info of a real Go host, the package hashes and plugin
// path of real Go plugins (the go-module-version and go-lowercase cases' files, built with the
// tree), a function table (pclntab) made here and the real ones, and hostile build-info blobs,
// tables and malformed files that must give less, never a crash.
#include "go/go_binary.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "elf/symbol_index.hpp"
#include "go/pclntab.hpp"

namespace dldoctor {
namespace {

std::vector<unsigned char> blob(const std::string& version, const std::string& modinfo) {
  std::vector<unsigned char> bytes(32, 0);
  const std::string magic = "\xff Go buildinf:";
  std::copy(magic.begin(), magic.end(), bytes.begin());
  bytes[14] = 8;
  bytes[15] = 2;  // little-endian, inline strings (Go 1.18+)
  for (const std::string* text : {&version, &modinfo}) {
    std::size_t length = text->size();
    do {
      bytes.push_back(static_cast<unsigned char>((length & 0x7f) | (length > 0x7f ? 0x80 : 0)));
      length >>= 7;
    } while (length != 0);
    bytes.insert(bytes.end(), text->begin(), text->end());
  }
  return bytes;
}

const std::string kSentinelStart(16, 's');
const std::string kSentinelEnd(16, 'e');
const std::string kModinfo = kSentinelStart +
                             "path\texample.com/app\n"
                             "mod\texample.com/app\t(devel)\t\n"
                             "dep\texample.com/shared\tv1.0.0\th1:abc=\n"
                             "=>\t../shared1\t(devel)\t\n"
                             "dep\texample.com/other/v2\tv2.3.4\th1:def=\n"
                             "build\t-compiler=gc\n"
                             "build\t-trimpath=true\n"
                             "build\t-tags=a,b\n"
                             "build\t-ldflags=\"-X main.v=1\"\n"
                             "build\tCGO_ENABLED=1\n"
                             "build\tGOAMD64=v3\n" +
                             kSentinelEnd;

TEST(GoBuildInfo, InlineFormatGivesVersionModulesReplacesAndSettings) {
  const auto parsed = go::parse_build_info(blob("go1.19.8", kModinfo));
  const auto* info = std::get_if<go::BuildInfo>(&parsed);
  ASSERT_NE(info, nullptr) << std::get<std::string>(parsed);
  EXPECT_EQ(info->go_version, "go1.19.8");
  EXPECT_EQ(info->path, "example.com/app");
  ASSERT_TRUE(info->main);
  EXPECT_EQ(info->main->version, "(devel)");
  ASSERT_EQ(info->dependencies.size(), 2u);
  EXPECT_EQ(info->dependencies[0].path, "example.com/shared");
  EXPECT_EQ(info->dependencies[0].sum, "h1:abc=");
  EXPECT_TRUE(info->dependencies[0].replaced);
  EXPECT_EQ(info->dependencies[0].replace_path, "../shared1");
  EXPECT_FALSE(info->dependencies[1].replaced);
  EXPECT_EQ(info->setting("-trimpath"), "true");
  EXPECT_EQ(info->setting("-tags"), "a,b");
  EXPECT_EQ(info->setting("-ldflags"), "-X main.v=1");
  EXPECT_EQ(info->setting("GOAMD64"), "v3");
  EXPECT_EQ(info->setting("-race"), std::nullopt);
  const go::Module* module = info->module_of("example.com/shared/sub");
  ASSERT_NE(module, nullptr);
  EXPECT_EQ(module->path, "example.com/shared");
  EXPECT_EQ(info->module_of("example.com/sharedx"), nullptr);
  EXPECT_EQ(info->module_of("example.com/app")->path, "example.com/app");
}

TEST(GoBuildInfo, HostileBlobsAreRefusedWithAReason) {
  std::vector<unsigned char> old_format = blob("go1.17", "");
  old_format[15] = 0;
  EXPECT_TRUE(std::holds_alternative<std::string>(go::parse_build_info(old_format)));
  std::vector<unsigned char> no_magic = blob("go1.19", "");
  no_magic[1] = 'X';
  EXPECT_TRUE(std::holds_alternative<std::string>(go::parse_build_info(no_magic)));
  // A length past the end, and a varint that never ends or overflows 64 bits.
  std::vector<unsigned char> long_length = blob("go1.19", "");
  long_length[32] = 0x7f;
  EXPECT_TRUE(std::holds_alternative<std::string>(go::parse_build_info(long_length)));
  std::vector<unsigned char> endless(32, 0);
  std::copy_n(blob("", "").begin(), 16, endless.begin());
  endless.insert(endless.end(), 11, 0xff);
  EXPECT_TRUE(std::holds_alternative<std::string>(go::parse_build_info(endless)));
  // Every truncation of a good blob is read or refused, never read past.
  const std::vector<unsigned char> good = blob("go1.19.8", kModinfo);
  for (std::size_t size = 0; size < good.size(); ++size) {
    const std::vector<unsigned char> cut(good.begin(), good.begin() + size);
    EXPECT_TRUE(std::holds_alternative<std::string>(go::parse_build_info(cut))) << size;
  }
  go::BuildInfo info;
  go::parse_module_info("build\nbuild\t\"unterminated\n=>\tx\ndep\n\n\t\t\t", info);
  EXPECT_EQ(info.dependencies.size(), 1u);
}

TEST(GoNames, PackagesOfSymbolsAndVersionsOfDirectories) {
  EXPECT_EQ(go::package_of_symbol("example.com/plug.Hello"), "example.com/plug");
  EXPECT_EQ(go::package_of_symbol("example.com/a/b.(*T).M"), "example.com/a/b");
  EXPECT_EQ(go::package_of_symbol("runtime.main"), "runtime");
  EXPECT_EQ(go::package_of_symbol("nodot"), "");
  EXPECT_TRUE(go::is_standard_package("runtime/internal/sys"));
  EXPECT_FALSE(go::is_standard_package("example.com/shared"));
  EXPECT_EQ(go::version_in_directory("/root/go/pkg/mod/example.com/shared@v1.1.0/sub"), "v1.1.0");
  EXPECT_EQ(go::version_in_directory("/src/shared1"), "");
}

// A Go 1.18 function table (little-endian, 8-byte pointers) of three functions: F and (*T).M of
// example.com/a in /src/a/a.go and /src/a/b.go, main.main in /src/m/m.go.
std::vector<unsigned char> pcln_table() {
  std::vector<unsigned char> bytes;
  auto put = [&](std::uint64_t value, unsigned width) {
    for (unsigned i = 0; i < width; ++i)
      bytes.push_back(static_cast<unsigned char>(value >> (8 * i)));
  };
  auto put_text = [&](const std::string& text) {
    bytes.insert(bytes.end(), text.begin(), text.end());
    bytes.push_back(0);
  };
  const std::string names[] = {"example.com/a.F", "example.com/a.(*T).M", "main.main"};
  const std::string files[] = {"/src/a/a.go", "/src/a/b.go", "/src/m/m.go"};
  constexpr std::uint64_t kHeader = 72;
  std::uint64_t names_size = 0;
  for (const std::string& name : names) names_size += name.size() + 1;
  std::uint64_t files_size = 0;
  for (const std::string& file : files) files_size += file.size() + 1;
  const std::uint64_t funcnametab = kHeader;
  const std::uint64_t cutab = funcnametab + names_size;
  const std::uint64_t filetab = cutab + 3 * 4;
  const std::uint64_t pctab = filetab + files_size;
  const std::uint64_t functab = pctab + 1 + 3 * 3;
  put(0xfffffff0, 4);
  bytes.insert(bytes.end(), {0, 0, 1, 8});
  for (const std::uint64_t field : {std::uint64_t{3}, std::uint64_t{3}, std::uint64_t{0x1000},
                                    funcnametab, cutab, filetab, pctab, functab})
    put(field, 8);
  for (const std::string& name : names) put_text(name);
  std::uint64_t at = 0;
  for (const std::string& file : files) {
    put(at, 4);  // the unit's files (one unit)
    at += file.size() + 1;
  }
  for (const std::string& file : files) put_text(file);
  bytes.push_back(0);
  for (unsigned i = 0; i < 3; ++i)
    bytes.insert(bytes.end(), {static_cast<unsigned char>(2 * (i + 1)), 1, 0});
  // nfunc + 1 {entryoff, funcoff} pairs, then the _funcs (40 bytes each).
  const std::uint64_t funcs = 4 * 8;
  for (unsigned i = 0; i <= 3; ++i) {
    put(i * 16, 4);
    put(funcs + std::min(i, 2u) * 40, 4);
  }
  std::uint64_t name_offset = 0;
  for (unsigned i = 0; i < 3; ++i) {
    put(i * 16, 4);       // entryoff
    put(name_offset, 4);  // nameoff
    put(0, 4);            // args
    put(0, 4);            // deferreturn
    put(0, 4);            // pcsp
    put(1 + i * 3, 4);    // pcfile
    put(0, 4);            // pcln
    put(0, 4);            // npcdata
    put(0, 4);            // cuOffset
    put(0, 4);            // funcID, flag, pad, nfuncdata
    name_offset += names[i].size() + 1;
  }
  return bytes;
}

TEST(GoFunctionTable, GivesEachPackagesDirectoriesFromItsFunctionsEntries) {
  EXPECT_EQ(go::function_package("example.com/shared.(*T).M"), "example.com/shared");
  EXPECT_EQ(go::function_package("main.main"), "main");
  EXPECT_EQ(go::function_package("p.F[go.shape.*example.com/q.T]"), "p");
  EXPECT_EQ(go::function_package("type..eq.example.com/a.T"), "type..eq.example.com/a");
  EXPECT_EQ(go::function_package("gogo"), "");
  const std::vector<unsigned char> table = pcln_table();
  const auto all = go::pcln_source_directories(table, nullptr);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->functions, 3u);
  ASSERT_EQ(all->directories.size(), 2u);
  EXPECT_EQ(all->directories.at("example.com/a"), (std::set<std::string>{"/src/a"}));
  EXPECT_EQ(all->directories.at("main"), (std::set<std::string>{"/src/m"}));
  const std::set<std::string> wanted{"main"};
  const auto some = go::pcln_source_directories(table, &wanted);
  ASSERT_TRUE(some);
  EXPECT_EQ(some->directories.size(), 1u);
  EXPECT_EQ(some->directories.count("main"), 1u);
  std::vector<unsigned char> wrong_magic = table;
  wrong_magic[0] = 0xfa;  // Go 1.16's: not read
  EXPECT_FALSE(go::pcln_source_directories(wrong_magic, nullptr));
}

TEST(GoFunctionTable, HostileTablesGiveLessAndNeverReadPastTheBytes) {
  const std::vector<unsigned char> table = pcln_table();
  // Every truncation: refused, or what lies before the cut.
  for (std::size_t size = 0; size < table.size(); ++size) {
    const std::vector<unsigned char> cut(table.begin(), table.begin() + size);
    const auto read = go::pcln_source_directories(cut, nullptr);
    if (read) {
      EXPECT_LE(read->directories.size(), 2u) << size;
    }
  }
  // Every byte set to 0xff or 0x80 (huge offsets and counts, endless varints).
  for (std::size_t at = 0; at < table.size(); ++at)
    for (const unsigned char value : {0xff, 0x80, 0x00}) {
      std::vector<unsigned char> bad = table;
      bad[at] = value;
      (void)go::pcln_source_directories(bad, nullptr);
    }
  // A function count the table cannot hold, and offsets past its end.
  std::vector<unsigned char> many = table;
  many[8 + 7] = 0x10;
  EXPECT_FALSE(go::pcln_source_directories(many, nullptr));
  std::vector<unsigned char> past = table;
  past[8 + 7 * 8 + 4] = 0x01;  // the function table's offset
  EXPECT_FALSE(go::pcln_source_directories(past, nullptr));
}

#ifdef DLDOCTOR_GO_CASES
std::string case_file(const std::string& relative) {
  return std::string(DLDOCTOR_GO_CASES) + "/" + relative;
}

go::Binary read_go(const std::string& path) {
  elf::ReadOutcome outcome = elf::read_image(path);
  const auto* image = std::get_if<elf::Image>(&outcome);
  EXPECT_NE(image, nullptr) << path;
  return image != nullptr ? go::read_binary(path, *image) : go::Binary{};
}

bool have_go_cases() {
  return std::filesystem::exists(case_file("version-conflict/go-module-version/host"));
}

TEST(GoBinaries, TheHostHasBuildInfoAndPackageHashes) {
  if (!have_go_cases()) GTEST_SKIP() << "Go is not installed: the Go cases were not built";
  const go::Binary host = read_go(case_file("version-conflict/go-module-version/host"));
  EXPECT_TRUE(host.is_go);
  EXPECT_FALSE(host.is_plugin());
  ASSERT_TRUE(host.build_info) << host.build_info_error;
  EXPECT_EQ(host.build_info->go_version.rfind("go1.", 0), 0u);
  EXPECT_EQ(host.build_info->path, "example.com/app");
  const go::Module* shared = host.build_info->module_of("example.com/shared");
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(shared->version, "v1.0.0");
  EXPECT_TRUE(shared->replaced);
  EXPECT_EQ(shared->replace_path, "../shared-v1.0.0");
  EXPECT_EQ(host.build_info->setting("CGO_ENABLED"), "1");
  ASSERT_NE(host.hash_of("example.com/shared"), nullptr);
  EXPECT_EQ(host.hash_of("example.com/shared")->hex.size(), 16u);  // 8 bytes
  EXPECT_EQ(host.compiler_version, host.build_info->go_version);
}

TEST(GoBinaries, PluginsHaveTheirPathAndHashesThatDifferWhereTheModuleDoes) {
  if (!have_go_cases()) GTEST_SKIP() << "Go is not installed: the Go cases were not built";
  const std::string dir = "version-conflict/go-module-version/";
  const go::Binary broken = read_go(case_file(dir + "broken/p.so"));
  const go::Binary fixed = read_go(case_file(dir + "fixed/p.so"));
  const go::Binary host = read_go(case_file(dir + "host"));
  ASSERT_TRUE(broken.is_plugin());
  EXPECT_EQ(*broken.plugin_path, "example.com/plug");
  EXPECT_FALSE(broken.build_info);  // Go 1.19 writes none into a plugin
  EXPECT_NE(broken.compiler_flags.find("-dynlink"), std::string::npos);
  for (const char* package : {"example.com/shared", "runtime"}) {
    ASSERT_NE(broken.hash_of(package), nullptr) << package;
    ASSERT_NE(fixed.hash_of(package), nullptr) << package;
    ASSERT_NE(host.hash_of(package), nullptr) << package;
  }
  EXPECT_NE(broken.hash_of("example.com/shared")->hex, host.hash_of("example.com/shared")->hex);
  EXPECT_EQ(fixed.hash_of("example.com/shared")->hex, host.hash_of("example.com/shared")->hex);
  EXPECT_EQ(broken.hash_of("runtime")->hex, host.hash_of("runtime")->hex);
  const auto dirs = broken.source_directories.find("example.com/shared");
  ASSERT_NE(dirs, broken.source_directories.end());
  EXPECT_TRUE(dirs->second.begin()->ends_with("/shared-v1.1.0")) << *dirs->second.begin();
  // From the function table alone (no DWARF read: no compiler), for the host and the plugin.
  const std::set<std::string> wanted{"main", "example.com/plug", "example.com/shared"};
  for (const char* file : {"broken/p.so", "host"}) {
    const std::string path = case_file(dir + file);
    elf::ReadOutcome outcome = elf::read_image(path);
    const go::Binary binary =
        go::read_binary(path, std::get<elf::Image>(outcome), go::DwarfParts{true, wanted, false});
    EXPECT_EQ(binary.compiler_version, "") << file;
    EXPECT_TRUE(binary.has_dwarf) << file;
    const auto table_dirs = binary.source_directories.find("example.com/shared");
    ASSERT_NE(table_dirs, binary.source_directories.end()) << file;
    EXPECT_EQ(table_dirs->second.size(), 1u) << file;
    EXPECT_TRUE(table_dirs->second.begin()->ends_with(
        std::string(file) == "host" ? "/shared-v1.0.0" : "/shared-v1.1.0"))
        << *table_dirs->second.begin();
    EXPECT_EQ(
        binary.source_directories.count(std::string(file) == "host" ? "main" : "example.com/plug"),
        1u)
        << file;
  }
  // The host as the plugin stage reads it: without its .symtab, as an Image or in place; the
  // same hashes and build info, and the same directories from its function table.
  const std::string host_path = case_file(dir + "host");
  elf::ReadOutcome whole = elf::read_image(host_path);
  elf::ReadOutcome dynamic = elf::read_image(host_path, elf::ReadParts::DynamicSymbols);
  const auto& whole_image = std::get<elf::Image>(whole);
  const auto& dynamic_image = std::get<elf::Image>(dynamic);
  EXPECT_TRUE(whole_image.symbol_table);
  EXPECT_FALSE(dynamic_image.symbol_table);
  EXPECT_EQ(dynamic_image.dynamic_symbols.size(), whole_image.dynamic_symbols.size());
  EXPECT_EQ(dynamic_image.sections.size(), whole_image.sections.size());
  elf::SymbolIndexOutcome indexed =
      elf::read_symbol_index(host_path, 0, elf::IndexedTables::DynamicOnly);
  const auto* index = std::get_if<elf::SymbolIndex>(&indexed);
  ASSERT_NE(index, nullptr);
  EXPECT_FALSE(index->has_symbol_table());
  EXPECT_EQ(index->size(elf::SymbolTable::Dynamic), whole_image.dynamic_symbols.size() + 1);
  EXPECT_EQ(index->image().sections.size(), whole_image.sections.size());
  EXPECT_TRUE(go::has_package_hashes(*index));
  go::Binary in_place = go::read_binary(host_path, *index, go::DwarfParts{false, std::nullopt});
  ASSERT_EQ(in_place.package_hashes.size(), host.package_hashes.size());
  for (std::size_t i = 0; i < host.package_hashes.size(); ++i) {
    EXPECT_EQ(in_place.package_hashes[i].package, host.package_hashes[i].package);
    EXPECT_EQ(in_place.package_hashes[i].hex, host.package_hashes[i].hex);
  }
  ASSERT_TRUE(in_place.build_info);
  EXPECT_EQ(in_place.build_info->go_version, host.build_info->go_version);
  go::read_sources(host_path, index->image(), in_place, go::DwarfParts{true, wanted, false});
  EXPECT_EQ(in_place.source_directories.at("example.com/shared"),
            host.source_directories.at("example.com/shared"));
  const go::Binary lowercase = read_go(case_file("unexported-symbol/go-lowercase/fixed/p.so"));
  EXPECT_EQ(lowercase.plugin_path, std::optional<std::string>("example.com/plug"));
}
#endif

TEST(GoBinaries, MalformedAndForeignFilesGiveNothingAndDoNotCrash) {
  std::size_t read = 0;
  for (const auto& entry : std::filesystem::directory_iterator(DLDOCTOR_TEST_DATA)) {
    elf::ReadOutcome outcome = elf::read_image(entry.path().string());
    if (const auto* image = std::get_if<elf::Image>(&outcome)) {
      const go::Binary binary = go::read_binary(entry.path().string(), *image);
      EXPECT_FALSE(binary.is_go) << entry.path();
      ++read;
    }
  }
  // A C program is no Go binary either.
  elf::ReadOutcome outcome = elf::read_image(DLDOCTOR_EXE);
  ASSERT_TRUE(std::holds_alternative<elf::Image>(outcome));
  EXPECT_FALSE(go::read_binary(DLDOCTOR_EXE, std::get<elf::Image>(outcome)).is_go);
  std::cout << read << " malformed files read as ELF, none taken for Go\n";
}

}  // namespace
}  // namespace dldoctor
