#include "lake/session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "lake/lake_test_util.h"
#include "storage/memory_object_store.h"

namespace strata::lake {
namespace {

using testing::Column;
using testing::CommitRows;
using ::testing::HasSubstr;

constexpr int64_t kT0 = 1704067200000;  // 2024-01-01 00:00:00 UTC

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_shared<storage::MemoryObjectStore>("session-test");
    duck_ = testing::OpenDuck();
    // bronze.pedidos: v0 ids 1..3, v1 adds 4..5 (an hour later).
    CommitRows(*duck_.conn, *store_, "lake/bronze/pedidos", 0,
               "SELECT range AS id, 'p' || range AS name FROM range(1, 4)", kT0);
    CommitRows(*duck_.conn, *store_, "lake/bronze/pedidos", 1,
               "SELECT range AS id, 'p' || range AS name FROM range(4, 6)", kT0 + 3600000);
    CommitRows(*duck_.conn, *store_, "lake/bronze/pedidos__quarantine", 0,
               "SELECT 99 AS id, 'bad row' AS name", kT0);
    CommitRows(*duck_.conn, *store_, "lake/silver/clientes", 0,
               "SELECT range AS id, 'c' || range AS name FROM range(1, 6)", kT0);
    session_ = std::make_unique<LakeSession>(Lake(store_, "lake"), *duck_.conn);
  }

  // Binds and runs `sql`; the first column of the result joined with ",".
  std::string Run(const std::string& sql) {
    auto bound = session_->Bind(sql);
    if (!bound.ok()) return "bind error: " + bound.status().ToString();
    return Column(*duck_.conn, bound->sql);
  }

  std::shared_ptr<storage::MemoryObjectStore> store_;
  testing::Duck duck_;
  std::unique_ptr<LakeSession> session_;
};

TEST_F(SessionTest, BindsJoinsCtesSubqueriesAndSetOperations) {
  EXPECT_EQ(Run("SELECT p.id FROM bronze.pedidos p JOIN silver.clientes c USING (id) "
                "WHERE c.name <> 'c2' ORDER BY 1"),
            "1,3,4,5");
  EXPECT_EQ(Run("WITH big AS (SELECT * FROM bronze.pedidos WHERE id > 3) "
                "SELECT count(*) FROM big"),
            "2");
  EXPECT_EQ(Run("SELECT count(*) FROM silver.clientes WHERE id IN "
                "(SELECT id FROM bronze.pedidos WHERE name LIKE 'p%')"),
            "5");
  EXPECT_EQ(Run("SELECT id FROM bronze.pedidos UNION SELECT id FROM "
                "bronze.pedidos__quarantine ORDER BY 1 DESC LIMIT 2"),
            "99,5");
  // Case-insensitive like SQL, and the qualified column spelling keeps working.
  EXPECT_EQ(Run("SELECT max(pedidos.id) FROM BRONZE.Pedidos"), "5");
}

TEST_F(SessionTest, ReportsTheTablesAndVersionsBound) {
  auto bound = session_->Bind(
      "SELECT * FROM bronze.pedidos, bronze.pedidos old AT (VERSION => 0), bronze.pedidos");
  ASSERT_TRUE(bound.ok()) << bound.status();
  ASSERT_EQ(bound->tables.size(), 2u);
  EXPECT_EQ(bound->tables[0].reference, "bronze.pedidos");
  EXPECT_EQ(bound->tables[0].view, "\"bronze\".\"pedidos\"");
  EXPECT_EQ(bound->tables[0].version, 1);
  EXPECT_EQ(bound->tables[1].view, "\"bronze\".\"pedidos@v0\"");
  EXPECT_EQ(bound->tables[1].version, 0);
  ASSERT_NE(bound->tables[1].snapshot, nullptr);
  EXPECT_EQ(bound->tables[1].snapshot->files.size(), 1u);
}

TEST_F(SessionTest, AtVersion) {
  EXPECT_EQ(Run("SELECT count(*) FROM bronze.pedidos AT (VERSION => 0)"), "3");
  EXPECT_EQ(Run("SELECT count(*) FROM bronze.pedidos AT (VERSION => 1)"), "5");
  // The reference keeps its name for column qualification, or takes the alias given.
  EXPECT_EQ(Run("SELECT max(pedidos.id) FROM bronze.pedidos AT (VERSION => 0)"), "3");
  EXPECT_EQ(Run("SELECT max(o.id) FROM bronze.pedidos AS o AT (VERSION => 1 - 1)"), "3");
  // Latest and old version of the same table in one query: rows added by version 1.
  EXPECT_EQ(Run("SELECT n.id FROM bronze.pedidos n ANTI JOIN bronze.pedidos o AT (VERSION => 0) "
                "USING (id) ORDER BY 1"),
            "4,5");
}

TEST_F(SessionTest, AtTimestamp) {
  EXPECT_EQ(Run("SELECT count(*) FROM bronze.pedidos AT "
                "(TIMESTAMP => TIMESTAMP '2024-01-01 00:30:00')"),
            "3");
  EXPECT_EQ(Run("SELECT count(*) FROM bronze.pedidos AT "
                "(TIMESTAMP => TIMESTAMPTZ '2024-01-01 03:00:00+02')"),
            "5");
  // Before the first commit: the error names the earliest commit.
  EXPECT_THAT(Run("SELECT * FROM bronze.pedidos AT (TIMESTAMP => TIMESTAMP '2023-01-01')"),
              HasSubstr("before the earliest"));
  // Resolved to version 0, so it shares the AT (VERSION => 0) view.
  auto bound = session_->Bind(
      "SELECT * FROM bronze.pedidos AT (TIMESTAMP => TIMESTAMP '2024-01-01 00:00:01')");
  ASSERT_TRUE(bound.ok()) << bound.status();
  EXPECT_EQ(bound->tables[0].view, "\"bronze\".\"pedidos@v0\"");
}

TEST_F(SessionTest, BadVersionsAndUnits) {
  std::string past = Run("SELECT * FROM bronze.pedidos AT (VERSION => 7)");
  EXPECT_THAT(past, HasSubstr("not_found"));
  EXPECT_THAT(past, HasSubstr("latest is 1"));
  EXPECT_THAT(Run("SELECT * FROM bronze.pedidos AT (VERSION => 'x')"), HasSubstr("AT clause"));
  EXPECT_THAT(Run("SELECT * FROM bronze.pedidos AT (VERSION => NULL)"), HasSubstr("NULL"));
}

TEST_F(SessionTest, UnknownTablesAreNotFoundWithCloseNames) {
  auto typo = session_->Bind("SELECT * FROM bronze.pedido");
  EXPECT_TRUE(typo.status().IsNotFound());
  EXPECT_THAT(typo.status().message(), HasSubstr("table bronze.pedido does not exist"));
  EXPECT_THAT(typo.status().message(), HasSubstr("did you mean bronze.pedidos"));

  // A schema that is neither a lake layer nor known to DuckDB: still our NotFound.
  auto layer = session_->Bind("SELECT * FROM bronz.pedidos");
  EXPECT_TRUE(layer.status().IsNotFound());
  EXPECT_THAT(layer.status().message(), HasSubstr("did you mean bronze.pedidos"));

  // An empty standard layer is still a lake layer.
  EXPECT_TRUE(session_->Bind("SELECT * FROM gold.vendas").status().IsNotFound());
}

TEST_F(SessionTest, LeavesOtherReferencesToDuckDb) {
  ASSERT_TRUE(duck_.conn
                  ->Execute("CREATE SCHEMA staging; CREATE TABLE staging.t AS SELECT 7 AS "
                            "id; CREATE TABLE local_t AS SELECT 8 AS id")
                  .ok());
  EXPECT_EQ(Run("SELECT id FROM staging.t UNION ALL SELECT id FROM local_t UNION ALL "
                "SELECT count(*) FROM information_schema.tables WHERE false ORDER BY 1"),
            "0,7,8");
  auto create = session_->Bind("CREATE TABLE copy AS SELECT * FROM bronze.pedidos");
  ASSERT_TRUE(create.ok()) << create.status();
  EXPECT_FALSE(create->parsed);
  EXPECT_EQ(create->sql, "CREATE TABLE copy AS SELECT * FROM bronze.pedidos");
}

TEST_F(SessionTest, SeesNewCommitsAndReusesUnchangedViews) {
  auto first = session_->Bind("SELECT * FROM silver.clientes");
  ASSERT_TRUE(first.ok());
  auto again = session_->Bind("SELECT * FROM silver.clientes");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->tables[0].snapshot.get(), again->tables[0].snapshot.get());

  CommitRows(*duck_.conn, *store_, "lake/silver/clientes", 1, "SELECT 6 AS id, 'c6' AS name",
             kT0 + 1000);
  EXPECT_EQ(Run("SELECT count(*) FROM silver.clientes"), "6");
}

TEST_F(SessionTest, BindTableAndDroppedViews) {
  auto table = session_->BindTable("bronze.pedidos", TimeTravel{0, std::nullopt});
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(Column(*duck_.conn, "SELECT count(*) FROM " + table->view), "3");
  EXPECT_TRUE(session_->BindTable("bronze.nope").status().IsNotFound());
  session_.reset();
  EXPECT_THAT(Column(*duck_.conn, "SELECT count(*) FROM bronze.\"pedidos@v0\""),
              HasSubstr("does not exist"));
}

TEST_F(SessionTest, ParsesTimestamps) {
  EXPECT_EQ(*session_->ParseTimestampMillis("2024-01-01"), kT0);
  EXPECT_EQ(*session_->ParseTimestampMillis("2024-01-01 01:00:00"), kT0 + 3600000);
  EXPECT_EQ(*session_->ParseTimestampMillis("2024-01-01T03:00:00+02:00"), kT0 + 3600000);
  EXPECT_TRUE(session_->ParseTimestampMillis("yesterday-ish").status().IsInvalidArgument());
}

TEST(SessionPathTest, PathReferencesOnLocalTables) {
  testing::ScratchDir dir;
  testing::Duck duck = testing::OpenDuck();
  auto store = storage::OpenObjectStore(dir.path());
  ASSERT_TRUE(store.ok());
  CommitRows(*duck.conn, **store, "t", 0, "SELECT 1 AS id, 'a' AS name", kT0);
  CommitRows(*duck.conn, **store, "t", 1, "SELECT 2 AS id, 'b' AS name", kT0 + 1000);
  ASSERT_TRUE(duck.conn->Execute("COPY (SELECT 5 AS id) TO '" + dir.path() + "/plain.csv'").ok());

  LakeSession session(std::nullopt, *duck.conn);  // no lake: paths only
  const std::string table = dir.path() + "/t";
  auto bound = session.Bind(
      "SELECT max(t.id) FROM '" + table + "' UNION ALL SELECT max(id) FROM '" + table +
      "/' v AT (VERSION => 0) UNION ALL SELECT id FROM '" + dir.path() + "/plain.csv'");
  ASSERT_TRUE(bound.ok()) << bound.status();
  EXPECT_EQ(bound->tables.size(), 2u);
  EXPECT_EQ(Column(*duck.conn, bound->sql), "2,1,5");
  // Without a lake, layer names pass through to DuckDB.
  EXPECT_THAT(Column(*duck.conn, session.Bind("SELECT * FROM bronze.x")->sql),
              HasSubstr("does not exist"));
}

// Binding cost for a three-table query: cold (load + plan + create views) and warm (the
// common case in a session: one listing per table). Printed for the record; the bound is loose
// enough for sanitizer builds yet catches an accidental full reload per bind.
TEST_F(SessionTest, BindingOverhead) {
  const std::string sql =
      "SELECT count(*) FROM bronze.pedidos p JOIN silver.clientes c USING (id) "
      "JOIN bronze.pedidos__quarantine q ON q.id > p.id";
  auto time = [&] {
    auto start = std::chrono::steady_clock::now();
    auto bound = session_->Bind(sql);
    EXPECT_TRUE(bound.ok()) << bound.status();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
  };
  // The parser round trip alone, on a connection that has not parsed anything yet.
  auto parse_start = std::chrono::steady_clock::now();
  ASSERT_TRUE(FindTableRefs(*duck_.conn, sql).ok());
  const double parse =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - parse_start)
          .count();
  double cold = time();
  double warm = 1e9;
  for (int i = 0; i < 20; ++i) warm = std::min(warm, time());
  CommitRows(*duck_.conn, *store_, "lake/silver/clientes", 1, "SELECT 6 AS id, 'c6' AS name",
             kT0 + 1000);
  double one_changed = time();
  std::printf(
      "binding 3 tables: first parse %.2f ms, cold %.2f ms, warm %.2f ms, "
      "one table changed %.2f ms\n",
      parse, cold, warm, one_changed);
  EXPECT_LT(warm, 100.0);
}

// A reader under a policy: silver.clientes readable with `name` masked, bronze unreadable.
class PolicySessionTest : public SessionTest {
 protected:
  void SetUp() override {
    SessionTest::SetUp();
    session_->SetAccessPolicy([this](const TableName& table) -> Result<TableAccess> {
      asked_.push_back(table.layer + "." + table.name);
      TableAccess access;
      if (table.layer == "bronze") {
        access.readable = false;
        access.reason = "no read grant on layer bronze";
      } else {
        access.masked_columns = {"NAME"};  // any case
      }
      return access;
    });
  }
  std::vector<std::string> asked_;
};

TEST_F(PolicySessionTest, MasksColumnsInTheViewItself) {
  EXPECT_EQ(Run("SELECT name FROM silver.clientes ORDER BY id LIMIT 2"), "***,***");
  // Filters, aggregates and joins see the masked value only: nothing leaks through a predicate.
  EXPECT_EQ(Run("SELECT count(*) FROM silver.clientes WHERE name = 'c1'"), "0");
  EXPECT_EQ(Run("SELECT count(DISTINCT name) FROM silver.clientes"), "1");
  // Unmasked columns and time travel keep working.
  EXPECT_EQ(Run("SELECT sum(id) FROM silver.clientes AT (VERSION => 0)"), "15");
  EXPECT_EQ(Run("SELECT name FROM silver.clientes AT (VERSION => 0) LIMIT 1"), "***");
  EXPECT_THAT(asked_, ::testing::Contains("silver.clientes"));
}

TEST_F(PolicySessionTest, RefusesUnreadableTablesPathsAndFileFunctions) {
  EXPECT_THAT(Run("SELECT count(*) FROM bronze.pedidos"),
              HasSubstr("you may not read bronze.pedidos: no read grant on layer bronze"));
  // Hidden in a subquery of a readable table's query, still refused.
  EXPECT_THAT(Run("SELECT * FROM silver.clientes WHERE id IN (SELECT id FROM bronze.pedidos)"),
              HasSubstr("permission_denied"));
  EXPECT_THAT(Run("SELECT * FROM read_parquet('lake/silver/clientes/*.parquet')"),
              HasSubstr("table function read_parquet() is not allowed here"));
  EXPECT_THAT(Run("SELECT * FROM silver.clientes, (SELECT * FROM glob('/etc/*'))"),
              HasSubstr("table function glob() is not allowed here"));
  EXPECT_THAT(Run("SELECT * FROM duckdb_views()"), HasSubstr("duckdb_views() is not allowed"));
  EXPECT_THAT(Run("CREATE TABLE t AS SELECT 1"), HasSubstr("only a SELECT may run here"));
  // Generators are fine.
  EXPECT_EQ(Run("SELECT count(*) FROM range(3), silver.clientes"), "15");
  auto by_table = session_->BindTable("bronze.pedidos");
  ASSERT_FALSE(by_table.ok());
  EXPECT_TRUE(by_table.status().IsPermissionDenied()) << by_table.status();
}

TEST(TableFunctionsTest, AreFoundWhereverTheySit) {
  testing::Duck duck = testing::OpenDuck();
  auto refs = FindTableRefs(*duck.conn,
                            "SELECT (SELECT count(*) FROM Read_CSV('x')) FROM range(2) r, "
                            "LATERAL unnest([1]) u WHERE 1 IN (SELECT 1 FROM glob('*'))");
  ASSERT_TRUE(refs.ok()) << refs.status();
  EXPECT_THAT(refs->table_functions,
              ::testing::UnorderedElementsAre("read_csv", "range", "unnest", "glob"));
}

}  // namespace
}  // namespace strata::lake
