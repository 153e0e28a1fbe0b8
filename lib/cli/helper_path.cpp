#include "helper_path.hpp"

#include <unistd.h>

namespace dldoctor::cli {

std::string helper_path(const std::string& name) {
  char self[4096];
  const ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (length <= 0) return name;
  const std::string executable(self, static_cast<std::size_t>(length));
  const std::string directory = executable.substr(0, executable.rfind('/') + 1);
  for (const std::string& candidate : {directory + name, directory + "../libexec/dldoctor/" + name})
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  return directory + "../libexec/dldoctor/" + name;
}

}  // namespace dldoctor::cli
