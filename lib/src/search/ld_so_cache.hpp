// /etc/ld.so.cache, read as glibc's dl-cache.c reads it: the new format ("glibc-ld.so.cache1.1",
// with its glibc-hwcaps extension) or the old one ("ld.so-1.7.0"), alone or followed by the new.
// Like the loader, a lookup reads the file's entries where they lie rather than parsing them into
// a table first: a `dldoctor tree` looks up a handful of names among some 600 entries.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dldoctor::search {

class LdSoCache {
 public:
  struct Entry {
    std::string key;    // the SONAME-like name looked up ("libc.so.6")
    std::string value;  // the file ("/lib/x86_64-linux-gnu/libc.so.6")
    int flags = 0;      // FLAG_ELF_LIBC6 | FLAG_X8664_LIB64 (0x0303) for x86-64 libraries
    std::string hwcaps_subdirectory;  // "x86-64-v3" for a glibc-hwcaps entry, else ""
  };

  // Reads the file; an unreadable or malformed cache is an empty one (as for glibc, which then
  // just skips the cache) with the reason in error().
  static LdSoCache load(const std::string& path);
  // The same from a descriptor open on it (not closed); path names it in messages.
  static LdSoCache load(int fd, const std::string& path);

  // The entry the loader would choose for name (search_cache): flags of this process's kind,
  // the best supported glibc-hwcaps subdirectory first, then a plain entry.
  std::optional<std::string> lookup(std::string_view name) const;
  // The same for another loader: entries with one of flags, hwcaps its glibc-hwcaps names.
  std::optional<std::string> lookup(std::string_view name, const std::vector<int>& flags,
                                    const std::vector<std::string>& hwcaps) const;

  // Every entry glibc would consider, in file order (legacy hwcap entries left out).
  std::vector<Entry> entries() const;
  const std::string& error() const noexcept { return error_; }

  // The file's bytes, mapped (see ld_so_cache.cpp).
  class Bytes;

 private:
  // One entry, where it lies in the file, and the index of its glibc-hwcaps subdirectory.
  struct Slot {
    std::uint64_t at = 0;
    std::optional<std::uint32_t> hwcaps_index;  // nullopt for a plain entry
    bool legacy_hwcap = false;  // a legacy hwcap entry: this model does not select those
  };
  // Entry index of the file; nullopt when it lies outside the file. Both formats start an entry
  // with flags, then the offsets of key and value.
  std::optional<Slot> slot(std::uint32_t index) const;
  std::optional<std::string_view> key(const Slot& slot) const;    // nullopt: runs out of the file
  std::optional<std::string_view> value(const Slot& slot) const;  // nullopt: runs out of the file

  std::shared_ptr<const Bytes> bytes_;
  std::uint64_t entries_at_ = 0;     // first entry
  std::uint64_t entry_size_ = 0;     // 12 (old format) or 24 (new)
  std::uint32_t count_ = 0;          // entries the header announces
  std::uint64_t strings_base_ = 0;   // string offsets count from here
  std::vector<std::string> hwcaps_;  // the extension's subdirectory names, by index
  std::string error_;
};

// The cache of path, read once per process and read again when the file changes (modified or
// replaced: see ld_so_cache.cpp). Shared, so that a reload by another thread never pulls it
// from under a reader.
std::shared_ptr<const LdSoCache> cached_ld_so_cache(const std::string& path);

}  // namespace dldoctor::search
