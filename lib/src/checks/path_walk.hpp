// The kernel's path walk (fs/namei.c link_path_walk), replayed with lstat and readlink: which
// directories a name is looked up in, in order, following symbolic links as the walk does. Each
// lookup needs search (x) permission on the directory it happens in (may_lookup), including the
// lookups of ".", ".." and of the names inside a link's target.
#pragma once

#include <string>
#include <vector>

namespace dldoctor {

struct SearchedDirectory {
  std::string physical;  // the directory's absolute path, no links in it
  std::string shown;     // the same as the caller's path spells it ("./private"), or physical
                         // once a symbolic link has been followed
};

struct PathWalk {
  std::vector<SearchedDirectory> searched;  // in walk order; consecutive repeats left out
  std::vector<std::string> links;           // "./p.so -> build/p.so" for each link followed
  std::string target;                       // the physical path of what the path leads to
  std::string target_shown;                 // the path as given when no link was followed
  int error = 0;                            // errno of the lookup that failed, 0 when complete
  std::string failed_at;                    // the physical path whose lstat failed
};

// Relative paths start at the current directory (its ancestors are not searched: a process can
// use paths below a directory it is in without searching the directories above). Never throws.
PathWalk walk_path(const std::string& path) noexcept;

// "/a/b" -> "/a", "/a" -> "/", "/" -> "/".
std::string parent_directory(const std::string& physical);

}  // namespace dldoctor
