// Names for people: ELF constants as readelf spells them, with the number beside them so that
// a reader can match them against any other tool's output.
#include <elf.h>

#include <cstdio>
#include <string>

#include "dldoctor/elf.hpp"

namespace dldoctor::elf {

std::string hex(std::uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

std::string type_name(std::uint16_t e_type) {
  switch (e_type) {
    case ET_NONE: return "ET_NONE";
    case ET_REL: return "ET_REL";
    case ET_EXEC: return "ET_EXEC";
    case ET_DYN: return "ET_DYN";
    case ET_CORE: return "ET_CORE";
    default: return "type " + std::to_string(e_type);
  }
}

std::string machine_name(std::uint16_t e_machine) {
  const char* name = nullptr;
  switch (e_machine) {
    case EM_386: name = "Intel 80386"; break;
    case EM_X86_64: name = "x86-64"; break;
    case EM_AARCH64: name = "AArch64"; break;
    case EM_ARM: name = "ARM"; break;
    case EM_RISCV: name = "RISC-V"; break;
    case EM_PPC: name = "PowerPC"; break;
    case EM_PPC64: name = "PowerPC64"; break;
    case EM_S390: name = "IBM S/390"; break;
    case EM_MIPS: name = "MIPS"; break;
    case EM_SPARCV9: name = "SPARC v9"; break;
    case EM_LOONGARCH: name = "LoongArch"; break;
    case EM_BPF: name = "eBPF"; break;
    case EM_NONE: name = "none"; break;
    default: break;
  }
  std::string number = "(" + std::to_string(e_machine) + ")";
  return name != nullptr ? std::string(name) + " " + number : "machine " + number;
}

std::string machine_label(std::uint16_t e_machine) {
  const std::string name = machine_name(e_machine);
  return name.substr(0, name.rfind(" ("));
}

std::string class_name(unsigned elf_class) {
  switch (elf_class) {
    case ELFCLASS32: return "ELFCLASS32";
    case ELFCLASS64: return "ELFCLASS64";
    default: return "class " + std::to_string(elf_class);
  }
}

std::uint16_t host_machine() noexcept {
#if defined(__x86_64__)
  return EM_X86_64;
#elif defined(__i386__)
  return EM_386;
#elif defined(__aarch64__)
  return EM_AARCH64;
#elif defined(__arm__)
  return EM_ARM;
#elif defined(__riscv)
  return EM_RISCV;
#elif defined(__powerpc64__)
  return EM_PPC64;
#elif defined(__s390x__)
  return EM_S390;
#elif defined(__loongarch__)
  return EM_LOONGARCH;
#else
#error "dldoctor: add this machine's EM_ constant"
#endif
}

unsigned host_class() noexcept { return sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32; }

bool Image::is_pie() const noexcept {
  return identity.type == ET_DYN && dynamic.has_flags_1 && (dynamic.flags_1 & DF_1_PIE) != 0;
}

bool Image::has_interpreter() const noexcept {
  for (const ProgramHeader& header : program_headers)
    if (header.type == PT_INTERP) return true;
  return false;
}

}  // namespace dldoctor::elf
