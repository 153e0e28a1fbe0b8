// The DWARF prototype reader on real plugins (tests/unit/fixtures, built with -g at build time):
// it gives back the prototypes and layouts the sources declare, as the compiler laid them out
// for this very test (offsetof), says "no debug information" for the stripped copy, and returns
// on hostile files: the malformed ELF files of tests/data and a copy whose type references loop.
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gtest/gtest.h>
#include <libelf.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "signature/compare.hpp"
#include "signature/dwarf_prototype.hpp"
#include "signature/parse.hpp"
#include "signature_types.h"

#ifndef DLDOCTOR_SIGNATURE_C
#define DLDOCTOR_SIGNATURE_C ""
#endif
#ifndef DLDOCTOR_SIGNATURE_CXX
#define DLDOCTOR_SIGNATURE_CXX ""
#endif
#ifndef DLDOCTOR_SIGNATURE_STRIPPED
#define DLDOCTOR_SIGNATURE_STRIPPED ""
#endif
#ifndef DLDOCTOR_TEST_DATA
#define DLDOCTOR_TEST_DATA ""
#endif

namespace fs = std::filesystem;

namespace dldoctor::signature {
namespace {

const std::string kC = DLDOCTOR_SIGNATURE_C;
const std::string kCxx = DLDOCTOR_SIGNATURE_CXX;
const std::string kStripped = DLDOCTOR_SIGNATURE_STRIPPED;

Declaration declaration(const std::string& path, const std::string& symbol) {
  Described<Declaration> read = read_declaration(path, symbol);
  if (const NotDescribed* failed = std::get_if<NotDescribed>(&read)) {
    ADD_FAILURE() << symbol << " in " << path << ": " << failed->reason;
    return {};
  }
  return std::get<Declaration>(read);
}

std::string prototype(const std::string& path, const std::string& symbol) {
  const Declaration read = declaration(path, symbol);
  return to_string(read.function, read.name);
}

FunctionType asked(const std::string& signature) {
  Parsed<Signature> parsed = parse_signature(signature);
  if (const ParseError* error = std::get_if<ParseError>(&parsed)) {
    ADD_FAILURE() << signature << ": " << error->message;
    return {};
  }
  return *std::get<Signature>(parsed).function();
}

const Field* field(const Type& record, const std::string& name) {
  if (!record.layout) return nullptr;
  for (const Field& each : record.layout->fields)
    if (each.name == name) return &each;
  return nullptr;
}

void expect_point_layout(const Type& point) {
  ASSERT_EQ(point.kind, Type::Kind::Record);
  ASSERT_TRUE(point.layout.has_value()) << to_string(point);
  EXPECT_EQ(point.name, "point");
  EXPECT_EQ(point.tag, RecordTag::Struct);
  EXPECT_EQ(point.layout->size, sizeof(struct point));
  ASSERT_EQ(point.layout->fields.size(), 4u);
  EXPECT_EQ(field(point, "x")->offset, offsetof(struct point, x));
  EXPECT_EQ(field(point, "y")->offset, offsetof(struct point, y));
  EXPECT_EQ(field(point, "tag")->offset, offsetof(struct point, tag));
  EXPECT_EQ(field(point, "z")->offset, offsetof(struct point, z));
  EXPECT_EQ(to_string(*field(point, "y")->type), "double");
  EXPECT_EQ(to_string(*field(point, "z")->type), "long");
}

TEST(DwarfPrototype, ReadsACFunctionsPrototype) {
  const Declaration add = declaration(kC, "add");
  EXPECT_EQ(add.kind, Declaration::Kind::Function);
  EXPECT_EQ(to_string(add.function, add.name), "int add(int, int)");
  EXPECT_TRUE(add.is_definition);
  EXPECT_TRUE(add.linkage_name.empty());
  EXPECT_EQ(add.source, "signature_plugin.c:17");
  EXPECT_TRUE(compare_functions(asked("add=int(int, int)"), add.function).empty());
}

TEST(DwarfPrototype, SeesThroughTypedefsToTheirTargets) {
  EXPECT_EQ(prototype(kC, "scale"), "double scale(struct point*, unsigned long)");
  EXPECT_EQ(prototype(kC, "hash64"), "unsigned long hash64(const void*, unsigned long)");
  EXPECT_TRUE(compare_functions(asked("hash64=uint64_t(const void*, size_t)"),
                                declaration(kC, "hash64").function)
                  .empty());
  // The typedef's name stays beside the type.
  EXPECT_EQ(declaration(kC, "hash64").function.return_type->alias, "uint64_t");
}

TEST(DwarfPrototype, AStructParametersLayoutIsTheCompilers) {
  const Declaration scale = declaration(kC, "scale");
  ASSERT_EQ(scale.function.parameters.size(), 2u);
  ASSERT_EQ(scale.function.parameters[0]->kind, Type::Kind::Pointer);
  expect_point_layout(*scale.function.parameters[0]->target);
}

TEST(DwarfPrototype, VariadicAndCallbackParameters) {
  const Declaration log = declaration(kC, "log_message");
  EXPECT_TRUE(log.function.variadic);
  EXPECT_EQ(to_string(log.function, log.name), "void log_message(const char*, ...)");
  EXPECT_EQ(prototype(kC, "apply"), "int apply(int (*)(int), int)");
}

TEST(DwarfPrototype, ASelfReferentialStructEndsAsItsName) {
  const Declaration sum = declaration(kC, "list_sum");
  EXPECT_EQ(to_string(sum.function, sum.name), "int list_sum(const struct node*)");
  const Type& node = *sum.function.parameters[0]->target;
  ASSERT_TRUE(node.layout.has_value());
  EXPECT_EQ(node.layout->size, sizeof(struct node));
  EXPECT_EQ(field(node, "value")->offset, offsetof(struct node, value));
  const Type& next = *field(node, "next")->type;
  ASSERT_EQ(next.kind, Type::Kind::Pointer);
  EXPECT_EQ(next.target->name, "node");
}

TEST(DwarfPrototype, AnAnonymousStructIsNamedByItsTypedef) {
  const Declaration pair = declaration(kC, "make_pair");
  const Type& returned = *pair.function.return_type;
  EXPECT_EQ(returned.name, "pair_t");
  ASSERT_TRUE(returned.layout.has_value());
  EXPECT_EQ(returned.layout->size, sizeof(pair_t));
  EXPECT_EQ(field(returned, "b")->offset, offsetof(pair_t, b));
}

TEST(DwarfPrototype, EnumsVoidListsAndStructsReturnedInMemory) {
  const Declaration color = declaration(kC, "next_color");
  EXPECT_EQ(color.function.return_type->kind, Type::Kind::Enum);
  EXPECT_EQ(size_of(*color.function.return_type), sizeof(enum color));
  const Declaration none = declaration(kC, "no_parameters");
  EXPECT_TRUE(none.function.parameters.empty());
  EXPECT_TRUE(none.function.prototyped);
  EXPECT_EQ(to_string(none.function, none.name), "int no_parameters(void)");
  expect_point_layout(*declaration(kC, "origin").function.return_type);
}

TEST(DwarfPrototype, AKAndRDefinitionIsUnprototyped) {
  const Declaration old_style = declaration(kC, "old_style");
  EXPECT_FALSE(old_style.function.prototyped);
  ASSERT_EQ(old_style.function.parameters.size(), 1u);
  EXPECT_EQ(old_style.function.parameters[0]->builtin, Builtin::Float);
  const auto differences = compare_functions(asked("old_style=int(float)"), old_style.function);
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_EQ(differences[0].kind, DifferenceKind::Unprototyped);
}

TEST(DwarfPrototype, ReadsDataObjectsWithTheirSizes) {
  const Declaration counter = declaration(kC, "counter");
  EXPECT_EQ(counter.kind, Declaration::Kind::Object);
  EXPECT_EQ(to_string(*counter.type), "long");
  EXPECT_EQ(counter.size, sizeof(long));
  const Declaration table = declaration(kC, "table");
  EXPECT_EQ(to_string(*table.type), "int[16]");
  EXPECT_EQ(table.size, 16 * sizeof(int));
  expect_point_layout(*declaration(kC, "here").type);
}

TEST(DwarfPrototype, FindsARecordAnywhereInTheFile) {
  for (const char* name : {"point", "struct point"}) {
    Described<TypeRef> point = read_record(kC, name);
    ASSERT_TRUE(std::holds_alternative<TypeRef>(point)) << name;
    expect_point_layout(*std::get<TypeRef>(point));
  }
  Described<TypeRef> pair = read_record(kC, "pair_t");
  ASSERT_TRUE(std::holds_alternative<TypeRef>(pair));
  EXPECT_EQ(std::get<TypeRef>(pair)->layout->size, sizeof(pair_t));
  EXPECT_TRUE(std::holds_alternative<NotDescribed>(read_record(kC, "no_such_record")));
}

// This test program is the host: built with -g against signature_types.h, whose config_v1 is the
// plugin's struct config before the plugin added a field.
struct config_v1 host_config = {1, 0, "host"};

TEST(DwarfPrototype, TheHostsLayoutAgainstThePluginsNamesTheFieldThatMoved) {
  Described<TypeRef> host = read_record("/proc/self/exe", "config_v1");
  if (const NotDescribed* failed = std::get_if<NotDescribed>(&host))
    GTEST_SKIP() << "this test program has no DWARF for config_v1: " << failed->reason;
  Described<TypeRef> plugin = read_record(kC, "config");
  ASSERT_TRUE(std::holds_alternative<TypeRef>(plugin));
  const Type& host_layout = *std::get<TypeRef>(host);
  ASSERT_TRUE(host_layout.layout.has_value());
  EXPECT_EQ(host_layout.layout->size, sizeof(struct config_v1));
  EXPECT_EQ(field(host_layout, "name")->offset, offsetof(struct config_v1, name));
  Type host_config_type = host_layout;
  host_config_type.name = "config";  // the same struct, as the host's header named it then
  const auto differences = compare_layouts(host_config_type, *std::get<TypeRef>(plugin));
  std::string all;
  for (const Difference& difference : differences) all += to_string(difference) + "\n";
  EXPECT_NE(
      all.find("field 'name' of config is at offset " +
               std::to_string(offsetof(struct config_v1, name)) + " in the host, 16 in the plugin"),
      std::string::npos)
      << all;
  EXPECT_NE(all.find("the plugin has 'timeout' before it"), std::string::npos) << all;
  EXPECT_EQ(host_config.version, 1);
}

TEST(DwarfPrototype, ReadsCxxFunctionsByTheirLinkageNames) {
  const Declaration area = declaration(kCxx, "_ZN3geo4areaEll");
  EXPECT_EQ(area.name, "geo::area");
  EXPECT_EQ(area.linkage_name, "_ZN3geo4areaEll");
  EXPECT_EQ(to_string(area.function, area.name), "long geo::area(long, long)");
  EXPECT_EQ(prototype(kCxx, "_ZN3geo4areaEdd"), "double geo::area(double, double)");
  EXPECT_EQ(prototype(kCxx, "_ZN3geo6widestExh"),
            "long long geo::widest(long long, unsigned char)");
  EXPECT_EQ(prototype(kCxx, "_ZN3geo7biggestIiEET_S1_S1_"), "int geo::biggest<int>(int, int)");
  EXPECT_EQ(prototype(kCxx, "c_entry"), "int c_entry(unsigned int, const point*)");
}

TEST(DwarfPrototype, AMemberFunctionHasItsThisAStaticOneHasNone) {
  const Declaration perimeter = declaration(kCxx, "_ZNK3geo5Shape9perimeterEd");
  EXPECT_EQ(perimeter.name, "geo::Shape::perimeter");
  ASSERT_TRUE(perimeter.function.implicit_this);
  EXPECT_EQ(to_string(*perimeter.function.implicit_this), "const geo::Shape*");
  EXPECT_EQ(to_string(perimeter.function, perimeter.name), "double geo::Shape::perimeter(double)");
  const Declaration make = declaration(kCxx, "_ZN3geo5Shape4makeEi");
  EXPECT_FALSE(make.function.implicit_this);
  EXPECT_EQ(to_string(make.function, make.name), "geo::Shape* geo::Shape::make(int)");
}

TEST(DwarfPrototype, StdStringIsTheTypeTheUserWrites) {
  const Declaration length =
      declaration(kCxx, "_ZN3geo6lengthERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE");
  EXPECT_TRUE(
      compare_functions(asked("geo::length=size_t(const std::string&)"), length.function).empty())
      << to_string(length.function, length.name);
}

TEST(DwarfPrototype, ReadsACxxDataObject) {
  const Declaration counter = declaration(kCxx, "_ZN3geo7counterE");
  EXPECT_EQ(counter.kind, Declaration::Kind::Object);
  EXPECT_EQ(counter.name, "geo::counter");
  EXPECT_EQ(counter.size, sizeof(int));
}

TEST(DwarfPrototype, SaysWhyItHasNoAnswer) {
  Described<Declaration> stripped = read_declaration(kStripped, "add");
  ASSERT_TRUE(std::holds_alternative<NotDescribed>(stripped));
  EXPECT_EQ(std::get<NotDescribed>(stripped).why, NotDescribed::Why::NoDebugInfo);
  EXPECT_NE(std::get<NotDescribed>(stripped).reason.find("no debug information"),
            std::string::npos);

  Described<Declaration> missing = read_declaration(kC, "no_such_function");
  ASSERT_TRUE(std::holds_alternative<NotDescribed>(missing));
  EXPECT_EQ(std::get<NotDescribed>(missing).why, NotDescribed::Why::NoEntry);

  Described<Declaration> absent = read_declaration("/nonexistent/plugin.so", "add");
  ASSERT_TRUE(std::holds_alternative<NotDescribed>(absent));
  EXPECT_EQ(std::get<NotDescribed>(absent).why, NotDescribed::Why::CannotOpen);
}

const char* const kFixtureNames[] = {"add",      "scale",         "log_message", "apply",
                                     "list_sum", "make_pair",     "next_color",  "hash64",
                                     "origin",   "no_parameters", "old_style",   "config_name",
                                     "counter",  "table",         "here",        "nothing_here"};

TEST(DwarfPrototype, MalformedFilesReturnWithoutCrashing) {
  std::size_t files = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(DLDOCTOR_TEST_DATA)) {
    if (entry.path().extension() != ".elf") continue;
    ++files;
    Described<Declaration> read = read_declaration(entry.path().string(), "add");
    EXPECT_TRUE(std::holds_alternative<NotDescribed>(read)) << entry.path();
    EXPECT_FALSE(std::get<NotDescribed>(read).reason.empty());
    EXPECT_TRUE(std::holds_alternative<NotDescribed>(read_record(entry.path().string(), "point")));
  }
  EXPECT_GT(files, 5u);
}

std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

std::string write_temporary(const std::vector<char>& bytes, const std::string& name) {
  const fs::path path = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

// Points every DW_FORM_ref4 DW_AT_type of the fixture's pointer, const, typedef and member DIEs
// at the DIE itself: each type is then its own pointee, typedef target or member type.
std::size_t make_type_references_loop(std::vector<char>& bytes) {
  elf_version(EV_CURRENT);
  Elf* elf = elf_memory(bytes.data(), bytes.size());
  if (elf == nullptr) return 0;
  Dwarf* dwarf = dwarf_begin_elf(elf, DWARF_C_READ, nullptr);
  std::size_t patched = 0;
  if (dwarf != nullptr) {
    std::vector<std::pair<std::size_t, std::uint32_t>> patches;
    Dwarf_Off offset = 0, next = 0;
    std::size_t header = 0;
    while (dwarf_nextcu(dwarf, offset, &next, &header, nullptr, nullptr, nullptr) == 0) {
      Dwarf_Die unit;
      if (dwarf_offdie(dwarf, offset + header, &unit) != nullptr) {
        // Every DIE of the unit, depth first.
        std::vector<Dwarf_Die> stack{unit};
        while (!stack.empty()) {
          Dwarf_Die die = stack.back();
          stack.pop_back();
          const int tag = dwarf_tag(&die);
          Dwarf_Attribute attribute;
          if ((tag == DW_TAG_pointer_type || tag == DW_TAG_const_type || tag == DW_TAG_typedef ||
               tag == DW_TAG_member) &&
              dwarf_attr(&die, DW_AT_type, &attribute) != nullptr &&
              dwarf_whatform(&attribute) == DW_FORM_ref4) {
            const auto* value = reinterpret_cast<const char*>(attribute.valp);
            if (value >= bytes.data() && value + 4 <= bytes.data() + bytes.size())
              patches.emplace_back(value - bytes.data(),
                                   static_cast<std::uint32_t>(dwarf_cuoffset(&die)));
          }
          Dwarf_Die child;
          if (dwarf_child(&die, &child) == 0) {
            do stack.push_back(child);
            while (dwarf_siblingof(&child, &child) == 0);
          }
        }
      }
      offset = next;
    }
    dwarf_end(dwarf);
    for (const auto& [at, value] : patches) std::memcpy(bytes.data() + at, &value, 4);
    patched = patches.size();
  }
  elf_end(elf);
  return patched;
}

TEST(DwarfPrototype, TypeReferencesThatLoopEndWithoutCrashing) {
  std::vector<char> bytes = file_bytes(kC);
  ASSERT_FALSE(bytes.empty());
  ASSERT_GT(make_type_references_loop(bytes), 10u);
  const std::string path = write_temporary(bytes, "signature-loops.so");
  for (const char* name : kFixtureNames) {
    Described<Declaration> read = read_declaration(path, name);
    if (const Declaration* found = std::get_if<Declaration>(&read))
      (void)to_string(found->function, found->name);  // spelling it must end too
  }
  Described<TypeRef> point = read_record(path, "point");
  if (const TypeRef* type = std::get_if<TypeRef>(&point)) (void)to_string(**type);
  // A pointer that is its own pointee reads as a pointer to something not known.
  const Declaration sum = declaration(path, "list_sum");
  ASSERT_EQ(sum.function.parameters.size(), 1u);
  EXPECT_EQ(sum.function.parameters[0]->kind, Type::Kind::Pointer);
  fs::remove(path);
}

TEST(DwarfPrototype, CorruptedDebugInfoReturnsWithoutCrashing) {
  const std::vector<char> original = file_bytes(kC);
  ASSERT_FALSE(original.empty());
  std::mt19937 random(20240611);
  // Bytes overwritten in the second half of the file, where the DWARF sections lie.
  for (int round = 0; round < 40; ++round) {
    std::vector<char> bytes = original;
    for (int i = 0; i < 64; ++i)
      bytes[bytes.size() / 2 + random() % (bytes.size() / 2)] = static_cast<char>(random());
    const std::string path = write_temporary(bytes, "signature-corrupt.so");
    for (const char* name : kFixtureNames) (void)read_declaration(path, name);
    (void)read_record(path, "point");
    fs::remove(path);
  }
}

}  // namespace
}  // namespace dldoctor::signature
