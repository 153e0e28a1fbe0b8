#include "signature/dwarf_prototype.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <unordered_map>
#include <utility>
#include <vector>

namespace dldoctor::signature {
namespace {

// Bounds against a hostile file. Real code nests scopes a dozen deep and types a few dozen.
constexpr int kMaxScopeDepth = 64;
constexpr int kMaxTypeDepth = 48;
constexpr std::size_t kMaxTypes = 50000;      // type DIEs converted per question
constexpr std::size_t kMaxDies = 20'000'000;  // DIEs visited per question
constexpr std::size_t kMaxUnits = 1'000'000;  // compile units
constexpr int kMaxReferenceHops = 16;         // specification / abstract_origin chains

NotDescribed not_described(NotDescribed::Why why, std::string reason) {
  return NotDescribed{why, std::move(reason)};
}

// The file's descriptor, its libelf and libdw handles, released together.
class DwarfFile {
 public:
  DwarfFile() = default;
  DwarfFile(const DwarfFile&) = delete;
  DwarfFile& operator=(const DwarfFile&) = delete;
  ~DwarfFile() {
    if (dwarf_ != nullptr) dwarf_end(dwarf_);
    if (elf_ != nullptr) elf_end(elf_);
    if (fd_ >= 0) ::close(fd_);
  }

  std::optional<NotDescribed> open(const std::string& path) {
    static std::once_flag once;
    std::call_once(once, [] { elf_version(EV_CURRENT); });
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd_ < 0)
      return not_described(NotDescribed::Why::CannotOpen,
                           "cannot open " + path + ": " + std::strerror(errno));
    elf_ = elf_begin(fd_, ELF_C_READ_MMAP, nullptr);
    if (elf_ == nullptr || elf_kind(elf_) != ELF_K_ELF)
      return not_described(NotDescribed::Why::Unreadable, "not an ELF file libelf can read");
    // libdw's "no DWARF" is no public error code: the section table says it first.
    std::optional<std::string> debuglink;
    if (!has_debug_info(debuglink)) {
      std::string reason = "no debug information (stripped, or built without -g)";
      if (debuglink) reason += "; its .gnu_debuglink names a separate debug file, " + *debuglink;
      return not_described(NotDescribed::Why::NoDebugInfo, std::move(reason));
    }
    dwarf_ = dwarf_begin_elf(elf_, DWARF_C_READ, nullptr);
    if (dwarf_ == nullptr)
      return not_described(
          NotDescribed::Why::Unreadable,
          std::string("libdw cannot read the debug information: ") + dwarf_errmsg(-1));
    return std::nullopt;
  }
  Dwarf* get() const { return dwarf_; }

 private:
  bool has_debug_info(std::optional<std::string>& debuglink) {
    std::size_t names = 0;
    if (elf_getshdrstrndx(elf_, &names) != 0) return false;
    bool found = false;
    for (Elf_Scn* section = elf_nextscn(elf_, nullptr); section != nullptr;
         section = elf_nextscn(elf_, section)) {
      GElf_Shdr header;
      if (gelf_getshdr(section, &header) == nullptr) continue;
      const char* name = elf_strptr(elf_, names, header.sh_name);
      if (name == nullptr) continue;
      const std::string_view section_name(name);
      if ((section_name == ".debug_info" || section_name == ".zdebug_info") &&
          header.sh_type != SHT_NOBITS)
        found = true;
      if (section_name == ".gnu_debuglink" && header.sh_type != SHT_NOBITS) {
        Elf_Data* data = elf_getdata(section, nullptr);
        if (data != nullptr && data->d_buf != nullptr && data->d_size > 0)
          debuglink = std::string(static_cast<const char*>(data->d_buf),
                                  strnlen(static_cast<const char*>(data->d_buf), data->d_size));
      }
    }
    return found;
  }

  int fd_ = -1;
  Elf* elf_ = nullptr;
  Dwarf* dwarf_ = nullptr;
};

const char* string_attribute(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attribute;
  return dwarf_formstring(dwarf_attr_integrate(die, name, &attribute));
}

bool flag_attribute(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attribute;
  bool value = false;
  if (dwarf_attr_integrate(die, name, &attribute) == nullptr) return false;
  return dwarf_formflag(&attribute, &value) == 0 && value;
}

std::optional<Dwarf_Word> unsigned_attribute(Dwarf_Die* die, unsigned name) {
  Dwarf_Attribute attribute;
  Dwarf_Word value = 0;
  if (dwarf_attr(die, name, &attribute) == nullptr) return std::nullopt;
  if (dwarf_formudata(&attribute, &value) != 0) return std::nullopt;
  return value;
}

// The DIE a reference attribute points to (following DW_AT_specification and
// DW_AT_abstract_origin when integrate is set).
std::optional<Dwarf_Die> referenced(Dwarf_Die* die, unsigned name, bool integrate) {
  Dwarf_Attribute attribute;
  Dwarf_Attribute* found =
      integrate ? dwarf_attr_integrate(die, name, &attribute) : dwarf_attr(die, name, &attribute);
  if (found == nullptr) return std::nullopt;
  Dwarf_Die target;
  if (dwarf_formref_die(found, &target) == nullptr) return std::nullopt;
  return target;
}

bool is_c_language(int language) {
  switch (language) {
    case DW_LANG_C89:
    case DW_LANG_C:
    case DW_LANG_C99:
    case 0x1d:  // DW_LANG_C11
    case 0x2c:  // DW_LANG_C17
      return true;
    default: return false;
  }
}

bool is_scope(int tag) {
  return tag == DW_TAG_namespace || tag == DW_TAG_structure_type || tag == DW_TAG_class_type ||
         tag == DW_TAG_union_type;
}

// Walks a unit's DIEs that can name a symbol or a type at namespace or class scope (it does not
// enter function bodies), with each DIE's scope prefix ("geo::Shape::"). The visitor returns true
// to stop. Iterative, with the nesting bounded: a file cannot exhaust the stack.
class ScopeWalk {
 public:
  using Visitor = std::function<bool(Dwarf_Die& die, const std::string& prefix)>;

  explicit ScopeWalk(std::size_t& budget) : budget_(budget) {}

  // True when the visitor stopped the walk.
  bool unit(Dwarf_Die& unit_die, const Visitor& visit) {
    struct Level {
      Dwarf_Die die;
      std::string prefix;
      bool more;
    };
    std::vector<Level> stack;
    Dwarf_Die child;
    if (dwarf_child(&unit_die, &child) != 0) return false;
    stack.push_back({child, "", true});
    while (!stack.empty()) {
      Level& level = stack.back();
      if (!level.more) {
        stack.pop_back();
        continue;
      }
      if (++budget_ > kMaxDies) return true;
      Dwarf_Die current = level.die;
      const std::string prefix = level.prefix;
      Dwarf_Die next;
      level.more = dwarf_siblingof(&current, &next) == 0;
      if (level.more) level.die = next;
      if (visit(current, prefix)) return true;
      const int tag = dwarf_tag(&current);
      if (is_scope(tag) && static_cast<int>(stack.size()) < kMaxScopeDepth &&
          dwarf_child(&current, &child) == 0) {
        const char* name = dwarf_diename(&current);
        std::string inner = prefix;
        if (name != nullptr)
          inner += std::string(name) + "::";
        else if (tag == DW_TAG_namespace)
          inner += "(anonymous namespace)::";
        stack.push_back({child, std::move(inner), true});  // may move `level`: not used below
      }
    }
    return false;
  }

 private:
  std::size_t& budget_;
};

// Qualified names for DIEs reached through references (a record's type DIE, a declaration a
// definition's DW_AT_specification names): each unit's scope prefixes, built on first use.
class ScopeNames {
 public:
  explicit ScopeNames(std::size_t& budget) : budget_(budget) {}

  std::string qualified(Dwarf_Die* die) {
    const char* name = dwarf_diename(die);
    if (name == nullptr) return "";
    Dwarf_Die unit_die;
    if (dwarf_diecu(die, &unit_die, nullptr, nullptr) == nullptr) return name;
    if (is_c_language(dwarf_srclang(&unit_die))) return name;
    const Dwarf_Off unit = dwarf_dieoffset(&unit_die);
    auto found = units_.find(unit);
    if (found == units_.end()) {
      std::unordered_map<Dwarf_Off, std::string> prefixes;
      ScopeWalk walk(budget_);
      walk.unit(unit_die, [&](Dwarf_Die& each, const std::string& prefix) {
        if (!prefix.empty()) prefixes.emplace(dwarf_dieoffset(&each), prefix);
        return false;
      });
      found = units_.emplace(unit, std::move(prefixes)).first;
    }
    const auto prefix = found->second.find(dwarf_dieoffset(die));
    return prefix == found->second.end() ? name : prefix->second + name;
  }

 private:
  std::size_t& budget_;
  std::map<Dwarf_Off, std::unordered_map<Dwarf_Off, std::string>> units_;
};

// DWARF type DIEs to the type model, each DIE once.
class TypeReader {
 public:
  explicit TypeReader(ScopeNames& names) : names_(names) {}

  // The type a DIE's DW_AT_type names; void when it has none.
  TypeRef type_of(Dwarf_Die* die, int depth) {
    std::optional<Dwarf_Die> target = referenced(die, DW_AT_type, true);
    if (!target) return make_builtin(Builtin::Void);
    return convert(&*target, depth);
  }

  TypeRef convert(Dwarf_Die* die, int depth) {
    const Dwarf_Off offset = dwarf_dieoffset(die);
    if (const auto cached = cache_.find(offset); cached != cache_.end()) return cached->second;
    if (depth > kMaxTypeDepth || ++converted_ > kMaxTypes) return make_opaque("<?>");
    if (!in_progress_.insert(offset).second) return cycle(die);
    TypeRef type = convert_uncached(die, depth);
    in_progress_.erase(offset);
    cache_.emplace(offset, type);
    return type;
  }

  // A function type from a subprogram or subroutine type DIE and the DIE whose children are its
  // parameters (a definition's may be on the declaration its DW_AT_specification names).
  FunctionType function(Dwarf_Die* die, Dwarf_Die* parameters_die, bool c_unit, int depth) {
    FunctionType function;
    function.return_type = unqualified(type_of(die, depth + 1));
    function.prototyped = !c_unit || flag_attribute(die, DW_AT_prototyped);
    Dwarf_Die child;
    if (dwarf_child(parameters_die, &child) != 0) return function;
    std::size_t count = 0;
    do {
      if (++count > 4096) break;
      const int tag = dwarf_tag(&child);
      if (tag == DW_TAG_unspecified_parameters) {
        function.variadic = true;
      } else if (tag == DW_TAG_formal_parameter) {
        TypeRef parameter = unqualified(type_of(&child, depth + 1));
        if (flag_attribute(&child, DW_AT_artificial) && function.parameters.empty() &&
            !function.implicit_this)
          function.implicit_this = parameter;
        else
          function.parameters.push_back(parameter);
      }
    } while (dwarf_siblingof(&child, &child) == 0);
    return function;
  }

 private:
  // A DIE met again while it is being read: a record keeps its name (its layout is being read
  // further up), anything else becomes "<?>".
  TypeRef cycle(Dwarf_Die* die) {
    const int tag = dwarf_tag(die);
    if (tag == DW_TAG_structure_type || tag == DW_TAG_class_type || tag == DW_TAG_union_type)
      return make_record(names_.qualified(die), record_tag(die, tag));
    return make_opaque("<?>");
  }

  // C spells a record with its tag (struct point); C++ by its name alone (geo::Shape), as people
  // write them, except a union.
  static RecordTag record_tag(Dwarf_Die* die, int tag) {
    if (tag == DW_TAG_union_type) return RecordTag::Union;
    Dwarf_Die unit_die;
    const bool c_unit = dwarf_diecu(die, &unit_die, nullptr, nullptr) != nullptr &&
                        is_c_language(dwarf_srclang(&unit_die));
    if (!c_unit) return RecordTag::None;
    return tag == DW_TAG_class_type ? RecordTag::Class : RecordTag::Struct;
  }

  TypeRef convert_uncached(Dwarf_Die* die, int depth) {
    const int tag = dwarf_tag(die);
    const char* name = dwarf_diename(die);
    switch (tag) {
      case DW_TAG_base_type: return base_type(die, name);
      case DW_TAG_unspecified_type:
        if (name != nullptr && std::string_view(name) == "decltype(nullptr)")
          return make_builtin(Builtin::Nullptr);
        return make_opaque(name != nullptr ? name : "<?>");
      case DW_TAG_typedef: {
        Type type = *type_of(die, depth + 1);
        const std::string alias = names_.qualified(die);
        if ((type.kind == Type::Kind::Record || type.kind == Type::Kind::Enum) && type.name.empty())
          type.name = alias;  // typedef struct { ... } point_t: the struct's only name
        type.alias = alias;
        return std::make_shared<const Type>(std::move(type));
      }
      case DW_TAG_const_type: return with_qualifiers(type_of(die, depth + 1), true, false);
      case DW_TAG_volatile_type: return with_qualifiers(type_of(die, depth + 1), false, true);
      case DW_TAG_restrict_type:
      case DW_TAG_atomic_type: return type_of(die, depth + 1);
      case DW_TAG_pointer_type: return make_pointer(type_of(die, depth + 1));
      case DW_TAG_reference_type: return make_reference(type_of(die, depth + 1), false);
      case DW_TAG_rvalue_reference_type: return make_reference(type_of(die, depth + 1), true);
      case DW_TAG_ptr_to_member_type: return make_opaque("<pointer to member>");
      case DW_TAG_array_type: return array(die, depth);
      case DW_TAG_structure_type:
      case DW_TAG_class_type:
      case DW_TAG_union_type: return record(die, tag, depth);
      case DW_TAG_enumeration_type: {
        const std::optional<Dwarf_Word> size = unsigned_attribute(die, DW_AT_byte_size);
        bool is_signed_enum = true;
        if (std::optional<Dwarf_Die> underlying = referenced(die, DW_AT_type, false)) {
          const TypeRef base = convert(&*underlying, depth + 1);
          is_signed_enum = is_signed(*base);
        }
        return make_enum(names_.qualified(die), size, is_signed_enum);
      }
      case DW_TAG_subroutine_type: {
        Dwarf_Die unit_die;
        const bool c_unit = dwarf_diecu(die, &unit_die, nullptr, nullptr) != nullptr &&
                            is_c_language(dwarf_srclang(&unit_die));
        return make_function(function(die, die, c_unit, depth));
      }
      default: return make_opaque(name != nullptr ? name : "<?>");
    }
  }

  static TypeRef base_type(Dwarf_Die* die, const char* name) {
    if (name != nullptr) {
      std::vector<std::string_view> words;
      std::string_view rest(name);
      while (!rest.empty()) {
        const std::size_t space = rest.find(' ');
        if (space != 0) words.push_back(rest.substr(0, space));
        if (space == std::string_view::npos) break;
        rest.remove_prefix(space + 1);
      }
      if (const std::optional<Builtin> builtin = builtin_from_words(words))
        return make_builtin(*builtin);
    }
    // A name this model does not spell (another compiler's): by encoding and size.
    const Dwarf_Word encoding = unsigned_attribute(die, DW_AT_encoding).value_or(0);
    const Dwarf_Word size = unsigned_attribute(die, DW_AT_byte_size).value_or(0);
    const auto by_size = [&](Builtin b1, Builtin b2, Builtin b4, Builtin b8,
                             Builtin b16) -> std::optional<Builtin> {
      switch (size) {
        case 1: return b1;
        case 2: return b2;
        case 4: return b4;
        case 8: return b8;
        case 16: return b16;
        default: return std::nullopt;
      }
    };
    std::optional<Builtin> builtin;
    switch (encoding) {
      case DW_ATE_boolean: builtin = Builtin::Bool; break;
      case DW_ATE_signed:
      case DW_ATE_signed_char:
        builtin = by_size(Builtin::SignedChar, Builtin::Short, Builtin::Int, Builtin::Long,
                          Builtin::Int128);
        break;
      case DW_ATE_unsigned:
      case DW_ATE_unsigned_char:
        builtin = by_size(Builtin::UnsignedChar, Builtin::UnsignedShort, Builtin::UnsignedInt,
                          Builtin::UnsignedLong, Builtin::UnsignedInt128);
        break;
      case DW_ATE_UTF:
        builtin = by_size(Builtin::Char8, Builtin::Char16, Builtin::Char32, Builtin::UnsignedLong,
                          Builtin::UnsignedInt128);
        break;
      case DW_ATE_float:
        if (size == 4)
          builtin = Builtin::Float;
        else if (size == 8)
          builtin = Builtin::Double;
        else if (size == 16)
          builtin = Builtin::Float128;
        break;
      default: break;
    }
    if (builtin) return make_builtin(*builtin);
    return make_opaque(name != nullptr ? name : "<?>");
  }

  TypeRef array(Dwarf_Die* die, int depth) {
    const TypeRef element = type_of(die, depth + 1);
    std::vector<std::optional<std::uint64_t>> dimensions;
    Dwarf_Die child;
    if (dwarf_child(die, &child) == 0) {
      do {
        if (dwarf_tag(&child) != DW_TAG_subrange_type) continue;
        if (dimensions.size() > 64) break;
        std::optional<std::uint64_t> count = unsigned_attribute(&child, DW_AT_count);
        if (!count) {
          const std::optional<Dwarf_Word> upper = unsigned_attribute(&child, DW_AT_upper_bound);
          const Dwarf_Word lower = unsigned_attribute(&child, DW_AT_lower_bound).value_or(0);
          if (upper && *upper >= lower && *upper - lower < UINT64_MAX) count = *upper - lower + 1;
        }
        dimensions.push_back(count);
      } while (dwarf_siblingof(&child, &child) == 0);
    }
    if (dimensions.empty()) dimensions.push_back(std::nullopt);
    TypeRef type = element;
    for (auto dimension = dimensions.rbegin(); dimension != dimensions.rend(); ++dimension)
      type = make_array(type, *dimension);
    return type;
  }

  // DW_AT_data_member_location: a constant (DWARF 3+) or, in DWARF 2, DW_OP_plus_uconst N.
  static std::optional<std::uint64_t> member_offset(Dwarf_Die* member) {
    Dwarf_Attribute attribute;
    if (dwarf_attr(member, DW_AT_data_member_location, &attribute) == nullptr) {
      if (const std::optional<Dwarf_Word> bits = unsigned_attribute(member, DW_AT_data_bit_offset))
        return *bits / 8;
      return 0;  // a union member, or the first member as some producers leave it
    }
    Dwarf_Word value = 0;
    if (dwarf_formudata(&attribute, &value) == 0) return value;
    Dwarf_Op* expression = nullptr;
    std::size_t length = 0;
    if (dwarf_getlocation(&attribute, &expression, &length) == 0 && length == 1 &&
        expression[0].atom == DW_OP_plus_uconst)
      return expression[0].number;
    return std::nullopt;
  }

  TypeRef record(Dwarf_Die* die, int tag, int depth) {
    std::string name = names_.qualified(die);
    const RecordTag record_kind = record_tag(die, tag);
    if (flag_attribute(die, DW_AT_declaration))
      return make_record(std::move(name), record_kind);  // incomplete here
    const std::optional<Dwarf_Word> size = unsigned_attribute(die, DW_AT_byte_size);
    if (!size) return make_record(std::move(name), record_kind);
    Layout layout;
    layout.size = *size;
    layout.alignment = unsigned_attribute(die, DW_AT_alignment).value_or(0);
    Dwarf_Die child;
    if (dwarf_child(die, &child) == 0) {
      std::size_t count = 0;
      do {
        if (++count > 100000) break;
        const int child_tag = dwarf_tag(&child);
        if (child_tag != DW_TAG_member && child_tag != DW_TAG_inheritance) continue;
        // A static data member (DWARF 4 spells it as a member declaration) takes no room.
        if (flag_attribute(&child, DW_AT_external) || flag_attribute(&child, DW_AT_declaration))
          continue;
        Field field;
        field.type = type_of(&child, depth + 1);
        if (child_tag == DW_TAG_inheritance) {
          field.name = "<base " + (field.type ? to_string(*field.type) : std::string("?")) + ">";
        } else {
          const char* member_name = dwarf_diename(&child);
          field.name = member_name != nullptr ? member_name : "";
        }
        field.offset = member_offset(&child).value_or(0);
        if (const std::optional<Dwarf_Word> bits = unsigned_attribute(&child, DW_AT_bit_size))
          field.bit_size = static_cast<std::uint32_t>(*bits);
        layout.fields.push_back(std::move(field));
      } while (dwarf_siblingof(&child, &child) == 0);
    }
    return make_record(std::move(name), record_kind, std::move(layout));
  }

  ScopeNames& names_;
  std::unordered_map<Dwarf_Off, TypeRef> cache_;
  std::set<Dwarf_Off> in_progress_;
  std::size_t converted_ = 0;
};

// How well a DIE describes the symbol: an external definition beats a static one, which beats a
// declaration (or an abstract inline instance, which has no code of its own).
int rank(Dwarf_Die* die) {
  const int tag = dwarf_tag(die);
  bool defines = false;
  if (tag == DW_TAG_subprogram) {
    Dwarf_Attribute attribute;
    defines = dwarf_attr(die, DW_AT_low_pc, &attribute) != nullptr ||
              dwarf_attr(die, DW_AT_ranges, &attribute) != nullptr ||
              dwarf_attr(die, DW_AT_entry_pc, &attribute) != nullptr;
  } else {
    Dwarf_Attribute attribute;
    defines = dwarf_attr(die, DW_AT_location, &attribute) != nullptr ||
              dwarf_attr(die, DW_AT_const_value, &attribute) != nullptr;
  }
  if (flag_attribute(die, DW_AT_declaration) && !defines) return 1;
  if (!defines) return 1;
  return flag_attribute(die, DW_AT_external) ? 3 : 2;
}

// The end of die's DW_AT_specification / DW_AT_abstract_origin chain: the declaration that has
// the scope. Bounded, so a reference loop ends.
Dwarf_Die declaration_of(Dwarf_Die die) {
  for (int hop = 0; hop < kMaxReferenceHops; ++hop) {
    std::optional<Dwarf_Die> next = referenced(&die, DW_AT_specification, false);
    if (!next) next = referenced(&die, DW_AT_abstract_origin, false);
    if (!next) break;
    die = *next;
  }
  return die;
}

// The first DIE of the chain that lists parameters: a concrete instance lists them (pointing to
// their abstract origins); a definition of a member function may leave them to its declaration.
Dwarf_Die parameters_of(Dwarf_Die die) {
  const auto lists = [](Dwarf_Die* candidate) {
    Dwarf_Die child;
    if (dwarf_child(candidate, &child) != 0) return false;
    int count = 0;
    do {
      const int tag = dwarf_tag(&child);
      if (tag == DW_TAG_formal_parameter || tag == DW_TAG_unspecified_parameters) return true;
    } while (++count < 4096 && dwarf_siblingof(&child, &child) == 0);
    return false;
  };
  Dwarf_Die current = die;
  for (int hop = 0; hop < kMaxReferenceHops; ++hop) {
    if (lists(&current)) return current;
    std::optional<Dwarf_Die> next = referenced(&current, DW_AT_specification, false);
    if (!next) next = referenced(&current, DW_AT_abstract_origin, false);
    if (!next) break;
    current = *next;
  }
  return die;
}

std::string source_of(Dwarf_Die* die) {
  const char* file = dwarf_decl_file(die);
  if (file == nullptr) return "";
  std::string text = file;
  if (const std::size_t slash = text.rfind('/'); slash != std::string::npos)
    text = text.substr(slash + 1);
  int line = 0;
  if (dwarf_decl_line(die, &line) == 0 && line > 0) text += ":" + std::to_string(line);
  return text;
}

// Calls visit for each unit's top DIE; true when visit stopped the walk.
template <class Visit>
bool for_each_unit(Dwarf* dwarf, Visit visit) {
  Dwarf_Off offset = 0, next = 0;
  std::size_t header_size = 0;
  // dwarf_nextcu only moves forward: a hostile file cannot make this loop forever.
  for (std::size_t count = 0; count < kMaxUnits && dwarf_nextcu(dwarf, offset, &next, &header_size,
                                                                nullptr, nullptr, nullptr) == 0;
       ++count, offset = next) {
    Dwarf_Die unit_die;
    if (dwarf_offdie(dwarf, offset + header_size, &unit_die) == nullptr) continue;
    if (visit(unit_die)) return true;
  }
  return false;
}

std::string strip_tag(std::string_view name) {
  for (std::string_view tag : {"struct ", "union ", "class ", "enum "})
    if (name.substr(0, tag.size()) == tag) return canonical_name(name.substr(tag.size()));
  return canonical_name(name);
}

}  // namespace

Described<Declaration> read_declaration(const std::string& path, std::string_view symbol) noexcept {
  try {
    DwarfFile file;
    if (std::optional<NotDescribed> failed = file.open(path)) return *failed;
    std::size_t budget = 0;
    ScopeWalk walk(budget);
    std::optional<Dwarf_Die> best;
    int best_rank = 0;
    bool best_in_c = false;
    for_each_unit(file.get(), [&](Dwarf_Die& unit_die) {
      const bool c_unit = is_c_language(dwarf_srclang(&unit_die));
      return walk.unit(unit_die, [&](Dwarf_Die& die, const std::string&) {
        const int tag = dwarf_tag(&die);
        // A static data member's declaration is a DW_TAG_member in DWARF 4; any other member is
        // a field, whose name is no symbol's.
        if (tag != DW_TAG_subprogram && tag != DW_TAG_variable &&
            !(tag == DW_TAG_member && flag_attribute(&die, DW_AT_external)))
          return false;
        const char* linkage = string_attribute(&die, DW_AT_linkage_name);
        if (linkage == nullptr) linkage = string_attribute(&die, DW_AT_MIPS_linkage_name);
        const char* name = string_attribute(&die, DW_AT_name);
        const bool matches =
            linkage != nullptr ? symbol == linkage : (name != nullptr && symbol == name);
        if (!matches) return false;
        const int score = rank(&die);
        if (score > best_rank) {
          best = die;
          best_rank = score;
          best_in_c = c_unit;
        }
        return best_rank == 3;  // an external definition: nothing better can come
      });
    });
    if (!best)
      return not_described(NotDescribed::Why::NoEntry,
                           "the debug information has no entry for " + std::string(symbol) +
                               " (its unit was built without -g, or it is not C or C++)");
    ScopeNames names(budget);
    TypeReader types(names);
    Dwarf_Die die = *best;
    Dwarf_Die declaration = declaration_of(die);
    Declaration result;
    result.name = names.qualified(&declaration);
    if (result.name.empty()) result.name = std::string(symbol);
    if (const char* linkage = string_attribute(&die, DW_AT_linkage_name))
      result.linkage_name = linkage;
    else if (const char* mips = string_attribute(&die, DW_AT_MIPS_linkage_name))
      result.linkage_name = mips;
    result.is_definition = best_rank >= 2;
    result.source = source_of(&die);
    if (dwarf_tag(&die) == DW_TAG_subprogram) {
      result.kind = Declaration::Kind::Function;
      Dwarf_Die parameters = parameters_of(die);
      result.function = types.function(&die, &parameters, best_in_c, 0);
      result.type = make_function(result.function);
    } else {
      result.kind = Declaration::Kind::Object;
      result.type = types.type_of(&die, 0);
      result.size = size_of(*result.type);
    }
    return result;
  } catch (...) {
    return not_described(NotDescribed::Why::Unreadable,
                         "out of memory reading the debug information");
  }
}

Described<TypeRef> read_record(const std::string& path, std::string_view record) noexcept {
  try {
    DwarfFile file;
    if (std::optional<NotDescribed> failed = file.open(path)) return *failed;
    const std::string wanted = strip_tag(record);
    std::size_t budget = 0;
    ScopeWalk walk(budget);
    ScopeNames names(budget);
    TypeReader types(names);
    std::optional<TypeRef> found;
    std::optional<TypeRef> declared_only;
    for_each_unit(file.get(), [&](Dwarf_Die& unit_die) {
      return walk.unit(unit_die, [&](Dwarf_Die& die, const std::string& prefix) {
        const int tag = dwarf_tag(&die);
        if (tag != DW_TAG_structure_type && tag != DW_TAG_class_type && tag != DW_TAG_union_type &&
            tag != DW_TAG_enumeration_type && tag != DW_TAG_typedef)
          return false;
        const char* name = dwarf_diename(&die);
        if (name == nullptr || canonical_name(prefix + name) != wanted) return false;
        TypeRef type = types.convert(&die, 0);
        const bool complete = type->kind == Type::Kind::Enum ||
                              (type->kind == Type::Kind::Record && type->layout.has_value());
        if (complete) {
          found = type;
          return true;
        }
        if (type->kind == Type::Kind::Record && !declared_only) declared_only = type;
        return false;
      });
    });
    if (found) return *found;
    if (declared_only)
      return not_described(NotDescribed::Why::NoEntry,
                           "the debug information declares " + wanted +
                               " but never defines it (an opaque type here)");
    return not_described(NotDescribed::Why::NoEntry,
                         "the debug information has no type named " + wanted);
  } catch (...) {
    return not_described(NotDescribed::Why::Unreadable,
                         "out of memory reading the debug information");
  }
}

}  // namespace dldoctor::signature
