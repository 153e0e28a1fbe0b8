#include "elf/symbol_index.hpp"

#include <gelf.h>
#include <unistd.h>

#include <utility>

namespace dldoctor::elf {

SymbolIndex::SymbolIndex(SymbolIndex&& other) noexcept : parts_(std::move(other.parts_)) {
  other.parts_.fd = -1;
  other.parts_.elf = nullptr;
}

SymbolIndex::~SymbolIndex() {
  if (parts_.elf != nullptr) elf_end(parts_.elf);
  if (parts_.fd >= 0) ::close(parts_.fd);
}

// As read_image's map of section names: the name of a section the table lists, "<?>" when its
// name is not in .shstrtab, "" when there is no such section or no .shstrtab.
std::string SymbolIndex::section_name(std::size_t index) const {
  if (index == 0 || index >= parts_.section_count) return "";
  Elf_Scn* section = elf_getscn(parts_.elf, index);
  GElf_Shdr header;
  if (section == nullptr || gelf_getshdr(section, &header) == nullptr) return "";
  if (!parts_.have_section_names) return "";
  const char* name = elf_strptr(parts_.elf, parts_.names_index, header.sh_name);
  return name != nullptr ? name : "<?>";
}

Symbol SymbolIndex::materialise(SymbolTable table, const SymbolRef& ref) const {
  Symbol symbol;
  symbol.name = ref.name;
  symbol.binding = ref.binding;
  symbol.type = ref.type;
  symbol.visibility = ref.visibility;
  symbol.section_index = ref.section_index;
  symbol.value = ref.value;
  symbol.size = ref.size;
  if (ref.section_index != SHN_UNDEF && ref.section_index < SHN_LORESERVE)
    symbol.section_name = section_name(ref.section_index);
  else if (ref.section_index == SHN_ABS)
    symbol.section_name = "ABS";
  // .gnu.version pairs with .dynsym; bit 15 marks a hidden (non-default, @) version, and indices
  // 0 and 1 are the local and global ones, which have no name.
  if (table == SymbolTable::Dynamic && parts_.versym != nullptr &&
      ref.index < parts_.versym_count) {
    const std::uint16_t version = parts_.versym[ref.index];
    symbol.version_hidden = (version & 0x8000) != 0;
    const auto found = parts_.version_names.find(version & 0x7fff);
    if (found != parts_.version_names.end() && (version & 0x7fff) > 1)
      symbol.version = found->second;
  }
  // Locals follow the STT_FILE entry of the object they came from (GNU ld's order).
  for (std::size_t at = ref.index; at > 0; --at) {
    const SymbolRef before = this->at(table, at);
    if (before.type == STT_FILE) {
      symbol.file = before.name;
      break;
    }
  }
  return symbol;
}

}  // namespace dldoctor::elf
