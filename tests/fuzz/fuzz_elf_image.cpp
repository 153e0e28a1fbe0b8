// The ELF view on hostile bytes: headers, program headers, the dynamic segment and its strings,
// sections, symbol tables, version sections and the plugin notes (read_image at every depth), and
// the in-place symbol index.
#include "dldoctor/elf.hpp"
#include "elf/symbol_index.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const dldoctor::fuzz::InputFile input(data, size);
  if (!input.ok()) return 0;
  for (auto parts : {dldoctor::elf::ReadParts::LoaderView, dldoctor::elf::ReadParts::Versions,
                     dldoctor::elf::ReadParts::Everything})
    (void)dldoctor::elf::read_image_fd(input.fd(), parts);
  (void)dldoctor::elf::read_symbol_index(input.path(), 1u << 20);
  return 0;
}
