// The Go type grammar of --signature 'Name=func(...)': the canonical spelling is reflect's, the
// one a failed type assertion's panic prints, so a host's text and a plugin's DWARF compare.
#include "go/go_type.hpp"

#include <gtest/gtest.h>

#include <string>

namespace dldoctor::go {
namespace {

std::string canonical(std::string_view text) {
  auto result = canonical_type(text);
  if (const auto* error = std::get_if<TypeParseError>(&result))
    return "error at " + std::to_string(error->column) + ": " + error->message;
  return std::get<std::string>(result);
}

TEST(GoType, SpellsFunctionsAsReflectDoes) {
  EXPECT_EQ(canonical("func(string)int"), "func(string) int");
  EXPECT_EQ(canonical("func( string , int )  int"), "func(string, int) int");
  EXPECT_EQ(canonical("func()"), "func()");
  EXPECT_EQ(canonical("func() (int, error)"), "func() (int, error)");
  EXPECT_EQ(canonical("func() (n int)"), "func() int");
  EXPECT_EQ(canonical("func(...string)"), "func(...string)");
  EXPECT_EQ(canonical("func(func(int) bool) []map[string]*int"),
            "func(func(int) bool) []map[string]*int");
  EXPECT_EQ(canonical("func(chan<- int, <-chan int, chan int)"),
            "func(chan<- int, <-chan int, chan int)");
  EXPECT_EQ(canonical("func(interface{}, [4]byte)"), "func(interface {}, [4]byte)");
}

TEST(GoType, DropsParameterNamesAndSharesTheirTypes) {
  EXPECT_EQ(canonical("func(name string, n int) int"), "func(string, int) int");
  EXPECT_EQ(canonical("func(a, b int, s string) (ok bool)"), "func(int, int, string) bool");
  // A list without names is a list of types, even of one-word types.
  EXPECT_EQ(canonical("func(a, b)"), "func(a, b)");
}

TEST(GoType, KeepsTheLastElementOfAnImportPath) {
  EXPECT_EQ(canonical("*example.com/plug.Point"), "*plug.Point");
  EXPECT_EQ(canonical("func(*main.Point) error"), "func(*main.Point) error");
  EXPECT_EQ(reflect_spelling("*example.com/plug.Point", "example.com/plug"), "*main.Point");
  EXPECT_EQ(reflect_spelling("map[string]example.com/other.T", "example.com/plug"),
            "map[string]other.T");
  EXPECT_EQ(reflect_spelling("func(string) int", "example.com/plug"), "func(string) int");
}

TEST(GoType, SaysWhereTheTextStopsBeingAType) {
  EXPECT_EQ(canonical("func(string"), "error at 11: ',' or ')' expected");
  EXPECT_EQ(canonical("func(a b c) int"), "error at 9: ',' or ')' expected");
  EXPECT_EQ(canonical("func(a, b int, c)"), "error at 17: a parameter name without a type");
  EXPECT_EQ(canonical("map[string"), "error at 10: ']' expected after the map's key type");
  EXPECT_EQ(canonical("func(string) int )"), "error at 17: unexpected text after the type");
  EXPECT_EQ(canonical(""), "error at 0: a type is missing");
  EXPECT_EQ(canonical(std::string(200, '*') + "int"), "error at 65: the type nests too deeply");
}

TEST(GoType, TellsAGoTypeFromACOne) {
  EXPECT_TRUE(looks_like_go_type("func(string) int"));
  EXPECT_TRUE(looks_like_go_type(" func (string)"));
  EXPECT_TRUE(looks_like_go_type("*int"));
  EXPECT_FALSE(looks_like_go_type("int(int,int)"));
  EXPECT_FALSE(looks_like_go_type("function(int)"));
  EXPECT_FALSE(looks_like_go_type("double(double, double)"));
}

}  // namespace
}  // namespace dldoctor::go
