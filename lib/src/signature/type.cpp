#include "signature/type.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace dldoctor::signature {
namespace {

// x86-64 System V psABI, table 3.1 (LP64): sizes and signedness of the fundamental types.
constexpr std::array<BuiltinFacts, 24> kBuiltins = {{
    {"void", Category::Void, 0, false},
    {"bool", Category::Integer, 1, false},
    {"char", Category::Integer, 1, true},
    {"signed char", Category::Integer, 1, true},
    {"unsigned char", Category::Integer, 1, false},
    {"short", Category::Integer, 2, true},
    {"unsigned short", Category::Integer, 2, false},
    {"int", Category::Integer, 4, true},
    {"unsigned int", Category::Integer, 4, false},
    {"long", Category::Integer, 8, true},
    {"unsigned long", Category::Integer, 8, false},
    {"long long", Category::Integer, 8, true},
    {"unsigned long long", Category::Integer, 8, false},
    {"__int128", Category::Integer, 16, true},
    {"unsigned __int128", Category::Integer, 16, false},
    {"wchar_t", Category::Integer, 4, true},
    {"char8_t", Category::Integer, 1, false},
    {"char16_t", Category::Integer, 2, false},
    {"char32_t", Category::Integer, 4, false},
    {"float", Category::Floating, 4, true},
    {"double", Category::Floating, 8, true},
    {"long double", Category::LongDouble, 16, true},
    {"_Float128", Category::Floating, 16, true},
    {"std::nullptr_t", Category::Pointer, 8, false},
}};

bool is_identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
}

std::string join_base(std::string base, const std::string& declarator) {
  if (declarator.empty()) return base;
  const char first = declarator.front();
  if (first == '*' || first == '&' || first == '[') return base + declarator;
  return base + " " + declarator;
}

std::string qualifier_prefix(const Type& type) {
  std::string prefix;
  if (type.is_const) prefix += "const ";
  if (type.is_volatile) prefix += "volatile ";
  return prefix;
}

std::string parameter_list(const FunctionType& function) {
  std::string text;
  for (const TypeRef& parameter : function.parameters) {
    if (!text.empty()) text += ", ";
    text += parameter ? to_string(*parameter) : "<?>";
  }
  if (function.variadic) text += text.empty() ? "..." : ", ...";
  if (text.empty() && function.prototyped) text = "void";
  return "(" + text + ")";
}

std::string base_name(const Type& type) {
  switch (type.kind) {
    case Type::Kind::Builtin: return std::string(facts(type.builtin).spelling);
    case Type::Kind::Record: {
      const std::string& name = type.name.empty() ? type.alias : type.name;
      const std::string shown = name.empty() ? "<anonymous>" : canonical_name(name);
      switch (type.tag) {
        case RecordTag::Struct: return "struct " + shown;
        case RecordTag::Union: return "union " + shown;
        case RecordTag::Class: return "class " + shown;
        case RecordTag::None: return shown;
      }
      return shown;
    }
    case Type::Kind::Enum:
      return "enum " + (type.name.empty() ? (type.alias.empty() ? "<anonymous>" : type.alias)
                                          : canonical_name(type.name));
    default: return type.name.empty() ? "<?>" : canonical_name(type.name);
  }
}

// Spells type around declarator (what has been built of the declarator so far, inside out).
std::string spell(const Type& type, const std::string& declarator, int depth) {
  if (depth > 64) return join_base("<?>", declarator);
  switch (type.kind) {
    case Type::Kind::Pointer:
    case Type::Kind::LValueReference:
    case Type::Kind::RValueReference: {
      std::string inner = type.kind == Type::Kind::Pointer           ? "*"
                          : type.kind == Type::Kind::LValueReference ? "&"
                                                                     : "&&";
      if (type.is_const) inner += " const";
      if (type.is_volatile) inner += " volatile";
      const bool wraps = type.target && (type.target->kind == Type::Kind::Function ||
                                         type.target->kind == Type::Kind::Array);
      if (!declarator.empty()) {
        const char first = declarator.front();
        if (is_identifier_char(first) || (first == '(' && !wraps)) inner += " ";
        inner += declarator;
      }
      if (wraps) inner = "(" + inner + ")";
      if (!type.target) return join_base("<?>", inner);
      return spell(*type.target, inner, depth + 1);
    }
    case Type::Kind::Array: {
      const std::string bounds =
          "[" + (type.array_count ? std::to_string(*type.array_count) : std::string()) + "]";
      if (!type.target) return join_base("<?>", declarator + bounds);
      return spell(*type.target, declarator + bounds, depth + 1);
    }
    case Type::Kind::Function: {
      if (!type.function) return join_base("<?>", declarator);
      const std::string inner = declarator + parameter_list(*type.function);
      if (!type.function->return_type) return join_base("<?>", inner);
      return spell(*type.function->return_type, inner, depth + 1);
    }
    default: return join_base(qualifier_prefix(type) + base_name(type), declarator);
  }
}

TypeRef make(Type type) { return std::make_shared<const Type>(std::move(type)); }

}  // namespace

const BuiltinFacts& facts(Builtin builtin) noexcept {
  return kBuiltins[static_cast<std::size_t>(builtin)];
}

std::optional<Builtin> builtin_from_words(const std::vector<std::string_view>& words) noexcept {
  int is_signed = 0, is_unsigned = 0, shorts = 0, longs = 0, ints = 0, others = 0;
  std::optional<Builtin> core;  // char, bool, float, ...: a word that names the type by itself
  for (std::string_view word : words) {
    if (word == "signed" || word == "__signed__" || word == "__signed") {
      ++is_signed;
    } else if (word == "unsigned") {
      ++is_unsigned;
    } else if (word == "short") {
      ++shorts;
    } else if (word == "long") {
      ++longs;
    } else if (word == "int") {
      ++ints;
    } else {
      ++others;
      if (word == "char")
        core = Builtin::Char;
      else if (word == "bool" || word == "_Bool")
        core = Builtin::Bool;
      else if (word == "float")
        core = Builtin::Float;
      else if (word == "double")
        core = Builtin::Double;
      else if (word == "void")
        core = Builtin::Void;
      else if (word == "__int128")
        core = Builtin::Int128;
      else if (word == "wchar_t")
        core = Builtin::WChar;
      else if (word == "char8_t")
        core = Builtin::Char8;
      else if (word == "char16_t")
        core = Builtin::Char16;
      else if (word == "char32_t")
        core = Builtin::Char32;
      else if (word == "_Float128" || word == "__float128")
        core = Builtin::Float128;
      else
        return std::nullopt;
    }
  }
  if (others > 1 || ints > 1 || shorts > 1 || longs > 2 || is_signed + is_unsigned > 1 ||
      (shorts > 0 && longs > 0))
    return std::nullopt;
  const bool sign_given = is_signed + is_unsigned > 0;
  if (core) {
    switch (*core) {
      case Builtin::Char:
        if (ints + shorts + longs > 0) return std::nullopt;
        if (is_signed > 0) return Builtin::SignedChar;
        if (is_unsigned > 0) return Builtin::UnsignedChar;
        return Builtin::Char;
      case Builtin::Int128:
        if (ints + shorts + longs > 0) return std::nullopt;
        return is_unsigned > 0 ? Builtin::UnsignedInt128 : Builtin::Int128;
      case Builtin::Double:
        if (sign_given || ints + shorts > 0 || longs > 1) return std::nullopt;
        return longs == 1 ? Builtin::LongDouble : Builtin::Double;
      default:
        if (sign_given || ints + shorts + longs > 0) return std::nullopt;
        return core;
    }
  }
  if (ints + shorts + longs + is_signed + is_unsigned == 0) return std::nullopt;
  if (shorts > 0) return is_unsigned > 0 ? Builtin::UnsignedShort : Builtin::Short;
  if (longs == 2) return is_unsigned > 0 ? Builtin::UnsignedLongLong : Builtin::LongLong;
  if (longs == 1) return is_unsigned > 0 ? Builtin::UnsignedLong : Builtin::Long;
  return is_unsigned > 0 ? Builtin::UnsignedInt : Builtin::Int;
}

TypeRef make_builtin(Builtin builtin) {
  Type type;
  type.kind = Type::Kind::Builtin;
  type.builtin = builtin;
  return make(std::move(type));
}

TypeRef make_pointer(TypeRef pointee) {
  Type type;
  type.kind = Type::Kind::Pointer;
  type.target = std::move(pointee);
  return make(std::move(type));
}

TypeRef make_reference(TypeRef referee, bool rvalue) {
  Type type;
  type.kind = rvalue ? Type::Kind::RValueReference : Type::Kind::LValueReference;
  type.target = std::move(referee);
  return make(std::move(type));
}

TypeRef make_array(TypeRef element, std::optional<std::uint64_t> count) {
  Type type;
  type.kind = Type::Kind::Array;
  type.target = std::move(element);
  type.array_count = count;
  return make(std::move(type));
}

TypeRef make_record(std::string name, RecordTag tag, std::optional<Layout> layout) {
  Type type;
  type.kind = Type::Kind::Record;
  type.name = std::move(name);
  type.tag = tag;
  type.layout = std::move(layout);
  return make(std::move(type));
}

TypeRef make_enum(std::string name, std::optional<std::uint64_t> size, bool is_signed) {
  Type type;
  type.kind = Type::Kind::Enum;
  type.name = std::move(name);
  type.enum_size = size;
  type.enum_signed = is_signed;
  return make(std::move(type));
}

TypeRef make_function(FunctionType function) {
  Type type;
  type.kind = Type::Kind::Function;
  type.function = std::make_shared<const FunctionType>(std::move(function));
  return make(std::move(type));
}

TypeRef make_opaque(std::string name) {
  Type type;
  type.kind = Type::Kind::Opaque;
  type.name = std::move(name);
  return make(std::move(type));
}

TypeRef with_qualifiers(const TypeRef& type, bool add_const, bool add_volatile) {
  if (!type || ((!add_const || type->is_const) && (!add_volatile || type->is_volatile)))
    return type;
  Type copy = *type;
  copy.is_const = copy.is_const || add_const;
  copy.is_volatile = copy.is_volatile || add_volatile;
  return make(std::move(copy));
}

TypeRef unqualified(const TypeRef& type) {
  if (!type || (!type->is_const && !type->is_volatile)) return type;
  Type copy = *type;
  copy.is_const = false;
  copy.is_volatile = false;
  return make(std::move(copy));
}

Category category_of(const Type& type) noexcept {
  switch (type.kind) {
    case Type::Kind::Builtin: return facts(type.builtin).category;
    case Type::Kind::Pointer:
    case Type::Kind::LValueReference:
    case Type::Kind::RValueReference: return Category::Pointer;
    case Type::Kind::Array: return Category::Array;
    case Type::Kind::Record: return Category::Record;
    case Type::Kind::Enum: return Category::Integer;
    case Type::Kind::Function: return Category::Function;
    case Type::Kind::Opaque: return Category::Unknown;
  }
  return Category::Unknown;
}

std::optional<std::uint64_t> size_of(const Type& type) noexcept {
  switch (type.kind) {
    case Type::Kind::Builtin:
      if (type.builtin == Builtin::Void) return std::nullopt;
      return facts(type.builtin).size;
    case Type::Kind::Pointer:
    case Type::Kind::LValueReference:
    case Type::Kind::RValueReference: return 8;
    case Type::Kind::Array: {
      if (!type.array_count || !type.target) return std::nullopt;
      const std::optional<std::uint64_t> element = size_of(*type.target);
      if (!element || (*element != 0 && *type.array_count > UINT64_MAX / *element))
        return std::nullopt;
      return *element * *type.array_count;
    }
    case Type::Kind::Record:
      if (!type.layout) return std::nullopt;
      return type.layout->size;
    // An enum whose underlying type was not given is int-sized: GCC's choice for every enum
    // whose values fit in an int (C: the enumerators are ints).
    case Type::Kind::Enum: return type.enum_size.value_or(4);
    default: return std::nullopt;
  }
}

std::optional<std::uint64_t> alignment_of(const Type& type) noexcept {
  switch (type.kind) {
    case Type::Kind::Array: return type.target ? alignment_of(*type.target) : std::nullopt;
    case Type::Kind::Record: {
      if (!type.layout) return std::nullopt;
      if (type.layout->alignment != 0) return type.layout->alignment;
      std::uint64_t widest = 1;
      for (const Field& field : type.layout->fields)
        if (field.type)
          if (const std::optional<std::uint64_t> a = alignment_of(*field.type))
            widest = std::max(widest, *a);
      return widest;
    }
    default: return size_of(type);
  }
}

bool is_signed(const Type& type) noexcept {
  if (type.kind == Type::Kind::Enum) return type.enum_signed;
  if (type.kind != Type::Kind::Builtin) return false;
  return facts(type.builtin).category == Category::Integer && facts(type.builtin).is_signed;
}

std::string to_string(const Type& type) { return spell(type, "", 0); }

std::string to_string(const FunctionType& function, std::string_view name) {
  const std::string declarator = std::string(name) + parameter_list(function);
  if (!function.return_type) return join_base("<?>", declarator);
  return spell(*function.return_type, declarator, 0);
}

std::string spelled_with_size(const Type& type) {
  const std::optional<std::uint64_t> size = size_of(type);
  std::string text = "'" + to_string(type) + "'";
  if (size) text += " (" + std::to_string(*size) + (*size == 1 ? " byte)" : " bytes)");
  return text;
}

bool same_record_name(const Type& a, const Type& b) noexcept {
  const auto names = [](const Type& type) {
    return std::array<std::string, 2>{canonical_name(type.name), canonical_name(type.alias)};
  };
  const auto mine = names(a);
  const auto theirs = names(b);
  for (const std::string& x : mine)
    for (const std::string& y : theirs)
      if (!x.empty() && x == y) return true;
  return false;
}

std::string canonical_name(std::string_view name) {
  std::string compact;
  compact.reserve(name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c != ' ' && c != '\t') {
      compact += c;
      continue;
    }
    // Keep one space between two identifier characters ("unsigned int", "(anonymous namespace)").
    std::size_t next = i;
    while (next < name.size() && (name[next] == ' ' || name[next] == '\t')) ++next;
    if (!compact.empty() && next < name.size() && is_identifier_char(compact.back()) &&
        is_identifier_char(name[next]))
      compact += ' ';
    i = next - 1;
  }
  // libstdc++'s std::string, in its C++11 ABI (inline namespace __cxx11) and its old one: both are
  // "std::string" to the person who wrote the signature.
  static const std::pair<std::string_view, std::string_view> kAliases[] = {
      {"std::__cxx11::basic_string<char,std::char_traits<char>,std::allocator<char>>",
       "std::string"},
      {"std::basic_string<char,std::char_traits<char>,std::allocator<char>>", "std::string"},
      {"std::__cxx11::basic_string<wchar_t,std::char_traits<wchar_t>,std::allocator<wchar_t>>",
       "std::wstring"},
  };
  for (const auto& [long_form, short_form] : kAliases) {
    for (std::size_t at = compact.find(long_form); at != std::string::npos;
         at = compact.find(long_form, at + short_form.size()))
      compact.replace(at, long_form.size(), short_form);
  }
  return compact;
}

}  // namespace dldoctor::signature
