// The ELF view: one place that turns raw ELF bytes (any class, any byte order) into clean values,
// read through elfutils' libelf with every offset and count checked against the file first.
// Nothing downstream touches raw offsets. Reading never writes to the file and never maps it
// executable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dldoctor::elf {

// What open_verify (glibc elf/dl-load.c) reads first: e_ident and the ELF header.
struct Identity {
  unsigned elf_class = 0;      // ELFCLASS32 or ELFCLASS64
  unsigned byte_order = 0;     // ELFDATA2LSB or ELFDATA2MSB
  unsigned ident_version = 0;  // e_ident[EI_VERSION]
  unsigned os_abi = 0;         // e_ident[EI_OSABI]
  unsigned abi_version = 0;    // e_ident[EI_ABIVERSION]
  std::uint16_t type = 0;      // e_type: ET_REL, ET_EXEC, ET_DYN, ...
  std::uint16_t machine = 0;   // e_machine: EM_X86_64, EM_386, EM_AARCH64, ...
  std::uint32_t version = 0;   // e_version
  std::uint64_t entry = 0;
  std::uint16_t phentsize = 0;
  std::uint16_t ehsize = 0;
};

struct ProgramHeader {
  std::uint32_t type = 0;  // PT_LOAD, PT_DYNAMIC, PT_INTERP, ...
  std::uint32_t flags = 0;
  std::uint64_t offset = 0;
  std::uint64_t vaddr = 0;
  std::uint64_t filesz = 0;
  std::uint64_t memsz = 0;
  std::uint64_t align = 0;
};

// The dynamic section as the loader reads it: through PT_DYNAMIC, strings through DT_STRTAB.
struct DynamicInfo {
  bool present = false;  // there is a PT_DYNAMIC segment
  std::vector<std::string> needed;
  std::optional<std::string> soname;
  std::optional<std::string> rpath;
  std::optional<std::string> runpath;
  std::uint64_t flags = 0;    // DT_FLAGS
  std::uint64_t flags_1 = 0;  // DT_FLAGS_1
  bool has_flags_1 = false;
  bool textrel = false;  // DT_TEXTREL present
};

struct Symbol {
  std::string name;
  unsigned char binding = 0;        // STB_LOCAL, STB_GLOBAL, STB_WEAK, STB_GNU_UNIQUE
  unsigned char type = 0;           // STT_FUNC, STT_OBJECT, ...
  unsigned char visibility = 0;     // STV_DEFAULT, STV_HIDDEN, STV_PROTECTED, STV_INTERNAL
  std::uint16_t section_index = 0;  // SHN_UNDEF for undefined symbols
  std::string section_name;         // "" when undefined or unknown
  std::uint64_t value = 0;
  std::uint64_t size = 0;
  std::string version;          // "" when unversioned; "GLIBC_2.34" etc.
  bool version_hidden = false;  // the @ (non-default) form

  bool defined() const noexcept { return section_index != 0; }
  std::string file;  // .symtab only: the STT_FILE symbol this one follows ("" for the linker's)
};

// One version a file needs of another (.gnu.version_r: Elfxx_Verneed/Vernaux), as glibc's
// _dl_check_map_versions checks it: by hash and name, in the object whose name is `file`.
struct NeededVersion {
  std::string name;         // "DEP_2.0", "GLIBC_2.34"
  std::uint32_t hash = 0;   // vna_hash (the ELF hash of name)
  bool weak = false;        // VER_FLG_WEAK: a missing one is only a warning
  std::uint16_t index = 0;  // vna_other: what .gnu.version gives the symbols bound to it
};
struct VersionNeed {
  std::string file;  // vn_file: the DT_NEEDED name of the provider, "libc.so.6"
  std::vector<NeededVersion> versions;
};

// An API a plugin declares it was built for, with <dldoctor/plugin.h>: a note of owner
// "dldoctor" and type DLDOCTOR_NOTE_API in a PT_NOTE segment, read from the file, never loaded.
struct DeclaredApi {
  std::string name;  // "org.example.greeter"
  std::uint32_t major = 0;
  std::uint32_t minor = 0;
  std::uint64_t offset = 0;  // of the note in the file, for evidence
};

// A function's type as a plugin describes it (DLDOCTOR_SIGNATURE, a DLDOCTOR_NOTE_SIGNATURE note),
// checked by the compiler that built it: the text as written and the size and alignment each
// part is passed with.
struct TypeLayout {
  std::uint32_t size = 0;  // 0 for void
  std::uint32_t align = 0;
};
struct DeclaredSignature {
  std::string symbol;  // "add"
  std::string text;    // "int(int, int)"
  TypeLayout result;
  std::vector<TypeLayout> parameters;  // as written: "(void)" is one of size 0
  std::uint64_t offset = 0;
};
// A structure's layout as a plugin (or a host) describes it (DLDOCTOR_STRUCT).
struct DeclaredField {
  std::string name;
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
};
struct DeclaredStruct {
  std::string type;  // "struct greeting"
  std::uint32_t size = 0;
  std::uint32_t align = 0;
  std::vector<DeclaredField> fields;
  std::uint64_t offset = 0;
};

// A problem that does not stop the loader (it only reads the program headers and the dynamic
// segment) but stops dldoctor from reading something else, e.g. a broken section header table.
struct Warning {
  std::string message;
};

// A section header, as far as a reader of one named section needs it (.go.buildinfo): filled by
// ReadParts::Everything for the sections that lie inside the file (or are SHT_NOBITS).
struct Section {
  std::string name;
  std::uint32_t type = 0;  // SHT_PROGBITS, SHT_NOBITS, ...
  std::uint64_t flags = 0;
  std::uint64_t address = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

struct Image {
  std::uint64_t file_size = 0;
  Identity identity;
  std::vector<ProgramHeader> program_headers;
  DynamicInfo dynamic;
  std::vector<Symbol> dynamic_symbols;              // .dynsym
  std::optional<std::vector<Symbol>> symbol_table;  // .symtab; nullopt when stripped
  // The version nodes this file defines (.gnu.version_d), without the base entry: a version
  // script's names ("PLUGIN_1.0"), "GLIBC_2.34"...
  std::vector<std::string> version_definitions;
  std::vector<VersionNeed> version_needs;  // .gnu.version_r
  bool has_version_definitions = false;    // a .gnu.version_d at all (glibc: DT_VERDEF)
  bool has_version_symbols = false;        // a .gnu.version at all (glibc: DT_VERSYM, l_versyms)
  // The .dynsym names that PLT relocations (.rela.plt, R_*_JUMP_SLOT) reference: with RTLD_LAZY
  // the loader binds these at their first call, not at dlopen.
  std::vector<std::string> lazily_bound;
  // The APIs it declares (ReadParts::Everything): in the notes of its PT_NOTE segments, which a
  // stripped file keeps.
  std::vector<DeclaredApi> declared_apis;
  std::vector<DeclaredSignature> declared_signatures;  // likewise (DLDOCTOR_SIGNATURE)
  std::vector<DeclaredStruct> declared_structs;        // likewise (DLDOCTOR_STRUCT)
  std::vector<Warning> warnings;
  std::vector<Section> sections;  // ReadParts::Everything only

  const Section* section(std::string_view name) const noexcept {
    for (const Section& candidate : sections)
      if (candidate.name == name) return &candidate;
    return nullptr;
  }
  bool is_pie() const noexcept;           // ET_DYN with DF_1_PIE
  bool has_interpreter() const noexcept;  // a PT_INTERP segment
};

// Why a file could not be read as ELF, naming what and where:
// "program header table at 0x40 runs past the end of the file (size 120)".
struct ReadError {
  std::string message;
};

using ReadOutcome = std::variant<Image, ReadError>;

// What to read: the loader's view (the ELF header, program headers and dynamic segment, all the
// search needs) or everything (sections and symbols too).
// Versions: the loader view and the version sections (.gnu.version_r, .gnu.version_d, whether
// there is a .gnu.version), without the symbol tables: what ld.so --list checks.
// DynamicSymbols: everything but the .symtab, the largest part of an unstripped file
// (symbol_table stays nullopt, which then does not say the file is stripped).
enum class ReadParts { LoaderView, Versions, Everything, DynamicSymbols };

// Reads the file at path. Never throws; a malformed file yields a ReadError.
ReadOutcome read_image(const std::string& path, ReadParts parts = ReadParts::Everything) noexcept;
// Reads an already open descriptor (not closed, not moved: reads use pread).
ReadOutcome read_image_fd(int fd, ReadParts parts = ReadParts::Everything) noexcept;
// The same for a caller that has just fstat'ed fd and found a regular file of file_size bytes
// (the search, which opens files by the dozen and needs their inode anyway).
ReadOutcome read_image_fd(int fd, std::uint64_t file_size, ReadParts parts) noexcept;

// Names for people: "ET_DYN", "x86-64 (62)", "AArch64 (183)", "ELFCLASS32".
std::string type_name(std::uint16_t e_type);
std::string machine_name(std::uint16_t e_machine);   // "AArch64 (183)", for evidence
std::string machine_label(std::uint16_t e_machine);  // "AArch64", for prose
std::string class_name(unsigned elf_class);
std::string hex(std::uint64_t value);

// The e_machine and class of the process dldoctor runs in (what the loader accepts).
std::uint16_t host_machine() noexcept;
unsigned host_class() noexcept;

}  // namespace dldoctor::elf
