// dldoctor scan's first step: every regular file under the paths that starts as ELF, found by a
// walk of the directories on every core.
#pragma once

#include <string>
#include <vector>

namespace dldoctor::cli {

struct ElfWalk {
  std::vector<std::string> files;  // sorted, each once
  // What could not be read, for the user: "DIR: Permission denied".
  std::vector<std::string> unreadable;
};

// Symbolic links are not followed below the paths (their targets are found where they are);
// a path given that is a link is. threads: how many walk at once.
ElfWalk find_elf_files(const std::vector<std::string>& paths, unsigned threads);

}  // namespace dldoctor::cli
