// Test helpers for ingest/mysql: a lake in a scratch directory, reading bronze tables back.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "ingest/mysql/mariadb_test_server.h"
#include "ingest/mysql/source.h"
#include "lake/lake.h"
#include "storage/delta/scan.h"
#include "storage/delta/snapshot.h"

namespace strata::ingest::mysql::testing {

class MysqlSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MariaDbTestServer& server = MariaDbTestServer::Get();
    ASSERT_TRUE(server.ok()) << server.error();
    const char* tmp = std::getenv("STRATA_TEST_TMP");
    dir_ = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
           ("mysql-source-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "lake");
    auto lake = lake::Lake::Open((dir_ / "lake").string());
    ASSERT_TRUE(lake.ok()) << lake.status();
    lake_ = std::make_unique<lake::Lake>(std::move(*lake));
    engine::DatabaseOptions options;
    options.threads = 2;
    db_ = std::move(engine::Database::Open(options)).value();
    conn_ = std::move(db_->Connect()).value();
    database_ = server.CreateDatabase("t");
    ASSERT_FALSE(database_.empty());
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void Sql(const std::string& sql) {
    std::string err = MariaDbTestServer::Get().Sql(database_, sql);
    ASSERT_EQ(err, "") << sql;
  }

  MysqlSourceSpec Spec(std::vector<std::string> tables) {
    MysqlSourceSpec spec;
    spec.name = "erp";
    spec.connection = MariaDbTestServer::Get().Spec(database_);
    spec.tables = std::move(tables);
    spec.bronze = "erp_{table}";
    return spec;
  }
  std::string StateDir() const { return (dir_ / "state").string(); }

  // A SQL relation over the latest version of a bronze table.
  std::string Scan(const std::string& table) {
    auto snap = delta::LoadSnapshot(lake_->store(), lake_->TableRoot({"bronze", table}));
    EXPECT_TRUE(snap.ok()) << snap.status();
    if (!snap.ok()) return "(SELECT 1 WHERE false)";
    auto plan = delta::PlanScan(*snap, lake_->store(), *conn_);
    EXPECT_TRUE(plan.ok()) << plan.status();
    plans_.push_back(std::make_unique<delta::ScanPlan>(std::move(*plan)));
    return "(" + plans_.back()->sql() + ")";
  }
  int64_t Count(const std::string& sql) {
    auto n = engine::QueryInt64(*conn_, "SELECT count(*) FROM (" + sql + ")");
    EXPECT_TRUE(n.ok()) << n.status() << "\n" << sql;
    return n.ok() ? *n : -1;
  }

  std::filesystem::path dir_;
  std::unique_ptr<lake::Lake> lake_;
  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Connection> conn_;
  std::vector<std::unique_ptr<delta::ScanPlan>> plans_;
  std::string database_;
};

}  // namespace strata::ingest::mysql::testing
