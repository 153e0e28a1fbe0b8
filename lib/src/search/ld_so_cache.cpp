#include "search/ld_so_cache.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>

#include "search/platform.hpp"

namespace dldoctor::search {
namespace {

constexpr std::string_view kOldMagic = "ld.so-1.7.0";
constexpr std::string_view kNewMagic = "glibc-ld.so.cache1.1";
constexpr std::uint32_t kExtensionMagic = 0xEAA42174u;
constexpr std::uint32_t kExtensionTagGlibcHwcaps = 1;
constexpr std::uint64_t kHwcapExtension = 1ull << 62;  // DL_CACHE_HWCAP_EXTENSION

// The flags of entries this process can load (_DL_CACHE_DEFAULT_ID).
constexpr int default_cache_flags() {
#if defined(__x86_64__)
  return 0x0303;  // FLAG_ELF_LIBC6 | FLAG_X8664_LIB64
#elif defined(__aarch64__)
  return 0x0a03;  // FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64
#else
  return 0x0003;
#endif
}

class Bytes {
 public:
  explicit Bytes(const std::string& data) : data_(data) {}
  bool has(std::uint64_t offset, std::uint64_t size) const {
    return offset <= data_.size() && size <= data_.size() - offset;
  }
  template <class T>
  T read(std::uint64_t offset) const {
    T value{};
    if (has(offset, sizeof(T))) std::memcpy(&value, data_.data() + offset, sizeof(T));
    return value;
  }
  // A NUL-terminated string at offset, or nullopt when it runs out of the file.
  std::optional<std::string> string_at(std::uint64_t offset) const {
    if (offset >= data_.size()) return std::nullopt;
    const std::size_t end = data_.find('\0', offset);
    if (end == std::string::npos) return std::nullopt;
    return data_.substr(offset, end - offset);
  }
  std::size_t size() const { return data_.size(); }

 private:
  const std::string& data_;
};

// The glibc-hwcaps extension: an array of string offsets naming the subdirectories that the
// entries' hwcap fields index (dl-cache.h, cache_extension_tag).
std::vector<std::string> hwcaps_names(const Bytes& bytes, std::uint32_t extension_offset) {
  std::vector<std::string> names;
  if (extension_offset == 0 || !bytes.has(extension_offset, 8)) return names;
  if (bytes.read<std::uint32_t>(extension_offset) != kExtensionMagic) return names;
  const std::uint32_t count = bytes.read<std::uint32_t>(extension_offset + 4);
  for (std::uint32_t i = 0; i < count && i < 64; ++i) {
    const std::uint64_t section = extension_offset + 8 + 16ull * i;
    if (!bytes.has(section, 16)) break;
    const std::uint32_t tag = bytes.read<std::uint32_t>(section);
    const std::uint32_t offset = bytes.read<std::uint32_t>(section + 8);
    const std::uint32_t size = bytes.read<std::uint32_t>(section + 12);
    if (tag != kExtensionTagGlibcHwcaps || !bytes.has(offset, size)) continue;
    for (std::uint32_t j = 0; j + 4 <= size && j < 4096; j += 4)
      names.push_back(bytes.string_at(bytes.read<std::uint32_t>(offset + j)).value_or(""));
  }
  return names;
}

// One entry, as both formats start it: flags, then the offsets of key and value, counted from
// strings_base. nullopt when a string runs out of the file.
std::optional<LdSoCache::Entry> read_entry(const Bytes& bytes, std::uint64_t at,
                                           std::uint64_t strings_base) {
  auto key = bytes.string_at(strings_base + bytes.read<std::uint32_t>(at + 4));
  auto value = bytes.string_at(strings_base + bytes.read<std::uint32_t>(at + 8));
  if (!key || !value) return std::nullopt;
  LdSoCache::Entry entry;
  entry.flags = bytes.read<std::int32_t>(at);
  entry.key = std::move(*key);
  entry.value = std::move(*value);
  return entry;
}

}  // namespace

LdSoCache LdSoCache::load(const std::string& path) {
  LdSoCache cache;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    cache.error_ = "cannot read " + path;
    return cache;
  }
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const Bytes bytes(data);
  std::uint64_t new_format_at = 0;
  if (data.compare(0, kOldMagic.size(), kOldMagic) == 0) {
    // Old format: magic[11], nlibs, then 12-byte entries; string offsets count from the end of
    // the entries. A new-format cache may follow, 8-byte aligned; glibc prefers it.
    const std::uint32_t count = bytes.read<std::uint32_t>(12);
    const std::uint64_t entries_end = 16 + 12ull * count;
    new_format_at = (entries_end + 7) & ~7ull;
    if (data.compare(new_format_at, kNewMagic.size(), kNewMagic) != 0) {
      for (std::uint32_t i = 0; i < count && bytes.has(16 + 12ull * i, 12); ++i) {
        if (auto entry = read_entry(bytes, 16 + 12ull * i, entries_end))
          cache.entries_.push_back(std::move(*entry));
      }
      return cache;
    }
  }
  if (data.compare(new_format_at, kNewMagic.size(), kNewMagic) != 0) {
    cache.error_ = path + " is not an ld.so.cache file";
    return cache;
  }
  // New format: magic[20], nlibs, len_strings, flags(1), padding[3], extension_offset, unused[3],
  // then 24-byte entries; string offsets count from the start of the new-format cache.
  const std::uint64_t base = new_format_at;
  const std::uint32_t count = bytes.read<std::uint32_t>(base + 20);
  const std::uint32_t extension_offset = bytes.read<std::uint32_t>(base + 32);
  const std::vector<std::string> hwcaps = hwcaps_names(bytes, extension_offset);
  const std::uint64_t first = base + 48;
  for (std::uint32_t i = 0; i < count && bytes.has(first + 24ull * i, 24); ++i) {
    const std::uint64_t at = first + 24ull * i;
    std::optional<Entry> read = read_entry(bytes, at, base);
    if (!read) continue;
    Entry& entry = *read;
    const std::uint64_t hwcap = bytes.read<std::uint64_t>(at + 16);
    if ((hwcap & kHwcapExtension) != 0) {
      const std::uint32_t index = static_cast<std::uint32_t>(hwcap);
      entry.hwcaps_subdirectory = index < hwcaps.size() ? hwcaps[index] : "?";
    } else if (hwcap != 0) {
      continue;  // a legacy hwcap entry: this model does not select those (Debian has none)
    }
    cache.entries_.push_back(std::move(entry));
  }
  return cache;
}

std::optional<std::string> LdSoCache::lookup(std::string_view name) const {
  // dl-cache.c search_cache: among the entries of this name with the process's flags, the best
  // glibc-hwcaps subdirectory this CPU supports wins; a plain entry ranks after all of them; the
  // first in file order wins a tie.
  const std::vector<std::string>& supported = glibc_hwcaps_names();
  const Entry* best = nullptr;
  std::size_t best_rank = 0;
  for (const Entry& entry : entries_) {
    if (entry.key != name || entry.flags != default_cache_flags()) continue;
    std::size_t rank = supported.size();  // plain entries
    if (!entry.hwcaps_subdirectory.empty()) {
      auto found = std::find(supported.begin(), supported.end(), entry.hwcaps_subdirectory);
      if (found == supported.end()) continue;
      rank = static_cast<std::size_t>(found - supported.begin());
    }
    if (best == nullptr || rank < best_rank) {
      best = &entry;
      best_rank = rank;
    }
  }
  if (best == nullptr) return std::nullopt;
  return best->value;
}

std::shared_ptr<const LdSoCache> cached_ld_so_cache(const std::string& path) {
  struct Cached {
    std::shared_ptr<const LdSoCache> cache;
    std::int64_t mtime = 0;
    std::int64_t size = -1;
  };
  static std::mutex mutex;
  static std::map<std::string, Cached> caches;
  struct stat status {};
  const bool exists = ::stat(path.c_str(), &status) == 0;
  const std::int64_t mtime =
      exists ? status.st_mtim.tv_sec * 1000000000 + status.st_mtim.tv_nsec : 0;
  const std::int64_t size = exists ? status.st_size : -2;
  const std::lock_guard<std::mutex> lock(mutex);
  Cached& cached = caches[path];
  if (!cached.cache || cached.size != size || cached.mtime != mtime) {
    cached.cache = std::make_shared<const LdSoCache>(LdSoCache::load(path));
    cached.mtime = mtime;
    cached.size = size;
  }
  return cached.cache;
}

}  // namespace dldoctor::search
