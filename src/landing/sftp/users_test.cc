#include "landing/sftp/users.h"

#include <gtest/gtest.h>
#include <libssh/libssh.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "landing/sftp/sftp_test_util.h"

namespace strata::sftp {
namespace {

std::string NewPublicKey() {
  ssh_key key = nullptr;
  EXPECT_EQ(ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key), SSH_OK);
  char* base64 = nullptr;
  EXPECT_EQ(ssh_pki_export_pubkey_base64(key, &base64), SSH_OK);
  std::string line = std::string("ssh-ed25519 ") + base64 + " test@host";
  ssh_string_free_char(base64);
  ssh_key_free(key);
  return line;
}

TEST(PasswordTest, HashIsSaltedAndVerifies) {
  auto first = HashPassword("s3cret!");
  auto second = HashPassword("s3cret!");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first, *second);  // different salts
  EXPECT_EQ(first->find("s3cret"), std::string::npos);
  EXPECT_EQ(first->rfind("pbkdf2-sha256$", 0), 0u);
  EXPECT_TRUE(VerifyPassword(*first, "s3cret!"));
  EXPECT_TRUE(VerifyPassword(*second, "s3cret!"));
  EXPECT_FALSE(VerifyPassword(*first, "s3cret"));
  EXPECT_FALSE(VerifyPassword(*first, ""));
  EXPECT_FALSE(VerifyPassword("garbage", "s3cret!"));
  EXPECT_FALSE(VerifyPassword("pbkdf2-sha256$x$00$00", "s3cret!"));
  EXPECT_FALSE(HashPassword("").ok());
}

TEST(PublicKeyTest, ChecksTheKeyDecodes) {
  EXPECT_TRUE(CheckPublicKey(NewPublicKey()).ok());
  EXPECT_FALSE(CheckPublicKey("").ok());
  EXPECT_FALSE(CheckPublicKey("ssh-ed25519").ok());
  EXPECT_FALSE(CheckPublicKey("ssh-nope AAAA").ok());
  EXPECT_FALSE(CheckPublicKey("ssh-ed25519 bm90IGEga2V5").ok());
}

TEST(UserStoreTest, AddListFindRemove) {
  testing::TempDir dir;
  UserStore store(dir.path() + "/.strata/sftp/users.json");
  auto empty = store.List();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  SftpUser acme{.name = "acme", .public_keys = {NewPublicKey()}};
  ASSERT_TRUE(store.Add(acme).ok());
  auto hash = HashPassword("pw");
  ASSERT_TRUE(hash.ok());
  SftpUser globex{.name = "globex", .password_hash = *hash, .read_only = true};
  ASSERT_TRUE(store.Add(globex).ok());
  EXPECT_TRUE(store.Add(acme).IsAlreadyExists());

  auto users = store.List();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].name, "acme");
  EXPECT_FALSE((*users)[0].created_at.empty());
  EXPECT_TRUE((*users)[1].read_only);
  auto found = store.Find("globex");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_TRUE(VerifyPassword((*found)->password_hash, "pw"));

  struct stat info;
  ASSERT_EQ(::stat(store.path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);  // hashes are not world-readable
  std::stringstream text;
  text << std::ifstream(store.path()).rdbuf();
  EXPECT_EQ(text.str().find("\"pw\""), std::string::npos);

  ASSERT_TRUE(store.Remove("acme").ok());
  EXPECT_TRUE(store.Remove("acme").IsNotFound());
  auto after = store.Find("acme");
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
}

TEST(UserStoreTest, BadUsersAreRefused) {
  testing::TempDir dir;
  UserStore store(dir.path() + "/users.json");
  EXPECT_TRUE(store.Add({.name = "Bad Name", .public_keys = {NewPublicKey()}}).IsInvalidArgument());
  EXPECT_TRUE(store.Add({.name = "rejected", .public_keys = {NewPublicKey()}}).IsInvalidArgument());
  Status no_credentials = store.Add({.name = "acme"});
  EXPECT_TRUE(no_credentials.IsInvalidArgument());
  EXPECT_NE(no_credentials.message().find("--key"), std::string::npos);
  EXPECT_TRUE(store.Add({.name = "acme", .public_keys = {"ssh-ed25519 zzzz"}}).IsInvalidArgument());
  std::ofstream(store.path()) << "{not json";
  Status corrupt = store.List().status();
  EXPECT_TRUE(corrupt.IsInvalidArgument());
  EXPECT_NE(corrupt.message().find(store.path()), std::string::npos);
}

}  // namespace
}  // namespace strata::sftp
