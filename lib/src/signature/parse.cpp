#include "signature/parse.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>
#include <vector>

namespace dldoctor::signature {
namespace {

// The typedefs a signature is likely to use, as glibc defines them for x86-64 (bits/types.h,
// stdint.h, stddef.h). Each is its target: the comparison sees through them as the compiler does.
struct TypedefTarget {
  std::string_view name;
  Builtin target;
};
constexpr TypedefTarget kTypedefs[] = {
    {"int8_t", Builtin::SignedChar},
    {"uint8_t", Builtin::UnsignedChar},
    {"int16_t", Builtin::Short},
    {"uint16_t", Builtin::UnsignedShort},
    {"int32_t", Builtin::Int},
    {"uint32_t", Builtin::UnsignedInt},
    {"int64_t", Builtin::Long},
    {"uint64_t", Builtin::UnsignedLong},
    {"int_least8_t", Builtin::SignedChar},
    {"uint_least8_t", Builtin::UnsignedChar},
    {"int_least16_t", Builtin::Short},
    {"uint_least16_t", Builtin::UnsignedShort},
    {"int_least32_t", Builtin::Int},
    {"uint_least32_t", Builtin::UnsignedInt},
    {"int_least64_t", Builtin::Long},
    {"uint_least64_t", Builtin::UnsignedLong},
    // glibc's fast types are long-sized from 16 bits up on 64-bit targets.
    {"int_fast8_t", Builtin::SignedChar},
    {"uint_fast8_t", Builtin::UnsignedChar},
    {"int_fast16_t", Builtin::Long},
    {"uint_fast16_t", Builtin::UnsignedLong},
    {"int_fast32_t", Builtin::Long},
    {"uint_fast32_t", Builtin::UnsignedLong},
    {"int_fast64_t", Builtin::Long},
    {"uint_fast64_t", Builtin::UnsignedLong},
    {"intmax_t", Builtin::Long},
    {"uintmax_t", Builtin::UnsignedLong},
    {"intptr_t", Builtin::Long},
    {"uintptr_t", Builtin::UnsignedLong},
    {"size_t", Builtin::UnsignedLong},
    {"ssize_t", Builtin::Long},
    {"ptrdiff_t", Builtin::Long},
    {"off_t", Builtin::Long},
    {"off64_t", Builtin::Long},
    {"time_t", Builtin::Long},
    {"clock_t", Builtin::Long},
    {"suseconds_t", Builtin::Long},
    {"pid_t", Builtin::Int},
    {"uid_t", Builtin::UnsignedInt},
    {"gid_t", Builtin::UnsignedInt},
    {"mode_t", Builtin::UnsignedInt},
    {"socklen_t", Builtin::UnsignedInt},
    {"dev_t", Builtin::UnsignedLong},
    {"ino_t", Builtin::UnsignedLong},
    {"nlink_t", Builtin::UnsignedLong},
    {"u_char", Builtin::UnsignedChar},
    {"u_short", Builtin::UnsignedShort},
    {"u_int", Builtin::UnsignedInt},
    {"u_long", Builtin::UnsignedLong},
    {"nullptr_t", Builtin::Nullptr},
    {"max_align_t", Builtin::LongDouble},
};

constexpr std::string_view kBuiltinWords[] = {
    "signed",  "__signed__", "__signed", "unsigned", "short",     "long",       "int",
    "char",    "bool",       "_Bool",    "float",    "double",    "void",       "__int128",
    "wchar_t", "char8_t",    "char16_t", "char32_t", "_Float128", "__float128",
};

bool is_builtin_word(std::string_view word) {
  return std::find(std::begin(kBuiltinWords), std::end(kBuiltinWords), word) !=
         std::end(kBuiltinWords);
}

bool is_cv_word(std::string_view word) {
  return word == "const" || word == "volatile" || word == "restrict" || word == "__restrict" ||
         word == "__restrict__";
}

bool is_identifier_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
}
bool is_identifier_char(char c) {
  return is_identifier_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0;
}

enum class TokenKind { End, Identifier, Number, Punct };

struct Token {
  TokenKind kind = TokenKind::End;
  std::string_view text;
  std::size_t column = 0;
};

ParseError error_at(std::size_t column, std::string what) {
  return ParseError{column, what + " at column " + std::to_string(column)};
}

// Splits text into tokens. An identifier's template arguments (`vector<int, alloc<int> >`) stay
// in its token: a template is one opaque name here. So do the demangler's `(anonymous
// namespace)` and `decltype(nullptr)`, which are names, not declarators.
std::variant<std::vector<Token>, ParseError> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t at = 0;
  while (at < text.size()) {
    const char c = text[at];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++at;
      continue;
    }
    const std::size_t start = at;
    for (std::string_view name :
         {std::string_view("(anonymous namespace)"), std::string_view("decltype(nullptr)")}) {
      if (text.substr(at, name.size()) == name) {
        tokens.push_back({TokenKind::Identifier, name, start});
        at += name.size();
        break;
      }
    }
    if (at != start) continue;
    if (is_identifier_start(c)) {
      while (at < text.size() && is_identifier_char(text[at])) ++at;
      // Template arguments, balanced (parentheses too: `<(1 > 2)>`).
      std::size_t look = at;
      while (look < text.size() && text[look] == ' ') ++look;
      if (look < text.size() && text[look] == '<') {
        int angles = 0, parens = 0;
        std::size_t end = look;
        for (; end < text.size(); ++end) {
          const char t = text[end];
          if (t == '(')
            ++parens;
          else if (t == ')')
            --parens;
          else if (t == '<' && parens == 0)
            ++angles;
          else if (t == '>' && parens == 0 && --angles == 0)
            break;
        }
        if (end >= text.size()) return error_at(look, "unbalanced '<'");
        at = end + 1;
      }
      tokens.push_back({TokenKind::Identifier, text.substr(start, at - start), start});
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
      while (at < text.size() && std::isalnum(static_cast<unsigned char>(text[at])) != 0) ++at;
      tokens.push_back({TokenKind::Number, text.substr(start, at - start), start});
      continue;
    }
    for (std::string_view punct :
         {"...", "::", "&&", "*", "&", "(", ")", "[", "]", ",", "=", "~", "<", ">"}) {
      if (text.substr(at, punct.size()) == punct) {
        tokens.push_back({TokenKind::Punct, punct, start});
        at += punct.size();
        break;
      }
    }
    if (at == start) return error_at(start, std::string("unexpected '") + c + "'");
  }
  tokens.push_back({TokenKind::End, "", text.size()});
  return tokens;
}

// One step of a declarator, applied inside out to the type the specifiers named.
struct DeclaratorStep {
  enum class Kind { Pointer, LValueReference, RValueReference, Array, Function } kind;
  bool is_const = false;
  bool is_volatile = false;
  std::optional<std::uint64_t> count;  // Array
  FunctionType function;               // Function: everything but the return type
  std::size_t column = 0;
};

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  // A type-id: specifiers, then an abstract declarator (a name in it is allowed and ignored).
  std::optional<TypeRef> type_id() {
    if (++depth_ > kMaxDepth) return fail(peek().column, "types nested too deeply");
    std::optional<TypeRef> base = specifiers();
    if (!base) return std::nullopt;
    std::optional<std::vector<DeclaratorStep>> steps = declarator();
    if (!steps) return std::nullopt;
    TypeRef type = *base;
    for (DeclaratorStep& step : *steps) {
      std::optional<TypeRef> applied = apply(type, std::move(step));
      if (!applied) return std::nullopt;
      type = *applied;
    }
    --depth_;
    return type;
  }

  std::optional<FunctionType> parameters() {
    if (!expect("(")) return std::nullopt;
    FunctionType function;
    if (accept(")")) return function;
    if (accept("...")) {
      function.variadic = true;
      if (!expect(")")) return std::nullopt;
      return function;
    }
    while (true) {
      const std::size_t column = peek().column;
      std::optional<TypeRef> parameter = type_id();
      if (!parameter) return std::nullopt;
      const Type& type = **parameter;
      if (type.kind == Type::Kind::Builtin && type.builtin == Builtin::Void) {
        // `(void)` is the empty list; void anywhere else is no parameter.
        if (!function.parameters.empty() || !is_punct(peek(), ")"))
          return fail(column, "'void' must be the only parameter");
        next();
        return function;
      }
      function.parameters.push_back(adjust_parameter(*parameter));
      if (accept("...")) {  // C++ also allows `int...` without the comma
        function.variadic = true;
        return expect(")") ? std::optional(std::move(function)) : std::nullopt;
      }
      if (accept(")")) return function;
      if (!is_punct(peek(), ",")) return fail(peek().column, "expected ',' or ')'");
      next();
      if (accept("...")) {
        function.variadic = true;
        return expect(")") ? std::optional(std::move(function)) : std::nullopt;
      }
    }
  }

  // NAME for parse_signature: a C name, a qualified C++ name (templates, destructors) or a
  // mangled or versioned ELF name.
  std::optional<std::string> symbol_name() {
    std::string name;
    if (is_punct(peek(), "::")) name += next().text;
    while (true) {
      if (is_punct(peek(), "~")) name += next().text;
      if (peek().kind != TokenKind::Identifier)
        return fail(peek().column, name.empty() ? "expected a symbol name" : "expected a name");
      name += next().text;
      if (!is_punct(peek(), "::")) break;
      name += next().text;
    }
    return canonical_name(name);
  }

  bool at_end() const { return peek().kind == TokenKind::End; }
  const Token& peek(std::size_t ahead = 0) const {
    return tokens_[std::min(index_ + ahead, tokens_.size() - 1)];
  }
  bool expect(std::string_view punct) {
    if (accept(punct)) return true;
    fail(peek().column, "expected '" + std::string(punct) + "'");
    return false;
  }
  bool accept(std::string_view punct) {
    if (!is_punct(peek(), punct)) return false;
    next();
    return true;
  }
  std::nullopt_t fail(std::size_t column, std::string what) {
    if (!error_) error_ = error_at(column, std::move(what));
    return std::nullopt;
  }
  ParseError error() const { return error_.value_or(error_at(0, "cannot parse")); }

 private:
  static constexpr int kMaxDepth = 64;
  static constexpr int kMaxSteps = 256;

  static bool is_punct(const Token& token, std::string_view punct) {
    return token.kind == TokenKind::Punct && token.text == punct;
  }
  const Token& next() {
    const Token& token = peek();
    if (index_ + 1 < tokens_.size()) ++index_;
    return token;
  }

  std::optional<std::string> qualified_name() {
    std::string name;
    if (is_punct(peek(), "::")) name += next().text;
    while (true) {
      if (peek().kind != TokenKind::Identifier) return fail(peek().column, "expected a name");
      name += next().text;
      if (!is_punct(peek(), "::") || peek(1).kind != TokenKind::Identifier) break;
      name += next().text;
    }
    return canonical_name(name);
  }

  std::optional<TypeRef> specifiers() {
    bool is_const = false, is_volatile = false;
    std::vector<std::string_view> words;
    std::optional<std::string> named;
    std::optional<Type::Kind> tag_kind;
    RecordTag tag = RecordTag::None;
    const std::size_t start = peek().column;
    std::size_t named_column = start;
    while (true) {
      const Token& token = peek();
      const bool identifier = token.kind == TokenKind::Identifier;
      if (identifier && is_cv_word(token.text)) {
        is_const = is_const || token.text == "const";
        is_volatile = is_volatile || token.text == "volatile";
        next();
      } else if (identifier && (token.text == "typename" || token.text == "extern")) {
        next();
      } else if (identifier && is_builtin_word(token.text) && !named) {
        words.push_back(next().text);
      } else if (identifier && (token.text == "struct" || token.text == "union" ||
                                token.text == "class" || token.text == "enum")) {
        if (named || !words.empty()) return fail(token.column, "two types in one specifier");
        tag_kind = token.text == "enum" ? Type::Kind::Enum : Type::Kind::Record;
        tag = token.text == "struct"  ? RecordTag::Struct
              : token.text == "union" ? RecordTag::Union
              : token.text == "class" ? RecordTag::Class
                                      : RecordTag::None;
        next();
        named_column = peek().column;
        named = qualified_name();
        if (!named) return std::nullopt;
      } else if ((identifier || is_punct(token, "::")) && !named && words.empty()) {
        named_column = token.column;
        named = qualified_name();
        if (!named) return std::nullopt;
      } else {
        break;  // a declarator, or a parameter's name after a complete type
      }
    }
    TypeRef base;
    if (!words.empty()) {
      if (named) return fail(named_column, "a builtin type word cannot qualify a named type");
      const std::optional<Builtin> builtin = builtin_from_words(words);
      if (!builtin) {
        std::string spelled;
        for (std::string_view word : words)
          spelled += (spelled.empty() ? "" : " ") + std::string(word);
        return fail(start, "'" + spelled + "' is not a type");
      }
      base = make_builtin(*builtin);
    } else if (named) {
      base = named_type(*named, tag_kind, tag);
    } else {
      return fail(peek().column, "expected a type");
    }
    return with_qualifiers(base, is_const, is_volatile);
  }

  static TypeRef named_type(const std::string& name, std::optional<Type::Kind> tag_kind,
                            RecordTag tag) {
    if (tag_kind == Type::Kind::Enum) return make_enum(name, std::nullopt, true);
    if (tag_kind == Type::Kind::Record) return make_record(name, tag);
    if (name == "decltype(nullptr)") return make_builtin(Builtin::Nullptr);
    const std::string_view bare = std::string_view(name).substr(name.rfind("std::", 0) == 0 ? 5
                                                                : name[0] == ':'            ? 2
                                                                                            : 0);
    for (const TypedefTarget& entry : kTypedefs) {
      if (entry.name == bare) {
        Type type = *make_builtin(entry.target);
        type.alias = name;
        return std::make_shared<const Type>(std::move(type));
      }
    }
    return make_record(name, RecordTag::None);
  }

  // Steps in the order they apply to the base type: pointers first, then the suffixes from the
  // last to the first, then the nested declarator's (`int *(*)[4]`: int* -> array of 4 -> pointer).
  std::optional<std::vector<DeclaratorStep>> declarator() {
    if (++depth_ > kMaxDepth) return fail(peek().column, "declarator nested too deeply");
    std::vector<DeclaratorStep> steps;
    while (is_punct(peek(), "*") || is_punct(peek(), "&") || is_punct(peek(), "&&")) {
      // A type is a chain of nodes: bounded, so that neither building nor freeing it recurses
      // without end.
      if (++steps_ > kMaxSteps) return fail(peek().column, "too many '*' and '&'");
      DeclaratorStep step;
      step.column = peek().column;
      const std::string_view op = next().text;
      step.kind = op == "*"   ? DeclaratorStep::Kind::Pointer
                  : op == "&" ? DeclaratorStep::Kind::LValueReference
                              : DeclaratorStep::Kind::RValueReference;
      while (peek().kind == TokenKind::Identifier && is_cv_word(peek().text)) {
        step.is_const = step.is_const || peek().text == "const";
        step.is_volatile = step.is_volatile || peek().text == "volatile";
        next();
      }
      steps.push_back(std::move(step));
    }
    std::vector<DeclaratorStep> nested;
    const bool opens_nested =
        is_punct(peek(), "(") &&
        (is_punct(peek(1), "*") || is_punct(peek(1), "&") || is_punct(peek(1), "&&"));
    if (opens_nested) {
      next();
      std::optional<std::vector<DeclaratorStep>> inner = declarator();
      if (!inner || !expect(")")) return std::nullopt;
      nested = std::move(*inner);
    } else if (peek().kind == TokenKind::Identifier && !is_cv_word(peek().text) &&
               !is_builtin_word(peek().text)) {
      next();  // a parameter's name
    }
    std::vector<DeclaratorStep> suffixes;
    while (is_punct(peek(), "[") || is_punct(peek(), "(")) {
      DeclaratorStep step;
      step.column = peek().column;
      if (accept("[")) {
        step.kind = DeclaratorStep::Kind::Array;
        if (peek().kind == TokenKind::Number) {
          const Token number = next();
          step.count = parse_number(number.text);
          if (!step.count) return fail(number.column, "array size is not a number");
        }
        if (!expect("]")) return std::nullopt;
      } else {
        step.kind = DeclaratorStep::Kind::Function;
        std::optional<FunctionType> function = parameters();
        if (!function) return std::nullopt;
        step.function = std::move(*function);
        // What the demangler may print after a function type's parameters.
        while (peek().kind == TokenKind::Identifier &&
               (peek().text == "noexcept" || is_cv_word(peek().text)))
          next();
      }
      suffixes.push_back(std::move(step));
    }
    std::reverse(suffixes.begin(), suffixes.end());
    for (DeclaratorStep& step : suffixes) steps.push_back(std::move(step));
    for (DeclaratorStep& step : nested) steps.push_back(std::move(step));
    --depth_;
    return steps;
  }

  static std::optional<std::uint64_t> parse_number(std::string_view text) {
    std::uint64_t value = 0;
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
      base = 16;
      text.remove_prefix(2);
    }
    while (!text.empty() &&
           (text.back() == 'u' || text.back() == 'U' || text.back() == 'l' || text.back() == 'L'))
      text.remove_suffix(1);
    if (text.empty()) return std::nullopt;
    for (char c : text) {
      const int digit = std::isdigit(static_cast<unsigned char>(c)) != 0 ? c - '0'
                        : base == 16 && std::isxdigit(static_cast<unsigned char>(c)) != 0
                            ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                            : -1;
      if (digit < 0 || value > (UINT64_MAX - static_cast<std::uint64_t>(digit)) / base)
        return std::nullopt;
      value = value * base + static_cast<std::uint64_t>(digit);
    }
    return value;
  }

  std::optional<TypeRef> apply(const TypeRef& type, DeclaratorStep step) {
    switch (step.kind) {
      case DeclaratorStep::Kind::Pointer:
        return with_qualifiers(make_pointer(type), step.is_const, step.is_volatile);
      case DeclaratorStep::Kind::LValueReference:
      case DeclaratorStep::Kind::RValueReference:
        if (type->kind == Type::Kind::LValueReference || type->kind == Type::Kind::RValueReference)
          return fail(step.column, "a reference to a reference");
        return make_reference(type, step.kind == DeclaratorStep::Kind::RValueReference);
      case DeclaratorStep::Kind::Array:
        if (type->kind == Type::Kind::Function) return fail(step.column, "an array of functions");
        return make_array(type, step.count);
      case DeclaratorStep::Kind::Function:
        if (type->kind == Type::Kind::Function || type->kind == Type::Kind::Array)
          return fail(step.column, type->kind == Type::Kind::Function
                                       ? "a function cannot return a function"
                                       : "a function cannot return an array");
        step.function.return_type = unqualified(type);
        return make_function(std::move(step.function));
    }
    return std::nullopt;
  }

  // C 6.7.6.3: a parameter of array type is a pointer, of function type a function pointer,
  // and its own qualifiers are not part of the function's type.
  static TypeRef adjust_parameter(const TypeRef& parameter) {
    if (parameter->kind == Type::Kind::Array)
      return with_qualifiers(make_pointer(parameter->target), false, false);
    if (parameter->kind == Type::Kind::Function) return make_pointer(parameter);
    return unqualified(parameter);
  }

  std::vector<Token> tokens_;
  std::size_t index_ = 0;
  int depth_ = 0;
  int steps_ = 0;
  std::optional<ParseError> error_;
};

// Tokens of text with their columns moved by offset (text is part of a longer argument).
std::variant<Parser, ParseError> parser_for(std::string_view text, std::size_t offset) {
  auto tokens = tokenize(text);
  if (auto* error = std::get_if<ParseError>(&tokens)) {
    return error_at(error->column + offset,
                    error->message.substr(0, error->message.rfind(" at column ")));
  }
  std::vector<Token> moved = std::get<std::vector<Token>>(std::move(tokens));
  for (Token& token : moved) token.column += offset;
  return Parser(std::move(moved));
}

ParseError trailing(const Parser& parser) {
  return error_at(parser.peek().column,
                  "unexpected '" + std::string(parser.peek().text) + "' after the type");
}

}  // namespace

Parsed<TypeRef> parse_type(std::string_view text) noexcept {
  try {
    auto made = parser_for(text, 0);
    if (auto* error = std::get_if<ParseError>(&made)) return *error;
    Parser& parser = std::get<Parser>(made);
    std::optional<TypeRef> type = parser.type_id();
    if (!type) return parser.error();
    if (!parser.at_end()) return trailing(parser);
    return *type;
  } catch (...) {
    return ParseError{0, "out of memory at column 0"};
  }
}

Parsed<FunctionType> parse_parameter_list(std::string_view text) noexcept {
  try {
    auto made = parser_for(text, 0);
    if (auto* error = std::get_if<ParseError>(&made)) return *error;
    Parser& parser = std::get<Parser>(made);
    std::optional<FunctionType> function = parser.parameters();
    if (!function) return parser.error();
    if (!parser.at_end()) return trailing(parser);
    return std::move(*function);
  } catch (...) {
    return ParseError{0, "out of memory at column 0"};
  }
}

Parsed<Signature> parse_signature(std::string_view text) noexcept {
  try {
    // The name ends at the first '=' outside template brackets.
    std::size_t equals = std::string_view::npos;
    int angles = 0;
    for (std::size_t i = 0; i < text.size() && equals == std::string_view::npos; ++i) {
      if (text[i] == '<')
        ++angles;
      else if (text[i] == '>')
        --angles;
      else if (text[i] == '=' && angles <= 0)
        equals = i;
    }
    if (equals == std::string_view::npos)
      return error_at(text.size(), "expected '=' between the name and its type (NAME=RET(ARGS))");
    Signature signature;
    {
      // ELF names may also carry '.' and '@' (foo.part.0, foo@VERS_1): taken as they are.
      const std::string_view raw = text.substr(0, equals);
      const bool plain_elf_name = !raw.empty() && std::all_of(raw.begin(), raw.end(), [](char c) {
        return is_identifier_char(c) || c == '.' || c == '@';
      });
      if (plain_elf_name && !std::isdigit(static_cast<unsigned char>(raw[0]))) {
        signature.name = std::string(raw);
      } else {
        auto made = parser_for(raw, 0);
        if (auto* error = std::get_if<ParseError>(&made)) return *error;
        Parser& parser = std::get<Parser>(made);
        std::optional<std::string> name = parser.symbol_name();
        if (!name) return parser.error();
        if (!parser.at_end())
          return error_at(parser.peek().column,
                          "unexpected '" + std::string(parser.peek().text) + "' in the name");
        signature.name = std::move(*name);
      }
    }
    auto made = parser_for(text.substr(equals + 1), equals + 1);
    if (auto* error = std::get_if<ParseError>(&made)) return *error;
    Parser& parser = std::get<Parser>(made);
    std::optional<TypeRef> type = parser.type_id();
    if (!type) return parser.error();
    if (!parser.at_end()) return trailing(parser);
    signature.type = unqualified(*type);
    return signature;
  } catch (...) {
    return ParseError{0, "out of memory at column 0"};
  }
}

}  // namespace dldoctor::signature
