// What the plugin's own debug information says a symbol is: a function's real prototype, a data
// object's type and size, or a record's layout, read with libdw into the type model (type.hpp),
// so that compare.hpp can hold the host's cast against it.
//
// A symbol is matched as the loader names it: by DW_AT_linkage_name for C++ (the mangled name),
// by DW_AT_name for C and extern "C". Among the DIEs that match, an external definition is
// preferred over a static one and a definition over a declaration; DW_AT_specification and
// DW_AT_abstract_origin are followed to the declaration that carries the parameters, the name and
// the scope. Types are read through typedefs (each is its target, its name kept as the alias) and
// cv-qualifiers; records with their DW_AT_byte_size and members' DW_AT_data_member_location, enums
// with their underlying size; DW_AT_prototyped false is a K&R definition and
// DW_TAG_unspecified_parameters is '...'.
//
// The file is not trusted: nesting is walked with an explicit bound, every type DIE is read once
// (a reference cycle ends as a record known by name, or "<?>"), and the number of DIEs read is
// capped. Nothing throws; a file that cannot answer says why.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "signature/type.hpp"

namespace dldoctor::signature {

struct NotDescribed {
  enum class Why {
    CannotOpen,   // open(2) failed
    NoDebugInfo,  // no DWARF at all: stripped (--strip-debug), or built without -g
    Unreadable,   // DWARF that libdw cannot read
    NoEntry,      // DWARF, but no DIE for this name
  };
  Why why = Why::NoEntry;
  std::string reason;  // "no debug information (stripped, or built without -g)"
};

template <class T>
using Described = std::variant<T, NotDescribed>;

struct Declaration {
  enum class Kind { Function, Object };
  Kind kind = Kind::Function;
  std::string name;          // qualified for C++ ("geo::area"), as the source spells it
  std::string linkage_name;  // DW_AT_linkage_name; empty for C and extern "C"
  FunctionType function;     // Kind::Function
  TypeRef type;              // Kind::Object: the object's type; Function: the function type
  std::optional<std::uint64_t> size;  // Kind::Object, from the type
  bool is_definition = true;          // false when only a declaration describes the symbol
  std::string source;                 // "geo.cpp:12" from DW_AT_decl_file and DW_AT_decl_line
};

// The function or data object the ELF symbol `symbol` names in the file at path.
Described<Declaration> read_declaration(const std::string& path, std::string_view symbol) noexcept;

// The definition (with its layout) of the struct, class, union or enum named record anywhere in
// the file: "point", "struct point", "geo::point", or a typedef's name ("point_t").
Described<TypeRef> read_record(const std::string& path, std::string_view record) noexcept;

}  // namespace dldoctor::signature
