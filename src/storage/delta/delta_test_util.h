// Test helpers shared by the delta tests: DuckDB connections and result-set comparison.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "storage/delta/conformance_test_util.h"

namespace strata::delta::testing {

inline std::string ConformanceDir() { return STRATA_SHARED_DIR "/conformance/delta"; }

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

inline int64_t Count(engine::Connection& conn, const std::string& sql) {
  auto rows = conn.QueryRows("SELECT count(*) FROM (" + sql + ")");
  if (!rows.ok()) {
    ADD_FAILURE() << rows.status() << "\nSQL: " << sql;
    return -1;
  }
  return std::get<int64_t>((*rows)[0][0]);
}

// Text of the first rows of `sql`, for failure messages.
inline std::string Sample(engine::Connection& conn, const std::string& sql) {
  auto result = conn.Query(sql + " LIMIT 5");
  if (!result.ok()) return result.status().ToString();
  std::string out;
  while (true) {
    auto chunk = (*result)->Next();
    if (!chunk.ok() || !*chunk) break;
    for (int64_t r = 0; r < (*chunk)->size(); ++r) {
      for (int c = 0; c < (*chunk)->column_count(); ++c) {
        out += c ? " | " : "  ";
        out += (*chunk)->IsNull(c, r) ? "NULL" : (*chunk)->Text(c, r);
      }
      out += "\n";
    }
  }
  return out;
}

// Materializes `actual_sql` as table __actual, then compares it with `expected_sql` by column
// name regardless of row order: same columns, same row count, EXCEPT ALL empty both ways. The
// expected columns are cast to the actual column types (Spark's parquet types differ in width).
// The actual rows are produced with the session in `read_time_zone` (the scan must not depend on
// it); the comparison runs in UTC.
inline void ExpectSameRows(engine::Connection& conn, const std::string& actual_sql,
                           const std::string& expected_sql, const std::string& label,
                           const std::string& read_time_zone = "America/Sao_Paulo") {
  SCOPED_TRACE(label);
  ASSERT_TRUE(conn.Execute("SET TimeZone=" + engine::QuoteLiteral(read_time_zone)).ok());
  ASSERT_TRUE(conn.Execute("CREATE OR REPLACE TEMP TABLE __actual AS " + actual_sql).ok())
      << conn.Execute("CREATE OR REPLACE TEMP TABLE __actual AS " + actual_sql);
  ASSERT_TRUE(conn.Execute("SET TimeZone='UTC'").ok());
  ASSERT_TRUE(conn.Execute("CREATE OR REPLACE TEMP TABLE __expected AS " + expected_sql).ok());
  auto actual_cols = conn.Query("SELECT * FROM __actual LIMIT 0");
  auto expected_cols = conn.Query("SELECT * FROM __expected LIMIT 0");
  ASSERT_TRUE(actual_cols.ok() && expected_cols.ok());
  std::vector<std::string> a_names, e_names;
  std::string cast_list;
  for (const auto& c : (*actual_cols)->columns()) {
    a_names.push_back(c.name);
    cast_list += std::string(cast_list.empty() ? "" : ", ") + "CAST(" +
                 engine::QuoteIdentifier(c.name) + " AS " + c.type_name + ") AS " +
                 engine::QuoteIdentifier(c.name);
  }
  for (const auto& c : (*expected_cols)->columns()) e_names.push_back(c.name);
  std::sort(a_names.begin(), a_names.end());
  std::sort(e_names.begin(), e_names.end());
  ASSERT_EQ(a_names, e_names) << "column names differ";
  const std::string expected = "SELECT " + cast_list + " FROM __expected";
  const std::string actual = "SELECT * FROM __actual";
  EXPECT_EQ(Count(conn, actual), Count(conn, expected)) << "row counts differ";
  const std::string missing = expected + " EXCEPT ALL " + actual;
  const std::string extra = actual + " EXCEPT ALL " + expected;
  EXPECT_EQ(Count(conn, missing), 0) << "expected rows not returned:\n" << Sample(conn, missing);
  EXPECT_EQ(Count(conn, extra), 0) << "rows returned but not expected:\n" << Sample(conn, extra);
}

}  // namespace strata::delta::testing
