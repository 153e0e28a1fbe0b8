#include "signature/sysv_abi.hpp"

#include <algorithm>
#include <array>

namespace dldoctor::signature {
namespace {

constexpr unsigned kIntegerArgumentRegisters = 6;  // %rdi %rsi %rdx %rcx %r8 %r9
constexpr unsigned kSseArgumentRegisters = 8;      // %xmm0 .. %xmm7
constexpr int kMaxDepth = 32;

// psABI 3.2.3, step 4: how two classes meeting in one eightbyte merge.
AbiClass merge(AbiClass a, AbiClass b) {
  if (a == b) return a;
  if (a == AbiClass::NoClass) return b;
  if (b == AbiClass::NoClass) return a;
  if (a == AbiClass::Memory || b == AbiClass::Memory) return AbiClass::Memory;
  if (a == AbiClass::Integer || b == AbiClass::Integer) return AbiClass::Integer;
  if (a == AbiClass::X87 || b == AbiClass::X87 || a == AbiClass::SseUp || b == AbiClass::SseUp)
    return AbiClass::Memory;
  return AbiClass::Sse;
}

// Adds the classes of type, placed at offset inside an aggregate, to parts. False when a part of
// it is not known (a record without layout, an opaque name).
bool add_leaves(const Type& type, std::uint64_t offset, std::vector<AbiClass>& parts, int depth) {
  if (depth > kMaxDepth) return false;
  const auto put = [&](std::uint64_t at, AbiClass cls) {
    if (at / 8 < parts.size()) parts[at / 8] = merge(parts[at / 8], cls);
  };
  switch (type.kind) {
    case Type::Kind::Record: {
      if (!type.layout) return false;
      for (const Field& field : type.layout->fields) {
        if (field.bit_size) {
          put(offset + field.offset, AbiClass::Integer);
          continue;
        }
        if (!field.type || !add_leaves(*field.type, offset + field.offset, parts, depth + 1))
          return false;
      }
      return true;
    }
    case Type::Kind::Array: {
      if (!type.target || !type.array_count) return type.array_count.has_value();
      const std::optional<std::uint64_t> element = size_of(*type.target);
      if (!element || *element == 0) return false;
      // An array in a record of at most 16 bytes has at most 16 elements that matter.
      const std::uint64_t count = std::min<std::uint64_t>(*type.array_count, 16);
      for (std::uint64_t i = 0; i < count; ++i)
        if (!add_leaves(*type.target, offset + i * *element, parts, depth + 1)) return false;
      return true;
    }
    default: break;
  }
  const std::optional<std::uint64_t> size = size_of(type);
  const std::optional<std::uint64_t> alignment = alignment_of(type);
  if (!size) return false;
  // An unaligned field makes the whole record MEMORY (psABI 3.2.3, step 1).
  if (alignment && *alignment != 0 && offset % *alignment != 0) {
    put(offset, AbiClass::Memory);
    return true;
  }
  switch (category_of(type)) {
    case Category::Integer:
    case Category::Pointer:
      put(offset, AbiClass::Integer);
      if (*size == 16) put(offset + 8, AbiClass::Integer);
      return true;
    case Category::Floating:
      put(offset, AbiClass::Sse);
      if (*size == 16) put(offset + 8, AbiClass::SseUp);
      return true;
    case Category::LongDouble:
      put(offset, AbiClass::X87);
      put(offset + 8, AbiClass::X87);
      return true;
    default: return false;
  }
}

std::uint64_t round_up(std::uint64_t value, std::uint64_t to) { return (value + to - 1) / to * to; }

}  // namespace

Classification classify(const Type& type) noexcept {
  Classification result;
  switch (category_of(type)) {
    case Category::Void: result.known = true; return result;
    case Category::Integer:
    case Category::Pointer: {
      const std::optional<std::uint64_t> size = size_of(type);
      result.known = true;
      result.parts.assign(size && *size == 16 ? 2 : 1, AbiClass::Integer);
      return result;
    }
    case Category::Floating:
      result.known = true;
      result.parts = {AbiClass::Sse};
      if (size_of(type) == 16) result.parts.push_back(AbiClass::SseUp);
      return result;
    case Category::LongDouble:
      result.known = true;
      result.in_memory = true;  // as an argument; returned in %st(0)
      return result;
    case Category::Record: {
      const std::optional<std::uint64_t> size = size_of(type);
      if (!size) return result;
      result.known = true;
      if (*size > 16) {
        result.in_memory = true;
        return result;
      }
      try {
        result.parts.assign((*size + 7) / 8, AbiClass::NoClass);
        if (!add_leaves(type, 0, result.parts, 0)) return Classification{};
      } catch (...) {
        return Classification{};
      }
      for (const AbiClass part : result.parts)
        if (part == AbiClass::Memory || part == AbiClass::X87) result.in_memory = true;
      if (result.in_memory) result.parts.clear();
      return result;
    }
    default: return result;
  }
}

std::string integer_argument_register(unsigned index, std::uint64_t size) {
  static const std::array<std::array<const char*, 4>, kIntegerArgumentRegisters> kNames = {{
      {"%rdi", "%edi", "%di", "%dil"},
      {"%rsi", "%esi", "%si", "%sil"},
      {"%rdx", "%edx", "%dx", "%dl"},
      {"%rcx", "%ecx", "%cx", "%cl"},
      {"%r8", "%r8d", "%r8w", "%r8b"},
      {"%r9", "%r9d", "%r9w", "%r9b"},
  }};
  if (index >= kIntegerArgumentRegisters) return "?";
  const std::size_t width = size >= 8 ? 0 : size >= 4 ? 1 : size >= 2 ? 2 : 3;
  return kNames[index][width];
}

std::string describe(const Location& location) {
  switch (location.kind) {
    case Location::Kind::Registers: {
      std::string text;
      for (std::size_t i = 0; i < location.registers.size(); ++i)
        text += (i == 0 ? "" : " and ") + location.registers[i];
      return text;
    }
    case Location::Kind::Stack:
      return "the stack at " + std::to_string(location.stack_offset) + "(%rsp)";
    case Location::Kind::X87Stack: return "%st(0)";
    case Location::Kind::Unknown: break;
  }
  return "a place not known";
}

bool returned_in_memory(const Type& type) noexcept {
  if (category_of(type) == Category::LongDouble) return false;  // %st(0)
  const Classification classification = classify(type);
  return classification.known && classification.in_memory;
}

std::vector<Location> argument_locations(const FunctionType& function) {
  std::vector<TypeRef> parameters;
  if (function.implicit_this) parameters.push_back(function.implicit_this);
  parameters.insert(parameters.end(), function.parameters.begin(), function.parameters.end());
  unsigned integer = function.return_type && returned_in_memory(*function.return_type) ? 1 : 0;
  unsigned sse = 0;
  std::uint64_t stack = 8;  // 0(%rsp) is the return address at the callee's entry
  bool known = true;
  std::vector<Location> locations;
  for (const TypeRef& parameter : parameters) {
    Location location;
    const Classification classification =
        parameter && known ? classify(*parameter) : Classification{};
    if (!classification.known) {
      known = false;  // it may have taken registers: nothing after it is known either
      locations.push_back(location);
      continue;
    }
    unsigned integers = 0, sses = 0;
    for (const AbiClass part : classification.parts) {
      if (part == AbiClass::Integer) ++integers;
      if (part == AbiClass::Sse) ++sses;
    }
    const std::uint64_t size = size_of(*parameter).value_or(8);
    if (!classification.in_memory && integer + integers <= kIntegerArgumentRegisters &&
        sse + sses <= kSseArgumentRegisters) {
      location.kind = Location::Kind::Registers;
      const bool scalar = parameter->kind != Type::Kind::Record;
      for (const AbiClass part : classification.parts) {
        if (part == AbiClass::Integer)
          location.registers.push_back(
              integer_argument_register(integer++, scalar && integers == 1 ? size : 8));
        else if (part == AbiClass::Sse)
          location.registers.push_back("%xmm" + std::to_string(sse++));
      }
    } else {
      // psABI: an argument that does not fit in the registers left goes on the stack whole, in
      // eightbytes, 16-byte aligned when its type is.
      location.kind = Location::Kind::Stack;
      if (alignment_of(*parameter).value_or(8) >= 16) stack = round_up(stack - 8, 16) + 8;
      location.stack_offset = stack;
      stack += round_up(size, 8);
    }
    locations.push_back(location);
  }
  return locations;
}

std::string describe_return(const Type& type) {
  if (category_of(type) == Category::LongDouble) return "%st(0)";
  const Classification classification = classify(type);
  if (!classification.known) return "a place not known";
  if (classification.in_memory) return "memory (through a hidden pointer passed in %rdi)";
  if (classification.parts.empty()) return "nothing";
  const std::uint64_t size = size_of(type).value_or(8);
  std::string text;
  unsigned integer = 0, sse = 0;
  static const char* const kIntegerReturn[2][4] = {{"%rax", "%eax", "%ax", "%al"},
                                                   {"%rdx", "%edx", "%dx", "%dl"}};
  const bool scalar = type.kind != Type::Kind::Record;
  for (const AbiClass part : classification.parts) {
    std::string name;
    if (part == AbiClass::Integer && integer < 2) {
      const std::uint64_t width = scalar && classification.parts.size() == 1 ? size : 8;
      name = kIntegerReturn[integer++][width >= 8 ? 0 : width >= 4 ? 1 : width >= 2 ? 2 : 3];
    } else if (part == AbiClass::Sse) {
      name = "%xmm" + std::to_string(sse++);
    } else {
      continue;
    }
    text += (text.empty() ? "" : " and ") + name;
  }
  return text;
}

}  // namespace dldoctor::signature
