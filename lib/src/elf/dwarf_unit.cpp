#include "elf/dwarf_unit.hpp"

#include <dwarf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <utility>

namespace dldoctor::elf {
namespace {

// This reader will not answer: the file is malformed here, or needs what only libdw does.
struct Decline {};
// The bytes read so far end inside what is being decoded: read more and decode again.
struct Short {};

// Never read more than this at once; a unit or string larger than that is libdw's to read.
constexpr std::uint64_t kMaxChunk = std::uint64_t{16} << 20;
// As compile_units: a hostile file cannot make the walk over units go on without end.
constexpr int kMaxUnits = 100000;

// Up to want bytes of section from offset (relative to the section), fewer at its end.
std::string read_section(const FileBytes& file, const SectionRange& section, std::uint64_t offset,
                         std::uint64_t want) {
  if (!section.present || offset > section.size) throw Decline{};
  want = std::min(want, section.size - offset);
  const std::uint64_t at = section.offset + offset;
  if (file.image != nullptr && at <= file.image_size && want <= file.image_size - at)
    return std::string(file.image + at, want);
  std::string bytes(want, '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got =
        ::pread(file.fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(at + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) throw Decline{};
    done += static_cast<std::size_t>(got);
  }
  return bytes;
}

// Reads values from bytes in the file's byte order; running off the end throws Short.
class Cursor {
 public:
  Cursor(std::string_view bytes, bool big_endian) : bytes_(bytes), big_(big_endian) {}

  std::size_t position() const noexcept { return at_; }
  std::size_t size() const noexcept { return bytes_.size(); }
  void seek(std::size_t at) {
    if (at > bytes_.size()) throw Short{};
    at_ = at;
  }
  void skip(std::uint64_t count) {
    if (count > bytes_.size() - at_) throw Short{};
    at_ += static_cast<std::size_t>(count);
  }
  std::uint64_t fixed(std::size_t width) {
    if (width > bytes_.size() - at_) throw Short{};
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      const auto byte = static_cast<unsigned char>(bytes_[at_ + (big_ ? i : width - 1 - i)]);
      value = (value << 8) | byte;
    }
    at_ += width;
    return value;
  }
  // LEB128, unsigned or signed (a signed one is only ever skipped here). More than ten bytes
  // cannot hold a 64-bit value.
  std::uint64_t leb128() {
    std::uint64_t value = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
      if (at_ >= bytes_.size()) throw Short{};
      const auto byte = static_cast<unsigned char>(bytes_[at_++]);
      if (shift < 64) value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    throw Decline{};
  }
  std::string_view cstring() {
    const std::size_t end = bytes_.find('\0', at_);
    if (end == std::string_view::npos) throw Short{};
    const std::string_view text = bytes_.substr(at_, end - at_);
    at_ = end + 1;
    return text;
  }

 private:
  std::string_view bytes_;
  bool big_;
  std::size_t at_ = 0;
};

// Decodes what starts at offset of section and ends by end: first with a small read, then, while
// the decoder runs off the bytes read, with larger ones.
template <class Decode>
auto decode_growing(const FileBytes& file, const SectionRange& section, bool big_endian,
                    std::uint64_t offset, std::uint64_t end, std::uint64_t first, Decode&& decode) {
  if (end > section.size || offset > end) throw Decline{};
  const std::uint64_t available = end - offset;
  std::uint64_t want = std::min(first, available);
  for (;;) {
    const std::string bytes = read_section(file, section, offset, want);
    Cursor cursor(bytes, big_endian);
    try {
      return decode(cursor);
    } catch (const Short&) {
      if (want >= available || want >= kMaxChunk) throw Decline{};
      want = std::min({available, want * 16, kMaxChunk});
    }
  }
}

// A unit header of .debug_info (DWARF 2 to 5; 32- or 64-bit), as dwarf_next_unit reads it.
struct UnitHeader {
  std::uint64_t end = 0;  // one past the unit's last byte, in .debug_info
  std::uint64_t die = 0;  // its top DIE
  unsigned version = 0;
  unsigned offset_size = 4;
  unsigned address_size = 8;
  std::uint64_t abbrev_offset = 0;
};

// unit_length: 4 bytes, or 0xffffffff and 8 bytes for 64-bit DWARF.
std::pair<std::uint64_t, unsigned> initial_length(Cursor& cursor) {
  const std::uint64_t length = cursor.fixed(4);
  if (length == 0xffffffff) return {cursor.fixed(8), 8};
  if (length >= 0xfffffff0) throw Decline{};  // reserved values
  return {length, 4};
}

UnitHeader read_unit_header(const FileBytes& file, const DebugSections& sections, bool big_endian,
                            std::uint64_t offset) {
  return decode_growing(file, sections.info, big_endian, offset, sections.info.size, 64,
                        [&](Cursor& cursor) {
                          UnitHeader header;
                          const auto [length, offset_size] = initial_length(cursor);
                          header.offset_size = offset_size;
                          const std::uint64_t start = offset + cursor.position();
                          if (length > sections.info.size - start) throw Decline{};
                          header.end = start + length;
                          header.version = static_cast<unsigned>(cursor.fixed(2));
                          if (header.version < 2 || header.version > 5) throw Decline{};
                          if (header.version >= 5) {
                            const auto unit_type = cursor.fixed(1);
                            header.address_size = static_cast<unsigned>(cursor.fixed(1));
                            header.abbrev_offset = cursor.fixed(offset_size);
                            switch (unit_type) {
                              case DW_UT_compile:
                              case DW_UT_partial: break;
                              // A skeleton's attributes continue in its split unit, which libdw
                              // finds.
                              case DW_UT_skeleton:
                              case DW_UT_split_compile: throw Decline{};
                              case DW_UT_type:
                              case DW_UT_split_type:
                                cursor.skip(8 + offset_size);
                                break;  // signature, offset
                              default: throw Decline{};
                            }
                          } else {
                            header.abbrev_offset = cursor.fixed(offset_size);
                            header.address_size = static_cast<unsigned>(cursor.fixed(1));
                          }
                          if (header.address_size != 4 && header.address_size != 8) throw Decline{};
                          header.die = offset + cursor.position();
                          return header;
                        });
}

struct AttributeSpec {
  std::uint64_t name = 0;
  std::uint64_t form = 0;
};

// The attribute list of abbreviation code in the table at offset of .debug_abbrev.
std::vector<AttributeSpec> find_abbreviation(const FileBytes& file, const DebugSections& sections,
                                             bool big_endian, std::uint64_t offset,
                                             std::uint64_t code) {
  return decode_growing(file, sections.abbrev, big_endian, offset, sections.abbrev.size, 1024,
                        [&](Cursor& cursor) {
                          std::vector<AttributeSpec> specs;
                          for (;;) {
                            const std::uint64_t entry = cursor.leb128();
                            if (entry == 0) throw Decline{};  // end of the table: no such code
                            cursor.leb128();                  // tag
                            cursor.fixed(1);                  // DW_CHILDREN_yes or _no
                            specs.clear();
                            for (;;) {
                              AttributeSpec spec;
                              spec.name = cursor.leb128();
                              spec.form = cursor.leb128();
                              if (spec.name == 0 && spec.form == 0) break;
                              if (spec.form == DW_FORM_implicit_const)
                                cursor.leb128();  // the value, signed
                              specs.push_back(spec);
                            }
                            if (entry == code) return specs;
                          }
                        });
}

// An attribute value, as far as a string attribute needs it.
struct Value {
  enum class Kind { Other, Inline, Strp, LineStrp, Strx, SecOffset } kind = Kind::Other;
  std::string text;          // Inline (a copy: the bytes read do not outlive the decoding)
  std::uint64_t number = 0;  // the offset or index of the others
};

Value read_value(Cursor& cursor, std::uint64_t form, const UnitHeader& unit, int depth = 0) {
  Value value;
  switch (form) {
    case DW_FORM_addr: cursor.skip(unit.address_size); break;
    case DW_FORM_block2: cursor.skip(cursor.fixed(2)); break;
    case DW_FORM_block4: cursor.skip(cursor.fixed(4)); break;
    case DW_FORM_data2:
    case DW_FORM_ref2: cursor.skip(2); break;
    case DW_FORM_data4:
    case DW_FORM_ref4:
    case DW_FORM_ref_sup4: cursor.skip(4); break;
    case DW_FORM_data8:
    case DW_FORM_ref8:
    case DW_FORM_ref_sig8:
    case DW_FORM_ref_sup8: cursor.skip(8); break;
    case DW_FORM_data16: cursor.skip(16); break;
    case DW_FORM_string:
      value.kind = Value::Kind::Inline;
      value.text = std::string(cursor.cstring());
      break;
    case DW_FORM_block:
    case DW_FORM_exprloc: cursor.skip(cursor.leb128()); break;
    case DW_FORM_block1: cursor.skip(cursor.fixed(1)); break;
    case DW_FORM_data1:
    case DW_FORM_ref1:
    case DW_FORM_flag:
    case DW_FORM_strx1:
    case DW_FORM_addrx1:
      if (form == DW_FORM_strx1) value.kind = Value::Kind::Strx;
      value.number = cursor.fixed(1);
      break;
    case DW_FORM_strx2:
    case DW_FORM_addrx2:
      if (form == DW_FORM_strx2) value.kind = Value::Kind::Strx;
      value.number = cursor.fixed(2);
      break;
    case DW_FORM_strx3:
    case DW_FORM_addrx3:
      if (form == DW_FORM_strx3) value.kind = Value::Kind::Strx;
      value.number = cursor.fixed(3);
      break;
    case DW_FORM_strx4:
    case DW_FORM_addrx4:
      if (form == DW_FORM_strx4) value.kind = Value::Kind::Strx;
      value.number = cursor.fixed(4);
      break;
    case DW_FORM_strx:
      value.kind = Value::Kind::Strx;
      value.number = cursor.leb128();
      break;
    case DW_FORM_sdata:
    case DW_FORM_udata:
    case DW_FORM_ref_udata:
    case DW_FORM_addrx:
    case DW_FORM_loclistx:
    case DW_FORM_rnglistx:
    case DW_FORM_GNU_addr_index: cursor.leb128(); break;
    case DW_FORM_strp:
      value.kind = Value::Kind::Strp;
      value.number = cursor.fixed(unit.offset_size);
      break;
    case DW_FORM_line_strp:
      value.kind = Value::Kind::LineStrp;
      value.number = cursor.fixed(unit.offset_size);
      break;
    case DW_FORM_sec_offset:
      value.kind = Value::Kind::SecOffset;
      value.number = cursor.fixed(unit.offset_size);
      break;
    case DW_FORM_ref_addr:
      cursor.skip(unit.version <= 2 ? unit.address_size : unit.offset_size);
      break;
    case DW_FORM_GNU_ref_alt: cursor.skip(unit.offset_size); break;
    case DW_FORM_flag_present:
    case DW_FORM_implicit_const: break;
    case DW_FORM_indirect: {
      const std::uint64_t actual = cursor.leb128();
      if (depth > 4 || actual == DW_FORM_implicit_const) throw Decline{};
      return read_value(cursor, actual, unit, depth + 1);
    }
    // Strings kept in a supplementary file (dwz's .gnu_debugaltlink) or a .dwo's string offsets,
    // and any form this reader does not know: libdw's.
    default: throw Decline{};
  }
  return value;
}

// The NUL-terminated string at offset of section.
std::string read_string(const FileBytes& file, const SectionRange& section, bool big_endian,
                        std::uint64_t offset) {
  if (!section.present || offset >= section.size) throw Decline{};
  return decode_growing(file, section, big_endian, offset, section.size, 256,
                        [](Cursor& cursor) { return std::string(cursor.cstring()); });
}

// The top DIE's DW_AT_name, DW_AT_comp_dir and DW_AT_producer. dwarf_attr gives the first of an
// attribute that appears twice, and dwarf_formstring nothing for a value that is not a string.
std::optional<UnitDie> read_top_die(const FileBytes& file, const DebugSections& sections,
                                    bool big_endian, const UnitHeader& unit) {
  if (unit.die >= unit.end) return std::nullopt;  // no DIE: dwarf_offdie fails, the unit is skipped
  std::uint64_t code = 0;
  std::vector<AttributeSpec> specs;
  struct Found {
    std::optional<Value> name, comp_dir, producer, str_offsets_base;
  };
  const Found found =
      decode_growing(file, sections.info, big_endian, unit.die, unit.end, 512, [&](Cursor& cursor) {
        Found values;
        const std::uint64_t at = cursor.leb128();
        if (at == 0) return values;  // a null entry
        if (at != code || specs.empty()) {
          specs = find_abbreviation(file, sections, big_endian, unit.abbrev_offset, at);
          code = at;
        }
        for (const AttributeSpec& spec : specs) {
          Value value = read_value(cursor, spec.form, unit);
          std::optional<Value>* slot = spec.name == DW_AT_name       ? &values.name
                                       : spec.name == DW_AT_comp_dir ? &values.comp_dir
                                       : spec.name == DW_AT_producer ? &values.producer
                                       : spec.name == DW_AT_str_offsets_base
                                           ? &values.str_offsets_base
                                           : nullptr;
          if (slot != nullptr && !*slot) *slot = value;
        }
        return values;
      });
  if (code == 0) return std::nullopt;

  const auto text = [&](const std::optional<Value>& value) -> std::optional<std::string> {
    if (!value) return std::nullopt;
    switch (value->kind) {
      case Value::Kind::Inline: return value->text;
      case Value::Kind::Strp: return read_string(file, sections.str, big_endian, value->number);
      case Value::Kind::LineStrp:
        return read_string(file, sections.line_str, big_endian, value->number);
      case Value::Kind::Strx: {
        // DWARF 5: an index into this unit's contribution to .debug_str_offsets. Without
        // DW_AT_str_offsets_base libdw guesses the base; let it.
        if (!found.str_offsets_base || found.str_offsets_base->kind != Value::Kind::SecOffset)
          throw Decline{};
        const std::uint64_t base = found.str_offsets_base->number;
        if (base > sections.str_offsets.size ||
            value->number > (sections.str_offsets.size - base) / unit.offset_size)
          throw Decline{};
        const std::uint64_t at = base + value->number * unit.offset_size;
        const std::uint64_t offset = decode_growing(
            file, sections.str_offsets, big_endian, at, sections.str_offsets.size, unit.offset_size,
            [&](Cursor& cursor) { return cursor.fixed(unit.offset_size); });
        return read_string(file, sections.str, big_endian, offset);
      }
      default: return std::nullopt;
    }
  };
  UnitDie die;
  die.name = text(found.name);
  die.comp_dir = text(found.comp_dir);
  die.producer = text(found.producer);
  return die;
}

// The .debug_info offsets of the units whose .debug_aranges ranges cover address, in the table's
// order, as dwarf_getaranges reads the table (version 2, no segment selectors). Usually one; an
// inline function the link kept one copy of can be claimed by several.
std::vector<std::uint64_t> units_covering(const FileBytes& file, const DebugSections& sections,
                                          bool big_endian, std::uint64_t address) {
  if (sections.aranges.size > kMaxChunk) throw Decline{};
  const std::string bytes = read_section(file, sections.aranges, 0, sections.aranges.size);
  Cursor cursor(bytes, big_endian);
  std::vector<std::uint64_t> units;
  try {
    while (cursor.position() < cursor.size()) {
      const std::size_t set_start = cursor.position();
      const auto [length, offset_size] = initial_length(cursor);
      if (length > cursor.size() - cursor.position()) throw Decline{};
      const std::size_t set_end = cursor.position() + static_cast<std::size_t>(length);
      if (cursor.fixed(2) != 2) throw Decline{};
      const std::uint64_t unit = cursor.fixed(offset_size);
      const auto address_size = static_cast<std::size_t>(cursor.fixed(1));
      if (cursor.fixed(1) != 0 || (address_size != 4 && address_size != 8)) throw Decline{};
      if (unit >= sections.info.size) throw Decline{};
      // The tuples start at a multiple of their size (two addresses) from the set's start.
      const std::size_t tuple = 2 * address_size;
      const std::size_t header = cursor.position() - set_start;
      cursor.seek(set_start + (header + tuple - 1) / tuple * tuple);
      while (cursor.position() + tuple <= set_end) {
        const std::uint64_t start = cursor.fixed(address_size);
        const std::uint64_t size = cursor.fixed(address_size);
        if (start == 0 && size == 0) break;
        if (address >= start && address - start < size) {
          if (std::find(units.begin(), units.end(), unit) == units.end()) units.push_back(unit);
          break;
        }
      }
      cursor.seek(set_end);
    }
  } catch (const Short&) {
    throw Decline{};  // the whole section was read: running off it is a broken table
  }
  return units;
}

}  // namespace

std::optional<std::vector<UnitDie>> units_for_address(const FileBytes& file,
                                                      const DebugSections& sections,
                                                      bool big_endian,
                                                      std::uint64_t address) noexcept {
  try {
    if (sections.needs_libdw) return std::nullopt;
    std::vector<UnitDie> units;
    if (!sections.info.present) return units;
    // Without .debug_aranges (clang writes none unless -gdwarf-aranges) the units' own ranges
    // say which covers the address, DW_AT_ranges in DWARF 5 rnglists among them: libdw reads
    // those (compile_units_at), this reader does not.
    if (!sections.aranges.present) return std::nullopt;
    const std::vector<std::uint64_t> covering = units_covering(file, sections, big_endian, address);
    for (const std::uint64_t unit : covering) {
      const UnitHeader header = read_unit_header(file, sections, big_endian, unit);
      if (std::optional<UnitDie> die = read_top_die(file, sections, big_endian, header))
        units.push_back(std::move(*die));
    }
    if (!covering.empty()) return units;
    std::uint64_t offset = 0;
    for (int guard = 0; guard < kMaxUnits && offset < sections.info.size; ++guard) {
      const UnitHeader header = read_unit_header(file, sections, big_endian, offset);
      if (std::optional<UnitDie> die = read_top_die(file, sections, big_endian, header))
        units.push_back(std::move(*die));
      offset = header.end;
    }
    return units;
  } catch (...) {
    // Decline, Short, or no memory: libdw answers instead.
    return std::nullopt;
  }
}

}  // namespace dldoctor::elf
