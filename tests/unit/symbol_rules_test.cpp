// The symbol rules read files in place (SymbolIndex) and DWARF with their own small reader, for
// speed. These tests hold them to what the full readers give: read_image's entries and messages,
// libdw's compile units, and the near names of a full sort over exact edit distances.
#include "checks/symbol_rules.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <gtest/gtest.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "dldoctor/elf.hpp"
#include "elf/dwarf_sources.hpp"
#include "elf/dwarf_unit.hpp"
#include "elf/symbol_index.hpp"
#include "process.hpp"
#include "scratch_directory.hpp"

#ifndef DLDOCTOR_TEST_DATA
#define DLDOCTOR_TEST_DATA ""
#endif
#ifndef DLDOCTOR_EXE
#define DLDOCTOR_EXE "dldoctor"
#endif
#ifndef DLDOCTOR_CC
#define DLDOCTOR_CC "/usr/bin/cc"
#endif

namespace fs = std::filesystem;

// Defined here, not inline, so that this test binary's .symtab and DWARF have it.
extern "C" [[gnu::noinline]] int dldoctor_unit_probe(int x) { return x * 3 + 1; }

namespace dldoctor {
namespace {

// This file's scratch directories: /tmp/dldoctor-symbol-rules-XXXXXX.
struct ScratchDirectory : dldoctor::testing::ScratchDirectory {
  ScratchDirectory() : dldoctor::testing::ScratchDirectory("dldoctor-symbol-rules") {}
};

using elf::SymbolIndex;
using elf::SymbolTable;

std::string self_path() { return fs::read_symlink("/proc/self/exe").string(); }

// The file libdldoctor was loaded from: large, C++, with .symtab and DWARF in a build tree.
std::string library_path() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&elf::read_image), &info) == 0 || info.dli_fname == nullptr)
    return "";
  return info.dli_fname;
}

// Both ways SymbolIndex reads: the whole file at once, and part by part.
const std::uint64_t kReadWays[] = {std::uint64_t{1} << 40, 0};

// The classic table, every cell: the reference for edit_distance.
std::size_t full_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

TEST(EditDistance, IsTheFullTablesValueUpToTheLimit) {
  std::mt19937 random(20261126);
  const std::string alphabet = "ab_cd";
  const auto word = [&](std::size_t size) {
    std::string text;
    for (std::size_t i = 0; i < size; ++i) text += alphabet[random() % alphabet.size()];
    return text;
  };
  for (int round = 0; round < 20000; ++round) {
    // Mostly near pairs (a shared stem), some longer than a word of bits (the banded table).
    const std::string stem = word(random() % (round % 10 == 0 ? 90 : 20));
    const std::string a = word(random() % 4) + stem + word(random() % 4);
    const std::string b = word(random() % 4) + stem + word(random() % 5);
    const std::size_t limit = random() % 9;
    const std::size_t expected = std::min(full_distance(a, b), limit + 1);
    ASSERT_EQ(edit_distance(a, b, limit), expected) << a << " / " << b << " limit " << limit;
    ASSERT_EQ(edit_distance(b, a, limit), expected) << b << " / " << a << " limit " << limit;
  }
  EXPECT_EQ(edit_distance("dldoctor_bench_fn_42", "dldoctor_bench_fn_042", 5), 1u);
  EXPECT_EQ(edit_distance("", "", 0), 0u);
  EXPECT_EQ(edit_distance("abc", "", 2), 3u);
}

void expect_same_symbol(const elf::Symbol& read, const elf::Symbol& in_place,
                        const std::string& where) {
  EXPECT_EQ(read.name, in_place.name) << where;
  EXPECT_EQ(read.binding, in_place.binding) << where;
  EXPECT_EQ(read.type, in_place.type) << where;
  EXPECT_EQ(read.visibility, in_place.visibility) << where;
  EXPECT_EQ(read.section_index, in_place.section_index) << where;
  EXPECT_EQ(read.section_name, in_place.section_name) << where;
  EXPECT_EQ(read.value, in_place.value) << where;
  EXPECT_EQ(read.size, in_place.size) << where;
  EXPECT_EQ(read.version, in_place.version) << where;
  EXPECT_EQ(read.version_hidden, in_place.version_hidden) << where;
  EXPECT_EQ(read.file, in_place.file) << where;
}

void expect_same_tables(const std::string& path) {
  const elf::ReadOutcome read = elf::read_image(path);
  ASSERT_TRUE(std::holds_alternative<elf::Image>(read)) << path;
  const elf::Image& image = std::get<elf::Image>(read);
  for (const std::uint64_t whole : kReadWays) {
    const elf::SymbolIndexOutcome outcome = elf::read_symbol_index(path, whole);
    ASSERT_TRUE(std::holds_alternative<SymbolIndex>(outcome)) << path;
    const SymbolIndex& index = std::get<SymbolIndex>(outcome);
    EXPECT_EQ(index.image().version_definitions, image.version_definitions) << path;
    EXPECT_EQ(index.image().dynamic.needed, image.dynamic.needed) << path;
    ASSERT_EQ(index.has_symbol_table(), image.symbol_table.has_value()) << path;
    const std::pair<SymbolTable, const std::vector<elf::Symbol>*> tables[] = {
        {SymbolTable::Dynamic, &image.dynamic_symbols},
        {SymbolTable::Static, image.symbol_table ? &*image.symbol_table : nullptr}};
    for (const auto& [table, symbols] : tables) {
      if (symbols == nullptr) continue;
      ASSERT_EQ(index.size(table), symbols->size() + 1) << path;  // + the null entry
      for (std::size_t i = 1; i < index.size(table); ++i) {
        const elf::SymbolRef ref = index.at(table, i);
        const std::string where = path + " entry " + std::to_string(i) + " " + ref.name;
        expect_same_symbol((*symbols)[i - 1], index.materialise(table, ref), where);
        EXPECT_TRUE(index.name_is(table, i, ref.name, std::char_traits<char>::length(ref.name)))
            << where;
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

TEST(SymbolIndex, ListsWhatReadImageListsForThisProgram) { expect_same_tables(self_path()); }

TEST(SymbolIndex, ListsWhatReadImageListsForTheLibrary) {
  const std::string path = library_path();
  if (path.empty()) GTEST_SKIP() << "dladdr cannot name libdldoctor";
  expect_same_tables(path);
}

TEST(SymbolIndex, ListsWhatReadImageListsForLibc) {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&::getpid), &info) == 0 || info.dli_fname == nullptr)
    GTEST_SKIP() << "dladdr cannot name libc";
  expect_same_tables(info.dli_fname);
}

TEST(SymbolIndex, MalformedFilesGiveReadImagesMessages) {
  const fs::path data = DLDOCTOR_TEST_DATA;
  if (data.empty() || !fs::is_directory(data)) GTEST_SKIP() << "no test data directory";
  int files = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(data)) {
    if (entry.path().extension() != ".elf") continue;
    ++files;
    const std::string path = entry.path().string();
    const elf::ReadOutcome read = elf::read_image(path);
    for (const std::uint64_t whole : kReadWays) {
      const elf::SymbolIndexOutcome outcome = elf::read_symbol_index(path, whole);
      ASSERT_EQ(std::holds_alternative<elf::ReadError>(read),
                std::holds_alternative<elf::ReadError>(outcome))
          << path;
      if (const auto* error = std::get_if<elf::ReadError>(&read)) {
        EXPECT_EQ(std::get<elf::ReadError>(outcome).message, error->message) << path;
      }
    }
  }
  EXPECT_GT(files, 0);
  const elf::SymbolIndexOutcome missing = elf::read_symbol_index("/nonexistent/dldoctor.so");
  ASSERT_TRUE(std::holds_alternative<elf::ReadError>(missing));
  EXPECT_EQ(std::get<elf::ReadError>(missing).message,
            std::get<elf::ReadError>(elf::read_image("/nonexistent/dldoctor.so")).message);
}

void expect_units_as_libdw(const std::string& path) {
  const std::vector<elf::CompileUnit> expected = elf::compile_units(path);
  for (const std::uint64_t whole : kReadWays) {
    const elf::SymbolIndexOutcome outcome = elf::read_symbol_index(path, whole);
    ASSERT_TRUE(std::holds_alternative<SymbolIndex>(outcome)) << path;
    const SymbolIndex& index = std::get<SymbolIndex>(outcome);
    ASSERT_FALSE(index.debug_sections().needs_libdw)
        << path << ": this test wants the small reader";
    // No range covers this address: every unit, as libdw walks them.
    const std::vector<elf::CompileUnit> units = elf::compile_units_at(
        path, index.file_bytes(), index.debug_sections(), index.big_endian(), ~std::uint64_t{0});
    ASSERT_EQ(units.size(), expected.size()) << path;
    for (std::size_t i = 0; i < units.size(); ++i) {
      EXPECT_EQ(units[i].source, expected[i].source) << path;
      EXPECT_EQ(units[i].producer, expected[i].producer) << path;
    }
  }
}

TEST(DwarfUnits, EveryUnitAsLibdwReadsThemForThisProgram) { expect_units_as_libdw(self_path()); }

TEST(DwarfUnits, EveryUnitAsLibdwReadsThemForTheLibrary) {
  const std::string path = library_path();
  if (path.empty()) GTEST_SKIP() << "dladdr cannot name libdldoctor";
  expect_units_as_libdw(path);
}

TEST(DwarfUnits, AFunctionsUnitIsTheOneThatDefinesIt) {
  EXPECT_EQ(dldoctor_unit_probe(1), 4);
  const std::string path = self_path();
  for (const std::uint64_t whole : kReadWays) {
    const elf::SymbolIndexOutcome outcome = elf::read_symbol_index(path, whole);
    ASSERT_TRUE(std::holds_alternative<SymbolIndex>(outcome));
    const SymbolIndex& index = std::get<SymbolIndex>(outcome);
    ASSERT_TRUE(index.has_symbol_table()) << path << " is stripped";
    const std::string name = "dldoctor_unit_probe";
    std::optional<elf::SymbolRef> probe;
    for (std::size_t i = 1; i < index.size(SymbolTable::Static) && !probe; ++i)
      if (index.name_is(SymbolTable::Static, i, name.data(), name.size()))
        probe = index.at(SymbolTable::Static, i);
    ASSERT_TRUE(probe.has_value()) << "no " << name << " in " << path << "'s .symtab";
    const std::vector<elf::CompileUnit> units = elf::compile_units_at(
        path, index.file_bytes(), index.debug_sections(), index.big_endian(), probe->value);
    ASSERT_EQ(units.size(), 1u) << "the unit of " << name;
    EXPECT_TRUE(units.front().source.ends_with("symbol_rules_test.cpp")) << units.front().source;
    // The compiler that built this test: gcc's producer says "GNU C++20 ...", clang's "... clang
    // version ..." (and clang writes no .debug_aranges: the unit is found from its ranges).
#ifdef __clang__
    EXPECT_NE(units.front().producer.find("clang"), std::string::npos) << units.front().producer;
#else
    EXPECT_NE(units.front().producer.find("GNU"), std::string::npos) << units.front().producer;
#endif
  }
}

// A small DWARF 5 image made by hand: two compile units, A covering 0x1000..0x10ff and B
// 0x2000..0x20ff in .debug_aranges, their top DIEs with a producer (DW_FORM_strp), a name
// (DW_FORM_line_strp) and a compilation directory (DW_FORM_string).
struct HandMadeDwarf {
  std::string image;
  elf::DebugSections sections;
};

HandMadeDwarf hand_made_dwarf(bool big_endian) {
  // width is at most 8: a wider field is written as several numbers.
  const auto number = [big_endian](std::uint64_t value, int width) {
    std::string bytes;
    for (int i = 0; i < width; ++i) {
      const int shift = 8 * (big_endian ? width - 1 - i : i);
      bytes += static_cast<char>((value >> shift) & 0xff);
    }
    return bytes;
  };
  std::string abbrev;
  for (const int byte : {1, 0x11, 0,  // code 1: DW_TAG_compile_unit, no children
                         0x25, 0x0e, 0x03, 0x1f, 0x1b, 0x08,  // producer strp, name line_strp, dir
                         0x11, 0x01, 0x12, 0x07, 0, 0, 0})    // low_pc addr, high_pc data8; end
    abbrev += static_cast<char>(byte);
  static constexpr char kStr[] = "GNU C++20 -O2\0GNU C++20 -fvisibility=hidden";  // at 0 and 14
  static constexpr char kLineStr[] = "a.cpp\0b.cpp";                              // at 0 and 6
  const std::string str(kStr, sizeof kStr);  // the final NUL included
  const std::string line_str(kLineStr, sizeof kLineStr);
  std::string info;
  const auto unit = [&](std::uint64_t producer, std::uint64_t name, std::uint64_t low) {
    const std::string body = number(5, 2) + std::string(1, '\x01') + std::string(1, '\x08') +
                             number(0, 4) + std::string(1, '\x01') + number(producer, 4) +
                             number(name, 4) + std::string("/src\0", 5) + number(low, 8) +
                             number(0x100, 8);
    info += number(body.size(), 4) + body;
  };
  unit(0, 0, 0x1000);
  const std::uint64_t second = info.size();
  unit(14, 6, 0x2000);
  std::string aranges;
  for (const auto& [unit_offset, low] : {std::pair<std::uint64_t, std::uint64_t>{0, 0x1000},
                                         std::pair<std::uint64_t, std::uint64_t>{second, 0x2000}}) {
    const std::string body = number(2, 2) + number(unit_offset, 4) + std::string(1, '\x08') +
                             std::string(1, '\0') + std::string(4, '\0') +  // to 16 bytes
                             number(low, 8) + number(0x100, 8) + number(0, 8) + number(0, 8);
    aranges += number(body.size(), 4) + body;
  }
  HandMadeDwarf dwarf;
  const auto add = [&](const std::string& bytes, elf::SectionRange& range) {
    range = elf::SectionRange{true, dwarf.image.size(), bytes.size()};
    dwarf.image += bytes;
  };
  add(info, dwarf.sections.info);
  add(abbrev, dwarf.sections.abbrev);
  add(str, dwarf.sections.str);
  add(line_str, dwarf.sections.line_str);
  add(aranges, dwarf.sections.aranges);
  return dwarf;
}

TEST(DwarfUnits, HandMadeUnitsAreReadInEitherByteOrder) {
  for (const bool big_endian : {false, true}) {
    const HandMadeDwarf dwarf = hand_made_dwarf(big_endian);
    const elf::FileBytes bytes{-1, dwarf.image.data(), dwarf.image.size()};
    const auto b = elf::units_for_address(bytes, dwarf.sections, big_endian, 0x2010);
    ASSERT_TRUE(b.has_value()) << big_endian;
    ASSERT_EQ(b->size(), 1u);
    EXPECT_EQ(b->front().name, "b.cpp");
    EXPECT_EQ(b->front().comp_dir, "/src");
    EXPECT_EQ(b->front().producer, "GNU C++20 -fvisibility=hidden");
    const auto a = elf::units_for_address(bytes, dwarf.sections, big_endian, 0x10ff);
    ASSERT_TRUE(a.has_value());
    ASSERT_EQ(a->size(), 1u);
    EXPECT_EQ(a->front().producer, "GNU C++20 -O2");
    // 0x1100 is past A's range and before B's: every unit.
    const auto every = elf::units_for_address(bytes, dwarf.sections, big_endian, 0x1100);
    ASSERT_TRUE(every.has_value());
    ASSERT_EQ(every->size(), 2u);
    EXPECT_EQ((*every)[0].name, "a.cpp");
    EXPECT_EQ((*every)[1].name, "b.cpp");
  }
}

// Bytes of broken DWARF never make the small reader read out of bounds, loop, or throw: it
// answers or declines.
TEST(DwarfUnits, DamagedSectionsAreAnsweredOrDeclined) {
  std::mt19937 random(7);
  int answered = 0;
  int declined = 0;
  for (int round = 0; round < 20000; ++round) {
    const bool big_endian = round % 2 == 1;
    HandMadeDwarf dwarf = hand_made_dwarf(big_endian);
    for (int flips = 1 + static_cast<int>(random() % 4); flips > 0; --flips)
      dwarf.image[random() % dwarf.image.size()] = static_cast<char>(random());
    // Sometimes the sections claim more than there is.
    if (round % 7 == 0) dwarf.sections.info.size += random() % 64;
    if (round % 11 == 0) dwarf.sections.aranges.size += random() % 64;
    const elf::FileBytes bytes{-1, dwarf.image.data(), dwarf.image.size()};
    const std::uint64_t address = round % 3 == 0 ? 0x2010 : random() % 0x3000;
    if (elf::units_for_address(bytes, dwarf.sections, big_endian, address).has_value())
      ++answered;
    else
      ++declined;
  }
  EXPECT_GT(answered, 0);
  EXPECT_GT(declined, 0);
}

// The reference: every exportable .dynsym name scored, sorted, the first three kept.
std::string function_name(const std::string& demangled) {
  int depth = 0;
  for (std::size_t i = 0; i < demangled.size(); ++i) {
    if (demangled[i] == '<') ++depth;
    if (demangled[i] == '>') --depth;
    if (demangled[i] == '(' && depth == 0) return demangled.substr(0, i);
  }
  return demangled;
}

std::vector<std::string> reference_near(const elf::Image& image, const std::string& name) {
  const std::size_t allowed = std::max<std::size_t>(2, name.size() / 4);
  const auto lower = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  std::vector<std::pair<std::size_t, std::string>> near;
  for (const elf::Symbol& symbol : image.dynamic_symbols) {
    if (!exportable(symbol.binding, symbol.type, symbol.visibility, symbol.defined())) continue;
    const std::string plain =
        symbol.name.rfind("_Z", 0) == 0 ? function_name(demangle(symbol.name)) : symbol.name;
    std::size_t score = std::min(full_distance(name, plain), allowed + 1);
    if (score > 0 && plain.size() == name.size() && lower(plain) == lower(name)) score = 0;
    const bool prefix = plain.size() > 3 && name.size() > 3 &&
                        (plain.rfind(name, 0) == 0 || name.rfind(plain, 0) == 0);
    if (score <= allowed || prefix)
      near.emplace_back(prefix ? std::min(score, allowed) : score, symbol.name);
  }
  std::sort(near.begin(), near.end());
  std::vector<std::string> names;
  for (std::size_t i = 0; i < near.size() && i < 3; ++i) names.push_back(near[i].second);
  return names;
}

TEST(NearNames, AreTheFirstThreeOfAFullSort) {
  const std::string path = library_path();
  if (path.empty()) GTEST_SKIP() << "dladdr cannot name libdldoctor";
  const elf::ReadOutcome read = elf::read_image(path);
  ASSERT_TRUE(std::holds_alternative<elf::Image>(read));
  const elf::SymbolIndexOutcome outcome = elf::read_symbol_index(path);
  ASSERT_TRUE(std::holds_alternative<SymbolIndex>(outcome));
  const SymbolIndex& index = std::get<SymbolIndex>(outcome);
  ASSERT_TRUE(index.has_symbol_table()) << path << " is stripped";
  int compared = 0;
  for (const std::string name :
       {"dldoctor::diagnos", "dldoctor::diagnosee", "DLDOCTOR::DIAGNOSE", "dldoctor::to_strin",
        "dldoctor::elf::read_imag", "read_image", "dldoctor::Library::opn", "x", "dldoctor::"}) {
    const SymbolVerdict verdict = classify_symbol(index, name);
    if (verdict.kind != SymbolVerdict::Kind::Absent) continue;  // e.g. a C++ name after all
    ++compared;
    EXPECT_EQ(verdict.near, reference_near(std::get<elf::Image>(read), name)) << name;
  }
  EXPECT_GE(compared, 5);
}

// ---- Small plugins built here: the near-name cut-off and what visibility lets dlsym find ----

// A fresh directory, removed when the test leaves its scope.
testing::ProcessOptions test_environment() { return testing::clean_environment(); }

// cc -shared -fPIC: the plugin at dir/name from source; "" and a test failure when it fails.
std::string build_plugin(const fs::path& dir, const std::string& name, const std::string& source) {
  const fs::path c = dir / (name + ".c");
  std::ofstream(c) << source;
  const fs::path out = dir / name;
  const testing::ProcessResult built = testing::run_process(
      {DLDOCTOR_CC, "-shared", "-fPIC", "-o", out.string(), c.string()}, test_environment());
  EXPECT_EQ(built.exit_status, 0) << "cc: " << built.describe() << "\n" << built.err;
  return built.exit_status == 0 ? out.string() : "";
}

std::vector<std::string> near_names_of(const std::string& path, const std::string& name) {
  const elf::SymbolIndexOutcome outcome = elf::read_symbol_index(path);
  if (!std::holds_alternative<SymbolIndex>(outcome)) {
    ADD_FAILURE() << path << ": " << std::get<elf::ReadError>(outcome).message;
    return {};
  }
  const SymbolVerdict verdict = classify_symbol(std::get<SymbolIndex>(outcome), name);
  EXPECT_EQ(verdict.kind, SymbolVerdict::Kind::Absent) << name << " is in " << path;
  EXPECT_EQ(verdict.code, "symbol.not-found") << name;
  return verdict.near;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The cut-off is max(2, length / 4) edits: for an 8-letter name 2, for a 24-letter name 6. A name
// exactly that far is suggested, one edit further is not (neither is a prefix of the other, nor
// the same letters in another case: those rules suggest at any distance).
TEST(NearNames, AreSuggestedUpToMaxOfTwoAndAQuarterOfTheLengthAndNoFurther) {
  struct Probe {
    std::string asked;
    std::size_t allowed;
    std::string at_the_cut_off;
    std::string just_past_it;
  };
  const Probe probes[] = {
      {"getvalue", 2, "gexvaxue", "gexvaxux"},
      {"dldoctor_probe_long_name", 6, "dlXoXtoX_pXobX_lXng_name", "dlXoXtoX_pXobX_lXng_Xame"},
  };
  ScratchDirectory scratch;
  ASSERT_FALSE(scratch.path.empty());
  std::string source;
  for (const Probe& probe : probes) {
    ASSERT_EQ(full_distance(probe.asked, probe.at_the_cut_off), probe.allowed) << probe.asked;
    ASSERT_EQ(full_distance(probe.asked, probe.just_past_it), probe.allowed + 1) << probe.asked;
    source += "int " + probe.at_the_cut_off + "(void) { return 1; }\n";
    source += "int " + probe.just_past_it + "(void) { return 2; }\n";
  }
  const std::string plugin = build_plugin(scratch.path, "near.so", source);
  ASSERT_FALSE(plugin.empty());
  for (const Probe& probe : probes) {
    const std::vector<std::string> near = near_names_of(plugin, probe.asked);
    EXPECT_TRUE(contains(near, probe.at_the_cut_off))
        << probe.at_the_cut_off << " is " << probe.allowed << " edits from " << probe.asked
        << " (the cut-off for " << probe.asked.size() << " letters) and must be suggested; got "
        << ::testing::PrintToString(near);
    EXPECT_FALSE(contains(near, probe.just_past_it))
        << probe.just_past_it << " is " << probe.allowed + 1 << " edits from " << probe.asked
        << ", past the cut-off of " << probe.allowed << ", and must not be suggested; got "
        << ::testing::PrintToString(near);
  }
}

// Sets the visibility (the low bits of st_other) of every entry named name, in .dynsym and
// .symtab, keeping the file's layout. Returns how many entries it changed.
int set_visibility(const std::string& path, const std::string& name, unsigned char visibility) {
  if (::elf_version(EV_CURRENT) == EV_NONE) return 0;
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return 0;
  Elf* elf = ::elf_begin(fd, ELF_C_RDWR, nullptr);
  int changed = 0;
  if (elf != nullptr) {
    ::elf_flagelf(elf, ELF_C_SET, ELF_F_LAYOUT);
    for (Elf_Scn* section = ::elf_nextscn(elf, nullptr); section != nullptr;
         section = ::elf_nextscn(elf, section)) {
      GElf_Shdr header{};
      if (::gelf_getshdr(section, &header) == nullptr ||
          (header.sh_type != SHT_DYNSYM && header.sh_type != SHT_SYMTAB) || header.sh_entsize == 0)
        continue;
      Elf_Data* data = ::elf_getdata(section, nullptr);
      for (std::size_t i = 0; data != nullptr && i < header.sh_size / header.sh_entsize; ++i) {
        GElf_Sym symbol{};
        if (::gelf_getsym(data, static_cast<int>(i), &symbol) == nullptr) continue;
        const char* text = ::elf_strptr(elf, header.sh_link, symbol.st_name);
        if (text == nullptr || name != text) continue;
        symbol.st_other = static_cast<unsigned char>((symbol.st_other & ~0x3) | visibility);
        ::gelf_update_sym(data, static_cast<int>(i), &symbol);
        ::elf_flagdata(data, ELF_C_SET, ELF_F_DIRTY);
        ++changed;
      }
    }
    if (::elf_update(elf, ELF_C_WRITE) < 0) changed = 0;
    ::elf_end(elf);
  }
  ::close(fd);
  return changed;
}

// dldoctor check --json --symbol NAME PATH: the public path.
nlohmann::json check_symbol(const std::string& path, const std::string& name, int& exit_status) {
  const testing::ProcessResult run = testing::run_process(
      {DLDOCTOR_EXE, "check", "--json", "--symbol", name, path}, test_environment());
  exit_status = run.exit_status.value_or(-1);
  try {
    return nlohmann::json::parse(run.out);
  } catch (const nlohmann::json::exception& error) {
    ADD_FAILURE() << "dldoctor check printed no JSON (" << error.what() << "): " << run.out
                  << run.err;
    return nlohmann::json::object();
  }
}

// dlsym finds GLOBAL entries of default or protected visibility; glibc's do_lookup_x skips
// hidden and internal ones ("Hidden and internal symbols are local, ignore them") even when a
// tool left them GLOBAL in .dynsym. Hidden and internal entries are made here by editing
// st_other of a built plugin (ld itself makes such symbols local); protected is compiled.
TEST(Exportable, HiddenAndInternalEntriesAreNotExportedAProtectedOneIs) {
  ScratchDirectory scratch;
  ASSERT_FALSE(scratch.path.empty());
  const std::string plugin = build_plugin(
      scratch.path, "visibility.so",
      "int dldoctor_vis_hidden(void) { return 1; }\n"
      "int dldoctor_vis_internal(void) { return 2; }\n"
      "__attribute__((visibility(\"protected\"))) int dldoctor_vis_protected(void) { return 3; }\n"
      "int dldoctor_vis_default(void) { return 4; }\n");
  ASSERT_FALSE(plugin.empty());
  ASSERT_EQ(set_visibility(plugin, "dldoctor_vis_hidden", STV_HIDDEN), 2) << ".dynsym and .symtab";
  ASSERT_EQ(set_visibility(plugin, "dldoctor_vis_internal", STV_INTERNAL), 2);

  // The entries are still GLOBAL FUNC in .dynsym, with the visibility asked for.
  const elf::ReadOutcome read = elf::read_image(plugin);
  ASSERT_TRUE(std::holds_alternative<elf::Image>(read));
  const auto dynamic_entry = [&](const std::string& name) -> const elf::Symbol* {
    for (const elf::Symbol& symbol : std::get<elf::Image>(read).dynamic_symbols)
      if (symbol.name == name) return &symbol;
    return nullptr;
  };
  for (const auto& [name, visibility] :
       {std::pair<std::string, unsigned char>{"dldoctor_vis_hidden", STV_HIDDEN},
        {"dldoctor_vis_internal", STV_INTERNAL},
        {"dldoctor_vis_protected", STV_PROTECTED},
        {"dldoctor_vis_default", STV_DEFAULT}}) {
    const elf::Symbol* entry = dynamic_entry(name);
    ASSERT_NE(entry, nullptr) << name << " is not in .dynsym";
    EXPECT_EQ(entry->binding, STB_GLOBAL) << name;
    EXPECT_EQ(entry->visibility, visibility) << name;
  }

  for (const std::string name : {"dldoctor_vis_hidden", "dldoctor_vis_internal"}) {
    SCOPED_TRACE(name);
    const std::optional<Finding> finding = explain_unexported(plugin, name);
    ASSERT_TRUE(finding.has_value()) << name << " must not count as exported";
    EXPECT_EQ(finding->family, Family::UnexportedSymbol);
    EXPECT_NE(finding->summary.find(name), std::string::npos) << finding->summary;
    int exit_status = 0;
    const nlohmann::json report = check_symbol(plugin, name, exit_status);
    EXPECT_EQ(exit_status, 1) << report.dump(2);
    ASSERT_TRUE(report.contains("findings") && !report["findings"].empty()) << report.dump(2);
    EXPECT_EQ(report["findings"][0]["family"], "unexported-symbol") << report.dump(2);
    EXPECT_EQ(report["findings"][0]["severity"], "error") << report.dump(2);
    EXPECT_NE(report["findings"][0]["summary"].get<std::string>().find(name), std::string::npos)
        << report.dump(2);
  }
  for (const std::string name : {"dldoctor_vis_protected", "dldoctor_vis_default"}) {
    SCOPED_TRACE(name);
    const std::optional<Finding> finding = explain_unexported(plugin, name);
    EXPECT_FALSE(finding.has_value()) << name << " is exported, but: " << finding->summary;
    int exit_status = 1;
    const nlohmann::json report = check_symbol(plugin, name, exit_status);
    EXPECT_EQ(exit_status, 0) << report.dump(2);
    EXPECT_TRUE(report.value("findings", nlohmann::json::array()).empty()) << report.dump(2);
  }
}

}  // namespace
}  // namespace dldoctor
