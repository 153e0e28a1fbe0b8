// Reading a Go 1.18+ pclntab (pclntab.hpp): each package's source directories.
#include "go/pclntab.hpp"

#include <cstdint>
#include <cstring>

namespace dldoctor::go {
namespace {

constexpr std::uint32_t kMagic118 = 0xfffffff0;  // Go 1.18, 1.19
constexpr std::uint32_t kMagic120 = 0xfffffff1;  // Go 1.20 and later (the same fields read here)
constexpr std::size_t kFuncFields = 36;          // _func up to and with cuOffset

class Reader {
 public:
  Reader(std::span<const unsigned char> bytes, bool big_endian)
      : bytes_(bytes), big_endian_(big_endian) {}

  bool has(std::uint64_t offset, std::uint64_t size) const noexcept {
    return offset <= bytes_.size() && size <= bytes_.size() - offset;
  }
  // A little- or big-endian unsigned integer of width bytes at offset; nullopt past the end.
  std::optional<std::uint64_t> word(std::uint64_t offset, unsigned width) const noexcept {
    if (!has(offset, width)) return std::nullopt;
    std::uint64_t value = 0;
    for (unsigned i = 0; i < width; ++i) {
      const unsigned char byte = bytes_[offset + (big_endian_ ? i : width - 1 - i)];
      value = (value << 8) | byte;
    }
    return value;
  }
  // The NUL-terminated string at offset, within [offset, limit); nullopt when it does not end
  // there.
  std::optional<std::string_view> string(std::uint64_t offset, std::uint64_t limit) const noexcept {
    if (limit > bytes_.size() || offset >= limit) return std::nullopt;
    const auto* start = reinterpret_cast<const char*>(bytes_.data() + offset);
    const void* nul = std::memchr(start, 0, limit - offset);
    if (nul == nullptr) return std::nullopt;
    return std::string_view(start, static_cast<const char*>(nul) - start);
  }
  // runtime.readvarint: a uint32 in at most 5 bytes; nullopt past the end or when longer.
  std::optional<std::uint32_t> varint(std::uint64_t offset) const noexcept {
    std::uint32_t value = 0;
    for (unsigned shift = 0; shift < 35; shift += 7) {
      if (offset >= bytes_.size()) return std::nullopt;
      const unsigned char byte = bytes_[offset++];
      value |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return std::nullopt;
  }
  std::size_t size() const noexcept { return bytes_.size(); }

 private:
  std::span<const unsigned char> bytes_;
  bool big_endian_;
};

}  // namespace

std::string_view function_package(std::string_view name) noexcept {
  const std::size_t bracket = name.find('[');
  if (bracket != std::string_view::npos) name = name.substr(0, bracket);
  const std::size_t slash = name.rfind('/');
  const std::size_t dot = name.find('.', slash == std::string_view::npos ? 0 : slash);
  if (dot == std::string_view::npos || dot == 0) return {};
  return name.substr(0, dot);
}

std::optional<PclnDirectories> pcln_source_directories(std::span<const unsigned char> table,
                                                       const std::set<std::string>* packages,
                                                       std::size_t max_per_package) {
  if (table.size() < 8) return std::nullopt;
  bool big_endian = false;
  const auto little = Reader(table, false).word(0, 4);
  if (*little != kMagic118 && *little != kMagic120) {
    const auto big = Reader(table, true).word(0, 4);
    if (*big != kMagic118 && *big != kMagic120) return std::nullopt;
    big_endian = true;
  }
  const Reader bytes(table, big_endian);
  if (table[4] != 0 || table[5] != 0) return std::nullopt;
  const unsigned quantum = table[6];
  const unsigned pointer = table[7];
  if ((quantum != 1 && quantum != 2 && quantum != 4) || (pointer != 4 && pointer != 8))
    return std::nullopt;
  // nfunc, nfiles, textStart, then the five offsets.
  std::uint64_t fields[8];
  for (unsigned i = 0; i < 8; ++i) {
    const auto value = bytes.word(8 + std::uint64_t{i} * pointer, pointer);
    if (!value) return std::nullopt;
    fields[i] = *value;
  }
  const std::uint64_t nfunc = fields[0];
  const std::uint64_t funcnames = fields[3];
  const std::uint64_t cutab = fields[4];
  const std::uint64_t filetab = fields[5];
  const std::uint64_t pctab = fields[6];
  const std::uint64_t functab = fields[7];
  const std::uint64_t end = bytes.size();
  for (const std::uint64_t offset : {funcnames, cutab, filetab, pctab, functab})
    if (offset > end) return std::nullopt;
  // nfunc + 1 pairs of uint32 (the last one's entryoff is the end of the text).
  if (nfunc >= (end - functab) / 8) return std::nullopt;

  // A function can be of a package asked for only if its name begins with one and a '.': that
  // is compared where the name lies, before it is measured.
  auto may_be_asked_for = [&](std::uint64_t at) {
    if (packages == nullptr) return true;
    for (const std::string& package : *packages) {
      if (package.empty() || !bytes.has(at, package.size() + 1) || table[at] != package[0])
        continue;
      if (std::memcmp(table.data() + at, package.data(), package.size()) == 0 &&
          table[at + package.size()] == '.')
        return true;
    }
    return false;
  };

  PclnDirectories result;
  result.functions = nfunc;
  for (std::uint64_t i = 0; i < nfunc; ++i) {
    const auto funcoff = bytes.word(functab + i * 8 + 4, 4);
    if (!funcoff || !bytes.has(functab, *funcoff) || !bytes.has(functab + *funcoff, kFuncFields))
      continue;
    const std::uint64_t func = functab + *funcoff;
    const auto nameoff = bytes.word(func + 4, 4);
    const auto pcfile = bytes.word(func + 20, 4);
    const auto unit = bytes.word(func + 32, 4);
    if (!nameoff || !pcfile || !unit || *nameoff > 0x7fffffff || *pcfile == 0) continue;
    if (!may_be_asked_for(funcnames + *nameoff)) continue;
    const auto name = bytes.string(funcnames + *nameoff, end);
    if (!name) continue;
    const std::string_view package = function_package(*name);
    if (package.empty()) continue;
    if (packages != nullptr && packages->find(std::string(package)) == packages->end()) continue;
    // The file index at the entry: the pcfile table's first value delta, from -1.
    if (pctab + *pcfile < pctab) continue;
    const auto delta = bytes.varint(pctab + *pcfile);
    if (!delta || *delta == 0) continue;
    const std::int64_t signed_delta = (*delta & 1) != 0
                                          ? -static_cast<std::int64_t>(*delta >> 1) - 1
                                          : static_cast<std::int64_t>(*delta >> 1);
    const std::int64_t index = -1 + signed_delta;
    if (index < 0) continue;
    const auto file_offset = bytes.word(cutab + (*unit + static_cast<std::uint64_t>(index)) * 4, 4);
    if (!file_offset || *file_offset == 0xffffffffu) continue;
    const auto file = bytes.string(filetab + *file_offset, end);
    if (!file || file->empty()) continue;
    auto [found, added] = result.directories.try_emplace(std::string(package));
    std::set<std::string>& directories = found->second;
    if (directories.size() >= max_per_package) continue;
    const std::size_t slash = file->rfind('/');
    directories.insert(std::string(slash == std::string_view::npos ? "." : file->substr(0, slash)));
  }
  return result;
}

}  // namespace dldoctor::go
