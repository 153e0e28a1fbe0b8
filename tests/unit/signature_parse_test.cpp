// The --signature grammar: what people write after NAME= becomes one type model, spellings that
// mean the same type give the same model (and the same canonical text), and a grammar error says
// where it is.
#include <gtest/gtest.h>

#include <string>

#include "signature/parse.hpp"

namespace dldoctor::signature {
namespace {

Signature parsed(const std::string& text) {
  Parsed<Signature> result = parse_signature(text);
  if (const ParseError* error = std::get_if<ParseError>(&result)) {
    ADD_FAILURE() << text << ": " << error->message;
    return {};
  }
  return std::get<Signature>(result);
}

// The canonical spelling of NAME=TYPE's type.
std::string canonical(const std::string& text) {
  const Signature signature = parsed(text);
  return signature.type ? to_string(*signature.type) : "<failed>";
}

// The function type of NAME=TYPE, by value: the Signature it comes from does not outlive the call.
FunctionType function_of(const std::string& text) {
  const Signature signature = parsed(text);
  if (signature.function() == nullptr) {
    ADD_FAILURE() << text << " is no function type";
    return {};
  }
  return *signature.function();
}

ParseError error_of(const std::string& text) {
  Parsed<Signature> result = parse_signature(text);
  if (!std::holds_alternative<ParseError>(result)) {
    ADD_FAILURE() << text << " parsed";
    return {};
  }
  return std::get<ParseError>(result);
}

TEST(SignatureGrammar, ReadsTheNameAndAFunctionType) {
  const Signature signature = parsed("add=int(int,int)");
  EXPECT_EQ(signature.name, "add");
  ASSERT_NE(signature.function(), nullptr);
  const FunctionType& function = *signature.function();
  ASSERT_EQ(function.parameters.size(), 2u);
  EXPECT_EQ(function.return_type->builtin, Builtin::Int);
  EXPECT_EQ(function.parameters[0]->builtin, Builtin::Int);
  EXPECT_FALSE(function.variadic);
  EXPECT_EQ(to_string(function, signature.name), "int add(int, int)");
}

TEST(SignatureGrammar, TakesQualifiedAndMangledNames) {
  EXPECT_EQ(parsed("geo::area=long(long, long)").name, "geo::area");
  EXPECT_EQ(parsed("ns::Class::method=void()").name, "ns::Class::method");
  EXPECT_EQ(parsed("ns::Class::~Class=void()").name, "ns::Class::~Class");
  EXPECT_EQ(parsed("geo::max<int>=int(int,int)").name, "geo::max<int>");
  EXPECT_EQ(parsed("_ZN3geo4areaEll=long(long,long)").name, "_ZN3geo4areaEll");
  EXPECT_EQ(parsed("foo@VERS_1=int(int)").name, "foo@VERS_1");
}

TEST(SignatureGrammar, SpellsEachExampleCanonically) {
  EXPECT_EQ(canonical("add=int(int,int)"), "int (int, int)");
  EXPECT_EQ(canonical("f=void(const char*, ...)"), "void (const char*, ...)");
  EXPECT_EQ(canonical("g=double(struct point*, size_t)"), "double (struct point*, unsigned long)");
  EXPECT_EQ(canonical("cb=int(int (*)(int))"), "int (int (*)(int))");
  EXPECT_EQ(canonical("s=std::string(const std::string&)"), "std::string (const std::string&)");
  EXPECT_EQ(canonical("p=char* const*(void)"), "char* const* (void)");
  EXPECT_EQ(canonical("a=void(int (*)[4])"), "void (int (*)[4])");
  EXPECT_EQ(canonical("r=int (*(int))(double)"), "int (*(int))(double)");
  EXPECT_EQ(canonical("v=void(...)"), "void (...)");
}

TEST(SignatureGrammar, EmptyAndVoidParameterListsAreTheSame) {
  EXPECT_EQ(canonical("h=void()"), "void (void)");
  EXPECT_EQ(canonical("h=void(void)"), "void (void)");
  EXPECT_TRUE(function_of("h=void()").prototyped);
  EXPECT_TRUE(function_of("h=void(void)").parameters.empty());
}

TEST(SignatureGrammar, StdintAndStddefTypedefsAreTheirGlibcTargets) {
  EXPECT_EQ(canonical("f=int32_t(uint64_t, size_t, ssize_t)"),
            "int (unsigned long, unsigned long, long)");
  EXPECT_EQ(canonical("f=intptr_t(ptrdiff_t, uintptr_t, int8_t, uint16_t)"),
            "long (long, unsigned long, signed char, unsigned short)");
  EXPECT_EQ(canonical("f=void(std::size_t, std::int64_t, uint_fast32_t)"),
            "void (unsigned long, long, unsigned long)");
  // The typedef's name is kept for messages, not for meaning.
  EXPECT_EQ(function_of("f=void(size_t)").parameters[0]->alias, "size_t");
}

TEST(SignatureGrammar, BuiltinWordsInAnyOrderNameOneType) {
  EXPECT_EQ(canonical("f=signed int(unsigned, long int, long unsigned int, short int)"),
            "int (unsigned int, long, unsigned long, short)");
  EXPECT_EQ(canonical("f=void(char const*, int const)"), "void (const char*, int)");
  EXPECT_EQ(canonical("f=void(signed char, unsigned char, char)"),
            "void (signed char, unsigned char, char)");
  EXPECT_EQ(canonical("f=long double(__int128 unsigned, _Bool)"),
            "long double (unsigned __int128, bool)");
}

TEST(SignatureGrammar, LongLongStaysDistinctFromLongWithTheSameSize) {
  const FunctionType function = function_of("f=void(long long, long)");
  EXPECT_EQ(function.parameters[0]->builtin, Builtin::LongLong);
  EXPECT_EQ(function.parameters[1]->builtin, Builtin::Long);
  EXPECT_EQ(size_of(*function.parameters[0]), size_of(*function.parameters[1]));
  EXPECT_EQ(category_of(*function.parameters[0]), category_of(*function.parameters[1]));
}

TEST(SignatureGrammar, ParameterConstIsDroppedPointeeConstIsKept) {
  const FunctionType function = function_of("f=void(const int, const char* const, char*)");
  EXPECT_FALSE(function.parameters[0]->is_const);
  EXPECT_FALSE(function.parameters[1]->is_const);
  EXPECT_TRUE(function.parameters[1]->target->is_const);
  EXPECT_FALSE(function.parameters[2]->target->is_const);
}

TEST(SignatureGrammar, ArrayAndFunctionParametersArePointers) {
  EXPECT_EQ(canonical("f=void(int[8], int(int))"), "void (int*, int (*)(int))");
}

TEST(SignatureGrammar, ParameterNamesAreIgnored) {
  EXPECT_EQ(canonical("f=int(int a, const char* name, size_t n)"),
            "int (int, const char*, unsigned long)");
  EXPECT_EQ(canonical("f=int(int (*callback)(int value))"), "int (int (*)(int))");
}

TEST(SignatureGrammar, ReadsTheDemanglersSpellings) {
  EXPECT_EQ(canonical("f=void(char const*, unsigned long, std::__cxx11::basic_string<char, "
                      "std::char_traits<char>, std::allocator<char> > const&)"),
            "void (const char*, unsigned long, const std::string&)");
  EXPECT_EQ(canonical("f=void(std::vector<int, std::allocator<int> >&, decltype(nullptr))"),
            "void (std::vector<int,std::allocator<int>>&, std::nullptr_t)");
  EXPECT_EQ(canonical("f=void((anonymous namespace)::Impl*, geo::point&&)"),
            "void ((anonymous namespace)::Impl*, geo::point&&)");
}

TEST(SignatureGrammar, ANameThatIsNoFunctionIsADataObject) {
  const Signature counter = parsed("counter=long");
  EXPECT_EQ(counter.function(), nullptr);
  ASSERT_TRUE(counter.type);
  EXPECT_EQ(size_of(*counter.type), 8u);
  const Signature table = parsed("table=int[16]");
  EXPECT_EQ(size_of(*table.type), 64u);
  EXPECT_EQ(to_string(*table.type), "int[16]");
}

TEST(SignatureGrammar, RecordsAndEnumsKeepTheirTags) {
  const FunctionType function =
      function_of("f=void(struct point*, union value, enum color, point)");
  EXPECT_EQ(function.parameters[0]->target->tag, RecordTag::Struct);
  EXPECT_EQ(function.parameters[1]->tag, RecordTag::Union);
  EXPECT_EQ(function.parameters[2]->kind, Type::Kind::Enum);
  EXPECT_EQ(function.parameters[3]->tag, RecordTag::None);
  EXPECT_EQ(function.parameters[3]->name, "point");
}

TEST(SignatureGrammar, AGrammarErrorNamesItsColumn) {
  const ParseError unclosed = error_of("add=int(int,int");
  EXPECT_EQ(unclosed.column, 15u);
  EXPECT_EQ(unclosed.message, "expected ',' or ')' at column 15");

  const ParseError no_equals = error_of("add");
  EXPECT_EQ(no_equals.column, 3u);

  const ParseError nested = error_of("cb=int(int (*)(int)");
  EXPECT_EQ(nested.column, 19u);

  const ParseError bad_words = error_of("f=unsigned double(int)");
  EXPECT_EQ(bad_words.column, 2u);
  EXPECT_EQ(bad_words.message, "'unsigned double' is not a type at column 2");

  const ParseError void_parameter = error_of("f=int(int, void)");
  EXPECT_EQ(void_parameter.column, 11u);
  EXPECT_NE(void_parameter.message.find("'void' must be the only parameter"), std::string::npos);

  const ParseError stray = error_of("f=int(int)x");
  EXPECT_EQ(stray.column, 10u);

  const ParseError character = error_of("f=int(int#)");
  EXPECT_EQ(character.column, 9u);
  EXPECT_EQ(character.message, "unexpected '#' at column 9");

  EXPECT_EQ(error_of("=int(int)").column, 0u);
  EXPECT_EQ(error_of("f=").column, 2u);
}

TEST(SignatureGrammar, NonsenseDoesNotThrowOrRecurseWithoutEnd) {
  std::string deep = "f=int";
  for (int i = 0; i < 10000; ++i) deep += "(*";
  deep += std::string(10000, ')');
  EXPECT_TRUE(std::holds_alternative<ParseError>(parse_signature(deep)));
  EXPECT_TRUE(std::holds_alternative<ParseError>(
      parse_signature("f=int" + std::string(10000, '(') + std::string(10000, ')'))));
  EXPECT_TRUE(
      std::holds_alternative<ParseError>(parse_signature("f=int" + std::string(100000, '*'))));
  EXPECT_TRUE(std::holds_alternative<Signature>(parse_signature("f=int" + std::string(20, '*'))));
  for (const char* text :
       {"", "=", "f=(", "f=)", "f=int(,)", "f=int(...,int)", "f=struct", "f=int[", "f=int[x]",
        "f=vector<int", "f=int(&&&)", "f=int&&&", "f=int(int)(int)", "f=int[2](int)"})
    EXPECT_TRUE(std::holds_alternative<ParseError>(parse_signature(text))) << text;
}

TEST(SignatureGrammar, ParameterListAloneHasNoReturnType) {
  Parsed<FunctionType> parsed_list = parse_parameter_list("(long, long)");
  ASSERT_TRUE(std::holds_alternative<FunctionType>(parsed_list));
  const FunctionType& function = std::get<FunctionType>(parsed_list);
  EXPECT_EQ(function.return_type, nullptr);
  EXPECT_EQ(to_string(function, "geo::area"), "<?> geo::area(long, long)");
}

}  // namespace
}  // namespace dldoctor::signature
