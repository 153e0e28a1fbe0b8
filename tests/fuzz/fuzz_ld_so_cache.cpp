// /etc/ld.so.cache's reader on a hostile cache (a file given with a root or path option).
#include "fuzz_input.hpp"
#include "search/ld_so_cache.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const dldoctor::fuzz::InputFile input(data, size);
  if (!input.ok()) return 0;
  const dldoctor::search::LdSoCache cache = dldoctor::search::LdSoCache::load(input.fd(), "fuzz");
  (void)cache.entries();
  (void)cache.lookup("libc.so.6");
  (void)cache.lookup("");
  return 0;
}
