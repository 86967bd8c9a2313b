// Behaviour of the engine layer against the real DuckDB: settings, streaming, errors and their
// codes, interrupt, prepared statements, the appender and the quoting helpers.
#include "engine/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace strata::engine {
namespace {

// A scratch directory of this process (tests may run in parallel processes under CTest).
std::filesystem::path ScratchDir(const std::string& name) {
  const char* base = std::getenv("STRATA_TEST_TMP");
  std::filesystem::path root = base != nullptr ? base : std::filesystem::temp_directory_path();
  return root / (name + "_" + std::to_string(::getpid()));
}

std::unique_ptr<Database> OpenOrDie(const DatabaseOptions& options = {}) {
  auto db = Database::Open(options);
  if (!db.ok()) {
    ADD_FAILURE() << db.status();
    return nullptr;
  }
  return std::move(*db);
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenOrDie();
    ASSERT_NE(db_, nullptr);
    auto conn = db_->Connect();
    ASSERT_TRUE(conn.ok()) << conn.status();
    conn_ = std::move(*conn);
  }

  // The single value of a one-row, one-column query.
  Value Scalar(const std::string& sql) {
    auto rows = conn_->QueryRows(sql);
    EXPECT_TRUE(rows.ok()) << sql << ": " << rows.status();
    if (!rows.ok() || rows->size() != 1 || (*rows)[0].size() != 1) return std::string("<none>");
    return (*rows)[0][0];
  }

  std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> conn_;
};

TEST(EngineVersionTest, IsThePinnedDuckDB) { EXPECT_EQ(EngineVersion(), "v1.4.4"); }

TEST(QuoteTest, IdentifiersAndLiterals) {
  EXPECT_EQ(QuoteIdentifier("my \"col\""), "\"my \"\"col\"\"\"");
  EXPECT_EQ(QuoteIdentifier(""), "\"\"");
  EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
  EXPECT_EQ(QuoteLiteral(""), "''");
}

TEST_F(EngineTest, QuotedNamesAndStringsRoundTripThroughDuckDB) {
  const std::string name = "we\"ird ta'ble";
  const std::string text = "it's a \"test\"; DROP TABLE x; --";
  ASSERT_TRUE(conn_->Execute("CREATE TABLE " + QuoteIdentifier(name) + "(s VARCHAR)").ok());
  ASSERT_TRUE(
      conn_
          ->Execute("INSERT INTO " + QuoteIdentifier(name) + " VALUES (" + QuoteLiteral(text) + ")")
          .ok());
  EXPECT_EQ(Scalar("SELECT s FROM " + QuoteIdentifier(name)), Value(text));
}

TEST(DatabaseOptionsTest, ThreadsMemoryLimitAndTempDirectoryAreApplied) {
  auto tmp = ScratchDir("strata_engine_spill");
  DatabaseOptions options;
  options.threads = 1;
  options.memory_limit = "256MiB";
  options.temp_directory = tmp.string();
  auto db = OpenOrDie(options);
  ASSERT_NE(db, nullptr);
  auto conn = db->Connect();
  ASSERT_TRUE(conn.ok());
  auto rows = (*conn)->QueryRows(
      "SELECT current_setting('threads'), current_setting('memory_limit'), "
      "current_setting('temp_directory')");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ((*rows)[0][0], Value(int64_t{1}));
  EXPECT_EQ((*rows)[0][1], Value(std::string("256.0 MiB")));
  EXPECT_EQ((*rows)[0][2], Value(tmp.string()));
}

TEST(DatabaseOptionsTest, BadSettingsAreInvalidArgument) {
  DatabaseOptions negative;
  negative.threads = -1;
  EXPECT_TRUE(Database::Open(negative).status().IsInvalidArgument());
  DatabaseOptions bad_memory;
  bad_memory.memory_limit = "lots";
  auto db = Database::Open(bad_memory);
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.status().IsInvalidArgument()) << db.status();
  EXPECT_NE(db.status().message().find("lots"), std::string::npos) << db.status();
}

TEST(DatabaseOptionsTest, FileDatabasePersistsAndBadPathIsIOError) {
  auto dir = ScratchDir("strata_engine_db");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  DatabaseOptions options;
  options.path = (dir / "x.duckdb").string();
  {
    auto db = OpenOrDie(options);
    ASSERT_NE(db, nullptr);
    auto conn = db->Connect();
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->Execute("CREATE TABLE t AS SELECT 42 AS v").ok());
  }
  {
    auto db = OpenOrDie(options);
    ASSERT_NE(db, nullptr);
    auto conn = db->Connect();
    ASSERT_TRUE(conn.ok());
    auto rows = (*conn)->QueryRows("SELECT v FROM t");
    ASSERT_TRUE(rows.ok()) << rows.status();
    EXPECT_EQ((*rows)[0][0], Value(int64_t{42}));
  }
  DatabaseOptions bad;
  bad.path = (dir / "no" / "such" / "dir" / "x.duckdb").string();
  auto db = Database::Open(bad);
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.status().IsIOError()) << db.status();
  std::filesystem::remove_all(dir);
}

TEST_F(EngineTest, ConnectionsRunInUtcWhateverTheOtherSessionsDo) {
  auto other = db_->Connect();
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Execute("SET TimeZone = 'America/Sao_Paulo'").ok());
  EXPECT_EQ(Scalar("SELECT current_setting('TimeZone')"), Value(std::string("UTC")));
  EXPECT_EQ(Scalar("SELECT CAST(TIMESTAMPTZ '2024-01-31 12:00:00-03' AS VARCHAR)"),
            Value(std::string("2024-01-31 15:00:00+00")));
}

TEST_F(EngineTest, QueryStreamsChunkByChunk) {
  auto result =
      conn_->Query("SELECT i, i * 2 AS twice, 'row ' || i AS label FROM range(10000) t(i)");
  ASSERT_TRUE(result.ok()) << result.status();
  const auto& columns = (*result)->columns();
  ASSERT_EQ(columns.size(), 3u);
  EXPECT_EQ(columns[0].name, "i");
  EXPECT_EQ(columns[0].kind, TypeKind::kBigInt);
  EXPECT_EQ(columns[2].type_name, "VARCHAR");
  int64_t rows = 0;
  int chunks = 0;
  int64_t sum = 0;
  while (true) {
    auto chunk = (*result)->Next();
    ASSERT_TRUE(chunk.ok()) << chunk.status();
    if (*chunk == nullptr) break;
    ++chunks;
    EXPECT_LE((*chunk)->size(), 2048);
    EXPECT_EQ((*chunk)->column_count(), 3);
    for (int64_t r = 0; r < (*chunk)->size(); ++r) {
      int64_t i = (*chunk)->GetInt64(0, r).value();
      EXPECT_EQ((*chunk)->GetInt64(1, r).value(), 2 * i);
      EXPECT_EQ((*chunk)->GetString(2, r).value(), "row " + std::to_string(i));
      sum += i;
    }
    rows += (*chunk)->size();
  }
  EXPECT_EQ(rows, 10000);
  EXPECT_GE(chunks, 5);
  EXPECT_EQ(sum, 10000LL * 9999 / 2);
  // The end is sticky.
  auto again = (*result)->Next();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, nullptr);
}

TEST_F(EngineTest, TypedAccessorsCheckTypesNullsAndBounds) {
  auto result = conn_->Query(
      "SELECT 7::TINYINT, 2.5::DOUBLE, 'txt', DATE '1970-01-02', TIMESTAMP '1970-01-01 00:00:01', "
      "NULL::INTEGER, 12.25::DECIMAL(6,2), '\\x41\\x00'::BLOB, 18446744073709551615::UBIGINT, "
      "TIMESTAMP_MS '1970-01-01 00:00:00.005', true, 300::HUGEINT");
  ASSERT_TRUE(result.ok()) << result.status();
  auto chunk = (*result)->Next();
  ASSERT_TRUE(chunk.ok() && *chunk != nullptr);
  const DataChunk& c = **chunk;
  EXPECT_EQ(c.GetInt64(0, 0).value(), 7);
  EXPECT_EQ(c.GetDouble(0, 0).value(), 7.0);
  EXPECT_EQ(c.GetDouble(1, 0).value(), 2.5);
  EXPECT_TRUE(c.GetInt64(1, 0).status().IsInvalidArgument());
  EXPECT_EQ(c.GetString(2, 0).value(), "txt");
  EXPECT_TRUE(c.GetString(0, 0).status().IsInvalidArgument());
  EXPECT_EQ(c.GetInt64(3, 0).value(), 1);        // days since the epoch
  EXPECT_EQ(c.GetInt64(4, 0).value(), 1000000);  // micros since the epoch
  EXPECT_TRUE(c.IsNull(5, 0));
  EXPECT_TRUE(c.GetInt64(5, 0).status().IsInvalidArgument());
  EXPECT_EQ(c.Text(5, 0), "");
  EXPECT_EQ(c.GetValue(5, 0), Value(std::monostate{}));
  EXPECT_EQ(c.GetDouble(6, 0).value(), 12.25);
  EXPECT_EQ(c.GetValue(6, 0), Value(std::string("12.25")));
  EXPECT_EQ(c.GetString(7, 0).value(), std::string("A\0", 2));
  EXPECT_EQ(c.Text(7, 0), "A\\x00");
  EXPECT_TRUE(c.GetInt64(8, 0).status().IsInvalidArgument());  // does not fit
  EXPECT_EQ(c.GetValue(8, 0), Value(std::string("18446744073709551615")));
  EXPECT_EQ(c.GetInt64(9, 0).value(), 5000);
  EXPECT_EQ(c.GetValue(10, 0), Value(true));
  EXPECT_EQ(c.GetValue(11, 0), Value(int64_t{300}));
  EXPECT_EQ(c.GetValue(1, 0), Value(2.5));
  EXPECT_TRUE(c.GetInt64(99, 0).status().IsInvalidArgument());
  EXPECT_TRUE(c.GetInt64(0, 1).status().IsInvalidArgument());
  EXPECT_TRUE(c.IsNull(0, 5));
}

TEST_F(EngineTest, ColumnKindsAndTypeNames) {
  auto result = conn_->Query(
      "SELECT 1::DECIMAL(12,2) d, [1]::INTEGER[] l, {'a': 1} s, MAP {'k': 1} m, "
      "TIMESTAMPTZ '2024-01-01 00:00:00+00' tz, uuid() u, INTERVAL 1 DAY iv");
  ASSERT_TRUE(result.ok()) << result.status();
  const auto& c = (*result)->columns();
  ASSERT_EQ(c.size(), 7u);
  EXPECT_EQ(c[0].kind, TypeKind::kDecimal);
  EXPECT_EQ(c[0].type_name, "DECIMAL(12,2)");
  EXPECT_EQ(c[1].kind, TypeKind::kList);
  EXPECT_EQ(c[1].type_name, "INTEGER[]");
  EXPECT_EQ(c[2].kind, TypeKind::kStruct);
  EXPECT_EQ(c[2].type_name, "STRUCT(a INTEGER)");
  EXPECT_EQ(c[3].kind, TypeKind::kMap);
  EXPECT_EQ(c[3].type_name, "MAP(VARCHAR, INTEGER)");
  EXPECT_EQ(c[4].kind, TypeKind::kTimestampTz);
  EXPECT_EQ(c[5].kind, TypeKind::kUuid);
  EXPECT_EQ(c[6].kind, TypeKind::kInterval);
}

TEST_F(EngineTest, QueryRowsCollectsSmallResults) {
  auto rows = conn_->QueryRows(
      "SELECT * FROM (VALUES (1, 'a', 1.5, true), (2, NULL, NULL, false)) t(i, s, d, b) "
      "ORDER BY i");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0], (std::vector<Value>{int64_t{1}, std::string("a"), std::string("1.5"),
                                            true}));  // 1.5 is DECIMAL(2,1): exact text
  EXPECT_EQ((*rows)[1][1], Value(std::monostate{}));
  EXPECT_EQ((*rows)[1][3], Value(false));
  EXPECT_EQ(Scalar("SELECT sum(i) FROM range(100) t(i)"), Value(int64_t{4950}));  // HUGEINT
}

TEST_F(EngineTest, QueryInt64TakesExactlyOneInteger) {
  auto n = QueryInt64(*conn_, "SELECT count(*) FROM range(7)");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 7);
  for (const char* sql : {"SELECT 'seven'", "SELECT NULL::BIGINT", "SELECT 1, 2",
                          "SELECT * FROM range(2)", "SELECT * FROM range(0)"}) {
    auto bad = QueryInt64(*conn_, sql);
    ASSERT_FALSE(bad.ok()) << sql;
    EXPECT_EQ(bad.status().code(), StatusCode::kInternal) << bad.status();
    EXPECT_NE(bad.status().message().find(sql), std::string::npos) << bad.status();
  }
  EXPECT_EQ(QueryInt64(*conn_, "SELECT * FROM nowhere").status().code(),
            conn_->Execute("SELECT * FROM nowhere").code());  // DuckDB's error, as it is
}

TEST_F(EngineTest, ExecuteRunsSeveralStatementsAndQueryReturnsTheLast) {
  ASSERT_TRUE(conn_->Execute("CREATE TABLE a(x INTEGER); INSERT INTO a VALUES (1), (2);").ok());
  auto result = conn_->Query("INSERT INTO a VALUES (3); SELECT count(*) FROM a");
  ASSERT_TRUE(result.ok()) << result.status();
  auto chunk = (*result)->Next();
  ASSERT_TRUE(chunk.ok() && *chunk != nullptr);
  EXPECT_EQ((*chunk)->GetInt64(0, 0).value(), 3);
  EXPECT_TRUE(conn_->Execute("").IsInvalidArgument());
}

TEST_F(EngineTest, DmlReportsRowsChanged) {
  ASSERT_TRUE(conn_->Execute("CREATE TABLE t AS SELECT i FROM range(10) r(i)").ok());
  auto update = conn_->Query("UPDATE t SET i = i + 100 WHERE i < 4");
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_EQ((*update)->rows_changed(), 4);
  auto del = conn_->Query("DELETE FROM t WHERE i >= 100");
  ASSERT_TRUE(del.ok()) << del.status();
  EXPECT_EQ((*del)->rows_changed(), 4);
  auto insert = conn_->Query("INSERT INTO t SELECT * FROM range(7)");
  ASSERT_TRUE(insert.ok()) << insert.status();
  EXPECT_EQ((*insert)->rows_changed(), 7);
  auto select = conn_->Query("SELECT * FROM t");
  ASSERT_TRUE(select.ok());
  EXPECT_EQ((*select)->rows_changed(), 0);
}

TEST_F(EngineTest, ErrorsCarryDuckDBMessageAndMappedCode) {
  auto missing = conn_->Query("SELECT * FROM no_such_table");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsInvalidArgument()) << missing.status();
  EXPECT_NE(missing.status().message().find("no_such_table"), std::string::npos);
  EXPECT_NE(missing.status().message().find("Catalog Error"), std::string::npos);

  Status syntax = conn_->Execute("SELEC 1");
  EXPECT_TRUE(syntax.IsInvalidArgument()) << syntax;
  EXPECT_NE(syntax.message().find("syntax error"), std::string::npos) << syntax;

  auto binder = conn_->Query("SELECT no_such_column FROM range(1)");
  EXPECT_TRUE(binder.status().IsInvalidArgument()) << binder.status();
  EXPECT_NE(binder.status().message().find("no_such_column"), std::string::npos);

  // A runtime error (raised while executing, not while binding).
  auto conversion = conn_->QueryRows("SELECT CAST('abc' || i AS INTEGER) FROM range(3) t(i)");
  EXPECT_TRUE(conversion.status().IsInvalidArgument()) << conversion.status();
  EXPECT_NE(conversion.status().message().find("abc0"), std::string::npos) << conversion.status();

  Status missing_file = conn_->Execute("SELECT * FROM read_csv('/no/such/file.csv')");
  EXPECT_TRUE(missing_file.IsIOError()) << missing_file;

  Status not_implemented = conn_->Execute("SELECT error('boom')");
  EXPECT_FALSE(not_implemented.ok());
  EXPECT_NE(not_implemented.message().find("boom"), std::string::npos);
}

TEST_F(EngineTest, ErrorMidStreamSurfacesFromNext) {
  // Fails only once the stream reaches i = 50000, well after the first chunks.
  auto result = conn_->Query(
      "SELECT CASE WHEN i < 50000 THEN i ELSE CAST('x' || i AS INTEGER) END AS v "
      "FROM range(100000) t(i)");
  Status failure;
  if (!result.ok()) {
    failure = result.status();  // DuckDB may already fail while producing the first chunk.
  } else {
    while (true) {
      auto chunk = (*result)->Next();
      if (!chunk.ok()) {
        failure = chunk.status();
        break;
      }
      if (*chunk == nullptr) break;
    }
  }
  EXPECT_TRUE(failure.IsInvalidArgument()) << failure;
  EXPECT_NE(failure.message().find("x50000"), std::string::npos) << failure;
}

TEST_F(EngineTest, TransactionConflictIsConflict) {
  ASSERT_TRUE(conn_
                  ->Execute("CREATE TABLE c(id INTEGER PRIMARY KEY, v INTEGER); "
                            "INSERT INTO c VALUES (1, 0)")
                  .ok());
  auto other = db_->Connect();
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(conn_->Execute("BEGIN; UPDATE c SET v = 1 WHERE id = 1").ok());
  ASSERT_TRUE((*other)->Execute("BEGIN").ok());
  Status second = (*other)->Execute("UPDATE c SET v = 2 WHERE id = 1");
  EXPECT_EQ(second.code(), StatusCode::kConflict) << second;
  EXPECT_NE(second.message().find("onflict"), std::string::npos) << second;
  EXPECT_TRUE(conn_->Execute("COMMIT").ok());
}

TEST_F(EngineTest, ALaterStatementClosesAnUnfinishedStream) {
  auto first = conn_->Query("SELECT * FROM range(100000)");
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(conn_->Execute("SELECT 1").ok());
  auto chunk = (*first)->Next();
  EXPECT_EQ(chunk.status().code(), StatusCode::kFailedPrecondition) << chunk.status();
}

TEST_F(EngineTest, InterruptFromAnotherThreadCancelsALongQuery) {
  // Interrupts until the query has ended: one that lands before the statement starts is cleared
  // by it, and a loaded machine may start the statement late.
  std::atomic<bool> ended{false};
  std::thread interrupter([this, &ended] {
    while (!ended) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      conn_->Interrupt();
    }
  });
  auto start = std::chrono::steady_clock::now();
  // Takes many seconds when left alone.
  auto rows = conn_->QueryRows("SELECT count(*) FROM range(100000000000) a");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ended = true;
  interrupter.join();
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kCancelled) << rows.status();
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  // The connection stays usable.
  EXPECT_EQ(Scalar("SELECT 40 + 2"), Value(int64_t{42}));
}

TEST_F(EngineTest, PreparedStatementBindsEveryValueKind) {
  auto statement = conn_->Prepare(
      "SELECT $1::BIGINT + 1, $2::DOUBLE * 2, NOT $3::BOOLEAN, $4::VARCHAR || '!', $5 IS NULL, "
      "$6::DATE + 1");
  ASSERT_TRUE(statement.ok()) << statement.status();
  PreparedStatement& s = **statement;
  EXPECT_EQ(s.parameter_count(), 6);
  ASSERT_TRUE(s.Bind(1, int64_t{41}).ok());
  ASSERT_TRUE(s.Bind(2, 1.25).ok());
  ASSERT_TRUE(s.Bind(3, false).ok());
  ASSERT_TRUE(s.Bind(4, std::string("hi")).ok());
  ASSERT_TRUE(s.Bind(5, Value{}).ok());
  ASSERT_TRUE(s.Bind(6, std::string("2024-02-28")).ok());
  for (int round = 0; round < 2; ++round) {  // a statement runs more than once
    auto result = s.Execute();
    ASSERT_TRUE(result.ok()) << result.status();
    auto chunk = (*result)->Next();
    ASSERT_TRUE(chunk.ok() && *chunk != nullptr);
    EXPECT_EQ((*chunk)->GetInt64(0, 0).value(), 42);
    EXPECT_EQ((*chunk)->GetDouble(1, 0).value(), 2.5);
    EXPECT_EQ((*chunk)->GetValue(2, 0), Value(true));
    EXPECT_EQ((*chunk)->GetString(3, 0).value(), "hi!");
    EXPECT_EQ((*chunk)->GetValue(4, 0), Value(true));
    EXPECT_EQ((*chunk)->Text(5, 0), "2024-02-29");
  }
  EXPECT_TRUE(s.Bind(0, int64_t{1}).IsInvalidArgument());
  EXPECT_TRUE(s.Bind(7, int64_t{1}).IsInvalidArgument());
  EXPECT_TRUE(s.Bind(-3, int64_t{1}).IsInvalidArgument());
  ASSERT_TRUE(s.ClearBindings().ok());
  auto unbound = s.Execute();
  EXPECT_TRUE(unbound.status().IsInvalidArgument()) << unbound.status();
}

TEST_F(EngineTest, PreparedDmlAndPrepareErrors) {
  ASSERT_TRUE(conn_->Execute("CREATE TABLE p(i INTEGER, s VARCHAR)").ok());
  auto insert = conn_->Prepare("INSERT INTO p VALUES (?, ?)");
  ASSERT_TRUE(insert.ok()) << insert.status();
  for (int64_t i = 0; i < 5; ++i) {
    ASSERT_TRUE((*insert)->Bind(1, i).ok());
    ASSERT_TRUE((*insert)->Bind(2, "v" + std::to_string(i)).ok());
    auto result = (*insert)->Execute();
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ((*result)->rows_changed(), 1);
  }
  EXPECT_EQ(Scalar("SELECT string_agg(s, ',' ORDER BY i) FROM p"),
            Value(std::string("v0,v1,v2,v3,v4")));
  auto bad = conn_->Prepare("SELECT * FROM missing_table WHERE x = ?");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalidArgument()) << bad.status();
  EXPECT_NE(bad.status().message().find("missing_table"), std::string::npos);
}

TEST_F(EngineTest, AppenderTakesEveryValueKindAndCastsToColumnTypes) {
  ASSERT_TRUE(conn_
                  ->Execute("CREATE SCHEMA s; CREATE TABLE s.t(b BOOLEAN, i INTEGER, "
                            "d DOUBLE, v VARCHAR, dt DATE, dec DECIMAL(10,2), l INTEGER[], "
                            "n BIGINT, blob BLOB)")
                  .ok());
  auto appender = conn_->CreateAppender("s", "t");
  ASSERT_TRUE(appender.ok()) << appender.status();
  Appender& a = **appender;
  for (int64_t row = 0; row < 3000; ++row) {
    ASSERT_TRUE(a.Append(row % 2 == 0).ok());
    ASSERT_TRUE(a.Append(row).ok());
    ASSERT_TRUE(a.Append(row / 4.0).ok());
    ASSERT_TRUE(a.Append("r" + std::to_string(row)).ok());
    ASSERT_TRUE(a.Append(std::string("2024-01-31")).ok());
    ASSERT_TRUE(a.Append(std::string("12.50")).ok());
    ASSERT_TRUE(a.Append(std::string("[1, 2]")).ok());
    ASSERT_TRUE(row % 3 == 0 ? a.AppendNull().ok() : a.Append(Value{}).ok());
    ASSERT_TRUE(a.Append(std::string("\x01\x02", 2)).ok());
    ASSERT_TRUE(a.EndRow().ok());
  }
  ASSERT_TRUE(a.Flush().ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM s.t"), Value(int64_t{3000}));
  ASSERT_TRUE(a.Close().ok());
  EXPECT_TRUE(a.Close().ok());  // idempotent
  EXPECT_EQ(a.Append(int64_t{1}).code(), StatusCode::kFailedPrecondition);
  auto rows = conn_->QueryRows(
      "SELECT b, i, d, v, CAST(dt AS VARCHAR), CAST(dec AS VARCHAR), CAST(l AS VARCHAR), n, "
      "octet_length(blob) FROM s.t WHERE i = 7");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0], (std::vector<Value>{false, int64_t{7}, 1.75, std::string("r7"),
                                            std::string("2024-01-31"), std::string("12.50"),
                                            std::string("[1, 2]"), std::monostate{}, int64_t{2}}));
}

TEST_F(EngineTest, AppenderErrors) {
  auto missing = conn_->CreateAppender("", "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsInvalidArgument()) << missing.status();
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos) << missing.status();

  ASSERT_TRUE(conn_->Execute("CREATE TABLE t(d DATE, i INTEGER)").ok());
  auto appender = conn_->CreateAppender("", "t");
  ASSERT_TRUE(appender.ok()) << appender.status();
  Status bad_date = (*appender)->Append(std::string("not a date"));
  EXPECT_TRUE(bad_date.IsInvalidArgument()) << bad_date;
  EXPECT_NE(bad_date.message().find("not a date"), std::string::npos) << bad_date;
}

TEST_F(EngineTest, AppenderRowsBecomeVisibleOnDestruction) {
  ASSERT_TRUE(conn_->Execute("CREATE TABLE t(i INTEGER)").ok());
  {
    auto appender = conn_->CreateAppender("", "t");
    ASSERT_TRUE(appender.ok());
    ASSERT_TRUE((*appender)->Append(int64_t{5}).ok());
    ASSERT_TRUE((*appender)->EndRow().ok());
    Status short_row = (*appender)->EndRow();  // no values appended for this row
    EXPECT_FALSE(short_row.ok());
  }
  EXPECT_EQ(Scalar("SELECT sum(i) FROM t"), Value(int64_t{5}));
}

}  // namespace
}  // namespace strata::engine
