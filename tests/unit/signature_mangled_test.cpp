// Mangled names: the qualified name and parameter types of a C++ symbol come from its Itanium
// name alone (no return type, unless it is a template instance), and every overload of an asked
// name is found among a real plugin's exported symbols.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dldoctor/elf.hpp"
#include "signature/compare.hpp"
#include "signature/dwarf_prototype.hpp"
#include "signature/mangled.hpp"

#ifndef DLDOCTOR_SIGNATURE_CXX
#define DLDOCTOR_SIGNATURE_CXX ""
#endif

namespace dldoctor::signature {
namespace {

DemangledFunction demangled(const std::string& symbol) {
  auto result = demangle_function(symbol);
  if (const NotDemangled* failed = std::get_if<NotDemangled>(&result)) {
    ADD_FAILURE() << symbol << ": " << failed->reason;
    return {};
  }
  return std::get<DemangledFunction>(result);
}

std::string spelled(const DemangledFunction& function) {
  return to_string(function.function, function.qualified_name);
}

// The names the C++ fixture exports (its .dynsym), as a host's dlsym sees them.
std::vector<std::string> exported_names() {
  const elf::ReadOutcome read = elf::read_image(DLDOCTOR_SIGNATURE_CXX);
  std::vector<std::string> names;
  if (const elf::Image* image = std::get_if<elf::Image>(&read))
    for (const elf::Symbol& symbol : image->dynamic_symbols) names.push_back(symbol.name);
  return names;
}

TEST(MangledName, GivesTheQualifiedNameAndParametersButNoReturnType) {
  const DemangledFunction area = demangled("_ZN3geo4areaEll");
  EXPECT_EQ(area.text, "geo::area(long, long)");
  EXPECT_EQ(area.qualified_name, "geo::area");
  EXPECT_FALSE(area.return_type_known);
  EXPECT_EQ(area.function.return_type, nullptr);
  EXPECT_EQ(spelled(area), "<?> geo::area(long, long)");
  ASSERT_EQ(area.function.parameters.size(), 2u);
  EXPECT_EQ(area.function.parameters[0]->builtin, Builtin::Long);
}

TEST(MangledName, ReadsTheDemanglersSpellings) {
  EXPECT_EQ(spelled(demangled("_Z1fPKcmz")), "<?> f(const char*, unsigned long, ...)");
  EXPECT_EQ(
      spelled(demangled("_ZN3geo6lengthERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE")),
      "<?> geo::length(const std::string&)");
  EXPECT_EQ(spelled(demangled("_Z1gRSt6vectorIiSaIiEE")),
            "<?> g(std::vector<int,std::allocator<int>>&)");
  EXPECT_EQ(spelled(demangled("_Z1hPFiiE")), "<?> h(int (*)(int))");
  EXPECT_EQ(spelled(demangled("_Z1kv")), "<?> k(void)");
  EXPECT_EQ(spelled(demangled("_ZN12_GLOBAL__N_14implEx")),
            "<?> (anonymous namespace)::impl(long long)");
  EXPECT_EQ(spelled(demangled("_Z1nDn")), "<?> n(std::nullptr_t)");
  EXPECT_EQ(spelled(demangled("_Z1fi.cold")), "<?> f(int)");  // a GCC clone: [clone .cold]
}

TEST(MangledName, ATemplateInstanceCarriesItsReturnType) {
  const DemangledFunction biggest = demangled("_ZN3geo7biggestIiEET_S1_S1_");
  EXPECT_EQ(biggest.qualified_name, "geo::biggest<int>");
  EXPECT_TRUE(biggest.return_type_known);
  EXPECT_EQ(spelled(biggest), "int geo::biggest<int>(int, int)");
}

TEST(MangledName, AConstMemberFunctionHasAConstThis) {
  const DemangledFunction perimeter = demangled("_ZNK3geo5Shape9perimeterEd");
  EXPECT_EQ(perimeter.qualified_name, "geo::Shape::perimeter");
  ASSERT_TRUE(perimeter.function.implicit_this);
  EXPECT_EQ(to_string(*perimeter.function.implicit_this), "const geo::Shape*");
  EXPECT_FALSE(demangled("_ZN3geo5Shape4makeEi").function.implicit_this);  // not known: static
}

TEST(MangledName, OperatorsKeepTheirSpelling) {
  EXPECT_EQ(demangled("_ZN3geolsERSoRKNS_5PointE").qualified_name, "geo::operator<<");
  EXPECT_EQ(demangled("_ZN3geo1XcvmEv").qualified_name, "geo::X::operator unsigned long");
}

TEST(MangledName, SaysWhatIsNoFunction) {
  const auto expect_why = [](const std::string& symbol, NotDemangled::Why why) {
    auto result = demangle_function(symbol);
    ASSERT_TRUE(std::holds_alternative<NotDemangled>(result)) << symbol;
    EXPECT_EQ(std::get<NotDemangled>(result).why, why) << symbol;
  };
  expect_why("add", NotDemangled::Why::NotMangled);
  expect_why("_ZN3geo7counterE", NotDemangled::Why::NotAFunction);
  expect_why("_ZTVN3geo5ShapeE", NotDemangled::Why::NotAFunction);  // vtable for geo::Shape
  expect_why("_Z", NotDemangled::Why::Invalid);
  expect_why("_ZN3geo4areaE" + std::string(1000, 'P') + "i", NotDemangled::Why::Unparsed);
}

TEST(MangledName, TheFixturesSymbolsAgreeWithItsDwarf) {
  // The parameters the name gives are the definition's, and the unknown return type is left
  // alone: no difference.
  for (const char* symbol :
       {"_ZN3geo4areaEll", "_ZN3geo4areaEdd", "_ZN3geo6widestExh", "_ZNK3geo5Shape9perimeterEd"}) {
    Described<Declaration> read = read_declaration(DLDOCTOR_SIGNATURE_CXX, symbol);
    ASSERT_TRUE(std::holds_alternative<Declaration>(read)) << symbol;
    const Declaration& declaration = std::get<Declaration>(read);
    const DemangledFunction from_name = demangled(symbol);
    EXPECT_EQ(from_name.qualified_name, declaration.name) << symbol;
    EXPECT_TRUE(compare_functions(from_name.function, declaration.function).empty()) << symbol;
  }
}

TEST(MangledName, FindsEveryOverloadOfAQualifiedName) {
  const std::vector<std::string> names = exported_names();
  ASSERT_FALSE(names.empty());
  std::vector<std::string> found;
  for (const Overload& overload : overloads_of("geo::area", names))
    found.push_back(overload.demangled.text);
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found,
            (std::vector<std::string>{"geo::area(double, double)", "geo::area(long, long)"}));

  const std::vector<Overload> biggest = overloads_of("geo::biggest", names);
  ASSERT_EQ(biggest.size(), 1u);
  EXPECT_EQ(biggest[0].symbol, "_ZN3geo7biggestIiEET_S1_S1_");
  EXPECT_EQ(overloads_of("geo::Shape::perimeter", names).size(), 1u);
  EXPECT_TRUE(overloads_of("geo::are", names).empty());
  EXPECT_TRUE(overloads_of("area", names).empty());  // the name is qualified
}

}  // namespace
}  // namespace dldoctor::signature
