// What an Itanium-mangled symbol (_ZN3geo4areaEll) says about its function: the qualified name
// and the parameter types, read from abi::__cxa_demangle's text with the signature grammar
// (parse.hpp), so that they compare with a --signature or a DWARF prototype.
//
// A non-template function's mangled name carries no return type (the Itanium ABI encodes it
// only for template instances and function types): return_type is null then, and the comparison
// leaves the return value alone. Nor does it say whether a member function is static, unless it
// is const-qualified (then it has a `const Class* this`).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "signature/parse.hpp"
#include "signature/type.hpp"

namespace dldoctor::signature {

struct DemangledFunction {
  std::string symbol;          // as given, without an @VERSION suffix
  std::string text;            // "geo::area(long, long)"
  std::string qualified_name;  // "geo::area", canonical (see canonical_name)
  FunctionType function;       // return_type null unless the name encodes it
  bool return_type_known = false;
};

struct NotDemangled {
  enum class Why {
    NotMangled,    // not an Itanium name (no _Z): a C name
    Invalid,       // __cxa_demangle rejects it
    NotAFunction,  // data (_ZN3geo7counterE), a vtable, typeinfo...
    Unparsed,      // demangled, but the grammar does not read its parameter list
  };
  Why why = Why::NotMangled;
  std::string reason;
  std::string text;  // the demangled text when there is one ("geo::counter", "vtable for geo::S")
};

// The text __cxa_demangle gives; nullopt when symbol is not a valid mangled name.
std::optional<std::string> demangle(std::string_view symbol) noexcept;

std::variant<DemangledFunction, NotDemangled> demangle_function(std::string_view symbol) noexcept;

struct Overload {
  std::string symbol;  // the mangled name
  DemangledFunction demangled;
};

// The mangled function symbols of names whose demangled qualified name is qualified_name
// ("geo::area" finds _ZN3geo4areaEll and _ZN3geo4areaEdd; "geo::max" also finds the template
// instances geo::max<int>): every overload, for "which one did you mean".
std::vector<Overload> overloads_of(std::string_view qualified_name,
                                   const std::vector<std::string>& names) noexcept;

}  // namespace dldoctor::signature
