// The DWARF prototype and record readers (libdw) on hostile bytes.
#include "fuzz_input.hpp"
#include "signature/dwarf_prototype.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const dldoctor::fuzz::InputFile input(data, size);
  if (!input.ok()) return 0;
  (void)dldoctor::signature::read_declaration(input.path(), "add");
  (void)dldoctor::signature::read_record(input.path(), "struct point");
  return 0;
}
