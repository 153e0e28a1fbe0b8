// The parsers of what a user types or pastes: explain's message parser, the signature grammar
// and the --api range grammar, the Go type grammar (--signature 'Name=func(...)'), and the
// terminal escaping of what they return.
#include <string_view>

#include "dldoctor/explain.hpp"
#include "dldoctor/plugin_api.hpp"
#include "dldoctor/render.hpp"
#include "go/go_type.hpp"
#include "render/printable.hpp"
#include "signature/parse.hpp"
#include "signature/type.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto explanation = dldoctor::explain(text)) (void)dldoctor::render_text(*explanation);
  auto signature = dldoctor::signature::parse_signature(text);
  if (const auto* parsed = std::get_if<dldoctor::signature::Signature>(&signature))
    if (parsed->type) (void)dldoctor::signature::to_string(*parsed->type);
  (void)dldoctor::parse_api_range(text);
  (void)dldoctor::go::canonical_type(text);
  (void)dldoctor::go::reflect_spelling(text, "example.com/plug");
  (void)dldoctor::render::printable(text);
  (void)dldoctor::render::valid_utf8(text);
  return 0;
}
