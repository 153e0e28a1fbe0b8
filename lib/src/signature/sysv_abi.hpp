// Where the x86-64 System V calling convention puts each argument and the return value
// (psABI 1.0, 3.2.3 "Parameter Passing"), so that a signature difference can be told as its
// consequence: "the caller passes it in %xmm0, the callee reads %edi". Only what the type model
// knows is classified; a record without its layout is "not known", and so is every argument after
// it (it may have used registers).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "signature/type.hpp"

namespace dldoctor::signature {

// psABI classes, per eightbyte of a value.
enum class AbiClass { NoClass, Integer, Sse, SseUp, X87, Memory };

struct Classification {
  bool known = false;
  bool in_memory = false;       // MEMORY or X87 as an argument: on the stack
  std::vector<AbiClass> parts;  // one per eightbyte, when not in memory
};
Classification classify(const Type& type) noexcept;

struct Location {
  enum class Kind { Unknown, Registers, Stack, X87Stack } kind = Kind::Unknown;
  std::vector<std::string> registers;  // "%edi"; two for a 16-byte record ("%rdi", "%rsi")
  std::uint64_t stack_offset = 0;      // Stack: from %rsp at the callee's entry (first is 8)

  bool operator==(const Location&) const = default;
};
// "%edi", "%rdi and %rsi", "the stack at 8(%rsp)", "%st(0)".
std::string describe(const Location& location);

// The register an integer value of size bytes occupies: %rdi, %edi, %di or %dil for the first
// argument register (index 0), and so on through %r9.
std::string integer_argument_register(unsigned index, std::uint64_t size);

// One location per parameter, implicit this first when there is one (then the caller's view of
// parameter i is at index i + 1). A record returned in memory takes %rdi for its hidden pointer.
std::vector<Location> argument_locations(const FunctionType& function);
// Where the return value is: %eax, %xmm0, %st(0), "memory (a hidden pointer passed in %rdi)".
std::string describe_return(const Type& type);
bool returned_in_memory(const Type& type) noexcept;

}  // namespace dldoctor::signature
