// The kernel's permission rules as dldoctor models them, proven on values (no files): which class
// or ACL entry decides, that root bypasses the bits, that search is x and not r; who else may
// write; the mount table; the path walk; and who a --user argument names.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "checks/access_rules.hpp"
#include "checks/mounts.hpp"
#include "checks/path_walk.hpp"
#include "user.hpp"

namespace fs = std::filesystem;

namespace dldoctor {
namespace {

using Tag = AclEntry::Tag;

UserIdentity user(uid_t uid, std::vector<gid_t> groups) {
  UserIdentity identity;
  identity.uid = uid;
  identity.primary_group = groups.empty() ? std::nullopt : std::optional<gid_t>(groups.front());
  identity.groups = std::move(groups);
  return identity;
}

FileFacts file(mode_t mode, uid_t owner, gid_t group, std::vector<AclEntry> acl = {}) {
  FileFacts facts;
  facts.mode = S_IFREG | mode;
  facts.owner = owner;
  facts.group = group;
  facts.acl = std::move(acl);
  return facts;
}

FileFacts directory(mode_t mode, uid_t owner, gid_t group) {
  FileFacts facts = file(mode, owner, group);
  facts.mode = S_IFDIR | mode;
  return facts;
}

// ---- classes: exactly one of owner, group, others decides ----

TEST(PermissionRules, OwnerBitsDecideForTheOwnerEvenWhenOthersMayRead) {
  const AccessDecision decision = decide_access(file(0044, 1000, 1000), user(1000, {1000}), kRead);
  EXPECT_FALSE(decision.granted);
  EXPECT_EQ(decision.deciding, PermissionClass::Owner);
}

TEST(PermissionRules, GroupBitsDecideForAMemberEvenWhenOthersMayRead) {
  const AccessDecision decision = decide_access(file(0604, 0, 100), user(1000, {1000, 100}), kRead);
  EXPECT_FALSE(decision.granted);
  EXPECT_EQ(decision.deciding, PermissionClass::OwningGroup);
}

TEST(PermissionRules, SupplementaryGroupsCountLikeThePrimaryOne) {
  EXPECT_TRUE(decide_access(file(0640, 0, 100), user(1000, {1000, 100}), kRead).granted);
  EXPECT_FALSE(decide_access(file(0640, 0, 100), user(1000, {1000}), kRead).granted);
}

TEST(PermissionRules, OthersBitsDecideForEveryoneElse) {
  const AccessDecision decision = decide_access(file(0640, 0, 0), user(65534, {65534}), kRead);
  EXPECT_FALSE(decision.granted);
  EXPECT_EQ(decision.deciding, PermissionClass::Other);
  EXPECT_EQ(decision.class_perms, 0u);
}

TEST(PermissionRules, RootReadsAndSearchesWhateverTheBits) {
  EXPECT_TRUE(decide_access(file(0000, 1000, 1000), user(0, {0}), kRead).granted);
  EXPECT_TRUE(decide_access(directory(0000, 1000, 1000), user(0, {0}), kSearch).granted);
  EXPECT_EQ(decide_access(file(0000, 1000, 1000), user(0, {0}), kRead).deciding,
            PermissionClass::Root);
}

TEST(PermissionRules, SearchingADirectoryNeedsXAndReadingItDoesNotHelp) {
  const FileFacts listable = directory(0744, 0, 0);
  EXPECT_FALSE(decide_access(listable, user(65534, {65534}), kSearch).granted);
  EXPECT_TRUE(decide_access(listable, user(65534, {65534}), kRead).granted);
  EXPECT_TRUE(decide_access(directory(0711, 0, 0), user(65534, {65534}), kSearch).granted);
}

TEST(PermissionRules, AUserWithoutADatabaseEntryIsInNoGroup) {
  EXPECT_FALSE(decide_access(file(0640, 0, 4242), user(4242, {}), kRead).granted);
}

// ---- POSIX ACLs (acl(5), the kernel's posix_acl_permission) ----

std::vector<AclEntry> acl(std::initializer_list<AclEntry> entries) { return entries; }

TEST(PermissionRules, AclNamedUserEntryGrantsWhereTheOthersBitsDoNot) {
  const FileFacts facts = file(0640, 0, 0,
                               acl({{Tag::UserObj, 0, 6},
                                    {Tag::User, 65534, 4},
                                    {Tag::GroupObj, 0, 4},
                                    {Tag::Mask, 0, 4},
                                    {Tag::Other, 0, 0}}));
  const AccessDecision decision = decide_access(facts, user(65534, {65534}), kRead);
  EXPECT_TRUE(decision.granted);
  EXPECT_EQ(decision.deciding, PermissionClass::NamedUser);
}

TEST(PermissionRules, AclNamedUserEntryRefusesEvenWhenOthersMayRead) {
  const FileFacts facts = file(0644, 0, 0,
                               acl({{Tag::UserObj, 0, 6},
                                    {Tag::User, 65534, 0},
                                    {Tag::GroupObj, 0, 4},
                                    {Tag::Mask, 0, 4},
                                    {Tag::Other, 0, 4}}));
  const AccessDecision decision = decide_access(facts, user(65534, {65534}), kRead);
  EXPECT_FALSE(decision.granted);
  ASSERT_TRUE(decision.acl_entry.has_value());
  EXPECT_EQ(decision.acl_entry->id, 65534u);
}

TEST(PermissionRules, AclMaskLimitsANamedUserEntry) {
  const FileFacts facts = file(0604, 0, 0,
                               acl({{Tag::UserObj, 0, 6},
                                    {Tag::User, 65534, 4},
                                    {Tag::GroupObj, 0, 0},
                                    {Tag::Mask, 0, 0},
                                    {Tag::Other, 0, 4}}));
  const AccessDecision decision = decide_access(facts, user(65534, {65534}), kRead);
  EXPECT_FALSE(decision.granted);
  EXPECT_EQ(decision.class_perms, 4u);  // the entry itself allows; the mask does not
  ASSERT_TRUE(decision.mask.has_value());
  EXPECT_EQ(*decision.mask, 0u);
}

TEST(PermissionRules, AclAnyMatchingGroupEntryThatGrantsIsEnough) {
  const FileFacts facts = file(0600, 0, 100,
                               acl({{Tag::UserObj, 0, 6},
                                    {Tag::GroupObj, 0, 0},
                                    {Tag::Group, 200, 4},
                                    {Tag::Mask, 0, 4},
                                    {Tag::Other, 0, 0}}));
  EXPECT_TRUE(decide_access(facts, user(1000, {1000, 100, 200}), kRead).granted);
}

TEST(PermissionRules, AclMatchingGroupsThatAllRefuseDecideEvenWhenOthersMayRead) {
  const FileFacts facts = file(0604, 0, 100,
                               acl({{Tag::UserObj, 0, 6},
                                    {Tag::GroupObj, 0, 0},
                                    {Tag::Group, 200, 0},
                                    {Tag::Mask, 0, 0},
                                    {Tag::Other, 0, 4}}));
  const AccessDecision decision = decide_access(facts, user(1000, {1000, 200}), kRead);
  EXPECT_FALSE(decision.granted);
  EXPECT_EQ(decision.deciding, PermissionClass::NamedGroup);
  EXPECT_EQ(decision.matched_groups, std::vector<gid_t>{200});
}

TEST(PermissionRules, AclOtherEntryDecidesWhenNoEntryMatches) {
  const FileFacts facts = file(0604, 0, 100,
                               acl({{Tag::UserObj, 0, 6},
                                    {Tag::User, 1000, 0},
                                    {Tag::GroupObj, 0, 0},
                                    {Tag::Mask, 0, 0},
                                    {Tag::Other, 0, 4}}));
  const AccessDecision decision = decide_access(facts, user(65534, {65534}), kRead);
  EXPECT_TRUE(decision.granted);
  EXPECT_EQ(decision.deciding, PermissionClass::Other);
}

// ---- who else may write ----

TEST(PermissionRules, WritersOtherThanOwnerAndRootAreOthersAndForeignGroups) {
  EXPECT_TRUE(other_writers(file(0644, 0, 0)).empty());
  EXPECT_TRUE(other_writers(file(0664, 0, 0)).empty()) << "root's own group is only root";
  const std::vector<OtherWriter> others = other_writers(file(0666, 0, 0));
  ASSERT_EQ(others.size(), 1u);
  EXPECT_EQ(others[0].remove, "o-w");
  // A group that is not the owner's private group (gid 4242424 has no name at all).
  const std::vector<OtherWriter> group = other_writers(file(0664, 0, 4242424));
  ASSERT_EQ(group.size(), 1u);
  EXPECT_EQ(group[0].remove, "g-w");
}

TEST(PermissionRules, AclEntriesThatMayWriteAreWritersUnlessTheMaskForbids) {
  const std::vector<OtherWriter> writers = other_writers(file(0664, 0, 0,
                                                              acl({{Tag::UserObj, 0, 6},
                                                                   {Tag::User, 4242424, 6},
                                                                   {Tag::GroupObj, 0, 4},
                                                                   {Tag::Mask, 0, 6},
                                                                   {Tag::Other, 0, 4}})));
  ASSERT_EQ(writers.size(), 1u);
  EXPECT_TRUE(writers[0].by_setfacl);
  EXPECT_EQ(writers[0].remove, "u:4242424:r--");
  EXPECT_TRUE(other_writers(file(0644, 0, 0,
                                 acl({{Tag::UserObj, 0, 6},
                                      {Tag::User, 4242424, 6},
                                      {Tag::GroupObj, 0, 4},
                                      {Tag::Mask, 0, 4},
                                      {Tag::Other, 0, 4}})))
                  .empty());
}

TEST(PermissionRules, ModesAreShownAsLsShowsThem) {
  EXPECT_EQ(mode_string(S_IFDIR | 0744), "drwxr--r--");
  EXPECT_EQ(mode_string(S_IFREG | 0600), "-rw-------");
  EXPECT_EQ(mode_string(S_IFREG | 04755), "-rwsr-xr-x");
  EXPECT_EQ(mode_string(S_IFDIR | 01777), "drwxrwxrwt");
  EXPECT_EQ(acl_string({{Tag::UserObj, 0, 6}, {Tag::Mask, 0, 4}, {Tag::Other, 0, 0}}),
            "user::rw-,mask::r--,other::---");
}

// ---- the mount table ----

constexpr const char* kMountinfo =
    "22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "30 22 0:26 / /tmp rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,size=1024k\n"
    "41 30 0:40 / /tmp/no\\040exec rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755\n"
    "42 30 0:41 / /tmp/stacked rw,relatime - tmpfs first rw\n"
    "43 42 0:42 / /tmp/stacked rw,noexec - tmpfs second rw\n"
    "garbage line\n";

TEST(PermissionMounts, MountinfoIsParsedWithEscapesAndOptionalFields) {
  const std::vector<MountEntry> mounts = parse_mountinfo(kMountinfo);
  ASSERT_EQ(mounts.size(), 5u);
  EXPECT_EQ(mounts[2].mount_point, "/tmp/no exec");
  EXPECT_TRUE(mounts[2].has_option("noexec"));
  EXPECT_FALSE(mounts[1].has_option("noexec"));
  EXPECT_EQ(mounts[1].fs_type, "tmpfs");
  EXPECT_EQ(mounts[0].source, "/dev/vda1");
  EXPECT_EQ(mounts[2].minor, 40u);
}

TEST(PermissionMounts, AFileIsOnTheLongestMountPointAboveIt) {
  const std::vector<MountEntry> mounts = parse_mountinfo(kMountinfo);
  EXPECT_EQ(mount_containing("/tmp/no exec/p.so", mounts)->mount_point, "/tmp/no exec");
  EXPECT_EQ(mount_containing("/tmp/no/p.so", mounts)->mount_point, "/tmp");
  EXPECT_EQ(mount_containing("/tmpfile", mounts)->mount_point, "/");
  EXPECT_EQ(mount_containing("/tmp/stacked/p.so", mounts)->source, "second")
      << "the mount listed last is the one on top";
  EXPECT_FALSE(mount_containing("relative", mounts).has_value());
}

// ---- the path walk ----

class PermissionWalk : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/dldoctor-walk-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = fs::canonical(pattern);
    fs::create_directories(dir_ / "a" / "b");
    std::ofstream(dir_ / "a" / "b" / "p.so") << "x";
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(PermissionWalk, EveryDirectoryOfAnAbsolutePathIsSearched) {
  const PathWalk walk = walk_path((dir_ / "a" / "b" / "p.so").string());
  ASSERT_EQ(walk.error, 0);
  ASSERT_GE(walk.searched.size(), 3u);
  EXPECT_EQ(walk.searched.front().physical, "/");
  EXPECT_EQ(walk.searched.back().physical, (dir_ / "a" / "b").string());
  EXPECT_EQ(walk.target, (dir_ / "a" / "b" / "p.so").string());
}

TEST_F(PermissionWalk, ARelativePathStartsAtTheCurrentDirectoryNotAboveIt) {
  const fs::path before = fs::current_path();
  fs::current_path(dir_);
  const PathWalk walk = walk_path("./a/b/p.so");
  fs::current_path(before);
  ASSERT_EQ(walk.error, 0);
  ASSERT_EQ(walk.searched.size(), 3u);
  EXPECT_EQ(walk.searched[0].physical, dir_.string());
  EXPECT_EQ(walk.searched[0].shown, ".");
  EXPECT_EQ(walk.searched[1].shown, "./a");
  EXPECT_EQ(walk.searched[2].shown, "./a/b");
  EXPECT_EQ(walk.target_shown, "./a/b/p.so");
}

TEST_F(PermissionWalk, ASymbolicLinkIsFollowedAndTheDirectoriesOfItsTargetSearched) {
  fs::create_directory(dir_ / "links");
  fs::create_symlink(dir_ / "a" / "b", dir_ / "links" / "to-b");
  const PathWalk walk = walk_path((dir_ / "links" / "to-b" / "p.so").string());
  ASSERT_EQ(walk.error, 0);
  EXPECT_EQ(walk.target, (dir_ / "a" / "b" / "p.so").string());
  bool searched_links = false;
  bool searched_b = false;
  for (const SearchedDirectory& searched : walk.searched) {
    searched_links = searched_links || searched.physical == (dir_ / "links").string();
    searched_b = searched_b || searched.physical == (dir_ / "a" / "b").string();
  }
  EXPECT_TRUE(searched_links && searched_b);
  ASSERT_EQ(walk.links.size(), 1u);
}

TEST_F(PermissionWalk, WhatIsMissingOrNotADirectoryStopsTheWalkWithTheKernelsErrno) {
  EXPECT_EQ(walk_path((dir_ / "missing" / "p.so").string()).error, ENOENT);
  EXPECT_EQ(walk_path((dir_ / "a" / "b" / "p.so" / "x").string()).error, ENOTDIR);
  fs::create_symlink("loop", dir_ / "loop");
  EXPECT_EQ(walk_path((dir_ / "loop").string()).error, ELOOP);
  EXPECT_EQ(walk_path("").error, ENOENT);
}

// ---- the system's own directories: never a chmod ----

TEST(PermissionSystemDirectories, TheDistributionsTreesAndSharedPlacesOwnedByRoot) {
  for (const char* path : {"/", "/tmp", "/var/tmp", "/usr/local/lib", "/usr/lib/x86_64-linux-gnu",
                           "/dev/shm", "/run/user", "/etc"})
    EXPECT_TRUE(is_system_directory(path, 0)) << path;
  // Another owner's directory is theirs to fix, and so is what an administrator made elsewhere.
  EXPECT_FALSE(is_system_directory("/usr/local/lib", 1000));
  for (const char* path : {"/opt/app/plugins", "/srv/plugins", "/home/alice/lib", "/usrlocal",
                           "/var/lib/app", "/tmp/plugins"})
    EXPECT_FALSE(is_system_directory(path, 0)) << path;
}

// ---- who --user names ----

TEST(PermissionUsers, ANameOrANumberNamesAUserWithTheirGroups) {
  const auto root = resolve_user("root");
  ASSERT_TRUE(std::holds_alternative<UserIdentity>(root));
  EXPECT_EQ(std::get<UserIdentity>(root).uid, 0u);
  const auto zero = resolve_user("0");
  ASSERT_TRUE(std::holds_alternative<UserIdentity>(zero));
  EXPECT_EQ(std::get<UserIdentity>(zero).name, "root");
  EXPECT_TRUE(std::get<UserIdentity>(zero).in_group(0));
}

TEST(PermissionUsers, AUidWithoutAnEntryIsStillAUserInNoGroup) {
  const auto bare = resolve_user("4242424");
  ASSERT_TRUE(std::holds_alternative<UserIdentity>(bare));
  EXPECT_EQ(std::get<UserIdentity>(bare).uid, 4242424u);
  EXPECT_TRUE(std::get<UserIdentity>(bare).groups.empty());
  EXPECT_EQ(describe_user(std::get<UserIdentity>(bare)), "uid 4242424");
}

TEST(PermissionUsers, AnythingElseIsRefusedWithTheReason) {
  for (const char* odd : {"", "no-such-user-dldoctor", "-1", "4294967295", "12ab", "99999999999"}) {
    const auto resolved = resolve_user(odd);
    ASSERT_TRUE(std::holds_alternative<std::string>(resolved)) << odd;
    EXPECT_FALSE(std::get<std::string>(resolved).empty());
  }
}

TEST(PermissionUsers, TheCurrentProcessIsInItsEffectiveGroup) {
  const UserIdentity self = current_user();
  EXPECT_TRUE(self.is_current_process);
  EXPECT_EQ(self.uid, ::geteuid());
  EXPECT_TRUE(self.in_group(::getegid()));
}

}  // namespace
}  // namespace dldoctor
