#include "common/secrets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace strata {
namespace {

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("STRATA_TEST_TMP");
    dir_ = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
           ("secrets_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    file_ = (dir_ / "secrets").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& text, mode_t mode) {
    std::ofstream(file_) << text;
    chmod(file_.c_str(), mode);
  }
  std::filesystem::path dir_;
  std::string file_;
};

TEST_F(SecretsTest, ResolvesEnvAndSecretReferences) {
  Write("# comment\n\nerp_password=s3cr=t \nother=x\n", 0600);
  setenv("STRATA_SECRETS_TEST_USER", "ana", 1);
  Result<std::string> out =
      ResolveSecrets("u=${env:STRATA_SECRETS_TEST_USER} p=${secret:erp_password}!", file_);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "u=ana p=s3cr=t !");
  EXPECT_EQ(*ResolveSecrets("plain $x $${env:X}", file_), "plain $x ${env:X}");
  EXPECT_TRUE(HasSecretReference("${secret:a}"));
  EXPECT_FALSE(HasSecretReference("$secret:a"));
}

TEST_F(SecretsTest, ErrorsNameTheReferenceNotTheValue) {
  Write("erp_password=hunter2\n", 0600);
  Result<std::string> missing = ResolveSecrets("${secret:nope}", file_);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_NE(missing.status().message().find("'nope'"), std::string::npos);
  EXPECT_EQ(missing.status().message().find("hunter2"), std::string::npos);

  unsetenv("STRATA_SECRETS_TEST_UNSET");
  EXPECT_TRUE(ResolveSecrets("${env:STRATA_SECRETS_TEST_UNSET}", file_).status().IsNotFound());
  EXPECT_TRUE(ResolveSecrets("${vault:x}", file_).status().IsInvalidArgument());
  EXPECT_TRUE(ResolveSecrets("${secret:x", file_).status().IsInvalidArgument());
  EXPECT_TRUE(ResolveSecrets("${secret:x}", "").status().IsNotFound());
}

TEST_F(SecretsTest, RefusesASecretsFileOthersCanRead) {
  Write("erp_password=hunter2\n", 0644);
  Result<std::string> out = ResolveSecrets("${secret:erp_password}", file_);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(out.status().message().find("chmod 600"), std::string::npos);
}

}  // namespace
}  // namespace strata
