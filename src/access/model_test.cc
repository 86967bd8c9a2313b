// Privileges, targets and the role matrix (pure), and the audit log on both stores.
#include <gtest/gtest.h>

#include <string>

#include "access/access.h"
#include "access/access_test_util.h"
#include "access/internal.h"

namespace strata::access {
namespace {

using testing::AccessTest;
using testing::Has;

TEST(PrivilegeTest, ParsesTheFiveAndNamesTheRestInTheError) {
  for (Privilege p : {Privilege::kRead, Privilege::kUnmask, Privilege::kRun, Privilege::kEdit,
                      Privilege::kAdmin}) {
    auto parsed = ParsePrivilege(PrivilegeName(p));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_EQ(*ParsePrivilege("READ"), Privilege::kRead);
  auto bad = ParsePrivilege("write");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'write'"), std::string::npos);
  EXPECT_NE(bad.status().message().find("read, unmask, run, edit or admin"), std::string::npos);
}

TEST(TargetTest, ParsesEveryFormAndRefusesTheRest) {
  EXPECT_EQ(ParseTarget("*")->kind, Target::Kind::kAll);
  EXPECT_EQ(*ParseTarget("layer:silver"), (Target{Target::Kind::kLayer, "silver"}));
  EXPECT_EQ(*ParseTarget("Silver"), (Target{Target::Kind::kLayer, "silver"}));
  EXPECT_EQ(*ParseTarget("table:silver.pedidos"), (Target{Target::Kind::kTable, "silver.pedidos"}));
  EXPECT_EQ(*ParseTarget("silver.Pedidos"), (Target{Target::Kind::kTable, "silver.pedidos"}));
  EXPECT_EQ(*ParseTarget("tag:Core Domain"), (Target{Target::Kind::kTag, "Core Domain"}));
  for (const char* text : {"*", "layer:gold", "table:gold.vendas", "tag:finance"}) {
    EXPECT_EQ(ParseTarget(text)->Text(), text);
  }
  for (const char* bad : {"", "layer:", "tag:", "table:silver", "table:.x", "silver.", "a.b.c",
                          "schema:x", "layer:a-b", "tag:line\nbreak", "**"}) {
    auto parsed = ParseTarget(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  }
}

Principal With(std::vector<Grant> grants) { return Principal{"u", {"r"}, std::move(grants)}; }

TEST(PrincipalTest, RoleMatrix) {
  const TableRef pedidos{"silver", "pedidos", {"finance", "pii"}};
  const TableRef vendas{"gold", "vendas", {}};
  Principal analyst = With({{"analyst", Privilege::kRead, {}}});
  Principal engineer = With({{"engineer", Privilege::kRead, {}},
                             {"engineer", Privilege::kUnmask, {}},
                             {"engineer", Privilege::kRun, {}},
                             {"engineer", Privilege::kEdit, {}}});
  Principal admin = With({{"admin", Privilege::kAdmin, {}}});
  Principal nobody = With({});

  EXPECT_TRUE(analyst.CanRead(pedidos));
  EXPECT_FALSE(analyst.CanUnmask(pedidos));
  EXPECT_FALSE(analyst.Can(Privilege::kRun));
  EXPECT_FALSE(analyst.Can(Privilege::kEdit));
  EXPECT_FALSE(analyst.IsAdmin());
  EXPECT_TRUE(engineer.CanUnmask(pedidos));
  EXPECT_TRUE(engineer.Can(Privilege::kRun));
  EXPECT_TRUE(engineer.Can(Privilege::kEdit));
  EXPECT_FALSE(engineer.Can(Privilege::kAdmin));
  EXPECT_FALSE(engineer.IsAdmin());
  for (Privilege p : {Privilege::kRead, Privilege::kUnmask, Privilege::kRun, Privilege::kEdit,
                      Privilege::kAdmin}) {
    EXPECT_TRUE(admin.Can(p));
    EXPECT_FALSE(nobody.Can(p));
  }
  EXPECT_TRUE(admin.CanUnmask(vendas));
  EXPECT_FALSE(nobody.CanRead(vendas));
}

TEST(PrincipalTest, LayerTableAndTagGrants) {
  const TableRef pedidos{"silver", "pedidos", {"Finance", "pii"}};
  const TableRef clientes{"silver", "clientes", {"pii"}};
  const TableRef vendas{"gold", "vendas", {}};
  Principal gold = With({{"r", Privilege::kRead, *ParseTarget("layer:gold")}});
  EXPECT_TRUE(gold.CanRead(vendas));
  EXPECT_TRUE(gold.CanRead({"GOLD", "x", {}}));
  EXPECT_FALSE(gold.CanRead(pedidos));
  EXPECT_FALSE(gold.Can(Privilege::kRead));  // not on everything

  Principal one = With({{"r", Privilege::kRead, *ParseTarget("table:silver.pedidos")}});
  EXPECT_TRUE(one.CanRead(pedidos));
  EXPECT_FALSE(one.CanRead(clientes));

  Principal finance = With({{"r", Privilege::kRead, *ParseTarget("tag:finance")},
                            {"r", Privilege::kUnmask, *ParseTarget("tag:finance")}});
  EXPECT_TRUE(finance.CanRead(pedidos));
  EXPECT_TRUE(finance.CanUnmask(pedidos));
  EXPECT_FALSE(finance.CanRead(clientes));

  // unmask without read gives nothing.
  Principal unmask_only = With({{"r", Privilege::kUnmask, {}}});
  EXPECT_FALSE(unmask_only.CanRead(pedidos));
  EXPECT_FALSE(unmask_only.CanUnmask(pedidos));
  // read everywhere, unmask on one layer.
  Principal mixed =
      With({{"r", Privilege::kRead, {}}, {"r", Privilege::kUnmask, *ParseTarget("gold")}});
  EXPECT_TRUE(mixed.CanUnmask(vendas));
  EXPECT_FALSE(mixed.CanUnmask(pedidos));
}

TEST(TimeTest, IsoTimes) {
  EXPECT_EQ(internal::IsoTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(internal::IsoTime(testing::kStartMicros + 1), "2026-12-07T12:00:00Z");
  EXPECT_EQ(internal::IsoTime(-1), "1969-12-31T23:59:59Z");
  for (const char* ok : {"2026-12-07", "2026-12-07T21", "2026-12-07T21:00", "2026-12-07T21:00:00",
                         "2026-12-07T21:00:00Z"}) {
    EXPECT_TRUE(internal::IsIsoTimePrefix(ok)) << ok;
  }
  for (const char* bad : {"", "2026", "2026-12-7", "2026/12/07", "2026-12-07 21:00",
                          "2026-12-07T21:00:00+01", "1d"}) {
    EXPECT_FALSE(internal::IsIsoTimePrefix(bad)) << bad;
  }
}

TEST_P(AccessTest, AuditIsNewestFirstAndFiltered) {
  ASSERT_TRUE(access_->Audit({0, "", "ana", "login", "", "failed", "10.0.0.1", ""}).ok());
  clock_.Advance(int64_t{3600} * 1'000'000);
  ASSERT_TRUE(access_->Audit({0, "", "ana", "login", "", "", "10.0.0.1", ""}).ok());
  ASSERT_TRUE(access_
                  ->Audit({0, "", "eng", "run.start", "pipeline:importau", "ok", "cli",
                           std::string(5000, 'x')})
                  .ok());
  ASSERT_TRUE(access_->Audit({0, "", "eng", "run.cancel", "run:r1", "denied", "cli", ""}).ok());
  ASSERT_TRUE(access_->Audit({0, "2020-01-01T00:00:00Z", "old", "grant", "", "ok", "", ""}).ok());

  auto all = access_->ListAudit({});
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].user, "old");
  EXPECT_EQ((*all)[4].outcome, "failed");
  EXPECT_EQ((*all)[4].at, "2026-12-07T12:00:00Z");
  EXPECT_EQ((*all)[3].outcome, "ok");  // an empty outcome
  EXPECT_EQ((*all)[2].detail.size(), 1000u);
  EXPECT_GT((*all)[0].id, (*all)[1].id);

  EXPECT_EQ(access_->ListAudit({"ana", "", "", 100})->size(), 2u);
  EXPECT_EQ(access_->ListAudit({"", "run.", "", 100})->size(), 2u);
  EXPECT_EQ(access_->ListAudit({"", "run.start", "", 100})->size(), 1u);
  EXPECT_EQ(access_->ListAudit({"", "r_n", "", 100})->size(), 0u);  // not a LIKE pattern
  EXPECT_EQ(access_->ListAudit({"", "", "2026-12-07T12:30", 100})->size(), 3u);
  EXPECT_EQ(access_->ListAudit({"", "", "2026-12-07", 100})->size(), 4u);
  auto limited = access_->ListAudit({"", "", "", 2});
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[1].action, "run.cancel");

  EXPECT_TRUE(Has(access_->ListAudit({"", "", "", 0}).status(), StatusCode::kInvalidArgument));
  EXPECT_TRUE(
      Has(access_->ListAudit({"", "", "yesterday", 10}).status(), StatusCode::kInvalidArgument));
  EXPECT_TRUE(Has(access_->Audit({}), StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace strata::access
