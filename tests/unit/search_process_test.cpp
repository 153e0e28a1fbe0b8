// The search model of this very process (TreeRequest::this_process) against this process's own
// loader: a copy of libz whose DT_NEEDED names a library that exists nowhere must fail to dlopen
// with exactly the message the model gives, and the unmodified copy must load, with libc found as
// the object this process already has. Also the ld.so.cache reader's change detection.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "dldoctor/search.hpp"
#include "search/ld_so_cache.hpp"

namespace {

namespace fs = std::filesystem;
using dldoctor::search::Rule;
using dldoctor::search::Tree;
using dldoctor::search::TreeRequest;

constexpr const char* kLibz = "/lib/x86_64-linux-gnu/libz.so.1";

class ScratchDirectory {
 public:
  ScratchDirectory() {
    char pattern[] = "/tmp/dldoctor-process-XXXXXX";
    if (::mkdtemp(pattern) != nullptr) path_ = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A copy of libz, with its DT_NEEDED "libc.so.6" renamed in place to needed (same length).
std::string libz_copy(const std::string& directory, const std::string& needed) {
  std::string bytes = read_file(kLibz);
  const std::string original = std::string("libc.so.6") + '\0';
  const std::size_t at = bytes.find(original);
  if (at == std::string::npos || needed.size() != original.size() - 1) return "";
  bytes.replace(at, needed.size(), needed);
  const std::string path = directory + "/libz-copy-" + needed + ".so";
  write_file(path, bytes);
  return path;
}

Tree resolve_here(const std::string& path) {
  TreeRequest request;
  request.path = path;
  request.this_process = true;
  return dldoctor::search::resolve_tree(request);
}

TEST(ThisProcess, MissingDependencyGivesTheLoadersOwnMessage) {
  if (::access(kLibz, R_OK) != 0) GTEST_SKIP() << kLibz << " is not readable";
  ScratchDirectory scratch;
  ASSERT_FALSE(scratch.path().empty());
  const std::string plugin = libz_copy(scratch.path(), "libq.so.6");
  ASSERT_FALSE(plugin.empty()) << "no libc.so.6 string in " << kLibz;

  for (int round = 0; round < 2; ++round) {  // cold, then with the directories remembered
    const Tree tree = resolve_here(plugin);
    ASSERT_TRUE(tree.error.has_value());
    void* handle = ::dlopen(plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_EQ(handle, nullptr) << "the copy loaded: libq.so.6 exists somewhere";
    const char* message = ::dlerror();
    ASSERT_NE(message, nullptr);
    EXPECT_EQ(*tree.error, message) << "round " << round;
    bool missing = false;
    for (const auto& node : tree.nodes) missing |= node.name == "libq.so.6" && !node.path;
    EXPECT_TRUE(missing);
    EXPECT_EQ(tree.nodes.front().rule, Rule::Direct) << "the root is the running program";
  }
}

// The candidates tried for name, in the tree's trace.
std::vector<std::string> candidates_for(const Tree& tree, const std::string& name) {
  std::vector<std::string> paths;
  for (const auto& resolution : tree.trace)
    if (resolution.name == name)
      for (const auto& step : resolution.steps) paths.push_back(step.path);
  return paths;
}

bool directory_exists(const std::string& file) {
  std::error_code ignored;
  return fs::is_directory(fs::path(file).parent_path(), ignored);
}

// rtld remembers a system directory it found missing for the life of the process; so does the
// model of this process, where a fresh process tries it again.
TEST(ThisProcess, DirectoriesFoundMissingAreNotTriedAgain) {
  if (::access(kLibz, R_OK) != 0) GTEST_SKIP() << kLibz << " is not readable";
  ScratchDirectory scratch;
  ASSERT_FALSE(scratch.path().empty());
  const std::string plugin = libz_copy(scratch.path(), "libq.so.6");
  ASSERT_FALSE(plugin.empty());

  TreeRequest fresh;
  fresh.path = plugin;
  const std::vector<std::string> fresh_candidates =
      candidates_for(dldoctor::search::resolve_tree(fresh), "libq.so.6");
  if (std::all_of(fresh_candidates.begin(), fresh_candidates.end(), directory_exists))
    GTEST_SKIP() << "every directory the search tries exists here: nothing to remember";

  resolve_here(plugin);  // learns which directories are missing, if no earlier test did
  const std::vector<std::string> remembered = candidates_for(resolve_here(plugin), "libq.so.6");
  ASSERT_FALSE(remembered.empty());
  for (const std::string& path : remembered)
    EXPECT_TRUE(directory_exists(path)) << path << " was tried although its directory is missing";
  EXPECT_LT(remembered.size(), fresh_candidates.size());
}

TEST(ThisProcess, LoadedObjectsAnswerByNameWithoutASearch) {
  if (::access(kLibz, R_OK) != 0) GTEST_SKIP() << kLibz << " is not readable";
  ScratchDirectory scratch;
  ASSERT_FALSE(scratch.path().empty());
  const std::string plugin = libz_copy(scratch.path(), "libc.so.6");
  ASSERT_FALSE(plugin.empty());
  const Tree tree = resolve_here(plugin);
  EXPECT_FALSE(tree.error) << *tree.error;

  // The libc this process runs with, as its loader names it.
  std::string running_libc;
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        const std::string name = info->dlpi_name != nullptr ? info->dlpi_name : "";
        if (name.find("/libc.so.6") != std::string::npos) *static_cast<std::string*>(data) = name;
        return 0;
      },
      &running_libc);
  ASSERT_FALSE(running_libc.empty());
  bool libc_already_loaded = false;
  for (const auto& node : tree.nodes)
    if (node.name == "libc.so.6") {
      libc_already_loaded = node.rule == Rule::AlreadyLoaded && node.path == running_libc;
      EXPECT_EQ(node.resolution, -1) << "no search for an object already loaded";
    }
  EXPECT_TRUE(libc_already_loaded);

  void* handle = ::dlopen(plugin.c_str(), RTLD_NOW | RTLD_LOCAL);
  EXPECT_NE(handle, nullptr) << ::dlerror();
  if (handle != nullptr) ::dlclose(handle);
}

// A file the process closed and loaded again under the same name, a new build renamed over it
// in between: when the new mapping lands where the old one was, the model must still see the
// new file's identity (the loader compares device and inode, _dl_map_object_from_fd), not
// remember the old one's. A link to the new build is the object already loaded.
TEST(ThisProcess, ANewBuildAtTheSameNameAndAddressIsTheFileLoadedNow) {
  if (::access(kLibz, R_OK) != 0) GTEST_SKIP() << kLibz << " is not readable";
  ScratchDirectory scratch, first_build, second_build;
  ASSERT_FALSE(scratch.path().empty() || first_build.path().empty() || second_build.path().empty());
  const std::string first = libz_copy(first_build.path(), "libc.so.6");
  const std::string second = libz_copy(second_build.path(), "libc.so.6");
  ASSERT_FALSE(first.empty() || second.empty());
  const std::string live = scratch.path() + "/plugin.so";
  fs::copy_file(first, live);
  auto base_of = [](void* handle) {
    link_map* map = nullptr;
    return ::dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 ? map->l_addr : 0;
  };
  auto is_loaded_object = [&](const std::string& link) {
    const Tree tree = resolve_here(link);
    for (const auto& node : tree.nodes)
      if (node.name == link) return node.repeated && node.path == live;
    ADD_FAILURE() << "no node for " << link;
    return false;
  };

  void* old_build = ::dlopen(live.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(old_build, nullptr) << ::dlerror();
  const ElfW(Addr) old_base = base_of(old_build);
  fs::create_hard_link(live, scratch.path() + "/old-link.so");
  EXPECT_TRUE(is_loaded_object(scratch.path() + "/old-link.so"))
      << "another name of the loaded file is that object";
  ASSERT_EQ(::dlclose(old_build), 0);

  fs::copy_file(second, scratch.path() + "/next.so");
  fs::rename(scratch.path() + "/next.so", live);
  void* new_build = ::dlopen(live.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(new_build, nullptr) << ::dlerror();
  const ElfW(Addr) new_base = base_of(new_build);
  fs::create_hard_link(live, scratch.path() + "/new-link.so");
  const bool same_address = new_base == old_base;
  EXPECT_TRUE(is_loaded_object(scratch.path() + "/new-link.so"))
      << "the new build is the object loaded now"
      << (same_address ? ", at the old one's address" : "");
  EXPECT_FALSE(is_loaded_object(scratch.path() + "/old-link.so"))
      << "the old build is loaded no longer";
  ::dlclose(new_build);
  if (!same_address)
    std::cout << "note: the new build was mapped at another address than the old one\n";
}

// A model of a fresh process, right after one of this process: only the interpreter is loaded
// there. (The running objects' scratch space is the thread's, and leaked into the next model:
// libm, mapped here, was "already loaded" in a fresh process, and libc then taken for libm.)
TEST(ThisProcess, AFreshModelAfterItSeesNoneOfThisProcesssObjects) {
  if (::access(kLibz, R_OK) != 0) GTEST_SKIP() << kLibz << " is not readable";
  ScratchDirectory scratch;
  ASSERT_FALSE(scratch.path().empty());
  const std::string plugin = libz_copy(scratch.path(), "libc.so.6");
  ASSERT_FALSE(plugin.empty());
  (void)resolve_here(plugin);
  // libstdc++ needs libm and libgcc_s, which this (C++) test program has mapped and the
  // resolution above did not ask for.
  constexpr const char* kLibstdcxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
  if (::access(kLibstdcxx, R_OK) != 0) GTEST_SKIP() << kLibstdcxx << " is not readable";
  TreeRequest fresh;
  fresh.path = kLibstdcxx;
  const Tree tree = resolve_tree(fresh);
  EXPECT_FALSE(tree.error);
  std::size_t searched = 0;
  for (const auto& node : tree.nodes) {
    if (node.name != "libm.so.6" && node.name != "libgcc_s.so.1" && node.name != "libc.so.6")
      continue;
    if (node.repeated) continue;  // the second request of a name the tree already holds
    ++searched;
    EXPECT_NE(node.rule, Rule::AlreadyLoaded) << node.name << " is not loaded in a fresh process";
    ASSERT_TRUE(node.path);
    EXPECT_NE(node.path->find("/" + node.name), std::string::npos)
        << node.name << ": " << *node.path;
  }
  EXPECT_EQ(searched, 3u);
}

// ld.so.cache read once per process, and again when ldconfig would have changed it: a new file
// renamed over it, or the same file rewritten.
TEST(CachedLdSoCache, ReadAgainWhenTheFileIsReplacedOrRewritten) {
  if (::access("/etc/ld.so.cache", R_OK) != 0) GTEST_SKIP() << "no /etc/ld.so.cache";
  ScratchDirectory scratch;
  ASSERT_FALSE(scratch.path().empty());
  const std::string cache_path = scratch.path() + "/ld.so.cache";
  const std::string system_cache = read_file("/etc/ld.so.cache");
  write_file(cache_path, system_cache);
  using dldoctor::search::cached_ld_so_cache;
  const auto first = cached_ld_so_cache(cache_path);
  ASSERT_TRUE(first->error().empty()) << first->error();
  ASSERT_TRUE(first->lookup("libc.so.6").has_value());
  EXPECT_EQ(cached_ld_so_cache(cache_path), first) << "an unchanged file is not read again";

  // Replaced, as ldconfig does: a garbage cache renamed over it.
  write_file(cache_path + ".new", "garbage");
  ASSERT_EQ(std::rename((cache_path + ".new").c_str(), cache_path.c_str()), 0);
  const auto replaced = cached_ld_so_cache(cache_path);
  EXPECT_NE(replaced, first);
  EXPECT_FALSE(replaced->lookup("libc.so.6").has_value());
  EXPECT_FALSE(replaced->error().empty());

  // Rewritten in place with the real contents again.
  write_file(cache_path, system_cache);
  const auto rewritten = cached_ld_so_cache(cache_path);
  EXPECT_TRUE(rewritten->lookup("libc.so.6").has_value());

  // Removed: the cache is empty, with the reason.
  fs::remove(cache_path);
  EXPECT_FALSE(cached_ld_so_cache(cache_path)->lookup("libc.so.6").has_value());
}

}  // namespace
