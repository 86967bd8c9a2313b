// Test helpers for the lake tests: DuckDB connections and Delta tables made by hand (DuckDB
// writes the Parquet, the commit JSON is built from delta::Action values), so the tests do not
// depend on the write path.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "engine/engine.h"
#include "storage/delta/actions.h"
#include "storage/delta/schema.h"
#include "storage/object_store.h"
#include "storage/delta/conformance_test_util.h"

namespace strata::lake::testing {

struct Duck {
  std::unique_ptr<engine::Database> db;
  std::unique_ptr<engine::Connection> conn;
};

inline Duck OpenDuck() {
  Duck d;
  engine::DatabaseOptions options;
  options.threads = 2;
  auto db = engine::Database::Open(options);
  db.status().Check();
  d.db = std::move(db).value();
  auto conn = d.db->Connect();
  conn.status().Check();
  d.conn = std::move(conn).value();
  return d;
}

// A fresh directory under $STRATA_TEST_TMP (or /tmp), removed with the object.
class ScratchDir {
 public:
  ScratchDir() {
    const char* env = std::getenv("STRATA_TEST_TMP");
    std::string base = env && *env ? env : "/tmp";
    std::filesystem::create_directories(base);
    std::string pattern = base + "/lake-test-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~ScratchDir() {
    delta::testing::ExpectConformingTables(path_);
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The schema every hand-made table has: id BIGINT NOT NULL, name VARCHAR.
inline std::string TestSchemaString() {
  delta::Schema schema;
  schema.fields.push_back({"id", delta::DataType::Primitive("long"), false, {}});
  schema.fields.push_back({"name", delta::DataType::Primitive("string"), true, {}});
  return delta::SchemaToJson(schema);
}

// Commits version `version` of the table at `root`: the rows of `select_sql` (columns id, name)
// as one DuckDB-written Parquet file, with stats and a commitInfo stamped `timestamp_millis`.
// Version 0 also writes protocol and metaData.
inline void CommitRows(engine::Connection& conn, storage::ObjectStore& store,
                       const std::string& root, int64_t version, const std::string& select_sql,
                       int64_t timestamp_millis) {
  ScratchDir scratch;
  const std::string local = scratch.path() + "/data.parquet";
  const std::string file = "part-" + std::to_string(version) + ".parquet";
  ASSERT_TRUE(conn.Execute("COPY (SELECT CAST(id AS BIGINT) AS id, CAST(name AS VARCHAR) AS name "
                           "FROM (" +
                           select_sql + ")) TO " + engine::QuoteLiteral(local) +
                           " (FORMAT parquet)")
                  .ok());
  auto rows = conn.QueryRows("SELECT count(*), min(id), max(id) FROM (" + select_sql + ")");
  ASSERT_TRUE(rows.ok()) << rows.status();
  const int64_t count = std::get<int64_t>((*rows)[0][0]);
  std::string stats = "{\"numRecords\":" + std::to_string(count);
  if (count > 0) {
    stats += ",\"minValues\":{\"id\":" + std::to_string(std::get<int64_t>((*rows)[0][1])) +
             "},\"maxValues\":{\"id\":" + std::to_string(std::get<int64_t>((*rows)[0][2])) +
             "},\"nullCount\":{\"id\":0}";
  }
  stats += "}";

  std::vector<delta::Action> actions;
  delta::CommitInfo info;
  info.json = {{"timestamp", timestamp_millis},
               {"operation", version == 0 ? "CREATE TABLE" : "WRITE"},
               {"operationParameters", {{"mode", "Append"}}}};
  info.timestamp = timestamp_millis;
  info.operation = version == 0 ? "CREATE TABLE" : "WRITE";
  actions.push_back(info);
  if (version == 0) {
    actions.push_back(delta::Protocol{1, 2, std::nullopt, std::nullopt});
    delta::Metadata metadata;
    metadata.id = "00000000-0000-0000-0000-" + std::to_string(100000000000 + root.size());
    metadata.schema_string = TestSchemaString();
    metadata.created_time = timestamp_millis;
    actions.push_back(metadata);
  }
  delta::AddFile add;
  add.path = file;
  add.size = static_cast<int64_t>(std::filesystem::file_size(local));
  add.modification_time = timestamp_millis;
  add.stats = stats;
  actions.push_back(add);

  const std::string prefix = root.empty() ? "" : root + "/";
  ASSERT_TRUE(store.PutFile(prefix + file, local).ok());
  char name[32];
  std::snprintf(name, sizeof(name), "%020lld.json", static_cast<long long>(version));
  ASSERT_TRUE(
      store.PutIfAbsent(prefix + "_delta_log/" + name, delta::SerializeActions(actions)).ok());
}

// The first column of every row of `sql`, rendered as text and joined with ",".
inline std::string Column(engine::Connection& conn, const std::string& sql) {
  auto rows = conn.QueryRows(sql);
  if (!rows.ok()) return "error: " + rows.status().ToString();
  std::string out;
  for (const auto& row : *rows) {
    if (!out.empty()) out += ",";
    const engine::Value& v = row[0];
    if (std::holds_alternative<int64_t>(v)) {
      out += std::to_string(std::get<int64_t>(v));
    } else if (std::holds_alternative<std::string>(v)) {
      out += std::get<std::string>(v);
    } else if (std::holds_alternative<std::monostate>(v)) {
      out += "NULL";
    } else {
      out += "?";
    }
  }
  return out;
}

}  // namespace strata::lake::testing
