// The exported definitions of a load scope, by name, as _dl_lookup_symbol_x finds them: each
// object's own table is made once per file read (a scan's thousands of diagnoses share libc's),
// and a lookup walks the scope's objects in order, as do_lookup_x walks l_searchlist, hashing
// the name once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "dldoctor/elf.hpp"

namespace dldoctor {

// One object's exportable .dynsym entries (symbol_rules.hpp's exportable) by name: an open
// addressing table of entry indices, the versions of one name (memcpy@GLIBC_2.2.5 and
// memcpy@@GLIBC_2.14) chained in .dynsym order. Nothing is allocated per name.
class ImageExports {
 public:
  static constexpr std::uint32_t kNone = 0xffffffff;

  explicit ImageExports(const elf::Image& image);

  static std::uint64_t hash(std::string_view name) noexcept {
    return std::hash<std::string_view>{}(name);
  }
  // The first entry named name (hash: hash(name)), kNone when there is none; then next(entry).
  std::uint32_t first(std::string_view name, std::uint64_t name_hash) const noexcept;
  std::uint32_t next(std::uint32_t entry) const noexcept { return next_[entry]; }
  const elf::Symbol& symbol(std::uint32_t entry) const noexcept {
    return image_.dynamic_symbols[entry];
  }

 private:
  struct Slot {
    std::uint32_t hash = 0;  // the name's hash, low bits
    std::uint32_t entry = kNone;
  };
  const elf::Image& image_;
  std::vector<Slot> slots_;  // a power of two, at most half full
  std::vector<std::uint32_t> next_;
};

// A file of the load scope as read_image read it, with its exports table, made on first need.
struct ScopeImage {
  explicit ScopeImage(elf::Image&& read) : owned_(std::move(read)), image(*owned_) {}
  // The diagnosis's own read of the plugin (Context::image), which outlives its load scope: the
  // file is not read a second time.
  struct Borrowed {};
  ScopeImage(Borrowed, const elf::Image& borrowed) : image(borrowed) {}
  ScopeImage(const ScopeImage&) = delete;
  ScopeImage& operator=(const ScopeImage&) = delete;

  const ImageExports& exports() const;

 private:
  const std::optional<elf::Image> owned_;

 public:
  const elf::Image& image;

 private:
  mutable std::once_flag exports_made_;
  mutable std::unique_ptr<const ImageExports> exports_;
};

}  // namespace dldoctor
