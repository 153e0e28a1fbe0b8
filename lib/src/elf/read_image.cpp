// Reads an ELF file into elf::Image. Every offset, size and count is checked against the file
// before libelf is asked for it, so that a malformed file yields a message naming what is wrong
// and where, instead of libelf's generic "invalid section header" or a wild read.
//
// The order follows the loader: the ELF header and the program headers (glibc open_verify), then
// the dynamic segment reached through PT_DYNAMIC and its strings through DT_STRTAB mapped by the
// PT_LOAD segments (_dl_map_object_from_fd). Section headers, which the loader never reads, come
// last and only yield warnings: a file may load although dldoctor cannot list its symbols.
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <string>
#include <string_view>

#include "dldoctor/elf.hpp"
#include "dldoctor/plugin.h"
#include "elf/symbol_index.hpp"

namespace dldoctor::elf {
namespace {

// Sections and symbols beyond these are not worth reading: no real library comes near them, and a
// hostile count must not make dldoctor allocate or loop without end.
constexpr std::size_t kMaxSections = 1u << 20;
constexpr std::size_t kMaxSymbols = 1u << 24;

struct ElfCloser {
  void operator()(Elf* elf) const noexcept { elf_end(elf); }
};
using ElfHandle = std::unique_ptr<Elf, ElfCloser>;

class Failure {
 public:
  explicit Failure(std::string message) : message_(std::move(message)) {}
  const std::string& message() const noexcept { return message_; }

 private:
  std::string message_;
};

std::string libelf_error() {
  const char* message = elf_errmsg(-1);
  return message != nullptr ? message : "unknown libelf error";
}

// offset + size <= limit, without overflow.
bool fits(std::uint64_t offset, std::uint64_t size, std::uint64_t limit) noexcept {
  return offset <= limit && size <= limit - offset;
}

// count * entry, or nullopt on overflow.
std::optional<std::uint64_t> table_size(std::uint64_t count, std::uint64_t entry) noexcept {
  if (entry != 0 && count > std::numeric_limits<std::uint64_t>::max() / entry) return std::nullopt;
  return count * entry;
}

bool read_exact(int fd, void* buffer, std::size_t size, std::uint64_t offset) noexcept {
  auto* out = static_cast<char*>(buffer);
  while (size > 0) {
    ssize_t got = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    out += got;
    size -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
  return true;
}

void ensure_libelf_initialised() {
  static std::once_flag once;
  std::call_once(once, [] { elf_version(EV_CURRENT); });
}

std::size_t entry_size(Elf* elf, Elf_Type type) { return gelf_fsize(elf, type, 1, EV_CURRENT); }

// How far to read: the loader's view, everything into elf::Image (with or without the .symtab),
// or everything checked with the symbol tables left in place (SymbolIndex).
enum class Depth { LoaderView, Versions, Everything, InPlace, NoSymbolTable };

// The types and libelf's translation of each ELF class.
struct Class32 {
  using Ehdr = Elf32_Ehdr;
  using Phdr = Elf32_Phdr;
  using Shdr = Elf32_Shdr;
  using Dyn = Elf32_Dyn;
  static Elf_Data* to_memory(Elf_Data* out, const Elf_Data* in, unsigned encoding) {
    return elf32_xlatetom(out, in, encoding);
  }
};
struct Class64 {
  using Ehdr = Elf64_Ehdr;
  using Phdr = Elf64_Phdr;
  using Shdr = Elf64_Shdr;
  using Dyn = Elf64_Dyn;
  static Elf_Data* to_memory(Elf_Data* out, const Elf_Data* in, unsigned encoding) {
    return elf64_xlatetom(out, in, encoding);
  }
};

// Asks the kernel for the pages of a large new allocation at once (MADV_POPULATE_WRITE, Linux
// 5.14) rather than a page fault on the first write to each: a .symtab of thousands of symbols
// fills hundreds of pages, and a fault costs some microseconds (more in a virtual machine). Only
// the whole pages inside [start, start + size); nothing when the kernel does not know the advice.
void populate(void* start, std::size_t size) noexcept {
#ifdef MADV_POPULATE_WRITE
  constexpr std::size_t kWorthIt = 64 * 1024;
  if (size < kWorthIt) return;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<std::uintptr_t>(start) + page - 1) / page * page;
  const auto end = (reinterpret_cast<std::uintptr_t>(start) + size) / page * page;
  if (end > begin)
    (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#else
  (void)start;
  (void)size;
#endif
}

class ImageReader {
 public:
  ImageReader(int fd, std::uint64_t file_size, Depth depth)
      : fd_(fd), file_size_(file_size), depth_(depth) {
    image_.file_size = file_size;
  }

  Image read() {
    read_checked();
    return std::move(image_);
  }

  // The same reading and checks as read(), handing over the libelf handle and the symbol tables
  // as libelf holds them. The caller owns fd and passes it on; contents, when not null, is the
  // whole file (file_size bytes), read by the caller, and every read is served from it.
  // Which of the .dynsym and the .symtab read_in_place keeps (when the file has them).
  void set_tables(IndexedTables tables) noexcept { tables_ = tables; }

  SymbolIndex::Parts read_in_place(std::unique_ptr<char[]> contents) {
    memory_ = contents.get();
    index_.contents = memory_;
    index_.contents_size = memory_ != nullptr ? file_size_ : 0;
    index_.contents_owner = std::move(contents);
    read_checked();
    index_.fd = fd_;
    index_.image = std::move(image_);
    index_.elf = elf_.release();
    return std::move(index_);
  }

 private:
  void read_checked() {
    read_head();
    read_identity();
    if (image_.identity.elf_class == ELFCLASS64)
      read_loader_view<Class64>();
    else
      read_loader_view<Class32>();
    // Versions come from the dynamic segment (DT_VERNEED, DT_VERDEF) as the loader reads them.
    if (depth_ == Depth::LoaderView || depth_ == Depth::Versions) return;
    // The sections need libelf. elf_memory does not write to the bytes it is given unless it
    // must convert them in place (another byte order), and they are this reader's own copy.
    elf_.reset(memory_ != nullptr
                   ? elf_memory(const_cast<char*>(memory_), static_cast<std::size_t>(file_size_))
                   : elf_begin(fd_, ELF_C_READ, nullptr));
    if (!elf_ || elf_kind(elf_.get()) != ELF_K_ELF)
      throw Failure("libelf cannot read the ELF header: " + libelf_error());
    read_sections();
    if (depth_ == Depth::Everything || depth_ == Depth::NoSymbolTable) read_plugin_notes();
  }

  // ---- Notes: what a plugin says of itself (<dldoctor/plugin.h>), in PT_NOTE segments. ----

  std::uint32_t word_at(const unsigned char* bytes) const noexcept {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const unsigned shift = image_.identity.byte_order == ELFDATA2LSB ? 8u * i : 8u * (3 - i);
      value |= static_cast<std::uint32_t>(bytes[i]) << shift;
    }
    return value;
  }

  // Each PT_NOTE segment through libelf's note reader (gelf_getnote checks every size against
  // the segment); the notes of owner "dldoctor" that dldoctor knows are kept, the others skipped.
  void read_plugin_notes() {
    constexpr std::uint64_t kMaxNoteSegment = 1u << 20;
    for (const ProgramHeader& header : image_.program_headers) {
      if (header.type != PT_NOTE || header.filesz == 0) continue;
      if (!fits(header.offset, header.filesz, file_size_) || header.filesz > kMaxNoteSegment) {
        warn("PT_NOTE segment at " + hex(header.offset) + " (size " + hex(header.filesz) +
             ") is not inside the file or is too large to be notes");
        continue;
      }
      Elf_Data* data = elf_getdata_rawchunk(elf_.get(), static_cast<std::int64_t>(header.offset),
                                            static_cast<std::size_t>(header.filesz),
                                            header.align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
      if (data == nullptr) {
        warn("cannot read the PT_NOTE segment at " + hex(header.offset) + ": " + libelf_error());
        continue;
      }
      const auto* bytes = static_cast<const unsigned char*>(data->d_buf);
      std::size_t offset = 0;
      GElf_Nhdr note;
      std::size_t name_offset = 0;
      std::size_t desc_offset = 0;
      while (offset < data->d_size) {
        const std::size_t next = gelf_getnote(data, offset, &note, &name_offset, &desc_offset);
        if (next == 0) break;
        offset = next;
        if (note.n_namesz != sizeof DLDOCTOR_NOTE_OWNER ||
            std::memcmp(bytes + name_offset, DLDOCTOR_NOTE_OWNER, sizeof DLDOCTOR_NOTE_OWNER) != 0)
          continue;
        // Where the note's header is (Elf32_Nhdr and Elf64_Nhdr are both 12 bytes).
        const std::uint64_t at = header.offset + (name_offset - sizeof(Elf32_Nhdr));
        const unsigned char* desc = bytes + desc_offset;
        if (note.n_type == DLDOCTOR_NOTE_API) read_declared_api(desc, note.n_descsz, at);
        if (note.n_type == DLDOCTOR_NOTE_SIGNATURE)
          read_declared_signature(desc, note.n_descsz, at);
        if (note.n_type == DLDOCTOR_NOTE_STRUCT) read_declared_struct(desc, note.n_descsz, at);
      }
    }
  }

  // The NUL-terminated string at *at within [desc, desc + size), advancing *at past it;
  // nullopt when it runs past the end.
  static std::optional<std::string> note_string(const unsigned char* desc, std::size_t size,
                                                std::size_t* at) {
    if (*at >= size) return std::nullopt;
    const auto* begin = reinterpret_cast<const char*>(desc + *at);
    const void* end = std::memchr(begin, '\0', size - *at);
    if (end == nullptr) return std::nullopt;
    std::string text(begin, static_cast<const char*>(end));
    *at += text.size() + 1;
    return text;
  }

  bool note_format_known(const unsigned char* desc, std::size_t size, std::size_t fixed,
                         const char* what, std::uint64_t at) {
    if (size < fixed) {
      warn(std::string("dldoctor ") + what + " note at " + hex(at) + " is " + std::to_string(size) +
           " bytes, shorter than its fields");
      return false;
    }
    if (const std::uint32_t format = word_at(desc); format != DLDOCTOR_NOTE_FORMAT) {
      warn(std::string("dldoctor ") + what + " note at " + hex(at) + " has format " +
           std::to_string(format) + ", which this dldoctor does not know (it reads format 1)");
      return false;
    }
    return true;
  }

  // DLDOCTOR_NOTE_SIGNATURE: format, count, flags, 2 * (1 + count) words, symbol, text.
  void read_declared_signature(const unsigned char* desc, std::size_t size, std::uint64_t at) {
    if (!note_format_known(desc, size, 12, "signature", at)) return;
    const std::uint32_t count = word_at(desc + 4);
    constexpr std::uint32_t kMaxParameters = 256;
    if (count > kMaxParameters || 12 + 8 * (std::size_t{count} + 1) > size) {
      warn("dldoctor signature note at " + hex(at) + " has " + std::to_string(count) +
           " parameters, more than its " + std::to_string(size) + " bytes hold");
      return;
    }
    DeclaredSignature signature;
    signature.offset = at;
    signature.result = {word_at(desc + 12), word_at(desc + 16)};
    for (std::uint32_t i = 0; i < count; ++i)
      signature.parameters.push_back({word_at(desc + 20 + 8 * i), word_at(desc + 24 + 8 * i)});
    std::size_t next = 12 + 8 * (std::size_t{count} + 1);
    std::optional<std::string> symbol = note_string(desc, size, &next);
    std::optional<std::string> text = note_string(desc, size, &next);
    if (!symbol || !text || symbol->empty()) {
      warn("dldoctor signature note at " + hex(at) + " has no NUL-terminated name and type");
      return;
    }
    signature.symbol = std::move(*symbol);
    signature.text = std::move(*text);
    image_.declared_signatures.push_back(std::move(signature));
  }

  // DLDOCTOR_NOTE_STRUCT: format, size, align, count, 2 * count words, the type, the names.
  void read_declared_struct(const unsigned char* desc, std::size_t size, std::uint64_t at) {
    if (!note_format_known(desc, size, 16, "struct", at)) return;
    const std::uint32_t count = word_at(desc + 12);
    constexpr std::uint32_t kMaxFields = 4096;
    if (count > kMaxFields || 16 + 8 * std::size_t{count} > size) {
      warn("dldoctor struct note at " + hex(at) + " has " + std::to_string(count) +
           " fields, more than its " + std::to_string(size) + " bytes hold");
      return;
    }
    DeclaredStruct layout;
    layout.offset = at;
    layout.size = word_at(desc + 4);
    layout.align = word_at(desc + 8);
    std::size_t next = 16 + 8 * std::size_t{count};
    std::optional<std::string> type = note_string(desc, size, &next);
    if (!type || type->empty()) {
      warn("dldoctor struct note at " + hex(at) + " has no NUL-terminated type name");
      return;
    }
    layout.type = std::move(*type);
    for (std::uint32_t i = 0; i < count; ++i) {
      std::optional<std::string> name = note_string(desc, size, &next);
      if (!name) {
        warn("dldoctor struct note at " + hex(at) + " names " + std::to_string(i) + " of its " +
             std::to_string(count) + " fields");
        return;
      }
      layout.fields.push_back(
          {std::move(*name), word_at(desc + 16 + 8 * i), word_at(desc + 20 + 8 * i)});
    }
    image_.declared_structs.push_back(std::move(layout));
  }

  // DLDOCTOR_NOTE_API: uint32 format, major, minor, then the name, NUL-terminated.
  void read_declared_api(const unsigned char* desc, std::size_t size, std::uint64_t at) {
    if (!note_format_known(desc, size, 13, "API", at)) return;
    const auto* name = reinterpret_cast<const char*>(desc + 12);
    const void* end = std::memchr(name, '\0', size - 12);
    if (end == nullptr || end == name) {
      warn("dldoctor API note at " + hex(at) + " has no NUL-terminated API name");
      return;
    }
    image_.declared_apis.push_back({std::string(name, static_cast<const char*>(end)),
                                    word_at(desc + 4), word_at(desc + 8), at});
  }

  // size bytes at offset of the file (checked against its size by the caller).
  bool read_bytes(void* buffer, std::size_t size, std::uint64_t offset) const noexcept {
    if (memory_ == nullptr) return read_exact(fd_, buffer, size, offset);
    if (!fits(offset, size, file_size_)) return false;
    std::memcpy(buffer, memory_ + offset, size);
    return true;
  }

  // e_ident and the fields open_verify compares, read before libelf so that a short file is
  // reported as glibc would report it ("file too short").
  void read_identity() {
    const unsigned char* ident = head_.data();
    if (head_size_ < EI_NIDENT)
      throw Failure("file too short: the ELF header needs " + std::to_string(EI_NIDENT) +
                    " bytes of identification, the file has " + std::to_string(file_size_));
    if (std::memcmp(ident, ELFMAG, SELFMAG) != 0)
      throw Failure("not an ELF file: the first four bytes are not 7f 45 4c 46 (\\177ELF)");
    Identity& id = image_.identity;
    id.elf_class = ident[EI_CLASS];
    id.byte_order = ident[EI_DATA];
    id.ident_version = ident[EI_VERSION];
    id.os_abi = ident[EI_OSABI];
    id.abi_version = ident[EI_ABIVERSION];
    if (id.elf_class != ELFCLASS32 && id.elf_class != ELFCLASS64)
      throw Failure("e_ident[EI_CLASS] is " + std::to_string(id.elf_class) +
                    ", neither ELFCLASS32 (1) nor ELFCLASS64 (2)");
    if (id.byte_order != ELFDATA2LSB && id.byte_order != ELFDATA2MSB)
      throw Failure("e_ident[EI_DATA] is " + std::to_string(id.byte_order) +
                    ", neither ELFDATA2LSB (1) nor ELFDATA2MSB (2)");
    const std::uint64_t header_size =
        id.elf_class == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    if (file_size_ < header_size)
      throw Failure("file too short: the ELF header needs " + std::to_string(header_size) +
                    " bytes, the file has " + std::to_string(file_size_));
  }

  // The first bytes of the file, read once: e_ident, the ELF header and, in nearly every file,
  // the program headers (glibc's open_verify reads 832 bytes at once for the same reason).
  void read_head() {
    head_size_ = static_cast<std::size_t>(std::min<std::uint64_t>(file_size_, head_.size()));
    if (head_size_ > 0 && !read_bytes(head_.data(), head_size_, 0))
      throw Failure(std::string("cannot read the file: ") + std::strerror(errno));
  }

  // count entries of T at offset (the caller has checked that they lie inside the file), turned
  // from the file's byte order into the host's by libelf's translation, in place. No elf_begin
  // for the loader's view: it would fstat, fcntl, allocate a section table and read these
  // headers once more, in a search that opens files by the dozen.
  template <class Types, class T>
  void read_into(T* entries, std::uint64_t offset, std::size_t count, Elf_Type type) {
    const std::size_t bytes = count * sizeof(T);  // file and memory sizes agree for these types
    if (fits(offset, bytes, head_size_))
      std::memcpy(entries, head_.data() + offset, bytes);
    else if (!read_bytes(entries, bytes, offset))
      throw Failure("cannot read " + std::to_string(bytes) + " bytes at " + hex(offset) + ": " +
                    std::strerror(errno));
    Elf_Data data{};
    data.d_buf = entries;
    data.d_type = type;
    data.d_size = bytes;
    data.d_version = EV_CURRENT;
    Elf_Data translated = data;
    if (Types::to_memory(&translated, &data, image_.identity.byte_order) == nullptr)
      throw Failure("libelf cannot translate the data at " + hex(offset) + ": " + libelf_error());
  }
  // A table read into the reader's scratch space when it is small (program headers and dynamic
  // entries nearly always are), into the heap otherwise; valid until the next call.
  template <class Types, class T>
  std::span<const T> read_small_table(std::uint64_t offset, std::size_t count, Elf_Type type) {
    T* entries = reinterpret_cast<T*>(scratch_.data());
    if (count * sizeof(T) > scratch_.size()) {
      large_.resize(count * sizeof(T) / sizeof(std::uint64_t) + 1);
      entries = reinterpret_cast<T*>(large_.data());
    }
    read_into<Types>(entries, offset, count, type);
    return {entries, count};
  }

  template <class Types>
  void read_loader_view() {
    read_elf_header<Types>();
    read_program_headers<Types>();
    read_dynamic_segment<Types>();
  }

  template <class Types>
  void read_elf_header() {
    typename Types::Ehdr header;
    read_into<Types>(&header, 0, 1, ELF_T_EHDR);
    Identity& id = image_.identity;
    id.type = header.e_type;
    id.machine = header.e_machine;
    id.version = header.e_version;
    id.entry = header.e_entry;
    id.phentsize = header.e_phentsize;
    id.ehsize = header.e_ehsize;
    phoff_ = header.e_phoff;
    phnum_ = header.e_phnum;
    shoff_ = header.e_shoff;
    shentsize_ = header.e_shentsize;
  }

  template <class Types>
  void read_program_headers() {
    using Phdr = typename Types::Phdr;
    using Shdr = typename Types::Shdr;
    // The count is checked as the header states it. Only PN_XNUM (0xffff) means that the real
    // count is kept in section 0's sh_info (the gABI's extended numbering).
    std::size_t count = phnum_;
    if (phnum_ == PN_XNUM) {
      if (shoff_ == 0 || !fits(shoff_, sizeof(Shdr), file_size_))
        throw Failure(
            "cannot count the program headers: e_phnum is PN_XNUM and section header 0, "
            "which holds the count, is not in the file");
      Shdr first;
      read_into<Types>(&first, shoff_, 1, ELF_T_SHDR);
      count = first.sh_info;
    }
    if (count == 0) return;
    const std::size_t expected_entry = sizeof(Phdr);
    if (image_.identity.phentsize != expected_entry)
      throw Failure("program header entry size " + std::to_string(image_.identity.phentsize) +
                    " is not the " + std::to_string(expected_entry) + " bytes of " +
                    class_name(image_.identity.elf_class));
    auto bytes = table_size(count, expected_entry);
    if (!bytes || !fits(phoff_, *bytes, file_size_))
      throw Failure("program header table at " + hex(phoff_) +
                    " runs past the end of the file (size " + std::to_string(file_size_) + ")");
    image_.program_headers.reserve(count);
    for (const Phdr& raw : read_small_table<Types, Phdr>(phoff_, count, ELF_T_PHDR))
      image_.program_headers.push_back(ProgramHeader{raw.p_type, raw.p_flags, raw.p_offset,
                                                     raw.p_vaddr, raw.p_filesz, raw.p_memsz,
                                                     raw.p_align});
  }

  // The loader finds strings by address: DT_STRTAB is a virtual address that only a PT_LOAD
  // segment turns into a file offset (what the mapping would place there).
  std::optional<std::uint64_t> file_offset_of(std::uint64_t address) const {
    for (const ProgramHeader& header : image_.program_headers) {
      if (header.type != PT_LOAD) continue;
      if (address >= header.vaddr && address - header.vaddr < header.filesz)
        return header.offset + (address - header.vaddr);
    }
    return std::nullopt;
  }

  template <class Types>
  void read_dynamic_segment() {
    using Dyn = typename Types::Dyn;
    const ProgramHeader* dynamic = nullptr;
    for (const ProgramHeader& header : image_.program_headers)
      if (header.type == PT_DYNAMIC) dynamic = &header;
    if (dynamic == nullptr) return;
    image_.dynamic.present = true;
    if (!fits(dynamic->offset, dynamic->filesz, file_size_))
      throw Failure("dynamic segment at " + hex(dynamic->offset) + " (size " +
                    hex(dynamic->filesz) + ") runs past the end of the file (size " +
                    std::to_string(file_size_) + ")");
    const std::size_t count = dynamic->filesz / sizeof(Dyn);
    if (count == 0) return;
    const auto entries = read_small_table<Types, Dyn>(dynamic->offset, count, ELF_T_DYN);

    std::vector<std::pair<std::int64_t, std::uint64_t>> string_entries;  // (tag, string offset)
    std::optional<std::uint64_t> strtab_address;
    std::optional<std::uint64_t> strtab_size;
    std::uint64_t verneed_address = 0, verneed_count = 0, verdef_address = 0, verdef_count = 0;
    bool versym_present = false;
    DynamicInfo& info = image_.dynamic;
    for (const Dyn& entry : entries) {
      const std::int64_t tag = entry.d_tag;
      const std::uint64_t value = entry.d_un.d_val;
      if (tag == DT_NULL) break;
      switch (tag) {
        case DT_NEEDED:
        case DT_SONAME:
        case DT_RPATH:
        case DT_RUNPATH: string_entries.emplace_back(tag, value); break;
        case DT_STRTAB: strtab_address = value; break;
        case DT_STRSZ: strtab_size = value; break;
        case DT_FLAGS: info.flags = value; break;
        case DT_FLAGS_1:
          info.flags_1 = value;
          info.has_flags_1 = true;
          break;
        case DT_TEXTREL: info.textrel = true; break;
        case DT_VERNEED: verneed_address = value; break;
        case DT_VERNEEDNUM: verneed_count = value; break;
        case DT_VERDEF: verdef_address = value; break;
        case DT_VERDEFNUM: verdef_count = value; break;
        case DT_VERSYM: versym_present = true; break;
        default: break;
      }
    }
    if (depth_ == Depth::Versions) {
      // Deeper reads take these from the section headers (read_sections).
      image_.has_version_definitions = verdef_address != 0;
      image_.has_version_symbols = versym_present;
    }
    const bool versions_wanted =
        depth_ == Depth::Versions && (verneed_address != 0 || verdef_address != 0);
    if (string_entries.empty() && !versions_wanted) return;
    if (!strtab_address) throw Failure("the dynamic segment names libraries but has no DT_STRTAB");
    if (!strtab_size) throw Failure("the dynamic segment has DT_STRTAB but no DT_STRSZ");
    const auto strtab_offset = file_offset_of(*strtab_address);
    if (!strtab_offset)
      throw Failure("DT_STRTAB address " + hex(*strtab_address) +
                    " is not inside any PT_LOAD segment");
    if (!fits(*strtab_offset, *strtab_size, file_size_))
      throw Failure("dynamic string table at " + hex(*strtab_offset) + " (size " +
                    hex(*strtab_size) + ") runs past the end of the file (size " +
                    std::to_string(file_size_) + ")");
    // Only the strings the dynamic entries name are read, not the whole table (libstdc++'s is
    // 300 KB, of symbol names the search never looks at): one read covers them when they lie
    // close together, as the linker puts them.
    DynamicStrings strings(*this, *strtab_offset, *strtab_size);
    std::uint64_t lowest = UINT64_MAX, highest = 0;
    for (const auto& entry : string_entries) {
      lowest = std::min(lowest, entry.second);
      highest = std::max(highest, entry.second);
    }
    // The version entries first, so that one read of the string table serves their names too.
    RawVersions raw;
    if (depth_ == Depth::Versions) {
      read_dynamic_version_definitions<Types>(raw, verdef_address, verdef_count);
      read_dynamic_version_needs<Types>(raw, verneed_address, verneed_count);
      for (const std::uint64_t offset : raw.string_offsets) {
        lowest = std::min(lowest, offset);
        highest = std::max(highest, offset);
      }
    }
    const std::uint64_t span_read_at_once =
        depth_ == Depth::Versions ? kVersionStringSpanReadAtOnce : kStringSpanReadAtOnce;
    if (lowest <= highest && highest - lowest <= span_read_at_once)
      strings.prefetch(lowest, highest);
    for (const auto& [tag, offset] : string_entries) {
      std::string value = strings.at(tag, offset);
      switch (tag) {
        case DT_NEEDED: info.needed.push_back(std::move(value)); break;
        case DT_SONAME: info.soname = std::move(value); break;
        case DT_RPATH: info.rpath = std::move(value); break;
        case DT_RUNPATH: info.runpath = std::move(value); break;
        default: break;
      }
    }
    for (const std::uint64_t offset : raw.definitions)
      image_.version_definitions.push_back(strings.at(DT_VERDEF, offset, kVersionBlock));
    for (const RawVersions::Need& need : raw.needs) {
      VersionNeed versions;
      versions.file = strings.at(DT_VERNEED, need.file, kVersionBlock);
      for (const RawVersions::Needed& version : need.versions)
        versions.versions.push_back({strings.at(DT_VERNEED, version.name, kVersionBlock),
                                     version.hash, version.weak, version.index});
      image_.version_needs.push_back(std::move(versions));
    }
  }

  // The version entries as they lie, names still string-table offsets.
  struct RawVersions {
    struct Needed {
      std::uint64_t name;
      std::uint32_t hash;
      bool weak;
      std::uint16_t index;
    };
    struct Need {
      std::uint64_t file;
      std::vector<Needed> versions;
    };
    std::vector<std::uint64_t> definitions;  // vda_name of each non-base definition
    std::vector<Need> needs;
    std::vector<std::uint64_t> string_offsets;  // every name above
  };
  static constexpr std::uint64_t kVersionStringSpanReadAtOnce = 65536;

  // _dl_check_map_versions reads the needs and definitions through DT_VERNEED and DT_VERDEF, by
  // address; so does this (ReadParts::Versions), without libelf's section table. The chains are
  // bounded by their counts, by the file, and by vn_next/vna_next/vd_next of 0.
  template <class Types, class T>
  std::optional<T> read_version_entry(std::uint64_t offset, Elf_Type type) {
    if (!fits(offset, sizeof(T), file_size_)) return std::nullopt;
    // The chains lie together, as the linker writes them: one read of a block serves them, not
    // one pread per entry.
    if (offset < version_block_start_ ||
        offset + sizeof(T) > version_block_start_ + version_block_.size()) {
      const std::uint64_t size = std::min<std::uint64_t>(kVersionBlock, file_size_ - offset);
      version_block_.resize(static_cast<std::size_t>(size));
      if (!read_bytes(version_block_.data(), version_block_.size(), offset))
        throw Failure("cannot read the version entries at " + hex(offset) + ": " +
                      std::strerror(errno));
      version_block_start_ = offset;
    }
    T entry;
    std::memcpy(&entry, version_block_.data() + (offset - version_block_start_), sizeof(T));
    Elf_Data data{};
    data.d_buf = &entry;
    data.d_type = type;
    data.d_size = sizeof(T);
    data.d_version = EV_CURRENT;
    Elf_Data translated = data;
    if (Types::to_memory(&translated, &data, image_.identity.byte_order) == nullptr)
      throw Failure("libelf cannot translate the version entry at " + hex(offset) + ": " +
                    libelf_error());
    return entry;
  }
  static constexpr std::uint64_t kVersionBlock = 4096;

  template <class Types>
  void read_dynamic_version_needs(RawVersions& raw, std::uint64_t address, std::uint64_t count) {
    if (address == 0 || count == 0) return;
    std::optional<std::uint64_t> offset = file_offset_of(address);
    if (!offset)
      throw Failure("DT_VERNEED address " + hex(address) + " is not inside any PT_LOAD segment");
    count = std::min<std::uint64_t>(count, file_size_ / sizeof(Elf64_Verneed));
    for (std::uint64_t i = 0; i < count; ++i) {
      const auto need = read_version_entry<Types, Elf64_Verneed>(*offset, ELF_T_VNEED);
      if (!need)
        throw Failure("DT_VERNEED entry at " + hex(*offset) + " runs past the end of the file");
      RawVersions::Need versions{need->vn_file, {}};
      raw.string_offsets.push_back(need->vn_file);
      std::uint64_t aux = *offset + need->vn_aux;
      for (std::uint64_t j = 0; j < need->vn_cnt; ++j) {
        const auto auxiliary = read_version_entry<Types, Elf64_Vernaux>(aux, ELF_T_VNAUX);
        if (!auxiliary)
          throw Failure("DT_VERNEED auxiliary entry at " + hex(aux) +
                        " runs past the end of the file");
        versions.versions.push_back({auxiliary->vna_name, auxiliary->vna_hash,
                                     (auxiliary->vna_flags & VER_FLG_WEAK) != 0,
                                     auxiliary->vna_other});
        raw.string_offsets.push_back(auxiliary->vna_name);
        if (auxiliary->vna_next == 0) break;
        aux += auxiliary->vna_next;
      }
      raw.needs.push_back(std::move(versions));
      if (need->vn_next == 0) break;
      *offset += need->vn_next;
    }
  }

  template <class Types>
  void read_dynamic_version_definitions(RawVersions& raw, std::uint64_t address,
                                        std::uint64_t count) {
    if (address == 0 || count == 0) return;
    std::optional<std::uint64_t> offset = file_offset_of(address);
    if (!offset)
      throw Failure("DT_VERDEF address " + hex(address) + " is not inside any PT_LOAD segment");
    count = std::min<std::uint64_t>(count, file_size_ / sizeof(Elf64_Verdef));
    for (std::uint64_t i = 0; i < count; ++i) {
      const auto definition = read_version_entry<Types, Elf64_Verdef>(*offset, ELF_T_VDEF);
      if (!definition)
        throw Failure("DT_VERDEF entry at " + hex(*offset) + " runs past the end of the file");
      if (definition->vd_cnt > 0 && (definition->vd_flags & VER_FLG_BASE) == 0) {
        const auto auxiliary =
            read_version_entry<Types, Elf64_Verdaux>(*offset + definition->vd_aux, ELF_T_VDAUX);
        if (!auxiliary) throw Failure("DT_VERDEF auxiliary entry runs past the end of the file");
        raw.definitions.push_back(auxiliary->vda_name);
        raw.string_offsets.push_back(auxiliary->vda_name);
      }
      if (definition->vd_next == 0) break;
      *offset += definition->vd_next;
    }
  }

  static constexpr std::uint64_t kStringSpanReadAtOnce = 16384;

  // The dynamic string table [offset, offset + size) of the file, read a window at a time.
  class DynamicStrings {
   public:
    DynamicStrings(const ImageReader& reader, std::uint64_t offset, std::uint64_t size)
        : reader_(reader), table_offset_(offset), table_size_(size) {}

    // Reads the table from first to a little past last in one go.
    void prefetch(std::uint64_t first, std::uint64_t last) {
      if (first < table_size_) load(first, std::min(last - first + kTail, table_size_ - first));
    }

    // The NUL-terminated string at offset; a Failure when it lies outside the table or runs
    // to its end unterminated.
    // first_read: how much to read when the string is not in the window (version names lie
    // together at the end of the table: one wide read serves them all).
    std::string at(std::int64_t tag, std::uint64_t offset, std::uint64_t first_read = kTail) {
      if (offset >= table_size_)
        throw Failure(tag_name(tag) + " name at " + hex(offset) +
                      " is outside the dynamic string table (size " + std::to_string(table_size_) +
                      ")");
      for (std::uint64_t want = first_read;; want *= 8) {
        if (offset >= start_ && offset < start_ + window_.size()) {
          const std::size_t from = static_cast<std::size_t>(offset - start_);
          const std::size_t end = window_.find('\0', from);
          if (end != std::string::npos) return window_.substr(from, end - from);
          if (start_ + window_.size() == table_size_)
            throw Failure(tag_name(tag) + " name at " + hex(offset) +
                          " is not terminated inside the dynamic string table (size " +
                          std::to_string(table_size_) + ")");
        }
        // A name close to the window widens it rather than replacing it: the version names and
        // the library names they follow are asked for in turn.
        const std::uint64_t end = std::min(offset + want, table_size_);
        if (!window_.empty() && offset + kStringSpanReadAtOnce > start_ &&
            start_ + kStringSpanReadAtOnce > offset) {
          const std::uint64_t from = std::min(start_, offset);
          load(from, std::max<std::uint64_t>(end, start_ + window_.size()) - from);
        } else {
          load(offset, end - offset);
        }
      }
    }

   private:
    static constexpr std::uint64_t kTail = 256;  // room for a name after the last offset

    void load(std::uint64_t start, std::uint64_t size) {
      window_.resize(static_cast<std::size_t>(size));
      if (fits(table_offset_ + start, size, reader_.head_size_)) {  // read with the headers
        std::memcpy(window_.data(), reader_.head_.data() + table_offset_ + start, window_.size());
      } else if (!reader_.read_bytes(window_.data(), window_.size(), table_offset_ + start))
        throw Failure("cannot read the dynamic string table at " + hex(table_offset_ + start));
      start_ = start;
    }

    const ImageReader& reader_;
    std::uint64_t table_offset_;
    std::uint64_t table_size_;
    std::uint64_t start_ = 0;
    std::string window_;
  };

  static std::string tag_name(std::int64_t tag) {
    switch (tag) {
      case DT_NEEDED: return "DT_NEEDED";
      case DT_VERNEED: return "DT_VERNEED";
      case DT_VERDEF: return "DT_VERDEF";
      case DT_SONAME: return "DT_SONAME";
      case DT_RPATH: return "DT_RPATH";
      case DT_RUNPATH: return "DT_RUNPATH";
      default: return "dynamic tag " + std::to_string(tag);
    }
  }

  // ---- Section headers: what linkers and nm read, and the loader never does. ----

  void warn(std::string message) { image_.warnings.push_back(Warning{std::move(message)}); }

  void read_sections() {
    std::size_t count = 0;
    if (shoff_ == 0) return;  // no section header table (sstrip'ed or hand-made)
    if (elf_getshdrnum(elf_.get(), &count) != 0) {
      warn("cannot count the section headers: " + libelf_error());
      return;
    }
    if (count == 0) return;
    const std::size_t entry = entry_size(elf_.get(), ELF_T_SHDR);
    auto bytes = table_size(count, entry);
    if (shentsize_ != entry) {
      warn("section header entry size " + std::to_string(shentsize_) + " is not the " +
           std::to_string(entry) + " bytes of " + class_name(image_.identity.elf_class));
      return;
    }
    if (count > kMaxSections || !bytes || !fits(shoff_, *bytes, file_size_)) {
      warn("section header table at " + hex(shoff_) + " runs past the end of the file (size " +
           std::to_string(file_size_) + ")");
      return;
    }
    std::size_t names_index = 0;
    const bool have_names = elf_getshdrstrndx(elf_.get(), &names_index) == 0;
    index_.section_count = count;
    index_.names_index = names_index;
    index_.have_section_names = have_names;

    Elf_Scn* dynsym = nullptr;
    Elf_Scn* symtab = nullptr;
    Elf_Scn* versym = nullptr;
    Elf_Scn* plt_relocations = nullptr;
    for (Elf_Scn* section = elf_nextscn(elf_.get(), nullptr); section != nullptr;
         section = elf_nextscn(elf_.get(), section)) {
      GElf_Shdr header;
      if (gelf_getshdr(section, &header) == nullptr) continue;
      const std::size_t index = elf_ndxscn(section);
      const char* raw = have_names ? elf_strptr(elf_.get(), names_index, header.sh_name) : "";
      const std::string_view name = raw != nullptr ? raw : "<?>";
      // SymbolIndex names the one section a finding cites when it needs it.
      if (depth_ != Depth::InPlace) section_names_[index] = name;
      if (header.sh_type != SHT_NOBITS && !fits(header.sh_offset, header.sh_size, file_size_)) {
        warn("section " + std::to_string(index) + " (" + std::string(name) + ") at " +
             hex(header.sh_offset) + " (size " + hex(header.sh_size) +
             ") runs past the end of the file (size " + std::to_string(file_size_) + ")");
        // libdw would fail to read it and give up on the whole file's DWARF.
        if (name.starts_with(".debug_") || name.starts_with(".zdebug_"))
          index_.debug.needs_libdw = true;
        continue;
      }
      note_debug_section(name, header);
      if (depth_ != Depth::LoaderView && depth_ != Depth::Versions)
        image_.sections.push_back(Section{std::string(name), header.sh_type, header.sh_flags,
                                          header.sh_addr, header.sh_offset, header.sh_size});
      if ((header.sh_type == SHT_RELA || header.sh_type == SHT_REL) &&
          (name == ".rela.plt" || name == ".rel.plt"))
        plt_relocations = section;
      switch (header.sh_type) {
        case SHT_DYNSYM: dynsym = section; break;
        case SHT_SYMTAB: symtab = section; break;
        case SHT_GNU_versym:
          versym = section;
          image_.has_version_symbols = true;
          break;
        case SHT_GNU_verdef: read_version_definitions(section, header); break;
        case SHT_GNU_verneed: read_version_needs(section, header); break;
        default: break;
      }
    }
    if (depth_ == Depth::InPlace) {
      const bool dynamic_wanted = tables_ != IndexedTables::StaticOnly;
      if (dynsym != nullptr && dynamic_wanted) index_.dynamic = table_in_place(dynsym);
      if (symtab != nullptr && tables_ != IndexedTables::DynamicOnly)
        index_.symtab = table_in_place(symtab);
      if (dynsym != nullptr && versym != nullptr && dynamic_wanted) versions_in_place(versym);
      index_.class64 = image_.identity.elf_class == ELFCLASS64;
      index_.version_names = std::move(version_names_);
      return;
    }
    if (dynsym != nullptr) image_.dynamic_symbols = read_symbols(dynsym, versym);
    if (plt_relocations != nullptr) read_plt_relocations(plt_relocations);
    if (symtab != nullptr && depth_ != Depth::NoSymbolTable)
      image_.symbol_table = read_symbols(symtab, nullptr);
  }

  // The DWARF sections the symbol rules read with their own small reader (dwarf_unit.hpp), chosen
  // as libdw's dwarf_begin_elf chooses them: by name, the first of each, SHT_NOBITS and section
  // group members left out. What that reader cannot read makes it hand the file to libdw.
  void note_debug_section(std::string_view name, const GElf_Shdr& header) {
    const bool compressed_name = name.starts_with(".zdebug_");
    if (!compressed_name && !name.starts_with(".debug_")) return;
    if (header.sh_type == SHT_NOBITS || (header.sh_flags & SHF_GROUP) != 0) return;
    if (compressed_name || (header.sh_flags & SHF_COMPRESSED) != 0 || name.ends_with(".dwo")) {
      index_.debug.needs_libdw = true;
      return;
    }
    DebugSections& debug = index_.debug;
    SectionRange* range = name == ".debug_info"          ? &debug.info
                          : name == ".debug_abbrev"      ? &debug.abbrev
                          : name == ".debug_str"         ? &debug.str
                          : name == ".debug_line_str"    ? &debug.line_str
                          : name == ".debug_str_offsets" ? &debug.str_offsets
                          : name == ".debug_aranges"     ? &debug.aranges
                                                         : nullptr;
    if (range == nullptr || range->present) return;
    *range = SectionRange{true, header.sh_offset, header.sh_size};
  }

  // A symbol table checked as read_symbols checks it (entry size, readable data, at most
  // kMaxSymbols entries), kept where libelf read it. Its names are valid below the last NUL of the
  // linked string table, as elf_strptr decides (a string must end inside its table).
  SymbolIndex::Table table_in_place(Elf_Scn* section) {
    SymbolIndex::Table table;
    table.present = true;
    GElf_Shdr header;
    if (gelf_getshdr(section, &header) == nullptr) return table;
    const std::string table_name = section_name_of(section);
    const std::size_t entry = entry_size(elf_.get(), ELF_T_SYM);
    if (header.sh_entsize != entry) {
      warn(table_name + " entry size " + std::to_string(header.sh_entsize) + " is not the " +
           std::to_string(entry) + " bytes of a symbol");
      return table;
    }
    Elf_Data* data = elf_getdata(section, nullptr);
    if (data == nullptr) {
      warn("cannot read " + table_name + ": " + libelf_error());
      return table;
    }
    if (data->d_buf == nullptr) return table;
    table.count = std::min<std::size_t>(data->d_size / entry, kMaxSymbols);
    // libelf hands the entries over in this host's byte order, and aligned unless the machine
    // allows unaligned reads; then they are copied (the index reads them as Elf{32,64}_Sym).
    const std::size_t alignment =
        image_.identity.elf_class == ELFCLASS64 ? alignof(Elf64_Sym) : alignof(Elf32_Sym);
    table.entries = data->d_buf;
    if (reinterpret_cast<std::uintptr_t>(data->d_buf) % alignment != 0) {
      table.aligned_copy.resize((table.count * entry + 7) / 8);
      std::memcpy(table.aligned_copy.data(), data->d_buf, table.count * entry);
      table.entries = table.aligned_copy.data();
    }
    Elf_Scn* strings_section = elf_getscn(elf_.get(), header.sh_link);
    GElf_Shdr strings_header;
    Elf_Data* strings = nullptr;
    if (strings_section != nullptr && gelf_getshdr(strings_section, &strings_header) != nullptr &&
        strings_header.sh_type == SHT_STRTAB)
      strings = elf_getdata(strings_section, nullptr);
    if (strings != nullptr && strings->d_buf != nullptr && strings->d_size > 0) {
      table.strings = static_cast<const char*>(strings->d_buf);
      const void* last = ::memrchr(table.strings, '\0', strings->d_size);
      if (last != nullptr) table.strings_end = static_cast<const char*>(last) - table.strings + 1;
    }
    if (table.strings_end == 0 && table.count > 1)
      warn(table_name + " names are outside its string table");
    return table;
  }

  void versions_in_place(Elf_Scn* section) {
    Elf_Data* data = elf_getdata(section, nullptr);
    if (data == nullptr || data->d_buf == nullptr) return;
    index_.versym_count = data->d_size / sizeof(std::uint16_t);
    index_.versym = static_cast<const std::uint16_t*>(data->d_buf);
    if (reinterpret_cast<std::uintptr_t>(data->d_buf) % alignof(std::uint16_t) != 0) {
      index_.versym_copy.resize(index_.versym_count);
      std::memcpy(index_.versym_copy.data(), data->d_buf,
                  index_.versym_count * sizeof(std::uint16_t));
      index_.versym = index_.versym_copy.data();
    }
  }

  std::string section_name_of(Elf_Scn* section) {
    GElf_Shdr header;
    if (!index_.have_section_names || gelf_getshdr(section, &header) == nullptr) return "";
    const char* name = elf_strptr(elf_.get(), index_.names_index, header.sh_name);
    return name != nullptr ? name : "<?>";
  }

  std::vector<Symbol> read_symbols(Elf_Scn* section, Elf_Scn* versym_section) {
    std::vector<Symbol> symbols;
    GElf_Shdr header;
    if (gelf_getshdr(section, &header) == nullptr) return symbols;
    const std::string& table = section_names_[elf_ndxscn(section)];
    const std::size_t entry = entry_size(elf_.get(), ELF_T_SYM);
    if (header.sh_entsize != entry) {
      warn(table + " entry size " + std::to_string(header.sh_entsize) + " is not the " +
           std::to_string(entry) + " bytes of a symbol");
      return symbols;
    }
    Elf_Data* data = elf_getdata(section, nullptr);
    if (data == nullptr) {
      warn("cannot read " + table + ": " + libelf_error());
      return symbols;
    }
    Elf_Data* versions = nullptr;
    if (versym_section != nullptr) versions = elf_getdata(versym_section, nullptr);
    const std::size_t count = std::min<std::size_t>(data->d_size / entry, kMaxSymbols);
    symbols.reserve(count);
    populate(symbols.data(), count * sizeof(Symbol));
    // The names as elf_strptr gives them (a name must end inside its string table), from the
    // table's bytes at once rather than a call per symbol: a Go file has thousands.
    const char* strings = nullptr;
    std::size_t strings_size = 0;
    if (Elf_Scn* strings_section = elf_getscn(elf_.get(), header.sh_link)) {
      GElf_Shdr strings_header;
      Elf_Data* strings_data = nullptr;
      if (gelf_getshdr(strings_section, &strings_header) != nullptr &&
          strings_header.sh_type == SHT_STRTAB)
        strings_data = elf_getdata(strings_section, nullptr);
      if (strings_data != nullptr && strings_data->d_buf != nullptr &&
          strings_data->d_size == strings_header.sh_size) {
        strings = static_cast<const char*>(strings_data->d_buf);
        strings_size = strings_data->d_size;
      }
    }
    auto name_at = [&](std::size_t offset) -> std::optional<std::string_view> {
      if (strings == nullptr) {
        const char* name = elf_strptr(elf_.get(), header.sh_link, offset);
        if (name == nullptr) return std::nullopt;
        return std::string_view(name);
      }
      if (offset >= strings_size) return std::nullopt;
      const void* end = std::memchr(strings + offset, '\0', strings_size - offset);
      if (end == nullptr) return std::nullopt;
      return std::string_view(
          strings + offset,
          static_cast<std::size_t>(static_cast<const char*>(end) - (strings + offset)));
    };
    // Section names by index, looked up once per section rather than per symbol.
    std::vector<const std::string*> section_name_by_index;
    for (const auto& [index, name] : section_names_) {
      if (index >= SHN_LORESERVE) continue;
      if (section_name_by_index.size() <= index) section_name_by_index.resize(index + 1, nullptr);
      section_name_by_index[index] = &name;
    }
    // Version names by index, for the same reason.
    std::vector<const std::string*> version_name_by_index;
    for (const auto& [index, name] : version_names_) {
      if (index <= 1 || index > 0x7fff) continue;  // 0 local, 1 global: no name
      if (version_name_by_index.size() <= index) version_name_by_index.resize(index + 1, nullptr);
      version_name_by_index[index] = &name;
    }
    bool bad_name_reported = false;
    std::string current_file;  // locals follow the STT_FILE symbol of the object they came from
    for (std::size_t i = 1; i < count; ++i) {  // entry 0 is the reserved null symbol
      GElf_Sym raw;
      if (gelf_getsym(data, static_cast<int>(i), &raw) == nullptr) break;
      // Filled in place: a library's .dynsym has thousands of entries, each with its strings.
      Symbol& symbol = symbols.emplace_back();
      const std::optional<std::string_view> name = name_at(raw.st_name);
      if (!name) {
        symbol.name = "<?>";
        if (!bad_name_reported)
          warn(table + " symbol " + std::to_string(i) + " has a name at " + hex(raw.st_name) +
               " outside its string table");
        bad_name_reported = true;
      } else {
        symbol.name.assign(name->data(), name->size());
      }
      symbol.binding = GELF_ST_BIND(raw.st_info);
      symbol.type = GELF_ST_TYPE(raw.st_info);
      if (symbol.type == STT_FILE) current_file = symbol.name;
      if (!current_file.empty()) symbol.file = current_file;
      symbol.visibility = GELF_ST_VISIBILITY(raw.st_other);
      symbol.section_index = raw.st_shndx;
      symbol.value = raw.st_value;
      symbol.size = raw.st_size;
      if (raw.st_shndx != SHN_UNDEF && raw.st_shndx < SHN_LORESERVE) {
        if (raw.st_shndx < section_name_by_index.size() &&
            section_name_by_index[raw.st_shndx] != nullptr)
          symbol.section_name = *section_name_by_index[raw.st_shndx];
      } else if (raw.st_shndx == SHN_ABS) {
        symbol.section_name = "ABS";
      }
      if (versions != nullptr) {
        GElf_Versym version_index;
        if (gelf_getversym(versions, static_cast<int>(i), &version_index) != nullptr) {
          symbol.version_hidden = (version_index & 0x8000) != 0;
          const std::size_t index = version_index & 0x7fff;
          if (index < version_name_by_index.size() && version_name_by_index[index] != nullptr)
            symbol.version = *version_name_by_index[index];
        }
      }
    }
    return symbols;
  }

  // Symbol indices of the PLT relocations, turned into names through .dynsym (entry 0, the null
  // symbol, is not in dynamic_symbols, hence the - 1).
  void read_plt_relocations(Elf_Scn* section) {
    GElf_Shdr header;
    if (gelf_getshdr(section, &header) == nullptr) return;
    Elf_Data* data = elf_getdata(section, nullptr);
    if (data == nullptr || header.sh_entsize == 0) return;
    const std::size_t count = std::min<std::size_t>(data->d_size / header.sh_entsize, kMaxSymbols);
    for (std::size_t i = 0; i < count; ++i) {
      std::size_t index = 0;
      if (header.sh_type == SHT_RELA) {
        GElf_Rela relocation;
        if (gelf_getrela(data, static_cast<int>(i), &relocation) == nullptr) break;
        index = GELF_R_SYM(relocation.r_info);
      } else {
        GElf_Rel relocation;
        if (gelf_getrel(data, static_cast<int>(i), &relocation) == nullptr) break;
        index = GELF_R_SYM(relocation.r_info);
      }
      if (index > 0 && index - 1 < image_.dynamic_symbols.size())
        image_.lazily_bound.push_back(image_.dynamic_symbols[index - 1].name);
    }
  }

  // Version definitions (what this file provides) and needs (what it requires of others) share
  // one index space, used by .gnu.version beside .dynsym. Chains are walked with their offsets
  // bounded by the section and their length bounded by sh_info, so a loop in the chain ends.
  void read_version_definitions(Elf_Scn* section, const GElf_Shdr& header) {
    Elf_Data* data = elf_getdata(section, nullptr);
    if (data == nullptr) return;
    image_.has_version_definitions = true;
    std::size_t offset = 0;
    for (std::size_t i = 0; i < header.sh_info && offset < data->d_size; ++i) {
      GElf_Verdef definition;
      if (gelf_getverdef(data, static_cast<int>(offset), &definition) == nullptr) break;
      GElf_Verdaux auxiliary;
      if (definition.vd_cnt > 0 &&
          gelf_getverdaux(data, static_cast<int>(offset + definition.vd_aux), &auxiliary) !=
              nullptr) {
        const char* name = elf_strptr(elf_.get(), header.sh_link, auxiliary.vda_name);
        if (name != nullptr) {
          version_names_[definition.vd_ndx] = name;
          if ((definition.vd_flags & VER_FLG_BASE) == 0)
            image_.version_definitions.emplace_back(name);
        }
      }
      if (definition.vd_next == 0) break;
      offset += definition.vd_next;
    }
  }

  void read_version_needs(Elf_Scn* section, const GElf_Shdr& header) {
    Elf_Data* data = elf_getdata(section, nullptr);
    if (data == nullptr) return;
    std::size_t offset = 0;
    for (std::size_t i = 0; i < header.sh_info && offset < data->d_size; ++i) {
      GElf_Verneed need;
      if (gelf_getverneed(data, static_cast<int>(offset), &need) == nullptr) break;
      const char* file = elf_strptr(elf_.get(), header.sh_link, need.vn_file);
      elf::VersionNeed versions;
      versions.file = file != nullptr ? file : "<?>";
      std::size_t aux_offset = offset + need.vn_aux;
      for (std::size_t j = 0; j < need.vn_cnt && aux_offset < data->d_size; ++j) {
        GElf_Vernaux auxiliary;
        if (gelf_getvernaux(data, static_cast<int>(aux_offset), &auxiliary) == nullptr) break;
        const char* name = elf_strptr(elf_.get(), header.sh_link, auxiliary.vna_name);
        if (name != nullptr) version_names_[auxiliary.vna_other] = name;
        versions.versions.push_back({name != nullptr ? name : "<?>", auxiliary.vna_hash,
                                     (auxiliary.vna_flags & VER_FLG_WEAK) != 0,
                                     static_cast<std::uint16_t>(auxiliary.vna_other)});
        if (auxiliary.vna_next == 0) break;
        aux_offset += auxiliary.vna_next;
      }
      image_.version_needs.push_back(std::move(versions));
      if (need.vn_next == 0) break;
      offset += need.vn_next;
    }
  }

  int fd_;
  const char* memory_ = nullptr;  // the whole file, when the caller read it (read_in_place)
  std::uint64_t file_size_;
  Depth depth_;
  // Section header facts kept for SymbolIndex (Depth::InPlace). Declared before elf_, which may
  // read from the contents it owns, so that it outlives it.
  SymbolIndex::Parts index_;
  ElfHandle elf_;  // only past the loader's view: the sections
  Image image_;
  std::array<unsigned char, 1024> head_{};
  alignas(std::uint64_t) std::array<unsigned char, 2048> scratch_;  // see read_small_table
  std::vector<std::uint64_t> large_;
  std::string version_block_;  // see read_version_entry
  std::uint64_t version_block_start_ = 0;
  std::size_t head_size_ = 0;
  std::uint64_t phoff_ = 0;
  std::size_t phnum_ = 0;
  std::uint64_t shoff_ = 0;
  std::uint64_t shentsize_ = 0;
  std::map<std::size_t, std::string> section_names_;
  std::map<std::size_t, std::string> version_names_;
  IndexedTables tables_ = IndexedTables::Both;
};

}  // namespace

ReadOutcome read_image_fd(int fd, ReadParts parts) noexcept {
  try {
    ensure_libelf_initialised();
    struct stat status;
    if (::fstat(fd, &status) != 0)
      return ReadError{std::string("cannot stat the file: ") + std::strerror(errno)};
    if (!S_ISREG(status.st_mode)) return ReadError{"not a regular file"};
    return read_image_fd(fd, static_cast<std::uint64_t>(status.st_size), parts);
  } catch (const std::exception& error) {
    return ReadError{std::string("cannot read the file: ") + error.what()};
  }
}

ReadOutcome read_image_fd(int fd, std::uint64_t file_size, ReadParts parts) noexcept {
  try {
    ensure_libelf_initialised();
    ImageReader reader(fd, file_size,
                       parts == ReadParts::Everything       ? Depth::Everything
                       : parts == ReadParts::DynamicSymbols ? Depth::NoSymbolTable
                       : parts == ReadParts::Versions       ? Depth::Versions
                                                            : Depth::LoaderView);
    return reader.read();
  } catch (const Failure& failure) {
    return ReadError{failure.message()};
  } catch (const std::bad_alloc&) {
    return ReadError{"out of memory while reading the file"};
  } catch (const std::exception& error) {
    return ReadError{std::string("cannot read the file: ") + error.what()};
  }
}

ReadOutcome read_image(const std::string& path, ReadParts parts) noexcept {
  // O_NONBLOCK: a FIFO given by mistake must not block the open; it is refused by fstat below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return ReadError{"cannot open " + path + ": " + std::strerror(errno)};
  ReadOutcome outcome = read_image_fd(fd, parts);
  ::close(fd);
  return outcome;
}

SymbolIndexOutcome read_symbol_index(const std::string& path, std::uint64_t read_whole_up_to,
                                     IndexedTables tables) noexcept {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return ReadError{"cannot open " + path + ": " + std::strerror(errno)};
  try {
    ensure_libelf_initialised();
    struct stat status;
    if (::fstat(fd, &status) != 0)
      throw Failure(std::string("cannot stat the file: ") + std::strerror(errno));
    if (!S_ISREG(status.st_mode)) throw Failure("not a regular file");
    const auto size = static_cast<std::uint64_t>(status.st_size);
    std::unique_ptr<char[]> contents;
    if (size > 0 && size <= read_whole_up_to) {
      contents.reset(new (std::nothrow) char[size]);
      // Without the memory, or if the read fails, the file is read part by part.
      if (contents && !read_exact(fd, contents.get(), size, 0)) contents.reset();
    }
    ImageReader reader(fd, size, Depth::InPlace);
    reader.set_tables(tables);
    return SymbolIndex(reader.read_in_place(std::move(contents)));  // owns fd from here
  } catch (const Failure& failure) {
    ::close(fd);
    return ReadError{failure.message()};
  } catch (const std::bad_alloc&) {
    ::close(fd);
    return ReadError{"out of memory while reading the file"};
  } catch (const std::exception& error) {
    ::close(fd);
    return ReadError{std::string("cannot read the file: ") + error.what()};
  }
}

}  // namespace dldoctor::elf
