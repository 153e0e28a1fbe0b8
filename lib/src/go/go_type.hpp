// Go types as text, as the host writes them in a type assertion (sym.(func(string) int)) and as
// reflect prints them in the panic of a failed one ("interface conversion: plugin.Symbol is
// func(string, int) int, not func(string) int"): a parser that gives the canonical spelling
// (reflect's: "func(string, int) int", "func() (int, error)", "*main.Point"), and the same
// spelling made from the type names of a plugin's DWARF.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace dldoctor::go {

struct TypeParseError {
  std::string message;
  std::size_t column = 0;  // 0-based, into the text given
};

// "func(name string, n int)int" -> "func(string, int) int"; parameter names are dropped, as in
// reflect's spelling; a package-qualified name keeps its last element ("example.com/x.T" ->
// "x.T"). Never throws.
std::variant<std::string, TypeParseError> canonical_type(std::string_view text) noexcept;

// Whether a --signature's type is written in Go ("func(...)..." or "*T"), not in C.
bool looks_like_go_type(std::string_view type) noexcept;

// A DWARF type name of a Go binary ("*example.com/plug.Point", "func(string) int") as reflect
// names it in the process that loaded it: package paths reduced to their last element, and the
// plugin's own package (its path, e.g. "example.com/plug") called "main", which it is.
std::string reflect_spelling(std::string_view dwarf_name, std::string_view plugin_path);

}  // namespace dldoctor::go
