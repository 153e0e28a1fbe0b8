// Comparing the host's cast with the plugin's definition: each kind of difference is found, has
// the severity its consequence deserves, and names the x86-64 System V registers involved.
#include <elf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "signature/compare.hpp"
#include "signature/parse.hpp"
#include "signature/sysv_abi.hpp"

namespace dldoctor::signature {
namespace {

FunctionType function_of(const std::string& type) {
  Parsed<Signature> parsed = parse_signature("f=" + type);
  if (const ParseError* error = std::get_if<ParseError>(&parsed)) {
    ADD_FAILURE() << type << ": " << error->message;
    return {};
  }
  const FunctionType* function = std::get<Signature>(parsed).function();
  if (function == nullptr) ADD_FAILURE() << type << " is no function type";
  return function != nullptr ? *function : FunctionType{};
}

TypeRef type_of(const std::string& text) {
  Parsed<TypeRef> parsed = parse_type(text);
  if (const ParseError* error = std::get_if<ParseError>(&parsed)) {
    ADD_FAILURE() << text << ": " << error->message;
    return make_opaque("<?>");
  }
  return std::get<TypeRef>(parsed);
}

std::vector<Difference> compare(const std::string& asked, const std::string& actual) {
  return compare_functions(function_of(asked), function_of(actual));
}

std::string all(const std::vector<Difference>& differences) {
  std::string text;
  for (const Difference& difference : differences) text += to_string(difference) + "\n";
  return text;
}

// The one difference of that kind; fails when there is not exactly one.
Difference only(const std::vector<Difference>& differences, DifferenceKind kind) {
  const auto count = std::count_if(differences.begin(), differences.end(),
                                   [&](const Difference& d) { return d.kind == kind; });
  EXPECT_EQ(count, 1) << all(differences);
  for (const Difference& difference : differences)
    if (difference.kind == kind) return difference;
  return {};
}

bool mentions(const Difference& difference, const std::string& text) {
  return difference.summary.find(text) != std::string::npos ||
         difference.consequence.find(text) != std::string::npos;
}

// The record layouts of tests/unit/fixtures/signature_types.h and signature_plugin.c, by hand.
TypeRef config_v1() {
  Layout layout{16, 8, {}};
  layout.fields = {{"version", 0, std::nullopt, make_builtin(Builtin::Int)},
                   {"flags", 4, std::nullopt, make_builtin(Builtin::Int)},
                   {"name", 8, std::nullopt, type_of("const char*")}};
  return make_record("config", RecordTag::Struct, layout);
}
TypeRef config_v2() {
  Layout layout{24, 8, {}};
  layout.fields = {{"version", 0, std::nullopt, make_builtin(Builtin::Int)},
                   {"flags", 4, std::nullopt, make_builtin(Builtin::Int)},
                   {"timeout", 8, std::nullopt, make_builtin(Builtin::Long)},
                   {"name", 16, std::nullopt, type_of("const char*")}};
  return make_record("config", RecordTag::Struct, layout);
}

TEST(SignatureCompare, SpellingsOfOneTypeAreNoDifference) {
  EXPECT_TRUE(compare("int(int,int)", "int(int, int)").empty());
  EXPECT_TRUE(compare("void(size_t, int32_t)", "void(unsigned long, int)").empty());
  EXPECT_TRUE(compare("void(const int, char* const)", "void(int, char*)").empty());
  EXPECT_TRUE(compare("void()", "void(void)").empty());
  EXPECT_TRUE(compare("void(void*)", "void(struct point*)").empty());  // void* takes any
}

TEST(SignatureCompare, AParameterTheCallerNeverPassesIsGarbageFromItsRegister) {
  const auto differences = compare("int(int, int)", "int(int, int, int)");
  const Difference count = only(differences, DifferenceKind::ParameterCount);
  EXPECT_EQ(count.severity, Severity::Error);
  EXPECT_EQ(count.summary, "the definition takes 3 parameters, the call passes 2");
  EXPECT_TRUE(mentions(count, "parameter 3 ('int') from %edx")) << count.consequence;
  EXPECT_TRUE(mentions(count, "never set")) << count.consequence;
}

TEST(SignatureCompare, AnExtraArgumentIsIgnoredByTheCallee) {
  const Difference count =
      only(compare("int(int, int, int)", "int(int, int)"), DifferenceKind::ParameterCount);
  EXPECT_EQ(count.severity, Severity::Warning);
}

TEST(SignatureCompare, IntegerAgainstFloatingPointReadsTheOtherRegisterFile) {
  const Difference parameter =
      only(compare("void(double)", "void(int)"), DifferenceKind::RegisterClass);
  EXPECT_EQ(parameter.severity, Severity::Error);
  EXPECT_EQ(parameter.where, "parameter 1");
  EXPECT_EQ(parameter.summary, "parameter 1 is 'double' in the call, 'int' in the definition");
  EXPECT_TRUE(mentions(parameter, "the caller passes it in %xmm0, the callee reads %edi"))
      << parameter.consequence;
}

TEST(SignatureCompare, IntAgainstLongLeavesTheUpper32Bits) {
  const Difference wider = only(compare("long(int, int)", "long(int, long)"), DifferenceKind::Size);
  EXPECT_EQ(wider.severity, Severity::Error);
  EXPECT_EQ(wider.where, "parameter 2");
  EXPECT_TRUE(mentions(wider, "the caller passes it in %esi, the callee reads %rsi"))
      << wider.consequence;
  EXPECT_TRUE(mentions(wider, "32 upper bits the caller never set")) << wider.consequence;

  const Difference narrower = only(compare("void(long)", "void(int)"), DifferenceKind::Size);
  EXPECT_TRUE(mentions(narrower, "upper 32 bits of the value are lost")) << narrower.consequence;
}

TEST(SignatureCompare, AReturnValueOfTheOtherClassIsReadFromTheWrongRegister) {
  const Difference result = only(compare("int(void)", "double(void)"), DifferenceKind::ReturnType);
  EXPECT_EQ(result.severity, Severity::Error);
  EXPECT_EQ(result.where, "the return value");
  EXPECT_TRUE(mentions(result, "the callee leaves it in %xmm0, the caller reads %eax"))
      << result.consequence;

  const Difference unset = only(compare("int(void)", "void(void)"), DifferenceKind::ReturnType);
  EXPECT_TRUE(mentions(unset, "the caller reads %eax, which the callee never set"));
  EXPECT_TRUE(compare("void(void)", "int(void)").empty());  // a result nobody reads

  const Difference cut = only(compare("long(void)", "int(void)"), DifferenceKind::ReturnType);
  EXPECT_TRUE(mentions(cut, "the callee leaves it in %eax, the caller reads %rax"));
}

TEST(SignatureCompare, AStructReturnedInMemoryShiftsEveryIntegerParameter) {
  Layout layout{32, 8, {}};
  for (std::uint64_t i = 0; i < 4; ++i)
    layout.fields.push_back(
        {"f" + std::to_string(i), i * 8, std::nullopt, make_builtin(Builtin::Long)});
  FunctionType asked = function_of("long(int)");
  FunctionType actual = asked;
  actual.return_type = make_record("big", RecordTag::Struct, layout);
  const Difference result = only(compare_functions(asked, actual), DifferenceKind::ReturnType);
  EXPECT_TRUE(mentions(result, "hidden pointer in %rdi")) << result.consequence;
  // The int parameter itself moved from %edi to %esi on the definition's side.
  const Difference moved =
      only(compare_functions(asked, actual), DifferenceKind::ParameterLocation);
  EXPECT_TRUE(mentions(moved, "the caller passes it in %edi, the callee reads %esi"));
}

TEST(SignatureCompare, VariadicOnlyInTheDefinitionLeavesAlUnset) {
  const Difference variadic =
      only(compare("int(const char*, int)", "int(const char*, ...)"), DifferenceKind::Variadic);
  EXPECT_EQ(variadic.severity, Severity::Error);
  EXPECT_EQ(variadic.summary, "the definition is variadic ('...'), the call is not");
  EXPECT_TRUE(mentions(variadic, "%al")) << variadic.consequence;

  const Difference reverse =
      only(compare("int(const char*, ...)", "int(const char*, int)"), DifferenceKind::Variadic);
  EXPECT_EQ(reverse.severity, Severity::Warning);
}

TEST(SignatureCompare, APointerAgainstAnIntegerLosesItsUpperBits) {
  const Difference narrow =
      only(compare("void(int)", "void(char*)"), DifferenceKind::PointerVsValue);
  EXPECT_EQ(narrow.severity, Severity::Error);
  EXPECT_TRUE(mentions(narrow, "the caller passes it in %edi, the callee reads %rdi"));
  const Difference same_size =
      only(compare("void(long)", "void(char*)"), DifferenceKind::PointerVsValue);
  EXPECT_EQ(same_size.severity, Severity::Warning);
  EXPECT_EQ(
      only(compare("void(struct point)", "void(struct point*)"), DifferenceKind::PointerVsValue)
          .severity,
      Severity::Error);
}

TEST(SignatureCompare, ADroppedPointeeConstIsAWarning) {
  const Difference dropped =
      only(compare("void(const char*)", "void(char*)"), DifferenceKind::PointeeConst);
  EXPECT_EQ(dropped.severity, Severity::Warning);
  EXPECT_EQ(dropped.summary, "parameter 1 is 'const char*' in the call, 'char*' in the definition");
  EXPECT_TRUE(compare("void(char*)", "void(const char*)").empty());  // adding const is safe
  EXPECT_EQ(
      only(compare("void(const char**)", "void(char**)"), DifferenceKind::PointeeConst).severity,
      Severity::Warning);
}

TEST(SignatureCompare, LongLongIsSameSizeAndClassButAnotherCxxType) {
  const Difference cxx = only(compare("void(long)", "void(long long)"), DifferenceKind::CxxType);
  EXPECT_EQ(cxx.severity, Severity::Warning);
  EXPECT_TRUE(mentions(cxx, "same size and class, different C++ type"));
  EXPECT_EQ(only(compare("void(char)", "void(signed char)"), DifferenceKind::CxxType).severity,
            Severity::Warning);
}

TEST(SignatureCompare, SignednessAloneIsAWarning) {
  EXPECT_EQ(only(compare("void(int)", "void(unsigned)"), DifferenceKind::Signedness).severity,
            Severity::Warning);
  EXPECT_EQ(only(compare("void(int*)", "void(unsigned*)"), DifferenceKind::Signedness).severity,
            Severity::Warning);
}

TEST(SignatureCompare, PointeesOfDifferentSizesAreAnError) {
  const Difference pointee =
      only(compare("void(int*)", "void(long*)"), DifferenceKind::PointeeType);
  EXPECT_EQ(pointee.severity, Severity::Error);
  EXPECT_TRUE(mentions(pointee,
                       "the callee reads and writes 8 bytes through it where the caller "
                       "has 4 bytes"));
}

TEST(SignatureCompare, AnEarlierDifferenceMovesALaterParameter) {
  const auto differences = compare("void(double, int)", "void(int, int)");
  EXPECT_EQ(only(differences, DifferenceKind::RegisterClass).where, "parameter 1");
  const Difference moved = only(differences, DifferenceKind::ParameterLocation);
  EXPECT_EQ(moved.where, "parameter 2");
  EXPECT_TRUE(mentions(moved, "the caller passes it in %edi, the callee reads %esi"));
}

TEST(SignatureCompare, ArgumentsBeyondSixIntegerRegistersAreOnTheStack) {
  const Difference seventh = only(compare("void(int, int, int, int, int, int, int)",
                                          "void(int, int, int, int, int, int, long)"),
                                  DifferenceKind::Size);
  EXPECT_EQ(seventh.where, "parameter 7");
  EXPECT_TRUE(mentions(seventh, "both use the stack at 8(%rsp)")) << seventh.consequence;
}

TEST(SignatureCompare, ACallbacksParametersCompareWithTheRolesSwapped) {
  // The plugin calls the host's callback: the plugin passes a long, the host's function reads int.
  const auto differences = compare("int(int (*)(int))", "int(int (*)(long))");
  const Difference nested = only(differences, DifferenceKind::Size);
  EXPECT_EQ(nested.where, "parameter 1 (a function pointer), parameter 1");
  EXPECT_TRUE(mentions(nested, "the caller passes it in %rdi, the callee reads %edi"))
      << nested.consequence;
  EXPECT_TRUE(mentions(nested, "upper 32 bits of the value are lost")) << nested.consequence;
}

TEST(SignatureCompare, AStructThatGrewAFieldNamesTheFirstFieldThatMoved) {
  const auto differences = compare_layouts(*config_v1(), *config_v2());
  ASSERT_GE(differences.size(), 2u) << all(differences);
  EXPECT_EQ(differences[0].summary,
            "struct config is 16 bytes in the host, 24 bytes in the plugin");
  const auto moved = std::find_if(differences.begin(), differences.end(), [](const Difference& d) {
    return d.where == "field 'name' of struct config";
  });
  ASSERT_NE(moved, differences.end()) << all(differences);
  EXPECT_EQ(moved->summary,
            "field 'name' of struct config is at offset 8 in the host, 16 in the plugin");
  EXPECT_TRUE(mentions(*moved, "the plugin has 'timeout' before it")) << moved->consequence;
  EXPECT_TRUE(compare_layouts(*config_v1(), *config_v1()).empty());
}

TEST(SignatureCompare, APointerToAStructWhoseLayoutDriftedIsAnError) {
  FunctionType asked, actual;
  asked.return_type = actual.return_type = make_builtin(Builtin::Void);
  asked.parameters = {make_pointer(with_qualifiers(config_v1(), true, false))};
  actual.parameters = {make_pointer(with_qualifiers(config_v2(), true, false))};
  const auto differences = compare_functions(asked, actual);
  ASSERT_FALSE(differences.empty());
  EXPECT_TRUE(std::all_of(differences.begin(), differences.end(), [](const Difference& d) {
    return d.kind == DifferenceKind::RecordLayout && d.severity == Severity::Error;
  })) << all(differences);
}

TEST(SignatureCompare, AMemberFunctionCalledAsAFreeFunctionMissesItsThis) {
  FunctionType member = function_of("double(double)");
  member.implicit_this =
      make_pointer(with_qualifiers(make_record("geo::Shape", RecordTag::None), true, false));
  const Difference missing =
      only(compare_functions(function_of("double(double)"), member), DifferenceKind::ImplicitThis);
  EXPECT_EQ(missing.severity, Severity::Error);
  EXPECT_TRUE(mentions(missing, "%rdi"));
  // Passing the object pointer first is how a host calls one: no difference.
  EXPECT_TRUE(compare_functions(function_of("double(const geo::Shape*, double)"), member).empty());
}

TEST(SignatureCompare, AKAndRDefinitionReadsAFloatAsADouble) {
  FunctionType old_style = function_of("int(float)");
  old_style.prototyped = false;
  const Difference promoted =
      only(compare_functions(function_of("int(float)"), old_style), DifferenceKind::Unprototyped);
  EXPECT_EQ(promoted.severity, Severity::Error);
  old_style.parameters = {make_builtin(Builtin::Int)};
  EXPECT_TRUE(compare_functions(function_of("int(int)"), old_style).empty());
}

TEST(SignatureCompare, AnUnknownReturnTypeIsNotCompared) {
  FunctionType from_mangled_name = function_of("void(long, long)");
  from_mangled_name.return_type = nullptr;
  EXPECT_TRUE(compare_functions(function_of("double(long, long)"), from_mangled_name).empty());
}

TEST(SignatureCompare, DataAskedAsAFunctionFaults) {
  const auto differences =
      compare_object(*type_of("int (int)"), SymbolFacts{STT_OBJECT, 8, nullptr});
  const Difference data = only(differences, DifferenceKind::DataAsFunction);
  EXPECT_EQ(data.severity, Severity::Error);
  EXPECT_TRUE(mentions(data, "STT_OBJECT, 8 bytes"));
  EXPECT_TRUE(compare_object(*type_of("int (int)"), SymbolFacts{STT_FUNC, 20, nullptr}).empty());
  EXPECT_EQ(only(compare_object(*type_of("long"), SymbolFacts{STT_FUNC, 20, nullptr}),
                 DifferenceKind::FunctionAsData)
                .severity,
            Severity::Error);
}

TEST(SignatureCompare, AnObjectsSizeIsItsStSize) {
  const Difference size = only(compare_object(*type_of("int"), SymbolFacts{STT_OBJECT, 8, nullptr}),
                               DifferenceKind::ObjectSize);
  EXPECT_EQ(size.summary,
            "the object is 8 bytes (st_size) in the definition, 'int' (4 bytes) in "
            "the call");
  EXPECT_TRUE(compare_object(*type_of("long"), SymbolFacts{STT_OBJECT, 8, nullptr}).empty());
  EXPECT_TRUE(compare_object(*type_of("int[16]"), SymbolFacts{STT_OBJECT, 64, nullptr}).empty());
  // With its DWARF type, a same-size object of another class is found too.
  const auto typed =
      compare_object(*type_of("long"), SymbolFacts{STT_OBJECT, 8, make_builtin(Builtin::Double)});
  EXPECT_EQ(only(typed, DifferenceKind::RegisterClass).severity, Severity::Error);
}

TEST(SystemVAbi, ClassifiesSmallStructsByEightbyte) {
  Layout mixed{16, 8, {}};
  mixed.fields = {{"x", 0, std::nullopt, make_builtin(Builtin::Int)},
                  {"y", 8, std::nullopt, make_builtin(Builtin::Double)}};
  const Classification classification = classify(*make_record("m", RecordTag::Struct, mixed));
  ASSERT_TRUE(classification.known);
  EXPECT_FALSE(classification.in_memory);
  EXPECT_EQ(classification.parts, (std::vector<AbiClass>{AbiClass::Integer, AbiClass::Sse}));
  FunctionType function;
  function.parameters = {make_record("m", RecordTag::Struct, mixed), make_builtin(Builtin::Int),
                         make_builtin(Builtin::Double), make_builtin(Builtin::LongDouble)};
  const std::vector<Location> locations = argument_locations(function);
  ASSERT_EQ(locations.size(), 4u);
  EXPECT_EQ(describe(locations[0]), "%rdi and %xmm0");
  EXPECT_EQ(describe(locations[1]), "%esi");
  EXPECT_EQ(describe(locations[2]), "%xmm1");
  EXPECT_EQ(describe(locations[3]), "the stack at 8(%rsp)");
}

}  // namespace
}  // namespace dldoctor::signature
