// The Go binary readers on hostile bytes: the function table (pclntab) reader on the input as a
// table, and read_binary (build info, package hashes, the function table found by its section or
// its runtime.pclntab symbols) on the input as a file, from an elf::Image and from a SymbolIndex.
#include <set>
#include <string>

#include "elf/symbol_index.hpp"
#include "fuzz_input.hpp"
#include "go/go_binary.hpp"
#include "go/pclntab.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const unsigned char> bytes(data, size);
  (void)dldoctor::go::pcln_source_directories(bytes, nullptr);
  const std::set<std::string> wanted{"main", "example.com/a"};
  (void)dldoctor::go::pcln_source_directories(bytes, &wanted, 2);
  const dldoctor::fuzz::InputFile input(data, size);
  if (!input.ok()) return 0;
  dldoctor::elf::ReadOutcome outcome = dldoctor::elf::read_image(input.path());
  if (const auto* image = std::get_if<dldoctor::elf::Image>(&outcome))
    (void)dldoctor::go::read_binary(input.path(), *image,
                                    dldoctor::go::DwarfParts{true, std::nullopt, false});
  // As the Go plugin stage reads a host and a deferred plugin: the symbols in place.
  using dldoctor::elf::IndexedTables;
  for (const IndexedTables tables :
       {IndexedTables::Both, IndexedTables::DynamicOnly, IndexedTables::StaticOnly}) {
    dldoctor::elf::SymbolIndexOutcome indexed =
        dldoctor::elf::read_symbol_index(input.path(), 0, tables);
    if (const auto* index = std::get_if<dldoctor::elf::SymbolIndex>(&indexed)) {
      (void)dldoctor::go::has_package_hashes(*index);
      dldoctor::go::Binary binary = dldoctor::go::read_binary(
          input.path(), *index, dldoctor::go::DwarfParts{false, std::nullopt});
      dldoctor::go::read_sources(input.path(), index->image(), binary,
                                 dldoctor::go::DwarfParts{true, wanted, false});
      if (const auto* image = std::get_if<dldoctor::elf::Image>(&outcome))
        (void)dldoctor::go::read_binary(input.path(), *image, *index,
                                        dldoctor::go::DwarfParts{false, std::nullopt});
    }
  }
  return 0;
}
