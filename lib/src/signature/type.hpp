// The C and C++ types of a function signature, as a small tree that compares by meaning: what the
// host casts a symbol to (parse.hpp), what the plugin's debug information says it is
// (dwarf_prototype.hpp) and what its mangled name says (mangled.hpp) all end up here, so that
// compare.hpp can set them side by side.
//
// Builtins carry their x86-64 System V LP64 meaning (size, signedness, which register file), the
// only ABI dldoctor diagnoses. A typedef is its target (the name it was spelled with is kept as
// `alias` for messages and for matching an opaque name such as FILE).
//
// Canonical spelling (to_string): C abstract declarators with the pointer glued to the type on its
// left, one space before a parameter list, `, ` between parameters:
//   int (int, int)            a function type
//   int add(int, int)         the same, named
//   const char*               pointer to const char
//   char* const*              pointer to const pointer to char
//   int (*)(int)              pointer to function
//   int (*)[4]                pointer to array
//   void (void)               a prototyped function without parameters
//   int ()                    an unprototyped (K&R) C function
//   <?> (long, long)          a function whose return type is not known (a mangled name)
// Qualifiers come first (`const char`), builtins use their shortest C name (`unsigned long`, not
// `long unsigned int`), record types their tag when one was given (`struct point`; C++ DWARF gives
// none) and their name as canonical_name spells it (`std::string`,
// `std::vector<int,std::allocator<int>>`).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dldoctor::signature {

enum class Builtin {
  Void,
  Bool,
  Char,  // plain char: signed on x86-64, but a C++ type distinct from signed char
  SignedChar,
  UnsignedChar,
  Short,
  UnsignedShort,
  Int,
  UnsignedInt,
  Long,
  UnsignedLong,
  LongLong,  // same size and class as long on LP64, a different C++ type (mangled x, not l)
  UnsignedLongLong,
  Int128,
  UnsignedInt128,
  WChar,  // wchar_t: int-sized and signed on x86-64 Linux
  Char8,
  Char16,
  Char32,
  Float,
  Double,
  LongDouble,  // x87 80-bit in 16 bytes: passed in memory, returned in %st(0)
  Float128,
  Nullptr,  // std::nullptr_t, decltype(nullptr): a pointer-sized zero
};

// How a value of the type is represented, in the words the comparison uses.
enum class Category {
  Void,
  Integer,     // integers, bool, characters, enums
  Floating,    // float, double, _Float128
  LongDouble,  // x87
  Pointer,     // object and function pointers, references, std::nullptr_t
  Record,      // struct, union, class by value
  Array,
  Function,
  Unknown,  // an opaque name without layout, a type the reader could not read
};

struct BuiltinFacts {
  std::string_view spelling;  // "unsigned long"
  Category category;
  std::uint64_t size;  // bytes
  bool is_signed;
};
const BuiltinFacts& facts(Builtin builtin) noexcept;

// The words a builtin may be spelled with, in any order ("long unsigned int", "unsigned",
// "signed char", "_Bool", "__int128 unsigned"), to the builtin: what the grammar and the DWARF
// base type names share. nullopt for a combination that is no type ("unsigned double").
std::optional<Builtin> builtin_from_words(const std::vector<std::string_view>& words) noexcept;

struct Type;
using TypeRef = std::shared_ptr<const Type>;

enum class RecordTag { None, Struct, Union, Class };  // None: named without a tag (C++ `point`)

struct Field {
  std::string name;          // "" for an anonymous member; "<base NAME>" for a base class
  std::uint64_t offset = 0;  // bytes from the start of the record
  std::optional<std::uint32_t> bit_size;  // set for a bit-field
  TypeRef type;
};

struct Layout {
  std::uint64_t size = 0;
  std::uint64_t alignment = 0;  // 0: not known
  std::vector<Field> fields;    // in declaration order
};

struct FunctionType {
  TypeRef return_type;  // null: not known (a non-template function's mangled name)
  std::vector<TypeRef> parameters;
  bool variadic = false;
  bool prototyped = true;  // false for a C definition without a prototype (K&R `int f()`)
  // A non-static member function's hidden first parameter, `Class* this` (in %rdi), which the
  // debug information lists as artificial; null for a free or static function.
  TypeRef implicit_this;
};

struct Type {
  enum class Kind {
    Builtin,
    Pointer,
    LValueReference,
    RValueReference,
    Array,
    Record,  // struct, union, class
    Enum,
    Function,
    Opaque,  // a name or construct this model does not look into (a member pointer, "<?>")
  };
  Kind kind = Kind::Opaque;
  bool is_const = false;
  bool is_volatile = false;
  Builtin builtin = Builtin::Void;           // Kind::Builtin
  TypeRef target;                            // the pointee, referee or element
  std::optional<std::uint64_t> array_count;  // Kind::Array; nullopt for `T[]`
  RecordTag tag = RecordTag::None;           // Kind::Record
  std::string name;                          // Record, Enum, Opaque: the qualified name
  std::string alias;                         // the typedef it was spelled with, if any
  std::optional<Layout> layout;              // Record: when the definition was seen
  std::optional<std::uint64_t> enum_size;    // Enum: the underlying type's size when known
  bool enum_signed = false;
  std::shared_ptr<const FunctionType> function;  // Kind::Function
};

// Builders: each returns a new, unqualified node.
TypeRef make_builtin(Builtin builtin);
TypeRef make_pointer(TypeRef pointee);
TypeRef make_reference(TypeRef referee, bool rvalue);
TypeRef make_array(TypeRef element, std::optional<std::uint64_t> count);
TypeRef make_record(std::string name, RecordTag tag, std::optional<Layout> layout = std::nullopt);
TypeRef make_enum(std::string name, std::optional<std::uint64_t> size, bool is_signed);
TypeRef make_function(FunctionType function);
TypeRef make_opaque(std::string name);
// A copy of type with const and volatile added (a qualifier never comes off this way).
TypeRef with_qualifiers(const TypeRef& type, bool add_const, bool add_volatile);
// A copy without its own const and volatile: what a by-value parameter's type means to a caller.
TypeRef unqualified(const TypeRef& type);

Category category_of(const Type& type) noexcept;
// Bytes; nullopt when not known (an opaque name, a record without its definition, T[]).
std::optional<std::uint64_t> size_of(const Type& type) noexcept;
std::optional<std::uint64_t> alignment_of(const Type& type) noexcept;
// Signed integer, enum with a signed underlying type.
bool is_signed(const Type& type) noexcept;

// The canonical spelling above. `name` goes where a declarator's name would.
std::string to_string(const Type& type);
std::string to_string(const FunctionType& function, std::string_view name = "");
// `int`, `struct point` (16 bytes)...: a type with its size, for messages about sizes.
std::string spelled_with_size(const Type& type);

// Records compare by name: the same when the qualified names are, or when one's typedef alias is
// the other's name (an opaque FILE against struct _IO_FILE read through its typedef).
bool same_record_name(const Type& a, const Type& b) noexcept;

// A name as the comparison sees it: spaces only between two identifier characters
// ("std::vector<int, std::allocator<int> >" is "std::vector<int,std::allocator<int>>"), and the
// libstdc++ C++11-ABI spelling of std::string (std::__cxx11::basic_string<char, ...>) as
// std::string, which is how people write it.
std::string canonical_name(std::string_view name);

}  // namespace dldoctor::signature
