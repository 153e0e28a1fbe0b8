// The grammar of what a user writes after `--signature`: `NAME=RET(ARGS)`, a C or C++ type-id
// named by the symbol it describes. The same grammar reads the parameter lists that
// abi::__cxa_demangle prints (mangled.hpp), so it accepts both spellings of each type:
//
//   add=int(int,int)                    geo::area=long(long, long)
//   f=void(const char*, ...)            g=double(struct point*, size_t)
//   h=void()  h=void(void)              cb=int(int (*)(int))
//   s=std::string(const std::string&)   m=void(char const*, unsigned long, std::vector<int, ...>)
//   counter=long                        (not a function: a data object of that type)
//
// Normalisation, so that what differs in spelling only does not differ here:
//  - a typedef is its target: the <stdint.h>, <stddef.h> and <sys/types.h> names map to their
//    glibc x86-64 builtins (int32_t is int, uint64_t and size_t are unsigned long, ssize_t,
//    ptrdiff_t and intptr_t are long...), with or without std::;
//  - builtin words in any order: signed int is int, unsigned is unsigned int, long int is long,
//    char const is const char; long long stays distinct from long (same size and class, another
//    C++ type);
//  - a parameter's own const or volatile is dropped (it does not change how it is passed), a
//    pointee's is kept; an array parameter is a pointer, a function parameter a function
//    pointer; `(void)` and `()` are both an empty, prototyped list (what the user means);
//  - a parameter may be named (`int (int a, int b)`): the name is ignored;
//  - any other name is a record known by name only (`std::string`, `point`, a template such as
//    `std::vector<int>` kept as one opaque name).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "signature/type.hpp"

namespace dldoctor::signature {

struct ParseError {
  std::size_t column = 0;  // 0-based, in the text given to the parse function
  std::string message;     // "expected ')' at column 14": the column is in it too
};

template <class T>
using Parsed = std::variant<T, ParseError>;

struct Signature {
  std::string name;  // the symbol: a C name, a qualified C++ name or a mangled one
  TypeRef type;      // a function type, or a data object's type

  // The function type when the signature describes a function, else null.
  const FunctionType* function() const noexcept {
    return type && type->kind == Type::Kind::Function ? type->function.get() : nullptr;
  }
};

// "NAME=TYPE", as given to --signature.
Parsed<Signature> parse_signature(std::string_view text) noexcept;

// A type-id alone: "const char*", "int (int, int)", "unsigned long".
Parsed<TypeRef> parse_type(std::string_view text) noexcept;

// A parenthesised parameter list alone, "(long, long)" or "(char const*, ...)", as a function
// type whose return type is not known (null).
Parsed<FunctionType> parse_parameter_list(std::string_view text) noexcept;

}  // namespace dldoctor::signature
