// Strings read from an inspected file are data: a DT_NEEDED entry, a symbol or a path can hold
// any byte, an ESC that recolours the terminal or an OSC that retitles it. The renderers pass
// every string through these, in one place each, so that no call site has to remember.
#pragma once

#include <string>
#include <string_view>

namespace dldoctor::render {

// For a terminal: valid UTF-8 is kept, except what a terminal acts on or that reorders what is
// shown; each such byte or character is written as an escape, as `ls -b` and llvm-readobj do:
//   C0 controls and DEL (newline and tab included: one finding stays one line) -> \xNN
//   C1 controls (U+0080..U+009F), the bidirectional controls (U+200E, U+200F, U+202A..U+202E,
//   U+2066..U+2069: "Trojan Source") and the line and paragraph separators -> \u{XXXX}
//   a byte that is not part of valid UTF-8 -> \xNN
std::string printable(std::string_view text);

// For JSON: valid UTF-8 as it is (the JSON writer escapes controls); each byte that is not part
// of valid UTF-8 becomes the four characters \xNN, the one escape docs/cli.md documents.
std::string valid_utf8(std::string_view text);

}  // namespace dldoctor::render
