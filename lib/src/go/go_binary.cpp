// Reading Go binaries (go_binary.hpp): build info, package hashes, plugin path, Go DWARF units.
#include "go/go_binary.hpp"

#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "elf/symbol_index.hpp"
#include "go/go_type.hpp"
#include "go/pclntab.hpp"

namespace dldoctor::go {
namespace {

constexpr std::string_view kMagic = "\xff Go buildinf:";  // 14 bytes
constexpr std::size_t kHeaderSize = 32;
// Bounds on what is read from a file: a build info is a few KB, a package hash 8 bytes (Go 1.19;
// 32 for a SHA-256 in other versions), a plugin path an import path.
constexpr std::uint64_t kMaxBuildInfo = 4u << 20;
constexpr std::uint64_t kMaxHash = 64;
constexpr std::uint64_t kMaxPluginPath = 4096;
constexpr std::size_t kMaxDirectoriesPerPackage = 16;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool read_exact(int fd, void* buffer, std::size_t size, std::uint64_t offset) noexcept {
  auto* out = static_cast<char*>(buffer);
  while (size > 0) {
    const ssize_t got = ::pread(fd, out, size, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    out += got;
    size -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
  return true;
}

bool fits(std::uint64_t offset, std::uint64_t size, std::uint64_t limit) noexcept {
  return offset <= limit && size <= limit - offset;
}

// The file offset of [address, address + size) in a PT_LOAD segment's file bytes.
std::optional<std::uint64_t> file_offset(const elf::Image& image, std::uint64_t address,
                                         std::uint64_t size) noexcept {
  for (const elf::ProgramHeader& segment : image.program_headers) {
    if (segment.type != PT_LOAD || address < segment.vaddr) continue;
    const std::uint64_t within = address - segment.vaddr;
    if (!fits(within, size, segment.filesz)) continue;
    if (!fits(segment.offset, within + size, image.file_size)) continue;
    return segment.offset + within;
  }
  return std::nullopt;
}

std::optional<std::string> read_bytes(int fd, const elf::Image& image, std::uint64_t address,
                                      std::uint64_t size) {
  const std::optional<std::uint64_t> offset = file_offset(image, address, size);
  if (!offset) return std::nullopt;
  std::string bytes(size, '\0');
  if (size != 0 && !read_exact(fd, bytes.data(), bytes.size(), *offset)) return std::nullopt;
  return bytes;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    text += kDigits[byte >> 4];
    text += kDigits[byte & 0xf];
  }
  return text;
}

// encoding/binary.Uvarint, bounded: nullopt when the bytes end first or it overflows 64 bits.
std::optional<std::uint64_t> uvarint(std::span<const unsigned char> bytes, std::size_t& at) {
  std::uint64_t value = 0;
  for (unsigned shift = 0; shift < 64 && at < bytes.size(); shift += 7) {
    const unsigned char byte = bytes[at++];
    if (shift == 63 && byte > 1) return std::nullopt;
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  return std::nullopt;
}

std::optional<std::string> varint_string(std::span<const unsigned char> bytes, std::size_t& at) {
  const std::optional<std::uint64_t> length = uvarint(bytes, at);
  if (!length || *length > bytes.size() - at) return std::nullopt;
  std::string text(reinterpret_cast<const char*>(bytes.data() + at), *length);
  at += *length;
  return text;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? line.npos : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return fields;
}

// strconv.Unquote for what cmd/go quotes (a key or value with spaces, quotes or '='): the
// escapes \" \\ \n \t; anything else is kept as written.
std::string unquote(std::string_view text) {
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return std::string(text);
  std::string out;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 2 < text.size()) {
      const char next = text[++i];
      c = next == 'n' ? '\n' : next == 't' ? '\t' : next;
    }
    out += c;
  }
  return out;
}

Module module_from(const std::vector<std::string_view>& fields) {
  Module module;
  if (fields.size() > 1) module.path = fields[1];
  if (fields.size() > 2) module.version = fields[2];
  if (fields.size() > 3) module.sum = fields[3];
  return module;
}

// The order in which plugin.Open compares the plugin's packages: its moduledata's pkghashes
// array, whose entries' runtimehash fields point at go.link.pkghash.<package>, each bound by a
// dynamic relocation against that symbol (so that the host's copy wins, as ld.so binds it). The
// relocations' offsets give the array's order (runtime/plugin.go walks it first to last and
// stops at the first difference).
std::vector<std::string> read_check_order(int fd) noexcept {
  constexpr std::string_view kPrefix = "go.link.pkghash.";
  constexpr std::size_t kMaxRelocations = 1u << 22;
  std::vector<std::pair<std::uint64_t, std::string>> entries;
  if (elf_version(EV_CURRENT) == EV_NONE) return {};
  std::unique_ptr<Elf, decltype(&elf_end)> elf(elf_begin(fd, ELF_C_READ_MMAP, nullptr), &elf_end);
  if (!elf || elf_kind(elf.get()) != ELF_K_ELF) return {};
  for (Elf_Scn* section = elf_nextscn(elf.get(), nullptr); section != nullptr;
       section = elf_nextscn(elf.get(), section)) {
    GElf_Shdr header;
    if (gelf_getshdr(section, &header) == nullptr || header.sh_type != SHT_RELA ||
        header.sh_entsize == 0)
      continue;
    Elf_Scn* symbols_section = elf_getscn(elf.get(), header.sh_link);
    GElf_Shdr symbols_header;
    if (symbols_section == nullptr || gelf_getshdr(symbols_section, &symbols_header) == nullptr ||
        symbols_header.sh_type != SHT_DYNSYM)
      continue;
    Elf_Data* relocations = elf_getdata(section, nullptr);
    Elf_Data* symbols = elf_getdata(symbols_section, nullptr);
    if (relocations == nullptr || symbols == nullptr) continue;
    const std::size_t count =
        std::min<std::size_t>(relocations->d_size / header.sh_entsize, kMaxRelocations);
    for (std::size_t i = 0; i < count; ++i) {
      GElf_Rela relocation;
      GElf_Sym symbol;
      if (gelf_getrela(relocations, static_cast<int>(i), &relocation) == nullptr) break;
      const auto index = static_cast<int>(GELF_R_SYM(relocation.r_info));
      if (index == 0 || gelf_getsym(symbols, index, &symbol) == nullptr) continue;
      const char* name = elf_strptr(elf.get(), symbols_header.sh_link, symbol.st_name);
      if (name == nullptr) continue;
      const std::string_view view(name);
      if (view.starts_with(kPrefix) && view.size() > kPrefix.size())
        entries.emplace_back(relocation.r_offset, std::string(view.substr(kPrefix.size())));
    }
  }
  std::sort(entries.begin(), entries.end());
  std::vector<std::string> order;
  for (auto& [offset, package] : entries)
    if (std::find(order.begin(), order.end(), package) == order.end())
      order.push_back(std::move(package));
  return order;
}

// A read-only mapping of part of a file, unmapped when it goes.
class Mapping {
 public:
  Mapping(int fd, std::uint64_t offset, std::uint64_t size) {
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t start = offset - offset % page;
    length_ = static_cast<std::size_t>(size + (offset - start));
    void* mapped = ::mmap(nullptr, length_, PROT_READ, MAP_PRIVATE, fd, static_cast<off_t>(start));
    if (mapped == MAP_FAILED) return;
    base_ = mapped;
    bytes_ = std::span(static_cast<const unsigned char*>(mapped) + (offset - start),
                       static_cast<std::size_t>(size));
  }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (base_ != nullptr) ::munmap(base_, length_);
  }
  bool ok() const noexcept { return base_ != nullptr; }
  std::span<const unsigned char> bytes() const noexcept { return bytes_; }

 private:
  void* base_ = nullptr;
  std::size_t length_ = 0;
  std::span<const unsigned char> bytes_;
};

// Where the function table lies in the file: runtime.pclntab to runtime.epclntab (.symtab),
// else the .gopclntab section. {offset, size}.
std::optional<std::pair<std::uint64_t, std::uint64_t>> function_table(const elf::Image& image,
                                                                      const Binary& binary) {
  constexpr std::uint64_t kMaxTable = 1u << 30;
  std::optional<std::uint64_t> offset;
  std::uint64_t size = 0;
  {
    std::optional<std::uint64_t> start = binary.function_table_start;
    std::optional<std::uint64_t> end = binary.function_table_end;
    if (image.symbol_table && !(start && end)) {
      for (const elf::Symbol& symbol : *image.symbol_table) {
        if (!symbol.defined()) continue;
        if (symbol.name == "runtime.pclntab") start = symbol.value;
        if (symbol.name == "runtime.epclntab") end = symbol.value;
      }
    }
    if (start && end && *end > *start) {
      size = *end - *start;
      offset = file_offset(image, *start, size);
    }
  }
  if (!offset) {
    const elf::Section* section = image.section(".gopclntab");
    if (section == nullptr || section->type == SHT_NOBITS ||
        !fits(section->offset, section->size, image.file_size))
      return std::nullopt;
    offset = section->offset;
    size = section->size;
  }
  if (size == 0 || size > kMaxTable) return std::nullopt;
  return std::pair(*offset, size);
}

// The packages' directories from the function table; false when the file has none readable.
// The table is mapped, not read: only the pages of the names and of the functions asked for are
// touched.
bool read_table_directories(int fd, const elf::Image& image, Binary& binary,
                            const DwarfParts& parts) {
  const auto where = function_table(image, binary);
  if (!where) return false;
  const Mapping table(fd, where->first, where->second);
  if (!table.ok()) return false;
  std::optional<PclnDirectories> read = pcln_source_directories(
      table.bytes(), parts.packages ? &*parts.packages : nullptr, kMaxDirectoriesPerPackage);
  if (!read || read->functions == 0) return false;
  binary.sources_from_table = true;
  for (auto& [package, directories] : read->directories)
    if (!directories.empty()) binary.source_directories[package] = std::move(directories);
  return true;
}

void read_dwarf(int fd, Binary& binary, const DwarfParts& parts) noexcept {
  Dwarf* dwarf = dwarf_begin(fd, DWARF_C_READ);
  if (dwarf == nullptr) return;
  binary.has_dwarf = true;
  Dwarf_Off offset = 0;
  Dwarf_Off next = 0;
  std::size_t header_size = 0;
  std::size_t units = 0;
  std::size_t found_packages = 0;
  while (units++ < (1u << 20) &&
         dwarf_nextcu(dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
    Dwarf_Die unit;
    if (dwarf_offdie(dwarf, offset + header_size, &unit) == nullptr) {
      offset = next;
      continue;
    }
    offset = next;
    Dwarf_Attribute attribute;
    const char* producer = dwarf_formstring(dwarf_attr(&unit, DW_AT_producer, &attribute));
    if (producer == nullptr) continue;
    constexpr std::string_view kGo = "Go cmd/compile ";
    const std::string_view text = producer;
    if (!text.starts_with(kGo)) continue;
    binary.is_go = true;
    if (binary.compiler_version.empty()) {
      const std::string_view rest = text.substr(kGo.size());
      const std::size_t semicolon = rest.find(';');
      binary.compiler_version = std::string(rest.substr(0, semicolon));
      if (semicolon != std::string_view::npos) {
        std::string_view flags = rest.substr(semicolon + 1);
        while (!flags.empty() && flags.front() == ' ') flags.remove_prefix(1);
        binary.compiler_flags = std::string(flags);
      }
    }
    // All the packages asked for are read, and the compiler (from the first Go unit).
    if (parts.packages && found_packages >= parts.packages->size()) break;
    const char* name = dwarf_diename(&unit);
    if (name == nullptr) continue;
    if (parts.packages && parts.packages->count(name) == 0) continue;
    ++found_packages;
    // The package's own files: where its functions are declared (not the inlined ones').
    std::set<std::string>& directories = binary.source_directories[name];
    Dwarf_Die child;
    if (dwarf_child(&unit, &child) != 0) continue;
    std::size_t seen = 0;
    do {
      if (dwarf_tag(&child) != DW_TAG_subprogram) continue;
      const char* file = dwarf_decl_file(&child);
      if (file == nullptr) continue;
      const std::string_view path = file;
      const std::size_t slash = path.rfind('/');
      directories.insert(std::string(slash == path.npos ? "." : path.substr(0, slash)));
      if (directories.size() >= kMaxDirectoriesPerPackage) break;
    } while (++seen < (1u << 22) && dwarf_siblingof(&child, &child) == 0);
    if (directories.empty()) binary.source_directories.erase(name);
  }
  dwarf_end(dwarf);
}

// The sources only of what is Go already: a C library's units are not worth walking. The
// function table first; the DWARF for the compiler, or for what the table cannot give.
void read_sources_of(int fd, const elf::Image& image, Binary& binary, const DwarfParts& parts) {
  if (!binary.is_go || !parts.read) return;
  binary.has_dwarf =
      image.section(".debug_info") != nullptr || image.section(".zdebug_info") != nullptr;
  // No package asked for (only the compiler): no table to read.
  const bool from_table = (parts.packages && parts.packages->empty()) ||
                          read_table_directories(fd, image, binary, parts);
  if (!from_table)
    read_dwarf(fd, binary, parts);
  else if (parts.compiler && binary.has_dwarf)
    read_dwarf(fd, binary, DwarfParts{true, std::set<std::string>{}, true});
}

std::string type_name_of(Dwarf_Die* die, std::string_view plugin_path) {
  Dwarf_Attribute attribute;
  Dwarf_Die type;
  if (dwarf_attr(die, DW_AT_type, &attribute) == nullptr ||
      dwarf_formref_die(&attribute, &type) == nullptr)
    return "?";
  const char* name = dwarf_diename(&type);
  return name == nullptr ? "?" : reflect_spelling(name, plugin_path);
}

}  // namespace

std::optional<SymbolType> symbol_type(const std::string& path, std::string_view qualified,
                                      std::string_view plugin_path) noexcept {
  try {
    Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0) return std::nullopt;
    Dwarf* dwarf = dwarf_begin(file.fd, DWARF_C_READ);
    if (dwarf == nullptr) return std::nullopt;
    std::unique_ptr<Dwarf, decltype(&dwarf_end)> owner(dwarf, &dwarf_end);
    Dwarf_Off offset = 0;
    Dwarf_Off next = 0;
    std::size_t header_size = 0;
    std::size_t units = 0;
    while (units++ < (1u << 20) &&
           dwarf_nextcu(dwarf, offset, &next, &header_size, nullptr, nullptr, nullptr) == 0) {
      Dwarf_Die unit;
      Dwarf_Die child;
      const bool readable = dwarf_offdie(dwarf, offset + header_size, &unit) != nullptr &&
                            dwarf_child(&unit, &child) == 0;
      offset = next;
      if (!readable) continue;
      std::size_t seen = 0;
      do {
        const int tag = dwarf_tag(&child);
        if (tag != DW_TAG_subprogram && tag != DW_TAG_variable) continue;
        const char* name = dwarf_diename(&child);
        if (name == nullptr || qualified != name) continue;
        if (tag == DW_TAG_variable)
          return SymbolType{false, "*" + type_name_of(&child, plugin_path)};
        // Parameters in order; results are the parameters with DW_AT_variable_parameter set.
        std::vector<std::string> parameters;
        std::vector<std::string> results;
        Dwarf_Die parameter;
        if (dwarf_child(&child, &parameter) == 0) {
          std::size_t count = 0;
          do {
            if (dwarf_tag(&parameter) != DW_TAG_formal_parameter) continue;
            Dwarf_Attribute attribute;
            bool result = false;
            if (dwarf_attr(&parameter, DW_AT_variable_parameter, &attribute) != nullptr)
              dwarf_formflag(&attribute, &result);
            (result ? results : parameters).push_back(type_name_of(&parameter, plugin_path));
          } while (++count < 4096 && dwarf_siblingof(&parameter, &parameter) == 0);
        }
        auto joined = [](const std::vector<std::string>& parts) {
          std::string text;
          for (const std::string& part : parts) text += (text.empty() ? "" : ", ") + part;
          return text;
        };
        std::string type = "func(" + joined(parameters) + ")";
        if (results.size() == 1) type += " " + results.front();
        if (results.size() > 1) type += " (" + joined(results) + ")";
        return SymbolType{true, std::move(type)};
      } while (++seen < (1u << 22) && dwarf_siblingof(&child, &child) == 0);
    }
  } catch (...) {
  }
  return std::nullopt;
}

const Module* BuildInfo::module_of(std::string_view package) const noexcept {
  const Module* best = nullptr;
  auto consider = [&](const Module& module) {
    const std::string_view path = module.path;
    const bool contains =
        package == path ||
        (package.starts_with(path) && package.size() > path.size() && package[path.size()] == '/');
    if (contains && (best == nullptr || path.size() > best->path.size())) best = &module;
  };
  if (main) consider(*main);
  for (const Module& module : dependencies) consider(module);
  return best;
}

std::optional<std::string> BuildInfo::setting(std::string_view key) const {
  for (const BuildSetting& setting : settings)
    if (setting.key == key) return setting.value;
  return std::nullopt;
}

void parse_module_info(std::string_view text, BuildInfo& info) {
  // cmd/go frames it with 16-byte sentinels and a final newline before the end one.
  if (text.size() >= 33 && text[text.size() - 17] == '\n') text = text.substr(16, text.size() - 32);
  Module* last = nullptr;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    const std::vector<std::string_view> fields = split_tabs(line);
    const std::string_view kind = fields[0];
    if (kind == "path" && fields.size() > 1) {
      info.path = fields[1];
    } else if (kind == "mod") {
      info.main = module_from(fields);
      last = &*info.main;
    } else if (kind == "dep") {
      info.dependencies.push_back(module_from(fields));
      last = &info.dependencies.back();
    } else if (kind == "=>" && last != nullptr) {
      const Module target = module_from(fields);
      last->replaced = true;
      last->replace_path = target.path;
      last->replace_version = target.version;
      last->replace_sum = target.sum;
      last = nullptr;
    } else if (kind == "build" && fields.size() > 1) {
      const std::string_view setting = line.substr(6);
      // A quoted key may hold '=': the first '=' after it.
      std::size_t equals = setting.find('=');
      if (!setting.empty() && setting.front() == '"') {
        std::size_t close = 1;
        while (close < setting.size() && (setting[close] != '"' || setting[close - 1] == '\\'))
          ++close;
        equals = setting.find('=', close);
      }
      if (equals == std::string_view::npos) continue;
      info.settings.push_back(
          {unquote(setting.substr(0, equals)), unquote(setting.substr(equals + 1))});
    }
  }
}

std::variant<BuildInfo, std::string> parse_build_info(std::span<const unsigned char> bytes) {
  if (bytes.size() < kHeaderSize) return std::string("shorter than the 32-byte build info header");
  if (std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0)
    return std::string("no \"\\xff Go buildinf:\" magic");
  const unsigned pointer_size = bytes[14];
  const unsigned flags = bytes[15];
  if ((flags & 2) == 0)
    return "the pointer format of Go 1.17 and earlier (pointer size " +
           std::to_string(pointer_size) + "): not read";
  BuildInfo info;
  std::size_t at = kHeaderSize;
  const std::optional<std::string> version = varint_string(bytes, at);
  if (!version) return std::string("the Go version's length runs past the build info");
  const std::optional<std::string> module_info = varint_string(bytes, at);
  if (!module_info) return std::string("the module information's length runs past the build info");
  info.go_version = *version;
  parse_module_info(*module_info, info);
  return info;
}

const PackageHash* Binary::hash_of(std::string_view package) const noexcept {
  const auto found = std::lower_bound(
      package_hashes.begin(), package_hashes.end(), package,
      [](const PackageHash& hash, std::string_view name) { return hash.package < name; });
  return found != package_hashes.end() && found->package == package ? &*found : nullptr;
}

std::string Binary::go_version() const {
  if (build_info && !build_info->go_version.empty()) return build_info->go_version;
  return compiler_version;
}

std::string package_of_symbol(std::string_view name) {
  const std::size_t slash = name.rfind('/');
  const std::size_t dot = name.find('.', slash == std::string_view::npos ? 0 : slash);
  if (dot == std::string_view::npos || dot == 0) return "";
  return std::string(name.substr(0, dot));
}

bool is_standard_package(std::string_view package) noexcept {
  const std::string_view first = package.substr(0, package.find('/'));
  return first.find('.') == std::string_view::npos;
}

std::string version_in_directory(std::string_view directory) {
  const std::size_t at = directory.rfind("@v");
  if (at == std::string_view::npos) return "";
  const std::string_view rest = directory.substr(at + 1);
  return std::string(rest.substr(0, rest.find('/')));
}

void read_sources(const std::string& path, const elf::Image& image, Binary& binary,
                  const DwarfParts& dwarf) noexcept {
  try {
    Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd >= 0) read_sources_of(file.fd, image, binary, dwarf);
  } catch (...) {
    // Out of memory: what was read so far.
  }
}

namespace {

// Whether the NUL-terminated name begins with prefix (which has no NUL): compared in place, most
// names at their first byte, without measuring them.
inline bool begins_with(const char* name, std::string_view prefix) noexcept {
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (name[i] != prefix[i]) return false;
  return true;
}

// What read_binary reads of a symbol: its name and where its bytes are.
struct SymbolView {
  std::string_view name;
  bool defined = false;
  std::uint64_t value = 0;
  std::uint64_t size = 0;
};

// read_binary's work on image, each_symbol(visit) calling visit(SymbolView) for the symbols of
// .dynsym, then of .symtab.
template <class EachSymbol>
Binary read_binary_with(const std::string& path, const elf::Image& image,
                        const EachSymbol& each_symbol, const DwarfParts& dwarf) noexcept {
  Binary binary;
  try {
    Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (file.fd < 0) return binary;
    // The build info: its section, else (section headers stripped) the first writable PT_LOAD
    // segment's first 64 KiB, searched at 16-byte steps for the magic, as debug/buildinfo does.
    std::optional<std::uint64_t> start;
    std::uint64_t size = 0;
    if (const elf::Section* section = image.section(".go.buildinfo");
        section != nullptr && section->type != SHT_NOBITS) {
      start = section->offset;
      size = section->size;
    } else if (image.sections.empty()) {
      for (const elf::ProgramHeader& segment : image.program_headers) {
        if (segment.type != PT_LOAD || (segment.flags & (PF_X | PF_W)) != PF_W) continue;
        start = segment.offset;
        size = std::min<std::uint64_t>(segment.filesz, 64 * 1024);
        break;
      }
    }
    if (start && fits(*start, size, image.file_size) && size >= kHeaderSize) {
      std::vector<unsigned char> bytes(std::min(size, kMaxBuildInfo));
      if (read_exact(file.fd, bytes.data(), bytes.size(), *start)) {
        for (std::size_t at = 0; at + kHeaderSize <= bytes.size(); at += 16) {
          if (std::memcmp(bytes.data() + at, kMagic.data(), kMagic.size()) != 0) continue;
          binary.is_go = true;
          auto parsed = parse_build_info(std::span(bytes).subspan(at));
          if (auto* info = std::get_if<BuildInfo>(&parsed)) {
            info->offset = *start + at;
            binary.build_info = std::move(*info);
          } else {
            binary.build_info_error = std::get<std::string>(parsed);
          }
          break;
        }
      }
    }
    // Package hashes and the plugin path, from either symbol table.
    constexpr std::string_view kHashPrefix = "go.link.pkghashbytes.";
    std::map<std::string, std::string> hashes;
    each_symbol([&](const SymbolView& symbol) {
      if (!symbol.defined) return;
      if (symbol.name.starts_with(kHashPrefix) && symbol.name.size() > kHashPrefix.size()) {
        std::string package(symbol.name.substr(kHashPrefix.size()));
        if (hashes.count(package) != 0) return;
        std::optional<std::string> bytes;
        if (symbol.size > 0 && symbol.size <= kMaxHash)
          bytes = read_bytes(file.fd, image, symbol.value, symbol.size);
        hashes[std::move(package)] = bytes ? to_hex(*bytes) : "";
      } else if (symbol.name == "go.link.thispluginpath" && !binary.plugin_path &&
                 symbol.size <= kMaxPluginPath) {
        binary.plugin_path = read_bytes(file.fd, image, symbol.value, symbol.size);
      } else if (symbol.name == "runtime.pclntab" && !binary.function_table_start) {
        binary.function_table_start = symbol.value;
      } else if (symbol.name == "runtime.epclntab" && !binary.function_table_end) {
        binary.function_table_end = symbol.value;
      }
    });
    for (auto& [package, hex] : hashes) binary.package_hashes.push_back({package, hex});
    if (!binary.package_hashes.empty() || binary.plugin_path) binary.is_go = true;
    if (binary.plugin_path) binary.check_order = read_check_order(file.fd);
    read_sources_of(file.fd, image, binary, dwarf);
  } catch (...) {
    // Out of memory: what was read so far.
  }
  return binary;
}

}  // namespace

Binary read_binary(const std::string& path, const elf::Image& image,
                   const DwarfParts& dwarf) noexcept {
  auto each_symbol = [&](const auto& visit) {
    auto scan = [&](const std::vector<elf::Symbol>& symbols) {
      for (const elf::Symbol& symbol : symbols)
        visit(SymbolView{symbol.name, symbol.defined(), symbol.value, symbol.size});
    };
    scan(image.dynamic_symbols);
    if (image.symbol_table) scan(*image.symbol_table);
  };
  return read_binary_with(path, image, each_symbol, dwarf);
}

Binary read_binary(const std::string& path, const elf::SymbolIndex& index,
                   const DwarfParts& dwarf) noexcept {
  // Only the go.link.* and runtime.* names matter: the others are passed over unmeasured.
  auto each_symbol = [&](const auto& visit) {
    for (const elf::SymbolTable table : {elf::SymbolTable::Dynamic, elf::SymbolTable::Static})
      for (std::size_t i = 1; i < index.size(table); ++i) {
        const elf::SymbolRef symbol = index.at(table, i);
        if (!begins_with(symbol.name, "go.link.") && !begins_with(symbol.name, "runtime.pclntab") &&
            !begins_with(symbol.name, "runtime.epclntab"))
          continue;
        visit(SymbolView{symbol.name, symbol.defined(), symbol.value, symbol.size});
      }
  };
  return read_binary_with(path, index.image(), each_symbol, dwarf);
}

Binary read_binary(const std::string& path, const elf::Image& dynamic,
                   const elf::SymbolIndex& symtab, const DwarfParts& dwarf) noexcept {
  auto each_symbol = [&](const auto& visit) {
    for (const elf::Symbol& symbol : dynamic.dynamic_symbols)
      visit(SymbolView{symbol.name, symbol.defined(), symbol.value, symbol.size});
    for (std::size_t i = 1; i < symtab.size(elf::SymbolTable::Static); ++i) {
      const elf::SymbolRef symbol = symtab.at(elf::SymbolTable::Static, i);
      if (!begins_with(symbol.name, "go.link.") && !begins_with(symbol.name, "runtime.pclntab") &&
          !begins_with(symbol.name, "runtime.epclntab"))
        continue;
      visit(SymbolView{symbol.name, symbol.defined(), symbol.value, symbol.size});
    }
  };
  return read_binary_with(path, dynamic, each_symbol, dwarf);
}

bool has_package_hashes(const elf::SymbolIndex& index) noexcept {
  constexpr std::string_view kHashPrefix = "go.link.pkghashbytes.";
  for (std::size_t i = 1; i < index.size(elf::SymbolTable::Dynamic); ++i)
    if (begins_with(index.at(elf::SymbolTable::Dynamic, i).name, kHashPrefix)) return true;
  return false;
}

}  // namespace dldoctor::go
