// Tokens, sessions, the first admin, and two AccessControl instances on one database (as two
// servers or a server and the CLI share a catalog), on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <string>

#include "access/access.h"
#include "access/access_test_util.h"

namespace strata::access {
namespace {

using testing::AccessTest;
using testing::Has;

constexpr int64_t kSecond = 1'000'000;

void ExpectBadToken(AccessControl& access, const std::string& token) {
  auto who = access.AuthenticateToken(token);
  ASSERT_FALSE(who.ok()) << token;
  EXPECT_EQ(who.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(who.status().message(), "invalid or expired token");
}

TEST_P(AccessTest, TokensActAsTheirUserUntilRevokedOrExpired) {
  ASSERT_TRUE(access_->AddUser("eng", "long enough", {"engineer"}).ok());
  auto token = access_->CreateToken("eng", "grafana", 0);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(token->secret.rfind("strata_" + token->info.id + "_", 0), 0u);
  EXPECT_TRUE(token->info.expires_at.empty());
  auto who = access_->AuthenticateToken(token->secret);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->user, "eng");
  EXPECT_TRUE(who->Can(Privilege::kRun));
  auto listed = access_->ListTokens("eng");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, token->info.id);
  EXPECT_EQ((*listed)[0].name, "grafana");
  EXPECT_FALSE((*listed)[0].last_used_at.empty());

  // Tampered, truncated, foreign: one answer.
  std::string tampered = token->secret;
  tampered.back() = tampered.back() == '0' ? '1' : '0';
  for (const std::string& bad : {tampered, token->secret.substr(0, 40), std::string(),
                                 std::string("Bearer ") + token->secret, std::string("strata_"),
                                 "strata_" + token->info.id + "_"}) {
    ExpectBadToken(*access_, bad);
  }
  // A disabled user's token stops and comes back with the user.
  ASSERT_TRUE(access_->SetDisabled("eng", true).ok());
  ExpectBadToken(*access_, token->secret);
  ASSERT_TRUE(access_->SetDisabled("eng", false).ok());
  EXPECT_TRUE(access_->AuthenticateToken(token->secret).ok());
  // Revoked (by id, or by the whole token), it is gone for good.
  ASSERT_TRUE(access_->RevokeToken(token->info.id).ok());
  ExpectBadToken(*access_, token->secret);
  EXPECT_TRUE(Has(access_->RevokeToken(token->info.id), StatusCode::kNotFound));
  auto second = access_->CreateToken("eng", "ci", 0);
  ASSERT_TRUE(second.ok());
  Status by_secret = access_->RevokeToken(second->secret);
  EXPECT_TRUE(by_secret.ok()) << by_secret;
  ExpectBadToken(*access_, second->secret);
  EXPECT_TRUE(Has(access_->RevokeToken("not-an-id"), StatusCode::kInvalidArgument));
  EXPECT_TRUE(access_->ListTokens("eng")->empty());
}

TEST_P(AccessTest, TokensExpireAndDieWithTheirUser) {
  ASSERT_TRUE(access_->AddUser("ana", "long enough", {"analyst"}).ok());
  auto token = access_->CreateToken("ana", "notebook", 3600);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->info.expires_at, "2026-12-07T13:00:00Z");
  EXPECT_TRUE(access_->AuthenticateToken(token->secret).ok());
  clock_.Advance(3599 * kSecond);
  EXPECT_TRUE(access_->AuthenticateToken(token->secret).ok());
  clock_.Advance(1 * kSecond);
  ExpectBadToken(*access_, token->secret);

  auto forever = access_->CreateToken("ana", "forever", 0);
  ASSERT_TRUE(forever.ok());
  ASSERT_TRUE(access_->RemoveUser("ana").ok());
  ExpectBadToken(*access_, forever->secret);
  EXPECT_TRUE(access_->ListTokens("")->empty());

  EXPECT_TRUE(Has(access_->CreateToken("ana", "x", 0).status(), StatusCode::kNotFound));
  ASSERT_TRUE(access_->AddUser("ana", "long enough", {}).ok());
  EXPECT_TRUE(Has(access_->CreateToken("ana", "x", -1).status(), StatusCode::kInvalidArgument));
  EXPECT_TRUE(Has(access_->CreateToken("ana", "", 0).status(), StatusCode::kInvalidArgument));
  EXPECT_TRUE(
      Has(access_->CreateToken("ana", "line\nbreak", 0).status(), StatusCode::kInvalidArgument));
  EXPECT_TRUE(Has(access_->ListTokens("nobody").status(), StatusCode::kNotFound));
}

TEST_P(AccessTest, SessionsCarryACsrfTokenAndEnd) {
  ASSERT_TRUE(access_->AddUser("ana", "long enough", {"analyst"}).ok());
  auto session = access_->CreateSession("ana");
  ASSERT_TRUE(session.ok()) << session.status();
  EXPECT_EQ(session->id.size(), 64u);
  EXPECT_EQ(session->expires_at, "2026-12-07T13:00:00Z");
  EXPECT_NE(session->csrf_token, session->id);
  auto back = access_->AuthenticateSession(session->id);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->first.user, "ana");
  EXPECT_EQ(back->second.csrf_token, session->csrf_token);
  EXPECT_EQ(back->second.user, "ana");

  auto other = access_->CreateSession("ana");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->csrf_token, session->csrf_token);
  ASSERT_TRUE(access_->EndSession(session->id).ok());
  EXPECT_TRUE(access_->EndSession(session->id).ok());  // ended already: fine
  auto ended = access_->AuthenticateSession(session->id);
  ASSERT_FALSE(ended.ok());
  EXPECT_EQ(ended.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(ended.status().message(), "invalid or expired session");
  EXPECT_TRUE(access_->AuthenticateSession(other->id).ok());
  EXPECT_FALSE(access_->AuthenticateSession("").ok());
  EXPECT_FALSE(access_->AuthenticateSession(other->csrf_token).ok());

  clock_.Advance(3600 * kSecond);
  EXPECT_TRUE(Has(access_->AuthenticateSession(other->id).status(), StatusCode::kUnauthenticated));

  // Disabling the user or changing the password ends its sessions.
  auto third = access_->CreateSession("ana");
  ASSERT_TRUE(third.ok());
  ASSERT_TRUE(access_->SetPassword("ana", "another one").ok());
  EXPECT_FALSE(access_->AuthenticateSession(third->id).ok());
  auto fourth = access_->CreateSession("ana");
  ASSERT_TRUE(fourth.ok());
  ASSERT_TRUE(access_->SetDisabled("ana", true).ok());
  ASSERT_TRUE(access_->SetDisabled("ana", false).ok());
  EXPECT_FALSE(access_->AuthenticateSession(fourth->id).ok());
  // No session for an unknown or disabled user.
  EXPECT_TRUE(Has(access_->CreateSession("nobody").status(), StatusCode::kUnauthenticated));
  ASSERT_TRUE(access_->SetDisabled("ana", true).ok());
  EXPECT_TRUE(Has(access_->CreateSession("ana").status(), StatusCode::kUnauthenticated));
}

TEST_P(AccessTest, EnsureAdminCreatesTheFirstUserOnce) {
  EXPECT_TRUE(Has(access_->EnsureAdmin("short").status(), StatusCode::kInvalidArgument));
  EXPECT_FALSE(*access_->HasUsers());
  auto password = access_->EnsureAdmin("");
  ASSERT_TRUE(password.ok()) << password.status();
  ASSERT_TRUE(password->has_value());
  EXPECT_EQ((*password)->size(), 20u);
  auto admin = access_->AuthenticatePassword("admin", **password);
  ASSERT_TRUE(admin.ok());
  EXPECT_TRUE(admin->IsAdmin());
  auto again = OpenAnother()->EnsureAdmin("chosen password");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_FALSE(access_->AuthenticatePassword("admin", "chosen password").ok());
}

TEST_P(AccessTest, EnsureAdminTakesAChosenPassword) {
  auto password = access_->EnsureAdmin("chosen password");
  ASSERT_TRUE(password.ok()) << password.status();
  EXPECT_EQ(password->value_or(""), "chosen password");
  EXPECT_TRUE(access_->AuthenticatePassword("admin", "chosen password").ok());
  EXPECT_EQ(access_->ListUsers()->size(), 1u);
}

TEST_P(AccessTest, TwoInstancesSeeEachOthersChanges) {
  std::unique_ptr<AccessControl> other = OpenAnother();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(access_->AddUser("ana", "long enough", {"analyst"}).ok());
  EXPECT_TRUE(other->AuthenticatePassword("ana", "long enough").ok());
  auto token = other->CreateToken("ana", "bi", 0);
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(access_->AuthenticateToken(token->secret).ok());
  auto session = access_->CreateSession("ana");
  ASSERT_TRUE(session.ok());
  EXPECT_TRUE(other->AuthenticateSession(session->id).ok());

  ASSERT_TRUE(other->CreateRole("gold_readers").ok());
  ASSERT_TRUE(
      other->GrantPrivilege({"gold_readers", Privilege::kUnmask, *ParseTarget("gold")}).ok());
  ASSERT_TRUE(access_->AssignRole("ana", "gold_readers").ok());
  auto ana = other->PrincipalOf("ana");
  ASSERT_TRUE(ana.ok());
  EXPECT_TRUE(ana->CanUnmask({"gold", "vendas", {}}));
  EXPECT_FALSE(ana->CanUnmask({"silver", "vendas", {}}));

  ASSERT_TRUE(access_->RevokeToken(token->info.id).ok());
  EXPECT_FALSE(other->AuthenticateToken(token->secret).ok());
  ASSERT_TRUE(other->SetDisabled("ana", true).ok());
  EXPECT_FALSE(access_->AuthenticateSession(session->id).ok());
  EXPECT_FALSE(access_->AuthenticatePassword("ana", "long enough").ok());
  ASSERT_TRUE(access_->Audit({0, "", "ana", "login", "", "failed", "10.0.0.1", ""}).ok());
  auto events = other->ListAudit({});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].address, "10.0.0.1");
}

}  // namespace
}  // namespace strata::access
