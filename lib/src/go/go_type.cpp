// Go type text (go_type.hpp): a recursive-descent parser over the type grammar of the Go spec
// (Types: TypeName, PointerType, SliceType, ArrayType, MapType, ChannelType, FunctionType, and
// the empty interface and struct), enough for what a plugin's symbols are asserted to.
#include "go/go_type.hpp"

#include <cctype>
#include <vector>

namespace dldoctor::go {
namespace {

constexpr std::size_t kMaxDepth = 64;

bool identifier_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
// A qualified name's characters: an import path may hold dots, slashes, dashes and tildes.
bool name_char(char c) {
  return identifier_char(c) || c == '.' || c == '/' || c == '-' || c == '~';
}

// The last element of an import path: "example.com/x.T" -> "x.T".
std::string last_element(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  const std::size_t slash = name.rfind('/', dot == std::string_view::npos ? name.npos : dot);
  return std::string(slash == std::string_view::npos ? name : name.substr(slash + 1));
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::variant<std::string, TypeParseError> parse() {
    std::string type = type_(0);
    if (!error_.message.empty()) return error_;
    skip();
    if (at_ < text_.size()) return TypeParseError{"unexpected text after the type", at_};
    return type;
  }

 private:
  void skip() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_])) != 0) ++at_;
  }
  bool eat(std::string_view token) {
    skip();
    if (text_.substr(at_).starts_with(token)) {
      at_ += token.size();
      return true;
    }
    return false;
  }
  // A keyword, not the prefix of a longer name ("map" but not "mapping").
  bool keyword(std::string_view word) {
    skip();
    if (!text_.substr(at_).starts_with(word)) return false;
    const std::size_t end = at_ + word.size();
    if (end < text_.size() && identifier_char(text_[end])) return false;
    at_ = end;
    return true;
  }
  std::string fail(std::string message) {
    if (error_.message.empty()) error_ = TypeParseError{std::move(message), at_};
    return "";
  }
  std::string name() {
    skip();
    const std::size_t start = at_;
    while (at_ < text_.size() && name_char(text_[at_])) ++at_;
    if (at_ == start) return "";
    return std::string(text_.substr(start, at_ - start));
  }

  std::string type_(std::size_t depth) {
    if (depth > kMaxDepth) return fail("the type nests too deeply");
    skip();
    if (at_ >= text_.size()) return fail("a type is missing");
    if (eat("*")) return "*" + type_(depth + 1);
    if (eat("...")) return "..." + type_(depth + 1);
    if (eat("[")) {
      skip();
      std::string length;
      while (at_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_])) != 0)
        length += text_[at_++];
      if (!eat("]")) return fail("']' expected");
      return "[" + length + "]" + type_(depth + 1);
    }
    if (keyword("map")) {
      if (!eat("[")) return fail("'[' expected after map");
      std::string key = type_(depth + 1);
      if (!eat("]")) return fail("']' expected after the map's key type");
      return "map[" + key + "]" + type_(depth + 1);
    }
    if (keyword("chan")) {
      if (eat("<-")) return "chan<- " + type_(depth + 1);
      return "chan " + type_(depth + 1);
    }
    if (eat("<-")) {
      if (!keyword("chan")) return fail("chan expected after <-");
      return "<-chan " + type_(depth + 1);
    }
    if (keyword("func")) return "func" + signature(depth + 1);
    for (std::string_view kind : {"interface", "struct"})
      if (keyword(kind)) {
        if (!eat("{") || !eat("}"))
          return fail("only the empty " + std::string(kind) + " {} is known");
        return std::string(kind) + " {}";
      }
    const std::string qualified = name();
    if (qualified.empty()) return fail("a type is expected");
    return last_element(qualified);
  }

  // "(" [entries] ")" [result]: entries are "Type" or "name Type"; in a list with names, a bare
  // name takes the type of the next entry that has one (func(a, b int) is func(int, int)).
  std::string signature(std::size_t depth) {
    if (!eat("(")) return fail("'(' expected after func");
    const std::vector<std::string> parameters = entries(depth);
    if (!error_.message.empty()) return "";
    std::string text = "(" + joined(parameters) + ")";
    skip();
    if (at_ >= text_.size() || text_[at_] == ',' || text_[at_] == ')' || text_[at_] == ']')
      return text;
    if (eat("(")) {
      const std::vector<std::string> results = entries(depth);
      if (results.size() == 1) return text + " " + results.front();
      return text + " (" + joined(results) + ")";
    }
    return text + " " + type_(depth + 1);
  }

  std::vector<std::string> entries(std::size_t depth) {
    struct Entry {
      std::string name_or_type;
      std::string type;  // "" when the entry is one word
    };
    std::vector<Entry> list;
    if (eat(")")) return {};
    while (error_.message.empty()) {
      std::string first = type_(depth + 1);
      skip();
      Entry entry{first, ""};
      // "name Type": the first word was a plain identifier and a type follows.
      if (at_ < text_.size() && text_[at_] != ',' && text_[at_] != ')') {
        bool plain = !first.empty();
        for (const char c : first) plain = plain && identifier_char(c);
        if (!plain) {
          fail("',' or ')' expected");
          break;
        }
        entry.type = type_(depth + 1);
      }
      list.push_back(std::move(entry));
      if (eat(")")) break;
      if (!eat(",")) {
        fail("',' or ')' expected");
        break;
      }
    }
    bool named = false;
    for (const Entry& entry : list) named = named || !entry.type.empty();
    std::vector<std::string> types(list.size());
    std::string pending;
    for (std::size_t i = list.size(); i-- > 0;) {
      if (!named) {
        types[i] = list[i].name_or_type;
      } else if (!list[i].type.empty()) {
        types[i] = pending = list[i].type;
      } else if (pending.empty()) {
        fail("a parameter name without a type");
        return {};
      } else {
        types[i] = pending;
      }
    }
    return types;
  }

  static std::string joined(const std::vector<std::string>& parts) {
    std::string text;
    for (const std::string& part : parts) text += (text.empty() ? "" : ", ") + part;
    return text;
  }

  std::string_view text_;
  std::size_t at_ = 0;
  TypeParseError error_;
};

}  // namespace

std::variant<std::string, TypeParseError> canonical_type(std::string_view text) noexcept {
  try {
    return Parser(text).parse();
  } catch (...) {
    return TypeParseError{"out of memory", 0};
  }
}

bool looks_like_go_type(std::string_view type) noexcept {
  while (!type.empty() && type.front() == ' ') type.remove_prefix(1);
  if (type.starts_with("*")) return true;
  if (!type.starts_with("func")) return false;
  type.remove_prefix(4);
  while (!type.empty() && type.front() == ' ') type.remove_prefix(1);
  return type.starts_with("(");
}

std::string reflect_spelling(std::string_view dwarf_name, std::string_view plugin_path) {
  std::string out;
  std::size_t at = 0;
  while (at < dwarf_name.size()) {
    if (!name_char(dwarf_name[at])) {
      out += dwarf_name[at++];
      continue;
    }
    const std::size_t start = at;
    while (at < dwarf_name.size() && name_char(dwarf_name[at])) ++at;
    std::string_view word = dwarf_name.substr(start, at - start);
    if (!plugin_path.empty() && word.starts_with(plugin_path) && word.size() > plugin_path.size() &&
        word[plugin_path.size()] == '.')
      out += "main" + std::string(word.substr(plugin_path.size()));
    else
      out += last_element(word);
  }
  return out;
}

}  // namespace dldoctor::go
