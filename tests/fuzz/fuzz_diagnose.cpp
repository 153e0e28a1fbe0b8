// The whole static diagnosis of a hostile file: identity (linker scripts, archives, foreign
// formats), the dependency model, versions, symbols and their explanations (DWARF through the
// small reader and libdw), a signature against its DWARF, and both renderers.
#include "dldoctor/diagnose.hpp"
#include "dldoctor/render.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const dldoctor::fuzz::InputFile input(data, size);
  if (!input.ok()) return 0;
  dldoctor::LoadRequest request(input.path());
  request.symbols = {"dldoctor_case_answer"};
  request.signatures = {"dldoctor_case_answer=int(int, const char*)"};
  const dldoctor::Report report = dldoctor::diagnose(request);
  (void)dldoctor::render_text(report);
  (void)dldoctor::render_json(report);
  return 0;
}
