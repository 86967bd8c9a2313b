#include "catalog/arrivals.h"

#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"

namespace strata::catalog {
namespace {

// Every test runs on SQLite and on a real PostgreSQL (catalog_test_util.h).
class ArrivalsTest : public ::testing::TestWithParam<Dialect> {
 protected:
  std::string Location() {
    return GetParam() == Dialect::kSqlite ? dir_.path() + "/catalog.db"
                                          : testing::FreshPostgresUrl();
  }
  testing::TempDir dir_;
};

TEST_P(ArrivalsTest, RecordUpdateAndList) {
  auto catalog = Catalog::Open(Location());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  ArrivalRecord first;
  first.partner = "acme";
  first.path = "pedidos.csv";
  first.source = "pedidos";
  first.size_bytes = 120;
  first.sha256 = std::string(64, 'a');
  auto id = RecordArrival(**catalog, first);
  ASSERT_TRUE(id.ok()) << id.status();
  ArrivalRecord second = first;
  second.partner = "globex";
  second.state = "rejected";
  second.reason = "name does not match";
  auto id2 = RecordArrival(**catalog, second);
  ASSERT_TRUE(id2.ok()) << id2.status();
  EXPECT_NE(*id, *id2);

  ArrivalRecord loaded;
  loaded.id = *id;
  loaded.state = "loaded";
  loaded.rows_loaded = 7;
  loaded.rows_quarantined = 1;
  loaded.run_id = "run-1";
  ASSERT_TRUE(UpdateArrival(**catalog, loaded).ok());

  auto all = ListArrivals(**catalog, {});
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].partner, "globex");  // newest first
  EXPECT_EQ((*all)[1].state, "loaded");
  EXPECT_EQ((*all)[1].rows_loaded, 7);
  EXPECT_EQ((*all)[1].rows_quarantined, 1);
  EXPECT_EQ((*all)[1].run_id, "run-1");
  EXPECT_EQ((*all)[1].size_bytes, 120);
  EXPECT_FALSE((*all)[1].received_at.empty());
  EXPECT_FALSE((*all)[0].rows_loaded.has_value());

  auto rejected = ListArrivals(**catalog, {.partner = "", .state = "rejected"});
  ASSERT_TRUE(rejected.ok());
  ASSERT_EQ(rejected->size(), 1u);
  EXPECT_EQ((*rejected)[0].reason, "name does not match");
  auto acme = ListArrivals(**catalog, {.partner = "acme"});
  ASSERT_TRUE(acme.ok());
  EXPECT_EQ(acme->size(), 1u);
}

TEST_P(ArrivalsTest, UpdatingAnUnknownArrivalIsNotFound) {
  auto catalog = Catalog::Open(Location());
  ASSERT_TRUE(catalog.ok());
  ArrivalRecord missing;
  missing.id = 42;
  missing.state = "loaded";
  Status status = UpdateArrival(**catalog, missing);
  EXPECT_TRUE(status.IsNotFound()) << status;
  EXPECT_NE(status.message().find("42"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Stores, ArrivalsTest,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         [](const ::testing::TestParamInfo<Dialect>& info) {
                           return info.param == Dialect::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace strata::catalog
