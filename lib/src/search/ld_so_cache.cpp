#include "search/ld_so_cache.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
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

// glibc-hwcaps entries carry this bit in their hwcap field, the index into the extension's
// subdirectory names in the low 32 bits (dl-cache.h, DL_CACHE_HWCAP_EXTENSION).
bool is_hwcaps_entry(std::uint64_t hwcap) { return (hwcap & kHwcapExtension) != 0; }

}  // namespace

class LdSoCache::Bytes {
 public:
  // The whole file, or nullptr with the reason in error.
  // The whole file open at fd, or nullptr with the reason in error.
  static std::shared_ptr<const Bytes> read(int fd, const std::string& path, std::string& error) {
    struct stat status {};
    if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode) || status.st_size <= 0) {
      error = path + " is not a regular, non-empty file";
      return nullptr;
    }
    auto bytes = std::shared_ptr<Bytes>(new Bytes(fd, static_cast<std::size_t>(status.st_size)));
    if (bytes->data_ == nullptr) {
      error = "cannot read " + path + ": " + std::strerror(errno);
      return nullptr;
    }
    return bytes;
  }
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  ~Bytes() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }

  bool has(std::uint64_t offset, std::uint64_t size) const {
    return offset <= size_ && size <= size_ - offset;
  }
  template <class T>
  T read(std::uint64_t offset) const {
    T value{};
    if (has(offset, sizeof(T))) std::memcpy(&value, data_ + offset, sizeof(T));
    return value;
  }
  bool starts_with(std::uint64_t offset, std::string_view magic) const {
    return has(offset, magic.size()) &&
           std::memcmp(data_ + offset, magic.data(), magic.size()) == 0;
  }
  // The NUL-terminated string at offset; nullopt when it runs out of the file.
  std::optional<std::string_view> string_at(std::uint64_t offset) const {
    if (offset >= size_) return std::nullopt;
    const void* end = std::memchr(data_ + offset, '\0', size_ - offset);
    if (end == nullptr) return std::nullopt;
    return std::string_view(data_ + offset, static_cast<const char*>(end) - (data_ + offset));
  }
  // Whether the string at offset is exactly name, without scanning past it.
  bool string_equals(std::uint64_t offset, std::string_view name) const {
    return has(offset, name.size() + 1) && data_[offset + name.size()] == '\0' &&
           std::memcmp(data_ + offset, name.data(), name.size()) == 0;
  }

 private:
  // Mapped as glibc maps it (_dl_sysdep_read_whole_file): read-only, private, the file's own
  // pages rather than a copy. ldconfig replaces the cache by renaming a new file over it, so a
  // mapping stays whole; only a cache truncated in place would fault, as it would in the loader.
  Bytes(int fd, std::size_t size) : size_(size) {
    void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data != MAP_FAILED) data_ = static_cast<const char*>(data);
  }
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

namespace {
// The glibc-hwcaps extension: an array of string offsets naming the subdirectories that the
// entries' hwcap fields index (dl-cache.h, cache_extension_tag).
std::vector<std::string> hwcaps_names(const LdSoCache::Bytes& bytes,
                                      std::uint32_t extension_offset) {
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
      names.emplace_back(bytes.string_at(bytes.read<std::uint32_t>(offset + j)).value_or(""));
  }
  return names;
}
}  // namespace

LdSoCache LdSoCache::load(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    LdSoCache cache;
    cache.error_ = "cannot read " + path + ": " + std::strerror(errno);
    return cache;
  }
  LdSoCache cache = load(fd, path);
  ::close(fd);
  return cache;
}

LdSoCache LdSoCache::load(int fd, const std::string& path) {
  LdSoCache cache;
  cache.bytes_ = Bytes::read(fd, path, cache.error_);
  if (!cache.bytes_) return cache;
  const Bytes& bytes = *cache.bytes_;
  std::uint64_t new_format_at = 0;
  if (bytes.starts_with(0, kOldMagic)) {
    // Old format: magic[11], nlibs, then 12-byte entries; string offsets count from the end of
    // the entries. A new-format cache may follow, 8-byte aligned; glibc prefers it.
    const std::uint32_t count = bytes.read<std::uint32_t>(12);
    const std::uint64_t entries_end = 16 + 12ull * count;
    new_format_at = (entries_end + 7) & ~7ull;
    if (!bytes.starts_with(new_format_at, kNewMagic)) {
      cache.entries_at_ = 16;
      cache.entry_size_ = 12;
      cache.count_ = count;
      cache.strings_base_ = entries_end;
      return cache;
    }
  }
  if (!bytes.starts_with(new_format_at, kNewMagic)) {
    cache.error_ = path + " is not an ld.so.cache file";
    cache.bytes_.reset();
    return cache;
  }
  // New format: magic[20], nlibs, len_strings, flags(1), padding[3], extension_offset, unused[3],
  // then 24-byte entries; string offsets count from the start of the new-format cache.
  cache.entries_at_ = new_format_at + 48;
  cache.entry_size_ = 24;
  cache.count_ = bytes.read<std::uint32_t>(new_format_at + 20);
  cache.strings_base_ = new_format_at;
  cache.hwcaps_ = hwcaps_names(bytes, bytes.read<std::uint32_t>(new_format_at + 32));
  return cache;
}

std::optional<LdSoCache::Slot> LdSoCache::slot(std::uint32_t index) const {
  Slot slot;
  slot.at = entries_at_ + entry_size_ * index;
  if (!bytes_ || index >= count_ || !bytes_->has(slot.at, entry_size_)) return std::nullopt;
  if (entry_size_ == 24) {
    const std::uint64_t hwcap = bytes_->read<std::uint64_t>(slot.at + 16);
    if (is_hwcaps_entry(hwcap))
      slot.hwcaps_index = static_cast<std::uint32_t>(hwcap);
    else
      slot.legacy_hwcap = hwcap != 0;  // Debian has none
  }
  return slot;
}

std::optional<std::string_view> LdSoCache::key(const Slot& slot) const {
  return bytes_->string_at(strings_base_ + bytes_->read<std::uint32_t>(slot.at + 4));
}

std::optional<std::string_view> LdSoCache::value(const Slot& slot) const {
  return bytes_->string_at(strings_base_ + bytes_->read<std::uint32_t>(slot.at + 8));
}

std::vector<LdSoCache::Entry> LdSoCache::entries() const {
  std::vector<Entry> entries;
  for (std::uint32_t index = 0; index < count_; ++index) {
    const std::optional<Slot> found = slot(index);
    if (!found) break;
    if (found->legacy_hwcap) continue;
    const auto key_text = key(*found);
    const auto value_text = value(*found);
    if (!key_text || !value_text) continue;  // a string that runs out of the file
    Entry& entry = entries.emplace_back();
    entry.flags = bytes_->read<std::int32_t>(found->at);
    entry.key = std::string(*key_text);
    entry.value = std::string(*value_text);
    if (found->hwcaps_index)
      entry.hwcaps_subdirectory =
          *found->hwcaps_index < hwcaps_.size() ? hwcaps_[*found->hwcaps_index] : "?";
  }
  return entries;
}

namespace {
// dl-cache.c _dl_cache_libcmp: the order ldconfig sorts the entries in (descending), with runs
// of digits compared as numbers, so that libfoo.so.10 sorts after libfoo.so.9.
int cache_libcmp(std::string_view left, std::string_view right) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  std::size_t i = 0, j = 0;
  while (i < left.size()) {
    if (digit(left[i])) {
      if (j >= right.size() || !digit(right[j])) return 1;
      unsigned long long left_value = 0, right_value = 0;
      while (i < left.size() && digit(left[i])) left_value = left_value * 10 + (left[i++] - '0');
      while (j < right.size() && digit(right[j]))
        right_value = right_value * 10 + (right[j++] - '0');
      if (left_value != right_value) return left_value < right_value ? -1 : 1;
    } else if (j < right.size() && digit(right[j])) {
      return -1;
    } else if (j >= right.size() || left[i] != right[j]) {
      return static_cast<unsigned char>(left[i]) -
             (j < right.size() ? static_cast<unsigned char>(right[j]) : 0);
    } else {
      ++i;
      ++j;
    }
  }
  return j < right.size() ? -static_cast<unsigned char>(right[j]) : 0;
}
}  // namespace

std::optional<std::string> LdSoCache::lookup(std::string_view name) const {
  static const std::vector<int> flags{default_cache_flags()};
  return lookup(name, flags, glibc_hwcaps_names());
}

std::optional<std::string> LdSoCache::lookup(std::string_view name, const std::vector<int>& flags,
                                             const std::vector<std::string>& hwcaps) const {
  auto key_at = [&](std::int64_t index) -> std::optional<std::string_view> {
    const std::optional<Slot> found = slot(static_cast<std::uint32_t>(index));
    return found ? key(*found) : std::nullopt;
  };
  // dl-cache.c search_cache: a binary search over the sorted keys finds one entry of this name;
  // the run of entries with the same key around it holds every candidate. A cache that is not
  // sorted misleads the loader the same way.
  std::int64_t left = 0, right = static_cast<std::int64_t>(count_) - 1;
  std::optional<std::int64_t> hit;
  while (left <= right) {
    const std::int64_t middle = (left + right) / 2;
    const auto middle_key = key_at(middle);
    if (!middle_key) return std::nullopt;  // an entry outside the file: the loader stops there too
    const int order = cache_libcmp(name, *middle_key);
    if (order == 0) {
      hit = middle;
      break;
    }
    if (order < 0)
      left = middle + 1;
    else
      right = middle - 1;
  }
  if (!hit) return std::nullopt;
  std::int64_t first = *hit;
  while (first > 0 && key_at(first - 1) == name) --first;

  // Among the entries of this name with the process's flags, the best glibc-hwcaps
  // subdirectory this CPU supports wins; a plain entry ranks after all of them; the first in
  // file order wins a tie. Legacy hwcap entries are not selected.
  const std::vector<std::string>& supported = hwcaps;
  std::optional<std::string_view> best;
  std::size_t best_rank = 0;
  for (std::int64_t index = first; key_at(index) == name; ++index) {
    const Slot found = *slot(static_cast<std::uint32_t>(index));
    if (found.legacy_hwcap ||
        std::find(flags.begin(), flags.end(), bytes_->read<std::int32_t>(found.at)) == flags.end())
      continue;
    std::size_t rank = supported.size();  // plain entries
    if (found.hwcaps_index) {
      if (*found.hwcaps_index >= hwcaps_.size()) continue;
      auto known = std::find(supported.begin(), supported.end(), hwcaps_[*found.hwcaps_index]);
      if (known == supported.end()) continue;
      rank = static_cast<std::size_t>(known - supported.begin());
    }
    const auto file = value(found);
    if (file && (!best || rank < best_rank)) {
      best = file;
      best_rank = rank;
    }
  }
  if (!best) return std::nullopt;
  return std::string(*best);
}

std::shared_ptr<const LdSoCache> cached_ld_so_cache(const std::string& path) {
  struct Cached {
    std::shared_ptr<const LdSoCache> cache;
    int fd = -1;  // open on the file read, kept to ask it whether it changed
    dev_t device = 0;
    ino_t inode = 0;
    std::int64_t mtime = 0;
    std::int64_t size = -1;  // -2: there was no file
  };
  auto nanoseconds = [](const struct stat& status) {
    return static_cast<std::int64_t>(status.st_mtim.tv_sec) * 1000000000 + status.st_mtim.tv_nsec;
  };
  auto same_file = [&](const Cached& cached, const struct stat& status) {
    return status.st_dev == cached.device && status.st_ino == cached.inode &&
           nanoseconds(status) == cached.mtime && status.st_size == cached.size;
  };
  static std::mutex mutex;
  static std::map<std::string, Cached> caches;
  const std::lock_guard<std::mutex> lock(mutex);
  Cached& cached = caches[path];
  struct stat status {};
  if (cached.cache && cached.fd >= 0) {
    // fstat walks no path. The file read is unchanged while it is the same inode with the same
    // mtime and size and still linked once: ldconfig replaces the cache by renaming a new file
    // over it, which leaves the old one with no link. Anything else asks the path below.
    if (::fstat(cached.fd, &status) == 0 && status.st_dev == cached.device &&
        status.st_ino == cached.inode) {
      if (status.st_nlink == 1 && same_file(cached, status)) return cached.cache;
      if (status.st_nlink == 0) {
        ::close(cached.fd);
        cached.fd = -1;
      }
    } else {
      cached.fd = -1;  // the number names another file now (a program closed it): not ours
    }
  }
  const bool exists = ::stat(path.c_str(), &status) == 0;
  if (cached.cache && (exists ? same_file(cached, status) : cached.size == -2)) return cached.cache;
  if (cached.fd >= 0) ::close(cached.fd);
  cached = Cached{};
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0 && ::fstat(fd, &status) == 0) {
    cached.cache = std::make_shared<const LdSoCache>(LdSoCache::load(fd, path));
    cached.fd = fd;
    cached.device = status.st_dev;
    cached.inode = status.st_ino;
    cached.mtime = nanoseconds(status);
    cached.size = status.st_size;
  } else {
    if (fd >= 0) ::close(fd);
    cached.cache = std::make_shared<const LdSoCache>(LdSoCache::load(path));  // says why not
    cached.size = -2;
  }
  return cached.cache;
}

}  // namespace dldoctor::search
