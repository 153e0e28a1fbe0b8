// What differs between the type a host asks for (its cast) and the one the plugin defines, in
// words a C programmer reads, each with the x86-64 System V consequence where it is clear:
// "parameter 1 is 'double' in the call, 'int' in the definition" / "the caller passes it in
// %xmm0, the callee reads %edi, which the caller did not set for it".
//
// Severity: an error is a difference that gives the callee other bits than the caller meant (a
// register not set, a value cut or widened, a different layout); a warning is one that the ABI
// happens to forgive on x86-64 (int against unsigned int, long against long long, a dropped const
// on a pointee) but that a compiler would reject and that hides a bug.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dldoctor/report.hpp"
#include "signature/type.hpp"

namespace dldoctor::signature {

enum class DifferenceKind {
  ParameterCount,  // the callee reads a parameter the caller never passes, or the reverse
  RegisterClass,   // integer against floating point, or one passed in memory
  Size,            // int against long: the same register, different widths
  Signedness,      // int against unsigned int
  CxxType,         // same size and class, different C++ type (long / long long, char / signed char)
  PointerVsValue,  // a pointer where the other side has a number or a record
  PointeeConst,    // const char* asked, char* defined: the callee may write through it
  PointeeType,     // both pointers, to different things
  RecordName,      // a struct by value against another struct
  RecordLayout,    // the same struct, laid out differently (size, a field that moved)
  ParameterLocation,  // the same type, but an earlier difference moved it to another register
  ReturnType,
  Variadic,        // '...' on one side only
  Unprototyped,    // a K&R definition receives promoted arguments
  ImplicitThis,    // a non-static member function called as a free one
  ObjectSize,      // a data object's st_size against the asked type's size
  DataAsFunction,  // STT_OBJECT asked as a function
  FunctionAsData,  // STT_FUNC asked as a data object
};

struct Difference {
  DifferenceKind kind = DifferenceKind::RegisterClass;
  Severity severity = Severity::Error;
  std::string where;        // "parameter 2", "the return value", "struct point", "the object"
  std::string summary;      // one sentence, naming both types
  std::string consequence;  // what the machine does about it; empty when it is not clear
};

// The names the messages give the two sides.
struct Sides {
  std::string_view asked = "the call";
  std::string_view actual = "the definition";
};

// asked: how the host calls (its cast); actual: what the plugin defines. A null return type on
// either side (from a mangled name) is not compared. Parameters' own qualifiers never count.
std::vector<Difference> compare_functions(const FunctionType& asked, const FunctionType& actual,
                                          const Sides& sides = {});

// Two definitions of a record (say the host's and the plugin's struct point): size, alignment,
// the first field that moved, fields whose types differ in size or class, fields on one side only.
// Records without a layout on either side compare by name only.
std::vector<Difference> compare_layouts(const Type& asked, const Type& actual,
                                        const Sides& sides = {"the host", "the plugin"});

// What the ELF symbol table (and, when known, the debug information) says of the symbol.
struct SymbolFacts {
  unsigned char elf_type = 0;  // STT_OBJECT, STT_FUNC, STT_TLS, STT_GNU_IFUNC...
  std::uint64_t size = 0;      // st_size: 0 when not recorded
  TypeRef type;                // its type from DWARF, or null
};

// A symbol asked as asked (a data object's type, or a function type): a function asked as data
// or data asked as a function, an object whose st_size is not the asked type's size, and, when
// the DWARF type is known, how the two types differ. A function type against a function symbol
// gives nothing here: compare_functions compares those.
std::vector<Difference> compare_object(const Type& asked, const SymbolFacts& actual,
                                       const Sides& sides = {});

// "error: parameter 2 is ...; the caller passes ..." : one line, for evidence.
std::string to_string(const Difference& difference);

}  // namespace dldoctor::signature
