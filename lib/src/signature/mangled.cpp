#include "signature/mangled.hpp"

#include <cxxabi.h>

#include <cctype>
#include <cstdlib>
#include <memory>

namespace dldoctor::signature {
namespace {

std::string_view without_version(std::string_view symbol) {
  const std::size_t at = symbol.find('@');
  return at == std::string_view::npos ? symbol : symbol.substr(0, at);
}

bool ends_with(std::string_view text, std::string_view tail) {
  return text.size() >= tail.size() && text.substr(text.size() - tail.size()) == tail;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// The qualified name and the return type of head, the text before the parameter list: a
// template instance's is "int geo::max<int>", anything else's only the name. An operator's
// spelling ("operator<<", "operator new[]", "operator unsigned long") belongs to the name.
std::pair<std::string_view, std::string_view> split_return_type(std::string_view head) {
  std::size_t name_end = head.size();
  std::size_t operator_at = std::string_view::npos;
  for (std::size_t at = head.find("operator"); at != std::string_view::npos;
       at = head.find("operator", at + 1)) {
    const bool word_start = at == 0 || head[at - 1] == ':' || head[at - 1] == ' ';
    if (word_start) {
      operator_at = at;
      break;
    }
  }
  if (operator_at != std::string_view::npos) name_end = operator_at;
  // The last space outside <> and () before the name's end separates the return type.
  int angles = 0, parens = 0;
  std::size_t split = std::string_view::npos;
  for (std::size_t i = 0; i < name_end; ++i) {
    const char c = head[i];
    if (c == '<')
      ++angles;
    else if (c == '>')
      --angles;
    else if (c == '(')
      ++parens;
    else if (c == ')')
      --parens;
    else if (c == ' ' && angles == 0 && parens == 0)
      split = i;
  }
  if (split == std::string_view::npos) return {head, {}};
  // "(anonymous namespace)::f" has its space inside parentheses; "unsigned long f<...>" splits at
  // the last one.
  return {trim(head.substr(split + 1)), trim(head.substr(0, split))};
}

// The last component of a qualified name, without template arguments: "area" of
// "geo::area<int>".
std::string_view last_component(std::string_view name) {
  int angles = 0;
  std::size_t start = 0;
  std::size_t end = name.size();
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '<') {
      if (angles++ == 0 && end == name.size()) end = i;
    } else if (name[i] == '>') {
      --angles;
    } else if (angles == 0 && name[i] == ':' && i + 1 < name.size() && name[i + 1] == ':') {
      start = i + 2;
      end = name.size();
    }
  }
  return name.substr(start, end - start);
}

std::string without_template_arguments(std::string_view name) {
  if (name.empty() || name.back() != '>') return std::string(name);
  int angles = 0;
  for (std::size_t i = name.size(); i-- > 0;) {
    if (name[i] == '>')
      ++angles;
    else if (name[i] == '<' && --angles == 0)
      return std::string(name.substr(0, i));
  }
  return std::string(name);
}

}  // namespace

std::optional<std::string> demangle(std::string_view symbol) noexcept {
  try {
    const std::string name(without_version(symbol));
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> text(
        abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status), &std::free);
    if (status != 0 || text == nullptr) return std::nullopt;
    return std::string(text.get());
  } catch (...) {
    return std::nullopt;
  }
}

std::variant<DemangledFunction, NotDemangled> demangle_function(std::string_view symbol) noexcept {
  try {
    const std::string_view name = without_version(symbol);
    if (name.substr(0, 2) != "_Z")
      return NotDemangled{NotDemangled::Why::NotMangled,
                          std::string(name) + " is not a mangled C++ name", ""};
    const std::optional<std::string> demangled = demangle(name);
    if (!demangled)
      return NotDemangled{NotDemangled::Why::Invalid,
                          "abi::__cxa_demangle does not read " + std::string(name), ""};
    std::string_view text = *demangled;
    // A clone GCC made of the function ("f(int) [clone .constprop.0]") has its type.
    while (ends_with(text, "]")) {
      const std::size_t clone = text.rfind(" [clone ");
      if (clone == std::string_view::npos) break;
      text = text.substr(0, clone);
    }
    // A thunk adjusts this and jumps to the function it names.
    for (std::string_view thunk :
         {"non-virtual thunk to ", "virtual thunk to ", "covariant return thunk to "})
      if (text.substr(0, thunk.size()) == thunk) text.remove_prefix(thunk.size());
    bool const_member = false;
    for (bool stripped = true; stripped;) {
      stripped = false;
      for (std::string_view qualifier : {" const", " volatile", " &&", " &", " noexcept"}) {
        if (ends_with(text, qualifier)) {
          const_member = const_member || qualifier == " const";
          text.remove_suffix(qualifier.size());
          stripped = true;
        }
      }
    }
    if (!ends_with(text, ")"))
      return NotDemangled{NotDemangled::Why::NotAFunction,
                          std::string(name) + " is " + *demangled + ", not a function", *demangled};
    int depth = 0;
    std::size_t open = std::string_view::npos;
    for (std::size_t i = text.size(); i-- > 0;) {
      if (text[i] == ')')
        ++depth;
      else if (text[i] == '(' && --depth == 0) {
        open = i;
        break;
      }
    }
    if (open == std::string_view::npos || open == 0)
      return NotDemangled{NotDemangled::Why::Unparsed,
                          "cannot find the parameter list of " + *demangled, *demangled};
    const auto [qualified, return_text] = split_return_type(text.substr(0, open));
    DemangledFunction result;
    result.symbol = std::string(name);
    result.text = *demangled;
    result.qualified_name = canonical_name(qualified);
    Parsed<FunctionType> parameters = parse_parameter_list(text.substr(open));
    if (const ParseError* error = std::get_if<ParseError>(&parameters))
      return NotDemangled{NotDemangled::Why::Unparsed,
                          "cannot read the parameters of " + *demangled + ": " + error->message,
                          *demangled};
    result.function = std::move(std::get<FunctionType>(parameters));
    if (!return_text.empty()) {
      Parsed<TypeRef> return_type = parse_type(return_text);
      if (const TypeRef* type = std::get_if<TypeRef>(&return_type)) {
        result.function.return_type = unqualified(*type);
        result.return_type_known = true;
      }
    }
    // Only a non-static member function can be const: it has a `const Class* this`.
    if (const_member) {
      const std::string& full = result.qualified_name;
      const std::size_t colons = full.rfind("::", full.size() - last_component(full).size());
      if (colons != std::string::npos && colons > 0)
        result.function.implicit_this = make_pointer(
            with_qualifiers(make_record(full.substr(0, colons), RecordTag::None), true, false));
    }
    return result;
  } catch (...) {
    return NotDemangled{NotDemangled::Why::Invalid, "out of memory", ""};
  }
}

std::vector<Overload> overloads_of(std::string_view qualified_name,
                                   const std::vector<std::string>& names) noexcept {
  std::vector<Overload> overloads;
  try {
    const std::string wanted = canonical_name(qualified_name);
    // A mangled name spells each identifier once as <length><identifier> ("4area") before any
    // substitution refers back to it: names without it need no demangling.
    const std::string_view last = last_component(wanted);
    const bool plain = !last.empty() &&
                       (std::isalpha(static_cast<unsigned char>(last[0])) != 0 || last[0] == '_') &&
                       last.find(' ') == std::string_view::npos && last != "operator";
    const std::string spelled = plain ? std::to_string(last.size()) + std::string(last) : "";
    for (const std::string& name : names) {
      if (name.size() < 2 || name[0] != '_' || name[1] != 'Z') continue;
      if (plain && name.find(spelled) == std::string::npos) continue;
      auto demangled = demangle_function(name);
      DemangledFunction* function = std::get_if<DemangledFunction>(&demangled);
      if (function == nullptr) continue;
      if (function->qualified_name != wanted &&
          without_template_arguments(function->qualified_name) != wanted)
        continue;
      overloads.push_back({name, std::move(*function)});
    }
  } catch (...) {
    overloads.clear();
  }
  return overloads;
}

}  // namespace dldoctor::signature
