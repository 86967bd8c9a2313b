// The whole AccessControl API on SQLite and on a real PostgreSQL: users, roles, grants, tokens,
// sessions, audit, every bad input, the role matrix, and two instances sharing one database.
#include "access/access.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "access/access_test_util.h"
#include "catalog/store.h"

namespace strata::access {
namespace {

using testing::AccessTest;
using testing::Has;

TEST_P(AccessTest, BuiltInRolesAreThereAndFixed) {
  auto roles = access_->ListRoles();
  ASSERT_TRUE(roles.ok()) << roles.status();
  ASSERT_EQ(roles->size(), 3u);
  EXPECT_EQ((*roles)[0].name, "admin");
  EXPECT_TRUE((*roles)[0].built_in);
  ASSERT_EQ((*roles)[0].grants.size(), 1u);
  EXPECT_EQ((*roles)[0].grants[0].privilege, Privilege::kAdmin);
  EXPECT_EQ((*roles)[1].name, "analyst");
  EXPECT_EQ((*roles)[2].name, "engineer");
  EXPECT_EQ((*roles)[2].grants.size(), 4u);
  EXPECT_TRUE(Has(access_->DropRole("admin"), StatusCode::kFailedPrecondition));
  EXPECT_TRUE(Has(access_->GrantPrivilege({"analyst", Privilege::kRun, {}}),
                  StatusCode::kFailedPrecondition));
  EXPECT_TRUE(Has(access_->RevokePrivilege({"analyst", Privilege::kRead, {}}),
                  StatusCode::kFailedPrecondition));
  EXPECT_TRUE(Has(access_->CreateRole("analyst"), StatusCode::kAlreadyExists));
  EXPECT_TRUE(Has(access_->DropRole("nobody"), StatusCode::kNotFound));
  EXPECT_TRUE(Has(access_->CreateRole("bad role"), StatusCode::kInvalidArgument));
  EXPECT_FALSE(*access_->HasUsers());
}

TEST_P(AccessTest, PasswordLoginAndItsFailuresLookAlike) {
  ASSERT_TRUE(access_->AddUser("ana", "correct horse", {"analyst"}).ok());
  EXPECT_TRUE(*access_->HasUsers());
  auto who = access_->AuthenticatePassword("ana", "correct horse");
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->user, "ana");
  EXPECT_EQ(who->roles, std::vector<std::string>{"analyst"});
  auto users = access_->ListUsers();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 1u);
  EXPECT_FALSE((*users)[0].last_login_at.empty());
  EXPECT_FALSE((*users)[0].created_at.empty());

  // Wrong password, unknown user, malformed name: one code, one message.
  for (auto [user, password] :
       std::vector<std::pair<std::string, std::string>>{{"ana", "correct horsE"},
                                                        {"ana", ""},
                                                        {"bruno", "correct horse"},
                                                        {"bad name!", "correct horse"},
                                                        {"", ""}}) {
    auto failed = access_->AuthenticatePassword(user, password);
    ASSERT_FALSE(failed.ok()) << user;
    EXPECT_EQ(failed.status().code(), StatusCode::kUnauthenticated);
    EXPECT_EQ(failed.status().message(), "invalid user name or password");
  }
  // Disabled: the same answer, even with the right password; enabled again, it works.
  ASSERT_TRUE(access_->SetDisabled("ana", true).ok());
  auto disabled = access_->AuthenticatePassword("ana", "correct horse");
  ASSERT_FALSE(disabled.ok());
  EXPECT_EQ(disabled.status().message(), "invalid user name or password");
  EXPECT_TRUE(Has(access_->PrincipalOf("ana").status(), StatusCode::kUnauthenticated));
  EXPECT_TRUE(Has(access_->ScramVerifierOf("ana").status(), StatusCode::kUnauthenticated));
  ASSERT_TRUE(access_->SetDisabled("ana", false).ok());
  EXPECT_TRUE(access_->AuthenticatePassword("ana", "correct horse").ok());

  ASSERT_TRUE(access_->SetPassword("ana", "battery staple").ok());
  EXPECT_FALSE(access_->AuthenticatePassword("ana", "correct horse").ok());
  EXPECT_TRUE(access_->AuthenticatePassword("ana", "battery staple").ok());
}

TEST_P(AccessTest, BadUserInputsAreRefusedWithoutEchoingPasswords) {
  auto short_password = access_->AddUser("ana", "s3cr3t!", {});
  EXPECT_TRUE(Has(short_password, StatusCode::kInvalidArgument));
  EXPECT_EQ(short_password.message().find("s3cr3t!"), std::string::npos);
  // Eight characters, counted as characters: "çççç" is 8 bytes but 4 characters.
  EXPECT_TRUE(Has(access_->AddUser("ana", "çççç", {}), StatusCode::kInvalidArgument));
  EXPECT_TRUE(
      Has(access_->AddUser("ana", std::string("abcd\0efgh", 9), {}), StatusCode::kInvalidArgument));
  for (const std::string& name :
       {std::string(), std::string("-ana"), std::string("ana maria"), std::string("ana/x"),
        std::string(65, 'a'), std::string("ana'; DROP TABLE access_users; --")}) {
    EXPECT_TRUE(Has(access_->AddUser(name, "long enough", {}), StatusCode::kInvalidArgument))
        << name;
  }
  EXPECT_TRUE(access_->AddUser("ana.maria@example-1", "long enough", {}).ok());
  EXPECT_TRUE(
      Has(access_->AddUser("ana.maria@example-1", "long enough", {}), StatusCode::kAlreadyExists));
  EXPECT_TRUE(Has(access_->AddUser("bia", "long enough", {"nope"}), StatusCode::kNotFound));
  EXPECT_FALSE(access_->AuthenticatePassword("bia", "long enough").ok());  // nothing half-made
  EXPECT_TRUE(Has(access_->RemoveUser("nobody"), StatusCode::kNotFound));
  EXPECT_TRUE(Has(access_->SetPassword("nobody", "long enough"), StatusCode::kNotFound));
  EXPECT_TRUE(Has(access_->SetDisabled("nobody", true), StatusCode::kNotFound));
  EXPECT_TRUE(Has(access_->AssignRole("nobody", "analyst"), StatusCode::kNotFound));
  EXPECT_TRUE(Has(access_->AssignRole("ana.maria@example-1", "nope"), StatusCode::kNotFound));
  EXPECT_TRUE(Has(access_->UnassignRole("ana.maria@example-1", "analyst"), StatusCode::kNotFound));
  EXPECT_TRUE(
      Has(access_->SetPassword("ana.maria@example-1", "short"), StatusCode::kInvalidArgument));
}

TEST_P(AccessTest, StoresOnlyAScramVerifierAndHashes) {
  ASSERT_TRUE(access_->AddUser("ana", "correct horse", {"engineer"}).ok());
  auto token = access_->CreateToken("ana", "grafana", 0);
  ASSERT_TRUE(token.ok());
  auto session = access_->CreateSession("ana");
  ASSERT_TRUE(session.ok());
  auto verifier = access_->ScramVerifierOf("ana");
  ASSERT_TRUE(verifier.ok());
  EXPECT_EQ(verifier->iterations, kScramIterations);
  EXPECT_EQ(verifier->salt.size(), 16u);
  EXPECT_EQ(verifier->stored_key.size(), 32u);

  auto store = catalog::OpenStore(location_);
  ASSERT_TRUE(store.ok());
  auto rows = (*store)->Query("SELECT verifier FROM access_users");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].Text(0).rfind("SCRAM-SHA-256$4096:", 0), 0u) << (*rows)[0].Text(0);
  // No table holds the password, the token's secret or the session id in clear.
  std::string secret_part = token->secret.substr(token->secret.rfind('_') + 1);
  for (const char* table : {"access_users", "access_tokens", "access_sessions"}) {
    auto all = (*store)->Query(std::string("SELECT * FROM ") + table);
    ASSERT_TRUE(all.ok());
    for (const catalog::SqlRow& row : *all) {
      for (size_t i = 0; i < row.cells.size(); ++i) {
        EXPECT_EQ(row.Text(i).find("correct horse"), std::string::npos) << table;
        EXPECT_EQ(row.Text(i).find(secret_part), std::string::npos) << table;
        EXPECT_EQ(row.Text(i).find(session->id), std::string::npos) << table;
      }
    }
  }
}

TEST_P(AccessTest, TheLastEnabledAdminStays) {
  ASSERT_TRUE(access_->AddUser("root", "long enough", {"admin"}).ok());
  ASSERT_TRUE(access_->AddUser("ana", "long enough", {"analyst"}).ok());
  EXPECT_TRUE(Has(access_->RemoveUser("root"), StatusCode::kFailedPrecondition));
  EXPECT_TRUE(Has(access_->SetDisabled("root", true), StatusCode::kFailedPrecondition));
  EXPECT_TRUE(Has(access_->UnassignRole("root", "admin"), StatusCode::kFailedPrecondition));
  EXPECT_TRUE(access_->AuthenticatePassword("root", "long enough")->IsAdmin());
  // A custom role with admin on * counts as an admin too, and its revoke is guarded the same.
  ASSERT_TRUE(access_->CreateRole("superuser").ok());
  ASSERT_TRUE(access_->GrantPrivilege({"superuser", Privilege::kAdmin, {}}).ok());
  ASSERT_TRUE(access_->AssignRole("ana", "superuser").ok());
  ASSERT_TRUE(access_->AssignRole("ana", "superuser").ok());  // twice is once
  ASSERT_TRUE(access_->RemoveUser("root").ok());
  EXPECT_TRUE(Has(access_->RevokePrivilege({"superuser", Privilege::kAdmin, {}}),
                  StatusCode::kFailedPrecondition));
  EXPECT_TRUE(Has(access_->DropRole("superuser"), StatusCode::kFailedPrecondition));
  ASSERT_TRUE(access_->AddUser("bia", "long enough", {"admin"}).ok());
  EXPECT_TRUE(access_->DropRole("superuser").ok());
  auto ana = access_->PrincipalOf("ana");
  ASSERT_TRUE(ana.ok());
  EXPECT_EQ(ana->roles, std::vector<std::string>{"analyst"});
  EXPECT_FALSE(ana->IsAdmin());
}

TEST_P(AccessTest, GrantsAndTheirBadInputs) {
  ASSERT_TRUE(access_->CreateRole("finance").ok());
  Grant read_gold{"finance", Privilege::kRead, *ParseTarget("layer:gold")};
  ASSERT_TRUE(access_->GrantPrivilege(read_gold).ok());
  ASSERT_TRUE(access_->GrantPrivilege(read_gold).ok());  // a no-op
  ASSERT_TRUE(
      access_->GrantPrivilege({"finance", Privilege::kRead, *ParseTarget("tag:Finance")}).ok());
  auto roles = access_->ListRoles();
  ASSERT_TRUE(roles.ok());
  ASSERT_EQ(roles->back().name, "finance");
  EXPECT_EQ(roles->back().grants.size(), 2u);
  EXPECT_TRUE(Has(access_->GrantPrivilege({"finance", Privilege::kRun, *ParseTarget("gold")}),
                  StatusCode::kInvalidArgument));
  EXPECT_TRUE(Has(
      access_->GrantPrivilege({"finance", Privilege::kRead, {Target::Kind::kLayer, "gold; --"}}),
      StatusCode::kInvalidArgument));
  EXPECT_TRUE(
      Has(access_->GrantPrivilege({"nobody", Privilege::kRead, {}}), StatusCode::kNotFound));
  EXPECT_TRUE(
      Has(access_->RevokePrivilege({"finance", Privilege::kUnmask, {}}), StatusCode::kNotFound));
  ASSERT_TRUE(access_->RevokePrivilege(read_gold).ok());
  EXPECT_TRUE(Has(access_->RevokePrivilege(read_gold), StatusCode::kNotFound));
}

INSTANTIATE_TEST_SUITE_P(Stores, AccessTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace strata::access
