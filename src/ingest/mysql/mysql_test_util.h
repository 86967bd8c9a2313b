// Test helpers for ingest/mysql: a lake in a scratch directory, reading bronze tables back.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "engine/engine.h"
#include "ingest/mysql/binlog_stream.h"
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

  // The current rows of a CDC bronze table keyed by `id`: the last change per key by
  // _position, deletes dropped, without the change columns.
  static std::string Mirror(const std::string& scan) {
    return "SELECT * EXCLUDE (_op, _position, _source_ts, _tx, _ingested_at, _rn) FROM (SELECT "
           "*, row_number() OVER (PARTITION BY id ORDER BY _position DESC) AS _rn FROM " +
           scan + ") WHERE _rn = 1 AND _op <> 'd'";
  }
  // `select` run at the source, one "v1|v2|..." line per row ("NULL" for NULL).
  std::string SourceRows(const std::string& select) {
    auto client = Client::Connect(MariaDbTestServer::Get().Spec(database_));
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return "";
    auto rows = (*client)->Query(select);
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::string out;
    for (const TextRow& row : rows.ok() ? *rows : std::vector<TextRow>{}) {
      for (size_t i = 0; i < row.size(); ++i) out += (i ? "|" : "") + row[i].value_or("NULL");
      out += "\n";
    }
    return out;
  }
  // `select` (whose columns are cast to VARCHAR) over the lake, in the form of SourceRows.
  std::string LakeRows(const std::string& select) {
    auto rows = conn_->QueryRows(select);
    EXPECT_TRUE(rows.ok()) << rows.status() << "\n" << select;
    std::string out;
    for (const auto& row : rows.ok() ? *rows : std::vector<std::vector<engine::Value>>{}) {
      for (size_t i = 0; i < row.size(); ++i) {
        const std::string* text = std::get_if<std::string>(&row[i]);
        out += (i ? "|" : "") + (text != nullptr ? *text : std::string("NULL"));
      }
      out += "\n";
    }
    return out;
  }
  // Starts a new binlog file and purges every older one: what bronze holds is no longer on the
  // server. MariaDB keeps a file until InnoDB has checkpointed its transactions: retries.
  void PurgeBinlogs() {
    Sql("FLUSH BINARY LOGS");
    auto client = Client::Connect(MariaDbTestServer::Get().Spec(database_));
    ASSERT_TRUE(client.ok()) << client.status();
    auto now = CurrentPosition(**client);
    ASSERT_TRUE(now.ok()) << now.status();
    for (int attempt = 0; attempt < 100; ++attempt) {
      Sql("PURGE BINARY LOGS TO '" + now->file + "'");
      auto logs = (*client)->Query("SHOW BINARY LOGS");
      ASSERT_TRUE(logs.ok()) << logs.status();
      if (!logs->empty() && (*logs)[0][0] == now->file) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "the server kept binlogs older than " << now->file;
  }

  std::filesystem::path dir_;
  std::unique_ptr<lake::Lake> lake_;
  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Connection> conn_;
  std::vector<std::unique_ptr<delta::ScanPlan>> plans_;
  std::string database_;
};

}  // namespace strata::ingest::mysql::testing
