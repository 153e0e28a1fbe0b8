// A file's symbol tables read in place: .dynsym and .symtab as libelf holds them, each name
// compared where it lies in its string table. Nothing is copied per symbol: an elf::Symbol (with
// its section name, version and FILE) is built only for the entry a finding cites. This is what
// Library::explain_lookup and the symbol stage's --symbol question read; the full elf::Image
// (read_image) builds every entry, which costs more than the question does.
//
// read_symbol_index applies read_image's checks first (ELF header, program headers, dynamic
// segment, section header table), with the same messages.
#pragma once

#include <elf.h>
#include <libelf.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "dldoctor/elf.hpp"
#include "elf/dwarf_unit.hpp"

namespace dldoctor::elf {

enum class SymbolTable { Dynamic, Static };  // .dynsym, .symtab

// One entry as the file has it. name is NUL-terminated and lives as long as the index ("<?>" when
// st_name is not a string of the linked table, as read_image names it).
struct SymbolRef {
  std::size_t index = 0;  // in its table; entry 0, the reserved null symbol, is never produced
  const char* name = "";
  unsigned char binding = 0;
  unsigned char type = 0;
  unsigned char visibility = 0;
  std::uint16_t section_index = 0;
  std::uint64_t value = 0;
  std::uint64_t size = 0;

  bool defined() const noexcept { return section_index != SHN_UNDEF; }
};

class SymbolIndex {
 public:
  // One symbol table as read_symbol_index validated it: entries (null one included) and the
  // string table its sh_link names.
  struct Table {
    bool present = false;
    const void* entries = nullptr;  // Elf32_Sym or Elf64_Sym, host byte order (libelf converts)
    std::size_t count = 0;
    const char* strings = nullptr;
    std::size_t strings_end = 0;  // one past the last NUL: st_name below it names a string
    // The entries copied here when libelf hands them over misaligned for the type (it may, on a
    // machine that allows unaligned reads, when the whole file is in memory).
    std::vector<std::uint64_t> aligned_copy;
  };
  // What the reader hands over; only read_symbol_index builds one.
  struct Parts {
    int fd = -1;
    Elf* elf = nullptr;
    // The whole file, when it was small enough to read at once; libelf reads it (elf_memory).
    std::unique_ptr<char[]> contents_owner;
    const char* contents = nullptr;
    std::uint64_t contents_size = 0;
    Image image;
    bool class64 = true;
    Table dynamic;
    Table symtab;
    const std::uint16_t* versym = nullptr;  // .gnu.version, beside .dynsym
    std::size_t versym_count = 0;
    std::vector<std::uint16_t> versym_copy;  // as aligned_copy
    std::map<std::size_t, std::string> version_names;
    std::size_t section_count = 0;
    std::size_t names_index = 0;  // .shstrtab
    bool have_section_names = false;
    DebugSections debug;
  };

  explicit SymbolIndex(Parts parts) noexcept : parts_(std::move(parts)) {}
  SymbolIndex(SymbolIndex&& other) noexcept;
  SymbolIndex& operator=(SymbolIndex&&) = delete;
  SymbolIndex(const SymbolIndex&) = delete;
  SymbolIndex& operator=(const SymbolIndex&) = delete;
  ~SymbolIndex();

  // The loader's view, the version definitions, the sections and the warnings, as read_image
  // gives them; its
  // dynamic_symbols, symbol_table and lazily_bound are left empty (the tables are here instead).
  const Image& image() const noexcept { return parts_.image; }
  // A .symtab is there (the file is not stripped), even if it could not be read.
  bool has_symbol_table() const noexcept { return parts_.symtab.present; }

  // Entries of the table, the null entry 0 included: valid indices are 1 .. size - 1.
  std::size_t size(SymbolTable table) const noexcept { return of(table).count; }
  SymbolRef at(SymbolTable table, std::size_t index) const noexcept {
    const Table& t = of(table);
    return parts_.class64 ? entry(t, static_cast<const Elf64_Sym*>(t.entries)[index], index)
                          : entry(t, static_cast<const Elf32_Sym*>(t.entries)[index], index);
  }
  // Whether entry index of table is named exactly name (name_size bytes, no NUL inside): compared
  // in place, without measuring the entry's name first.
  bool name_is(SymbolTable table, std::size_t index, const char* name,
               std::size_t name_size) const noexcept {
    const Table& t = of(table);
    const std::uint32_t offset = parts_.class64
                                     ? static_cast<const Elf64_Sym*>(t.entries)[index].st_name
                                     : static_cast<const Elf32_Sym*>(t.entries)[index].st_name;
    // The entry's name runs to the first NUL at or after offset; equal means name_size bytes
    // then that NUL, all below strings_end.
    return offset < t.strings_end && t.strings_end - offset > name_size &&
           t.strings[offset + name_size] == '\0' &&
           std::char_traits<char>::compare(t.strings + offset, name, name_size) == 0;
  }

  // The entry as read_image would have listed it: section name, version (@ or @@), and for a
  // .symtab entry the STT_FILE it follows.
  Symbol materialise(SymbolTable table, const SymbolRef& ref) const;

  // Where the DWARF sections' bytes come from (units_for_address): the file, which stays open while
  // the index lives, or its contents when they were read whole.
  FileBytes file_bytes() const noexcept {
    return FileBytes{parts_.fd, parts_.contents, parts_.contents_size};
  }
  const DebugSections& debug_sections() const noexcept { return parts_.debug; }
  bool big_endian() const noexcept { return parts_.image.identity.byte_order == ELFDATA2MSB; }

 private:
  const Table& of(SymbolTable table) const noexcept {
    return table == SymbolTable::Dynamic ? parts_.dynamic : parts_.symtab;
  }
  template <class Sym>
  static SymbolRef entry(const Table& t, const Sym& raw, std::size_t index) noexcept {
    SymbolRef ref;
    ref.index = index;
    ref.name = raw.st_name < t.strings_end ? t.strings + raw.st_name : "<?>";
    ref.binding = static_cast<unsigned char>(raw.st_info >> 4);     // ELF{32,64}_ST_BIND
    ref.type = static_cast<unsigned char>(raw.st_info & 0xf);       // ELF{32,64}_ST_TYPE
    ref.visibility = static_cast<unsigned char>(raw.st_other & 3);  // ELF{32,64}_ST_VISIBILITY
    ref.section_index = raw.st_shndx;
    ref.value = raw.st_value;
    ref.size = raw.st_size;
    return ref;
  }
  std::string section_name(std::size_t index) const;

  Parts parts_;
};

using SymbolIndexOutcome = std::variant<SymbolIndex, ReadError>;

// A file up to this size is read whole, in one pread, and libelf and the DWARF reader are served
// from memory: the dozen reads of its headers, tables, strings and DWARF would cost more (a read
// costs some 0.35 us before its first byte is copied; 128 KiB are copied in about 4 us). A larger
// file is read part by part.
inline constexpr std::uint64_t kReadWholeUpTo = 128 * 1024;

// Which symbol tables read_symbol_index keeps in place.
enum class IndexedTables {
  Both,
  DynamicOnly,  // for a caller that needs only the .dynsym of a large unstripped file
  StaticOnly,   // for one that has the .dynsym already (an elf::Image of the same file)
};

// Opens and checks path as read_image does, then keeps it open with its symbol tables in place.
// Never throws; a malformed file yields read_image's ReadError (the same message). A table left
// out reads as empty (has_symbol_table() is false without the .symtab).
SymbolIndexOutcome read_symbol_index(const std::string& path,
                                     std::uint64_t read_whole_up_to = kReadWholeUpTo,
                                     IndexedTables tables = IndexedTables::Both) noexcept;

}  // namespace dldoctor::elf
