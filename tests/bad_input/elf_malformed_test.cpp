// The ELF reader on hand-made malformed files (tests/data/make_malformed.py): each yields a
// ReadError that names what is broken and where, exactly; a real library still reads.
#include <gtest/gtest.h>
#include <link.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <variant>

#include "dldoctor/elf.hpp"

#ifndef DLDOCTOR_BAD_INPUT_DATA_DIR
#error "DLDOCTOR_BAD_INPUT_DATA_DIR must name the tests/data directory"
#endif

namespace {

using dldoctor::elf::Image;
using dldoctor::elf::read_image;
using dldoctor::elf::ReadError;

// The ReadError message for a file of tests/data, or a description of what came back instead.
std::string read_error(const std::string& name) {
  const auto outcome = read_image(std::string(DLDOCTOR_BAD_INPUT_DATA_DIR) + "/" + name);
  if (const auto* error = std::get_if<ReadError>(&outcome)) return error->message;
  return "<read_image succeeded on " + name + ">";
}

TEST(ReadImage, HeaderShorterThan64BytesIsNamedWithBothSizes) {
  EXPECT_EQ(read_error("truncated-header.elf"),
            "file too short: the ELF header needs 64 bytes, the file has 24");
}

TEST(ReadImage, ProgramHeaderTablePastEndOfFileIsNamed) {
  EXPECT_EQ(read_error("phdr-past-end.elf"),
            "program header table at 0x40 runs past the end of the file (size 120)");
}

TEST(ReadImage, AbsurdProgramHeaderCountIsCheckedAgainstFileSize) {
  EXPECT_EQ(read_error("absurd-phnum.elf"),
            "program header table at 0x40 runs past the end of the file (size 256)");
}

TEST(ReadImage, ProgramHeaderEntrySizeOtherThanTheClassSizeIsRejected) {
  EXPECT_EQ(read_error("bad-phentsize.elf"),
            "program header entry size 7 is not the 56 bytes of ELFCLASS64");
}

TEST(ReadImage, DynamicSegmentPastEndOfFileIsNamed) {
  EXPECT_EQ(read_error("dynamic-out-of-range.elf"),
            "dynamic segment at 0x10000 (size 0x100) runs past the end of the file (size 256)");
}

TEST(ReadImage, NeededNameOutsideDynamicStringTableIsNamed) {
  EXPECT_EQ(read_error("strtab-offset-out-of-range.elf"),
            "DT_NEEDED name at 0x1000 is outside the dynamic string table (size 16)");
}

TEST(ReadImage, DynamicStringTableLargerThanFileIsNamed) {
  EXPECT_EQ(read_error("absurd-strsz.elf"),
            "dynamic string table at 0xf0 (size 0xffffffffffff) runs past the end of the file "
            "(size 256)");
}

TEST(ReadImage, StringTableAddressOutsideEveryLoadSegmentIsNamed) {
  EXPECT_EQ(read_error("strtab-vaddr-unmapped.elf"),
            "DT_STRTAB address 0x900000 is not inside any PT_LOAD segment");
}

// The libc.so.6 this test process runs with, as the loader found it; else the usual Debian path
// if it exists; else "".
constexpr const char* kDebianLibc = "/lib/x86_64-linux-gnu/libc.so.6";

std::string loaded_libc_path() {
  std::string path;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        const std::string name = info->dlpi_name ? info->dlpi_name : "";
        const std::string suffix = "/libc.so.6";
        if (name.size() > suffix.size() &&
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
          *static_cast<std::string*>(data) = name;
          return 1;
        }
        return 0;
      },
      &path);
  if (path.empty() && access(kDebianLibc, R_OK) == 0) path = kDebianLibc;
  return path;
}

TEST(ReadImage, RealLibcReadsWithDynamicSymbolsAndSoname) {
  const std::string path = loaded_libc_path();
  if (path.empty()) GTEST_SKIP() << "no libc.so.6 among the loaded objects (static or musl?)";
  const auto outcome = read_image(path);
  const auto* error = std::get_if<ReadError>(&outcome);
  ASSERT_EQ(error, nullptr) << path << ": " << error->message;
  const auto& image = std::get<Image>(outcome);
  EXPECT_FALSE(image.dynamic_symbols.empty()) << path;
  EXPECT_EQ(image.dynamic.soname, std::optional<std::string>("libc.so.6")) << path;
}

}  // namespace
