// /etc/ld.so.cache, read as glibc's dl-cache.c reads it: the new format ("glibc-ld.so.cache1.1",
// with its glibc-hwcaps extension) or the old one ("ld.so-1.7.0"), alone or followed by the new.
#pragma once

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

  // Reads and parses the file; an unreadable or malformed cache is an empty one (as for glibc,
  // which then just skips the cache) with the reason in error().
  static LdSoCache load(const std::string& path);

  // The entry the loader would choose for name (search_cache): flags of this process's kind,
  // the best supported glibc-hwcaps subdirectory first, then a plain entry.
  std::optional<std::string> lookup(std::string_view name) const;

  const std::vector<Entry>& entries() const noexcept { return entries_; }
  const std::string& error() const noexcept { return error_; }

 private:
  std::vector<Entry> entries_;
  std::string error_;
};

// The cache of path, parsed once per process and reread when the file changes (mtime, size).
// Shared, so that a reload by another thread never pulls it from under a reader.
std::shared_ptr<const LdSoCache> cached_ld_so_cache(const std::string& path);

}  // namespace dldoctor::search
