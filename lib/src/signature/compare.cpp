#include "signature/compare.hpp"

#include <elf.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "signature/sysv_abi.hpp"

namespace dldoctor::signature {
namespace {

constexpr int kMaxDepth = 16;

std::string quoted(const Type& type) { return "'" + to_string(type) + "'"; }

std::string bytes(std::uint64_t count) {
  return std::to_string(count) + (count == 1 ? " byte" : " bytes");
}

std::string parameters(std::size_t count) {
  return std::to_string(count) + (count == 1 ? " parameter" : " parameters");
}

// A record's name as a C programmer writes it: "struct point".
std::string record_words(const Type& type) {
  Type bare = type;
  bare.is_const = bare.is_volatile = false;
  return to_string(bare);
}

bool is_void(const Type& type) {
  return type.kind == Type::Kind::Builtin && type.builtin == Builtin::Void;
}

// Where a compared value lives, and which side calls: for a callback the plugin (actual) calls
// what the host (asked) defines.
struct Position {
  enum class Role { Parameter, Return, Object, Field } role = Role::Object;
  std::string name;        // "parameter 2"
  std::string asked_text;  // the whole type on each side, as the summary names it
  std::string actual_text;
  Location asked_location;  // Parameter
  Location actual_location;
  bool asked_is_caller = true;
};

class Comparison {
 public:
  explicit Comparison(const Sides& sides) : sides_(sides) {}

  std::vector<Difference> take() { return std::move(out_); }

  void functions(const FunctionType& asked, const FunctionType& actual, bool asked_is_caller,
                 int depth) {
    if (depth > kMaxDepth) return;
    const std::vector<Location> asked_locations = argument_locations(asked);
    const std::vector<Location> actual_locations = argument_locations(actual);
    // Each side's parameters as the other side sees them, with where each is passed.
    struct Passed {
      TypeRef type;
      Location location;
    };
    std::vector<Passed> asked_list, actual_list;
    for (std::size_t i = 0; i < asked.parameters.size(); ++i)
      asked_list.push_back(
          {asked.parameters[i], location_at(asked_locations, i + (asked.implicit_this ? 1 : 0))});
    for (std::size_t i = 0; i < actual.parameters.size(); ++i)
      actual_list.push_back({actual.parameters[i],
                             location_at(actual_locations, i + (actual.implicit_this ? 1 : 0))});
    implicit_this(asked, actual, asked_list, actual_list, asked_locations, actual_locations);

    const std::size_t common = std::min(asked_list.size(), actual_list.size());
    for (std::size_t i = 0; i < common; ++i) {
      Position position;
      position.role = Position::Role::Parameter;
      position.name = "parameter " + std::to_string(i + 1);
      position.asked_location = asked_list[i].location;
      position.actual_location = actual_list[i].location;
      position.asked_is_caller = asked_is_caller;
      const std::size_t before = out_.size();
      value(asked_list[i].type, actual_list[i].type, position, depth);
      if (out_.size() == before) moved_by_earlier(position, *asked_list[i].type);
    }
    counts(asked, actual, asked_list.size(), actual_list.size(), actual_locations,
           actual.implicit_this ? 1 : 0, asked_is_caller);
    variadic(asked, actual, asked_is_caller);
    unprototyped(actual, asked_is_caller);
    result(asked, actual, asked_is_caller, depth);
  }

  void value(const TypeRef& asked_raw, const TypeRef& actual_raw, Position position, int depth) {
    if (!asked_raw || !actual_raw || depth > kMaxDepth) return;
    const TypeRef asked = unqualified(asked_raw);
    const TypeRef actual = unqualified(actual_raw);
    if (position.asked_text.empty()) {
      position.asked_text = quoted(*asked);
      position.actual_text = quoted(*actual);
    }
    const Category a = category_of(*asked);
    const Category b = category_of(*actual);
    if (a == Category::Unknown || b == Category::Unknown || a == Category::Void ||
        b == Category::Void)
      return;
    if (a == Category::Pointer && b == Category::Pointer) {
      const bool reference_a =
          asked->kind == Type::Kind::LValueReference || asked->kind == Type::Kind::RValueReference;
      const bool reference_b = actual->kind == Type::Kind::LValueReference ||
                               actual->kind == Type::Kind::RValueReference;
      if (reference_a != reference_b)
        add(DifferenceKind::CxxType, Severity::Warning, position,
            both_sides(position) + ": same size and class, different C++ type",
            "a reference is passed as the address it refers to, so the same bits arrive; the C++ "
            "mangled name differs");
      if (asked->kind != Type::Kind::Builtin && actual->kind != Type::Kind::Builtin)
        pointees(asked->target, actual->target, position, depth + 1);
      return;
    }
    if (a != b) {
      mismatched_classes(*asked, *actual, a, b, position);
      return;
    }
    const std::optional<std::uint64_t> asked_size = size_of(*asked);
    const std::optional<std::uint64_t> actual_size = size_of(*actual);
    switch (a) {
      case Category::Integer:
        if (asked_size != actual_size) {
          add(DifferenceKind::Size, Severity::Error, position, both_sides(position),
              size_consequence(*asked, *actual, position));
        } else if (is_signed(*asked) != is_signed(*actual)) {
          add(DifferenceKind::Signedness, Severity::Warning, position, both_sides(position),
              "same size and register: the bits arrive unchanged, but a value with its top bit "
              "set is negative on the signed side and large on the other");
        } else if (!same_integer_type(*asked, *actual)) {
          add(DifferenceKind::CxxType, Severity::Warning, position,
              both_sides(position) + ": same size and class, different C++ type",
              "the bits arrive unchanged; in C++ the mangled name differs (and so does the "
              "overload the name selects)");
        }
        return;
      case Category::Floating:
        if (asked_size != actual_size)
          add(DifferenceKind::Size, Severity::Error, position, both_sides(position),
              where_both(position) +
                  ": a float fills the low 4 bytes of the register and a double 8, so the callee "
                  "reads the bits as another number");
        return;
      case Category::Record:
        if (!same_record_name(*asked, *actual)) {
          const Classification ca = classify(*asked), cb = classify(*actual);
          const bool same_passing = ca.known && cb.known && ca.in_memory == cb.in_memory &&
                                    ca.parts == cb.parts && asked_size == actual_size;
          add(DifferenceKind::RecordName, same_passing ? Severity::Warning : Severity::Error,
              position, both_sides(position),
              same_passing ? "both are passed the same way, so the bytes arrive; check that "
                             "their fields mean the same"
                           : where_both(position));
        } else {
          layouts(*asked, *actual, record_words(*asked), position, depth + 1);
        }
        return;
      case Category::Array:
        if (asked_size && actual_size && asked_size != actual_size)
          add(DifferenceKind::Size, Severity::Error, position, both_sides(position), "");
        else if (asked->target && actual->target)
          value(asked->target, actual->target, position, depth + 1);
        return;
      default: return;
    }
  }

  void layouts(const Type& asked, const Type& actual, const std::string& record,
               const Position& position, int depth) {
    if (depth > kMaxDepth || !asked.layout || !actual.layout) return;
    const Layout& a = *asked.layout;
    const Layout& b = *actual.layout;
    Position here = position;
    here.role = Position::Role::Field;
    here.name = record;
    if (a.size != b.size)
      add(DifferenceKind::RecordLayout, Severity::Error, here,
          record + " is " + bytes(a.size) + " in " + std::string(sides_.asked) + ", " +
              bytes(b.size) + " in " + std::string(sides_.actual),
          "code built against one layout reads and writes past the end of the other's, or "
          "leaves its last bytes unset");
    // Fields match by name; anonymous ones by position.
    std::vector<std::optional<std::size_t>> match(a.fields.size());
    std::vector<bool> matched(b.fields.size(), false);
    for (std::size_t i = 0; i < a.fields.size(); ++i) {
      for (std::size_t j = 0; j < b.fields.size(); ++j) {
        if (matched[j]) continue;
        const bool same = a.fields[i].name.empty() ? (b.fields[j].name.empty() && i == j)
                                                   : a.fields[i].name == b.fields[j].name;
        if (same) {
          match[i] = j;
          matched[j] = true;
          break;
        }
      }
    }
    bool reported_move = false;
    for (std::size_t i = 0; i < a.fields.size(); ++i) {
      if (!match[i]) continue;
      const Field& fa = a.fields[i];
      const Field& fb = b.fields[*match[i]];
      const std::string field = "field '" + fa.name + "' of " + record;
      if (fa.offset != fb.offset && !reported_move) {
        reported_move = true;
        Position moved = here;
        moved.name = field;
        add(DifferenceKind::RecordLayout, Severity::Error, moved,
            field + " is at offset " + std::to_string(fa.offset) + " in " +
                std::string(sides_.asked) + ", " + std::to_string(fb.offset) + " in " +
                std::string(sides_.actual),
            "code built against one layout reads and writes '" + fa.name +
                "' where the other keeps something else" + why_moved(a, b, i, match));
      }
      if (!fa.type || !fb.type) continue;
      const std::optional<std::uint64_t> sa = size_of(*fa.type), sb = size_of(*fb.type);
      const Category ca = category_of(*fa.type), cb = category_of(*fb.type);
      if ((sa && sb && sa != sb) ||
          (ca != cb && ca != Category::Unknown && cb != Category::Unknown)) {
        Position changed = here;
        changed.name = field;
        add(DifferenceKind::RecordLayout, Severity::Error, changed,
            field + " is " + spelled_with_size(*fa.type) + " in " + std::string(sides_.asked) +
                ", " + spelled_with_size(*fb.type) + " in " + std::string(sides_.actual),
            "");
      } else if (fa.offset == fb.offset && ca == Category::Record && cb == Category::Record) {
        layouts(*fa.type, *fb.type, record + "." + fa.name, here, depth + 1);
      }
    }
    // A field on one side only; at the same offset and size as one on the other side only, it is
    // a rename.
    for (std::size_t i = 0; i < a.fields.size(); ++i) {
      if (match[i]) continue;
      const Field& fa = a.fields[i];
      std::optional<std::size_t> renamed;
      for (std::size_t j = 0; j < b.fields.size() && !renamed; ++j)
        if (!matched[j] && b.fields[j].offset == fa.offset && fa.type && b.fields[j].type &&
            size_of(*fa.type) == size_of(*b.fields[j].type) &&
            category_of(*fa.type) == category_of(*b.fields[j].type))
          renamed = j;
      Position missing = here;
      missing.name = "field '" + fa.name + "' of " + record;
      if (renamed) {
        matched[*renamed] = true;
        add(DifferenceKind::RecordLayout, Severity::Warning, missing,
            "the field at offset " + std::to_string(fa.offset) + " of " + record + " is '" +
                fa.name + "' in " + std::string(sides_.asked) + ", '" + b.fields[*renamed].name +
                "' in " + std::string(sides_.actual),
            "same place and size: the bytes agree, the names do not");
      } else {
        add(DifferenceKind::RecordLayout, Severity::Error, missing,
            missing.name + " is in " + std::string(sides_.asked) + ", not in " +
                std::string(sides_.actual),
            "");
      }
    }
    for (std::size_t j = 0; j < b.fields.size(); ++j) {
      if (matched[j]) continue;
      Position extra = here;
      extra.name = "field '" + b.fields[j].name + "' of " + record;
      add(DifferenceKind::RecordLayout, Severity::Error, extra,
          extra.name + " is in " + std::string(sides_.actual) + ", not in " +
              std::string(sides_.asked),
          "");
    }
    const std::optional<std::uint64_t> align_a = alignment_of(asked),
                                       align_b = alignment_of(actual);
    if (align_a && align_b && align_a != align_b)
      add(DifferenceKind::RecordLayout, Severity::Warning, here,
          record + " is aligned to " + bytes(*align_a) + " in " + std::string(sides_.asked) + ", " +
              bytes(*align_b) + " in " + std::string(sides_.actual),
          "an array of it, or a record that contains it, is laid out differently");
  }

  void object(const Type& asked, const SymbolFacts& facts) {
    Position position;
    position.name = "the object";
    const bool data =
        facts.elf_type == STT_OBJECT || facts.elf_type == STT_TLS || facts.elf_type == STT_COMMON;
    const bool code = facts.elf_type == STT_FUNC || facts.elf_type == STT_GNU_IFUNC;
    if (asked.kind == Type::Kind::Function) {
      if (!data) return;
      position.name = "the symbol";
      add(DifferenceKind::DataAsFunction, Severity::Error, position,
          "the symbol is data (" +
              std::string(facts.elf_type == STT_TLS ? "STT_TLS" : "STT_OBJECT") +
              (facts.size != 0 ? ", " + bytes(facts.size) : std::string()) + ") in " +
              std::string(sides_.actual) + ", a function in " + std::string(sides_.asked),
          "calling it jumps into its bytes: data is mapped without execute permission, so the "
          "call faults (SIGSEGV) at the symbol's address");
      return;
    }
    if (code) {
      position.name = "the symbol";
      add(DifferenceKind::FunctionAsData, Severity::Error, position,
          "the symbol is a function (STT_FUNC) in " + std::string(sides_.actual) + ", data " +
              spelled_with_size(asked) + " in " + std::string(sides_.asked),
          "reading it reads the function's machine code; writing it faults, code is mapped "
          "read-only");
      return;
    }
    const std::optional<std::uint64_t> asked_size = size_of(asked);
    const bool sizes_differ = asked_size && facts.size != 0 && *asked_size != facts.size;
    if (sizes_differ)
      add(DifferenceKind::ObjectSize, Severity::Error, position,
          "the object is " + bytes(facts.size) + " (st_size) in " + std::string(sides_.actual) +
              ", " + spelled_with_size(asked) + " in " + std::string(sides_.asked),
          *asked_size < facts.size
              ? "the host reads and writes only its first " + bytes(*asked_size)
              : "the host's accesses past its " + bytes(facts.size) +
                    " reach whatever the linker placed after it");
    if (!facts.type) return;
    const std::size_t before = out_.size();
    value(make_copy(asked), facts.type, position, 0);
    if (sizes_differ)  // the size was said once, from st_size
      out_.erase(std::remove_if(out_.begin() + static_cast<std::ptrdiff_t>(before), out_.end(),
                                [](const Difference& d) { return d.kind == DifferenceKind::Size; }),
                 out_.end());
  }

 private:
  static TypeRef make_copy(const Type& type) { return std::make_shared<const Type>(type); }

  static Location location_at(const std::vector<Location>& locations, std::size_t index) {
    return index < locations.size() ? locations[index] : Location{};
  }

  void add(DifferenceKind kind, Severity severity, const Position& position, std::string summary,
           std::string consequence) {
    Difference difference;
    difference.kind = kind;
    difference.severity = severity;
    difference.where = prefix_.empty() ? position.name : prefix_ + position.name;
    difference.summary = prefix_words_ + std::move(summary);
    difference.consequence = std::move(consequence);
    out_.push_back(std::move(difference));
  }

  // "parameter 2 is 'double' in the call, 'int' in the definition"
  std::string both_sides(const Position& position) const {
    return position.name + " is " + position.asked_text + " in " + std::string(sides_.asked) +
           ", " + position.actual_text + " in " + std::string(sides_.actual);
  }

  // "the caller passes it in %xmm0, the callee reads %edi" and its return counterpart.
  std::string where_both(const Position& position) const {
    if (position.role == Position::Role::Parameter) {
      const Location& caller =
          position.asked_is_caller ? position.asked_location : position.actual_location;
      const Location& callee =
          position.asked_is_caller ? position.actual_location : position.asked_location;
      if (caller.kind == Location::Kind::Unknown || callee.kind == Location::Kind::Unknown)
        return "";
      if (caller == callee) return "both use " + describe(caller);
      return "the caller passes it in " + describe(caller) + ", the callee reads " +
             describe(callee);
    }
    if (position.role == Position::Role::Return) return return_words_;
    return "";
  }

  std::string size_consequence(const Type& asked, const Type& actual,
                               const Position& position) const {
    const std::uint64_t sa = size_of(asked).value_or(0), sb = size_of(actual).value_or(0);
    const std::uint64_t caller_size = position.asked_is_caller ? sa : sb;
    const std::uint64_t callee_size = position.asked_is_caller ? sb : sa;
    const std::string bits = std::to_string((std::max(sa, sb) - std::min(sa, sb)) * 8);
    const std::string where = where_both(position);
    if (position.role == Position::Role::Return) {
      // The callee sets the return value, the caller reads it.
      const std::uint64_t writer = callee_size, reader = caller_size;
      return where + (reader > writer
                          ? ": the upper " + bits +
                                " bits the caller reads were never set for it (often zero, so a "
                                "negative value comes back large and positive)"
                          : ": the caller reads only the low " + bytes(reader) + ", the upper " +
                                bits + " bits of the value are lost");
    }
    if (position.role != Position::Role::Parameter || where.empty()) return "";
    return where + (callee_size > caller_size
                        ? ": the callee reads " + bits +
                              " upper bits the caller never set for this argument (often zero, "
                              "so a negative value arrives large and positive)"
                        : ": the callee reads only the low " + bytes(callee_size) + ", the upper " +
                              bits + " bits of the value are lost");
  }

  void mismatched_classes(const Type& asked, const Type& actual, Category a, Category b,
                          const Position& position) {
    const std::string where = where_both(position);
    if (a == Category::Pointer || b == Category::Pointer) {
      const Category other = a == Category::Pointer ? b : a;
      const Type& value_side = a == Category::Pointer ? actual : asked;
      if (other == Category::Integer && size_of(value_side) == 8) {
        add(DifferenceKind::PointerVsValue, Severity::Warning, position, both_sides(position),
            (where.empty() ? std::string("the same register") : where) +
                ": both are 8-byte integers to the machine, so the bits arrive, but one side "
                "takes them as an address and the other as a number");
        return;
      }
      // Which side holds the pointer decides what goes wrong: a callee that takes a narrower
      // integer as an address reads upper bits nobody set; one that takes an address as a
      // narrower integer drops them.
      const bool caller_has_pointer = (a == Category::Pointer) == position.asked_is_caller;
      const std::string width = bytes(size_of(value_side).value_or(0));
      std::string consequence = where.empty() ? std::string() : where + ": ";
      if (other != Category::Integer)
        consequence = where;
      else if (caller_has_pointer)
        consequence += "the callee reads only the low " + width + " of the address";
      else
        consequence += "the callee takes as an address the " + width +
                       " the caller set and upper bits it did not";
      add(DifferenceKind::PointerVsValue, Severity::Error, position, both_sides(position),
          consequence);
      return;
    }
    const bool records = a == Category::Record || b == Category::Record;
    std::string consequence = where;
    if (!records && !where.empty() && position.role == Position::Role::Parameter)
      consequence += ": a register the caller did not set for this argument";
    else if (!records && !where.empty() && position.role == Position::Role::Return)
      consequence += ": a register the callee did not set";
    else if (a == Category::LongDouble || b == Category::LongDouble)
      consequence += std::string(consequence.empty() ? "" : ": ") +
                     "a long double is passed on the stack and returned in %st(0)";
    add(records ? DifferenceKind::RecordName : DifferenceKind::RegisterClass, Severity::Error,
        position, both_sides(position), consequence);
  }

  static bool same_integer_type(const Type& a, const Type& b) {
    if (a.kind != b.kind) return false;
    if (a.kind == Type::Kind::Builtin) return a.builtin == b.builtin;
    if (a.kind == Type::Kind::Enum) return canonical_name(a.name) == canonical_name(b.name);
    return true;
  }

  // Both pointers (or references): what they point to.
  void pointees(const TypeRef& asked, const TypeRef& actual, const Position& position, int depth) {
    if (!asked || !actual || depth > kMaxDepth) return;
    if (asked->is_const && !actual->is_const) {
      add(DifferenceKind::PointeeConst, Severity::Warning, position, both_sides(position),
          position.asked_is_caller
              ? "the callee may write through it to memory the caller treats as read-only (a "
                "string literal lies in a read-only page: a write there faults)"
              : "the caller may pass read-only memory to a function that writes through it");
    }
    const TypeRef a = unqualified(asked);
    const TypeRef b = unqualified(actual);
    if (is_void(*a) || is_void(*b)) return;  // void* takes any object pointer
    const Category ca = category_of(*a), cb = category_of(*b);
    if (ca == Category::Unknown || cb == Category::Unknown) return;
    if (ca == Category::Function && cb == Category::Function && a->function && b->function) {
      // The callee calls the function it is given: the roles swap.
      const std::string saved_prefix = prefix_, saved_words = prefix_words_;
      const std::string saved_return = return_words_;
      prefix_ += position.name + " (a function pointer), ";
      prefix_words_ += "in the callback " + position.name + " points to (the callee calls it): ";
      functions(*a->function, *b->function, !position.asked_is_caller, depth + 1);
      prefix_ = saved_prefix;
      prefix_words_ = saved_words;
      return_words_ = saved_return;
      return;
    }
    if (ca == Category::Pointer && cb == Category::Pointer) {
      if (a->kind != Type::Kind::Builtin && b->kind != Type::Kind::Builtin)
        pointees(a->target, b->target, position, depth + 1);
      return;
    }
    if (ca == Category::Record && cb == Category::Record && same_record_name(*a, *b)) {
      layouts(*a, *b, record_words(*a), position, depth + 1);  // names the field that moved
      return;
    }
    const std::optional<std::uint64_t> sa = size_of(*a), sb = size_of(*b);
    if (ca != cb || (sa && sb && sa != sb)) {
      std::string consequence;
      if (sa && sb && sa != sb)
        consequence =
            (position.asked_is_caller ? "the callee reads and writes " + bytes(*sb) +
                                            " through it where the caller has " + bytes(*sa)
                                      : "the caller passes " + bytes(*sb) +
                                            " where the callee reads and writes " + bytes(*sa));
      else
        consequence = "the two sides read the same bytes as different types";
      add(DifferenceKind::PointeeType, Severity::Error, position, both_sides(position),
          consequence);
      return;
    }
    if (ca == Category::Integer) {
      if (is_signed(*a) != is_signed(*b))
        add(DifferenceKind::Signedness, Severity::Warning, position, both_sides(position),
            "the pointed-to bits are the same size, but a value with its top bit set reads "
            "differently on each side");
      else if (!same_integer_type(*a, *b))
        add(DifferenceKind::CxxType, Severity::Warning, position,
            both_sides(position) + ": same size and class, different C++ type",
            "the bytes agree; in C++ the mangled name differs");
      return;
    }
    if (ca == Category::Record)  // same size, another name
      add(DifferenceKind::PointeeType, Severity::Warning, position, both_sides(position),
          "both are addresses, passed alike; the two sides mean different records by them");
  }

  // The implicit this of a non-static member function the other side calls as a free one: when
  // the caller passes the object pointer itself as its first parameter, that is the this.
  template <class List>
  void implicit_this(const FunctionType& asked, const FunctionType& actual, List& asked_list,
                     List& actual_list, const std::vector<Location>& asked_locations,
                     const std::vector<Location>& actual_locations) {
    (void)asked_locations;
    (void)actual_locations;
    const auto explicit_this = [](const List& list, const TypeRef& this_type) {
      if (list.empty() || !this_type || !list.front().type) return false;
      const Type& first = *list.front().type;
      return first.kind == Type::Kind::Pointer && first.target && this_type->target &&
             same_record_name(*first.target, *this_type->target);
    };
    if (actual.implicit_this && !asked.implicit_this) {
      if (explicit_this(asked_list, actual.implicit_this)) {
        asked_list.erase(asked_list.begin());
        return;
      }
      Position position;
      position.name = "this";
      add(DifferenceKind::ImplicitThis, Severity::Error, position,
          std::string(sides_.actual) + " is a non-static member function: it takes " +
              quoted(*actual.implicit_this) + " as a hidden first parameter, which " +
              std::string(sides_.asked) + " does not pass",
          "the callee reads this from %rdi, where the caller put its first argument, and each "
          "parameter one register later than the caller put it");
    } else if (asked.implicit_this && !actual.implicit_this) {
      if (explicit_this(actual_list, asked.implicit_this)) {
        actual_list.erase(actual_list.begin());
        return;
      }
      Position position;
      position.name = "this";
      add(DifferenceKind::ImplicitThis, Severity::Error, position,
          std::string(sides_.asked) + " passes " + quoted(*asked.implicit_this) +
              " as a hidden first parameter, which " + std::string(sides_.actual) +
              " (not a member function) does not take",
          "the callee reads the object's address, passed in %rdi, as its first parameter");
    }
  }

  // Same types, but an earlier difference moved the value to another register on one side.
  void moved_by_earlier(const Position& position, const Type& type) {
    const Location& a = position.asked_location;
    const Location& b = position.actual_location;
    if (a.kind == Location::Kind::Unknown || b.kind == Location::Kind::Unknown || a == b) return;
    Position here = position;
    here.asked_text = here.actual_text = quoted(type);
    add(DifferenceKind::ParameterLocation, Severity::Error, here,
        position.name + " is " + quoted(type) +
            " on both sides, but an earlier difference "
            "moves it to another register",
        where_both(here));
  }

  void counts(const FunctionType& asked, const FunctionType& actual, std::size_t asked_count,
              std::size_t actual_count, const std::vector<Location>& actual_locations,
              std::size_t actual_first, bool asked_is_caller) {
    Position position;
    position.name = "the parameter list";
    const std::size_t caller_count = asked_is_caller ? asked_count : actual_count;
    const std::size_t callee_count = asked_is_caller ? actual_count : asked_count;
    const bool caller_variadic = asked_is_caller ? asked.variadic : actual.variadic;
    const bool callee_variadic = asked_is_caller ? actual.variadic : asked.variadic;
    const std::string summary = std::string(sides_.actual) + " takes " + parameters(actual_count) +
                                ", " + std::string(sides_.asked) + " passes " +
                                std::to_string(asked_count);
    if (callee_count > caller_count) {
      std::string unset;
      if (asked_is_caller) {
        for (std::size_t i = asked_count; i < actual_count; ++i) {
          const Location location = location_at(actual_locations, i + actual_first);
          if (location.kind == Location::Kind::Unknown) continue;
          unset += std::string(unset.empty() ? "" : "; ") + "parameter " + std::to_string(i + 1) +
                   " (" + quoted(*actual.parameters[i]) + ") from " + describe(location);
        }
      }
      add(DifferenceKind::ParameterCount, caller_variadic ? Severity::Warning : Severity::Error,
          position, summary,
          caller_variadic
              ? "the caller may pass them among its variable arguments"
              : "the callee reads " +
                    (unset.empty() ? std::string("the missing parameters") : unset) +
                    ", which the caller never set: whatever the caller last left there");
    } else if (caller_count > callee_count && !callee_variadic) {
      add(DifferenceKind::ParameterCount, Severity::Warning, position, summary,
          "the callee never reads the extra arguments; on x86-64 the caller removes what it "
          "pushed, so nothing else goes wrong");
    }
  }

  void variadic(const FunctionType& asked, const FunctionType& actual, bool asked_is_caller) {
    if (asked.variadic == actual.variadic) return;
    Position position;
    position.name = "the parameter list";
    const bool callee_variadic = asked_is_caller ? actual.variadic : asked.variadic;
    const std::string variadic_side = std::string(actual.variadic ? sides_.actual : sides_.asked);
    const std::string other_side = std::string(actual.variadic ? sides_.asked : sides_.actual);
    if (callee_variadic) {
      add(DifferenceKind::Variadic, Severity::Error, position,
          variadic_side + " is variadic ('...'), " + other_side + " is not",
          "a variadic callee takes %al as the number of vector registers that hold arguments and "
          "its va_start saves %xmm0-%xmm7 only when %al is not zero; a non-variadic call leaves "
          "%al unset, so a floating-point argument can be lost");
    } else {
      add(DifferenceKind::Variadic, Severity::Warning, position,
          variadic_side + " is variadic ('...'), " + other_side + " is not",
          "x86-64 passes variable and fixed arguments in the same registers, so this works while "
          "each argument's promoted type is the parameter's: the caller passes a float as a "
          "double and a char or short as an int");
    }
  }

  // A K&R definition (no prototype) expects its arguments with the default promotions: a float
  // parameter arrives as a double (C11 6.5.2.2p6).
  void unprototyped(const FunctionType& actual, bool asked_is_caller) {
    if (actual.prototyped || !asked_is_caller) return;
    for (std::size_t i = 0; i < actual.parameters.size(); ++i) {
      const TypeRef& parameter = actual.parameters[i];
      if (!parameter || parameter->kind != Type::Kind::Builtin ||
          parameter->builtin != Builtin::Float)
        continue;
      Position position;
      position.name = "parameter " + std::to_string(i + 1);
      add(DifferenceKind::Unprototyped, Severity::Error, position,
          std::string(sides_.actual) + " is K&R-style (no prototype): its float " + position.name +
              " arrives as a double",
          "a caller with a prototype passes a float's 4 bytes in the vector register, where the "
          "callee reads a double's 8");
    }
  }

  void result(const FunctionType& asked, const FunctionType& actual, bool asked_is_caller,
              int depth) {
    if (!asked.return_type || !actual.return_type) return;  // not known on one side
    const Type& a = *asked.return_type;
    const Type& b = *actual.return_type;
    const Type& caller = asked_is_caller ? a : b;
    const Type& callee = asked_is_caller ? b : a;
    Position position;
    position.role = Position::Role::Return;
    position.name = "the return value";
    position.asked_is_caller = asked_is_caller;
    position.asked_text = quoted(a);
    position.actual_text = quoted(b);
    const bool caller_void = is_void(caller), callee_void = is_void(callee);
    if (caller_void && callee_void) return;
    if (returned_in_memory(caller) != returned_in_memory(callee)) {
      const Type& in_memory = returned_in_memory(caller) ? caller : callee;
      add(DifferenceKind::ReturnType, Severity::Error, position, both_sides(position),
          quoted(in_memory) +
              " is returned in memory, through a hidden pointer in %rdi: "
              "on that side every integer parameter is one register later, and "
              "the callee writes the result wherever %rdi points");
      return;
    }
    if (caller_void) return;  // the caller ignores what the callee leaves in the register
    if (callee_void) {
      add(DifferenceKind::ReturnType, Severity::Error, position, both_sides(position),
          "the caller reads " + describe_return(caller) +
              ", which the callee never set: whatever it last held");
      return;
    }
    const std::string saved = return_words_;
    const std::string caller_reads = describe_return(caller);
    const std::string callee_sets = describe_return(callee);
    return_words_ = caller_reads == callee_sets ? "both use " + caller_reads
                                                : "the callee leaves it in " + callee_sets +
                                                      ", the caller reads " + caller_reads;
    const std::size_t before = out_.size();
    value(asked.return_type, actual.return_type, position, depth);
    for (std::size_t i = before; i < out_.size(); ++i)
      if (out_[i].kind != DifferenceKind::RecordLayout &&
          out_[i].kind != DifferenceKind::PointeeType &&
          out_[i].kind != DifferenceKind::PointeeConst)
        out_[i].kind = DifferenceKind::ReturnType;
    return_words_ = saved;
  }

  // Why a field moved: the first field before it that is missing on one side or changed size.
  std::string why_moved(const Layout& a, const Layout& b, std::size_t moved,
                        const std::vector<std::optional<std::size_t>>& match) const {
    for (std::size_t i = 0; i < moved; ++i) {
      if (!match[i])
        return ": '" + a.fields[i].name + "' before it is not in " + std::string(sides_.actual);
      const Field& fa = a.fields[i];
      const Field& fb = b.fields[*match[i]];
      if (fa.type && fb.type && size_of(*fa.type) != size_of(*fb.type))
        return ": '" + fa.name + "' before it is " + spelled_with_size(*fa.type) + " in " +
               std::string(sides_.asked) + ", " + spelled_with_size(*fb.type) + " in " +
               std::string(sides_.actual);
    }
    const std::size_t target = *match[moved];
    for (std::size_t j = 0; j < target; ++j) {
      if (std::find(match.begin(), match.end(), std::optional<std::size_t>(j)) == match.end())
        return ": " + std::string(sides_.actual) + " has '" + b.fields[j].name + "' before it";
    }
    return "";
  }

  Sides sides_;
  std::vector<Difference> out_;
  std::string prefix_;        // where, inside a callback's type
  std::string prefix_words_;  // the summary's opening, inside a callback's type
  std::string return_words_;  // while comparing a return value: where each side has it
};

}  // namespace

std::vector<Difference> compare_functions(const FunctionType& asked, const FunctionType& actual,
                                          const Sides& sides) {
  Comparison comparison(sides);
  comparison.functions(asked, actual, true, 0);
  return comparison.take();
}

std::vector<Difference> compare_layouts(const Type& asked, const Type& actual, const Sides& sides) {
  Comparison comparison(sides);
  Position position;
  position.role = Position::Role::Field;
  position.name = record_words(asked);
  if (!same_record_name(asked, actual)) {
    Difference difference;
    difference.kind = DifferenceKind::RecordName;
    difference.severity = Severity::Error;
    difference.where = position.name;
    difference.summary = "the record is " + quoted(asked) + " in " + std::string(sides.asked) +
                         ", " + quoted(actual) + " in " + std::string(sides.actual);
    std::vector<Difference> out{difference};
    comparison.layouts(asked, actual, position.name, position, 0);
    for (Difference& d : comparison.take()) out.push_back(std::move(d));
    return out;
  }
  comparison.layouts(asked, actual, position.name, position, 0);
  return comparison.take();
}

std::vector<Difference> compare_object(const Type& asked, const SymbolFacts& actual,
                                       const Sides& sides) {
  Comparison comparison(sides);
  comparison.object(asked, actual);
  return comparison.take();
}

std::string to_string(const Difference& difference) {
  std::string text =
      std::string(dldoctor::to_string(difference.severity)) + ": " + difference.summary;
  if (!difference.consequence.empty()) text += "; " + difference.consequence;
  return text;
}

}  // namespace dldoctor::signature
