#include "landing/sftp/vpath.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "landing/sftp/sftp_test_util.h"

namespace strata::sftp {
namespace {

VirtualPath Resolve(std::string_view path) {
  Result<VirtualPath> resolved = ResolveVirtualPath(path);
  EXPECT_TRUE(resolved.ok()) << path << ": " << resolved.status();
  return resolved.ok() ? *resolved : VirtualPath{};
}

TEST(VirtualPathTest, NormalisesLikeAChroot) {
  EXPECT_EQ(Resolve("").normalized, "/");
  EXPECT_EQ(Resolve(".").normalized, "/");
  EXPECT_EQ(Resolve("/").relative, "");
  EXPECT_EQ(Resolve("a/b.csv").normalized, "/a/b.csv");
  EXPECT_EQ(Resolve("/a//./b.csv").relative, "a/b.csv");
  EXPECT_EQ(Resolve("a/../b.csv").relative, "b.csv");
  // ".." never climbs above the partner's root.
  EXPECT_EQ(Resolve("..").normalized, "/");
  EXPECT_EQ(Resolve("../../etc/passwd").relative, "etc/passwd");
  EXPECT_EQ(Resolve("/../other_partner/x.csv").relative, "other_partner/x.csv");
  EXPECT_EQ(Resolve("a/../../../..").normalized, "/");
}

TEST(VirtualPathTest, RejectedAreaIsItsOwnRoot) {
  VirtualPath rejected = Resolve("/rejected/x.csv.rejected.txt");
  EXPECT_EQ(rejected.area, Area::kRejected);
  EXPECT_EQ(rejected.relative, "x.csv.rejected.txt");
  EXPECT_EQ(Resolve("rejected").area, Area::kRejected);
  EXPECT_EQ(Resolve("rejected").relative, "");
  // ".." out of rejected/ lands in the landing area, still inside the partner.
  VirtualPath up = Resolve("/rejected/../x.csv");
  EXPECT_EQ(up.area, Area::kLanding);
  EXPECT_EQ(up.relative, "x.csv");
  EXPECT_EQ(Resolve("sub/rejected/x").area, Area::kLanding);
}

TEST(VirtualPathTest, RefusesControlCharactersAndHugePaths) {
  EXPECT_FALSE(ResolveVirtualPath(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(ResolveVirtualPath("a\nb").ok());
  EXPECT_FALSE(ResolveVirtualPath("a\\..\\b").ok());
  EXPECT_FALSE(ResolveVirtualPath(std::string(5000, 'a')).ok());
  EXPECT_FALSE(ResolveVirtualPath(std::string(300, 'a')).ok());
  EXPECT_TRUE(ResolveVirtualPath(std::string(255, 'a')).ok());
  EXPECT_TRUE(ResolveVirtualPath("relatório ção.csv").ok());  // UTF-8 names are fine
}

TEST(VirtualPathTest, SymlinksAreRefused) {
  testing::TempDir dir;
  const std::string root = dir.path() + "/root";
  std::filesystem::create_directories(root + "/sub");
  std::filesystem::create_directories(dir.path() + "/outside");
  std::ofstream(dir.path() + "/outside/secret.csv") << "x\n";
  ASSERT_EQ(::symlink((dir.path() + "/outside").c_str(), (root + "/link").c_str()), 0);
  ASSERT_EQ(::symlink((dir.path() + "/outside/secret.csv").c_str(), (root + "/f.csv").c_str()), 0);
  EXPECT_TRUE(CheckNoSymlinks(root, "sub").ok());
  EXPECT_TRUE(CheckNoSymlinks(root, "sub/new.csv").ok());
  EXPECT_TRUE(CheckNoSymlinks(root, "missing/deeper/x").ok());
  EXPECT_FALSE(CheckNoSymlinks(root, "link").ok());
  EXPECT_FALSE(CheckNoSymlinks(root, "link/secret.csv").ok());
  Status file = CheckNoSymlinks(root, "f.csv");
  EXPECT_FALSE(file.ok());
  EXPECT_NE(file.message().find("symbolic link"), std::string::npos) << file;
}

TEST(VirtualPathTest, PartnerNames) {
  EXPECT_TRUE(IsValidPartnerName("acme"));
  EXPECT_TRUE(IsValidPartnerName("acme-2_b"));
  EXPECT_TRUE(IsValidPartnerName("9lives"));
  EXPECT_FALSE(IsValidPartnerName(""));
  EXPECT_FALSE(IsValidPartnerName("rejected"));
  EXPECT_FALSE(IsValidPartnerName("-x"));
  EXPECT_FALSE(IsValidPartnerName("Acme"));
  EXPECT_FALSE(IsValidPartnerName("a/b"));
  EXPECT_FALSE(IsValidPartnerName(".."));
  EXPECT_FALSE(IsValidPartnerName(std::string(33, 'a')));
}

}  // namespace
}  // namespace strata::sftp
