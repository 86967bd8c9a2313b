// Delta write path: stats, create/append/overwrite/delete/merge, schema enforcement and
// evolution, partition escaping, exactly-once transactions, non-local stores.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "storage/delta/data_writer.h"
#include "storage/delta/delta_table.h"
#include "storage/delta/file_stats.h"
#include "storage/delta/table_ops.h"
#include "storage/delta/write_schema.h"
#include "storage/delta/write_test_util.h"
#include "storage/memory_object_store.h"

namespace strata::delta {
namespace {

using storage::testing::ScopedTempDir;
using testing::ActionsOf;
using testing::CommitActions;
using testing::Count;
using testing::ExpectSameRows;
using testing::InfoOf;
using testing::RowCount;
using testing::ScanSql;
using json = nlohmann::json;

TEST(DeltaStatsTest, ParsesDuckMapTextWithQuotesAndNulls) {
  auto m = ParseDuckMapText(R"({a=1, 'b c'=NULL, 'NULL'='x\'y\\z', ''=, k='{=,}'})");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->at("a"), "1");
  EXPECT_FALSE(m->at("b c").has_value());
  EXPECT_EQ(m->at("NULL"), "x'y\\z");
  EXPECT_EQ(m->at(""), "");
  EXPECT_EQ(m->at("k"), "{=,}");
  EXPECT_FALSE(ParseDuckMapText("{a=1").ok());
  auto stats = ParseDuckColumnStatistics(
      R"({'"id"'={max=9, min=0, null_count=0}, '"st"."x"'={min='a b', null_count=2}})");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->at({"id"}).at("max"), "9");
  EXPECT_EQ(stats->at({"st", "x"}).at("min"), "a b");
  auto path = ParseColumnPath(R"("a.b"."c""d")");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, (std::vector<std::string>{"a.b", "c\"d"}));
}

TEST(DeltaStatsTest, BoundsAreExactOrConservative) {
  auto ts = DataType::Primitive("timestamp");
  // Millisecond precision: the min is truncated down, the max rounded up.
  EXPECT_EQ(DeltaStatValue(ts, "2024-01-31 12:00:00.1234+00", false),
            "\"2024-01-31T12:00:00.123Z\"");
  EXPECT_EQ(DeltaStatValue(ts, "2024-01-31 12:00:00.1234+00", true),
            "\"2024-01-31T12:00:00.124Z\"");
  EXPECT_EQ(DeltaStatValue(ts, "2024-12-31 23:59:59.9999+00", true),
            "\"2025-01-01T00:00:00.000Z\"");
  EXPECT_EQ(DeltaStatValue(ts, "1969-12-31 23:59:59.9995+00", false),
            "\"1969-12-31T23:59:59.999Z\"");
  EXPECT_EQ(DeltaStatValue(DataType::Primitive("timestamp_ntz"), "2024-01-31 12:00:00", true),
            "\"2024-01-31T12:00:00.000\"");
  EXPECT_FALSE(DeltaStatValue(DataType::Primitive("date"), "0045-03-15 (BC)", false));
  // Floats are written exactly as the double value of the float.
  EXPECT_EQ(DeltaStatValue(DataType::Primitive("float"), "0.1", true), "0.10000000149011612");
  EXPECT_EQ(DeltaStatValue(DataType::Primitive("double"), "3", true), "3.0");
  EXPECT_FALSE(DeltaStatValue(DataType::Primitive("double"), "inf", true));
  EXPECT_EQ(DeltaStatValue(DataType::Decimal(18, 4), "12345678901234.5678", true),
            "12345678901234.5678");
  EXPECT_FALSE(DeltaStatValue(DataType::Decimal(38, 2), "1.50", true));
  const std::string long_text(100, 'x');
  EXPECT_EQ(DeltaStatValue(DataType::Primitive("string"), long_text, false),
            "\"" + std::string(kMaxStatStringBytes, 'x') + "\"");
  EXPECT_FALSE(DeltaStatValue(DataType::Primitive("string"), long_text, true));
  EXPECT_FALSE(DeltaStatValue(DataType::Primitive("boolean"), "true", true));
}

TEST(DeltaWriteSchemaTest, ParsesDuckTypes) {
  auto t = DeltaTypeFromSql(R"(STRUCT(a INTEGER, "b c" VARCHAR[], m MAP(VARCHAR, DECIMAL(10,2))))");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(ToSqlType(*t),
            R"(STRUCT("a" INTEGER, "b c" VARCHAR[], "m" MAP(VARCHAR, DECIMAL(10,2))))");
  EXPECT_EQ(DeltaTypeFromSql("TIMESTAMP WITH TIME ZONE")->DeltaName(), "timestamp");
  EXPECT_EQ(DeltaTypeFromSql("UTINYINT")->DeltaName(), "short");
  EXPECT_EQ(DeltaTypeFromSql("HUGEINT")->DeltaName(), "decimal(38,0)");
  EXPECT_EQ(DeltaTypeFromSql("UBIGINT")->DeltaName(), "decimal(20,0)");
  auto bad = DeltaTypeFromSql("TIMESTAMP_NS");
  EXPECT_TRUE(bad.status().IsUnsupported());
  EXPECT_NE(bad.status().message().find("TIMESTAMP_NS"), std::string::npos);
}

TEST(DeltaWriteSchemaTest, PartitionDirectoriesUseHiveEscaping) {
  EXPECT_EQ(PartitionDirectory("letter", std::string("/%20%f")), "letter=%2F%2520%25f");
  EXPECT_EQ(PartitionDirectory("p", std::nullopt), "p=__HIVE_DEFAULT_PARTITION__");
  EXPECT_EQ(EscapePartitionPathName("a b:c=d"), "a b%3Ac%3Dd");
}

class DeltaWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duck_ = testing::OpenDuck();
    store_ = testing::OpenLocal(temp_.path() + "/lake");
  }
  DeltaTable Table(const std::string& root = "t") { return DeltaTable(store_, root, conn()); }
  engine::Connection& conn() { return *duck_.conn; }
  std::string Scan(const std::string& root = "t", std::optional<int64_t> v = std::nullopt) {
    plans_.emplace_back();
    return ScanSql(*store_, root, conn(), &plans_.back(), v);
  }

  ScopedTempDir temp_;
  testing::Duck duck_;
  std::shared_ptr<storage::ObjectStore> store_;
  std::vector<ScanPlan> plans_;
};

constexpr const char* kMixed =
    "SELECT i::INTEGER AS id, i * 10 AS big, i / 4 AS dbl, 'name ' || i AS name, "
    "DATE '2024-01-01' + i::INTEGER AS day, TIMESTAMPTZ '2024-01-01 00:00:00.123456+00' + "
    "to_seconds(i) AS ts, (i * 1.25)::DECIMAL(10,2) AS amount, i % 2 = 0 AS flag, "
    "{'x': i, 'y': 'v' || i} AS st, [i, i + 1] AS arr, "
    "CASE i % 4 WHEN 0 THEN 'a/b' WHEN 1 THEN NULL WHEN 2 THEN '' ELSE 'x=%y' END AS part "
    "FROM range(40) t(i)";

TEST_F(DeltaWriteTest, CreateAsSelectRoundTripsWithStatsAndEscapedPartitions) {
  DeltaTable t = Table();
  CreateOptions create;
  create.as_select = kMixed;
  create.partition_columns = {"part"};
  auto r = t.Create(create);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->version, 0);
  // '' is written as a null partition (as Spark does), so expect NULL for it.
  ExpectSameRows(conn(), Scan(),
                 "SELECT * REPLACE (NULLIF(part, '') AS part) FROM (" + std::string(kMixed) + ")",
                 "ctas");

  auto actions = CommitActions(*store_, "t", 0);
  auto protocol = ActionsOf<Protocol>(actions);
  ASSERT_EQ(protocol.size(), 1u);
  EXPECT_EQ(protocol[0].min_reader_version, 1);
  EXPECT_EQ(protocol[0].min_writer_version, 2);
  CommitInfo info = InfoOf(actions);
  EXPECT_EQ(info.operation, "CREATE TABLE AS SELECT");
  EXPECT_EQ(info.json["engineInfo"], EngineInfo());
  EXPECT_EQ(info.json["operationParameters"]["partitionBy"], "[\"part\"]");
  EXPECT_EQ(info.json["operationMetrics"]["numOutputRows"], "40");
  EXPECT_TRUE(info.json.contains("txnId"));

  auto adds = ActionsOf<AddFile>(actions);
  ASSERT_EQ(adds.size(), 3u);  // a/b, null ('' and NULL), x=%y
  std::set<std::string> dirs;
  for (const AddFile& a : adds) {
    dirs.insert(a.path.substr(0, a.path.find('/')));
    EXPECT_NE(a.path.find(".zstd.parquet"), std::string::npos) << a.path;
    EXPECT_TRUE(store_->Head(*ResolveActionPath(*store_, "t", a.path)->key).ok()) << a.path;
    ASSERT_TRUE(a.stats.has_value());
    json stats = json::parse(*a.stats);
    EXPECT_GT(stats["numRecords"].get<int64_t>(), 0);
    EXPECT_TRUE(stats["minValues"].contains("id"));
    EXPECT_TRUE(stats["minValues"]["st"].contains("x")) << *a.stats;
    EXPECT_FALSE(stats["minValues"].contains("flag"));
    EXPECT_FALSE(stats["minValues"].contains("part")) << "partition columns have no stats";
    EXPECT_EQ(stats["nullCount"]["id"], 0);
    if (a.partition_values.at("part") == "a/b") {
      EXPECT_EQ(stats["minValues"]["id"], 0);
      EXPECT_EQ(stats["maxValues"]["id"], 36);
      EXPECT_EQ(stats["minValues"]["ts"], "2024-01-01T00:00:00.123Z");
      EXPECT_EQ(stats["maxValues"]["ts"], "2024-01-01T00:00:36.124Z");
      EXPECT_EQ(stats["maxValues"]["amount"], 45.0);
    }
  }
  // Directory names are Hive-escaped, and the log path URI-encodes them once more.
  EXPECT_EQ(dirs, (std::set<std::string>{"part=a%252Fb", "part=__HIVE_DEFAULT_PARTITION__",
                                         "part=x%253D%2525y"}));
  // Stats prune: a/b holds 0, 4, ..., 36; null holds 1, 2, 5, 6, ...; x=%y holds 3, 7, ..., 39.
  auto snap = t.Load();
  ASSERT_TRUE(snap.ok());
  int may = 0;
  for (const AddFile& a : snap->files) {
    may += FileMayMatch(*snap, a, {{"id", Predicate::Op::kLt, "1"}}).value() ? 1 : 0;
    EXPECT_FALSE(FileMayMatch(*snap, a, {{"id", Predicate::Op::kGt, "39"}}).value());
  }
  EXPECT_EQ(may, 1);
}

TEST_F(DeltaWriteTest, StatsBoundEveryFileAcrossTypes) {
  DeltaTable t = Table();
  const std::string data =
      "SELECT i % 5 AS g, (random() * 1e6)::BIGINT AS n, random() AS d, "
      "repeat(chr(97 + (i % 26)::INTEGER), (i % 90)::INTEGER) || i AS s, "
      "TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_microseconds((random() * 1e12)::BIGINT) AS ts, "
      "CASE WHEN i % 7 = 0 THEN NULL ELSE i END AS maybe FROM range(500) t(i)";
  ASSERT_TRUE(t.Create({.as_select = data, .partition_columns = {"g"}}).ok());
  auto snap = t.Load();
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->files.size(), 5u);
  for (const AddFile& f : snap->files) {
    json stats = json::parse(*f.stats);
    auto p = PlanScan(WithFiles(*snap, {f}), *store_, conn());
    ASSERT_TRUE(p.ok());
    auto rows = conn().QueryRows(
        "SELECT count(*), min(n), max(n), min(s), max(s), count(*) - count(maybe), "
        "min(ts) >= CAST(" +
        engine::QuoteLiteral(stats["minValues"]["ts"].get<std::string>()) +
        " AS TIMESTAMPTZ), max(ts) <= CAST(" +
        engine::QuoteLiteral(stats["maxValues"]["ts"].get<std::string>()) +
        " AS TIMESTAMPTZ) FROM (" + p->sql() + ")");
    ASSERT_TRUE(rows.ok()) << rows.status();
    const auto& row = (*rows)[0];
    EXPECT_EQ(stats["numRecords"], std::get<int64_t>(row[0]));
    EXPECT_LE(stats["minValues"]["n"].get<int64_t>(), std::get<int64_t>(row[1]));
    EXPECT_GE(stats["maxValues"]["n"].get<int64_t>(), std::get<int64_t>(row[2]));
    EXPECT_LE(stats["minValues"]["s"].get<std::string>(), std::get<std::string>(row[3]));
    if (stats["maxValues"].contains("s")) {
      EXPECT_GE(stats["maxValues"]["s"].get<std::string>(), std::get<std::string>(row[4]));
    }
    EXPECT_EQ(stats["nullCount"]["maybe"], std::get<int64_t>(row[5]));
    EXPECT_TRUE(std::get<bool>(row[6])) << "timestamp min is not a lower bound: " << *f.stats;
    EXPECT_TRUE(std::get<bool>(row[7])) << "timestamp max is not an upper bound: " << *f.stats;
  }
}

TEST_F(DeltaWriteTest, EnforcesSchemaAndEvolvesOnRequest) {
  DeltaTable t = Table();
  ASSERT_TRUE(t.Create({.as_select = "SELECT 1::INTEGER AS id, 'a' AS name"}).ok());
  // Wrong type: refused, naming the column and both types.
  auto bad = t.Append("SELECT 'x' AS id, 'b' AS name");
  ASSERT_TRUE(bad.status().IsInvalidArgument()) << bad.status();
  EXPECT_NE(bad.status().message().find("'id' is integer (INTEGER)"), std::string::npos)
      << bad.status();
  EXPECT_NE(bad.status().message().find("VARCHAR"), std::string::npos);
  // Extra column: refused without evolution.
  auto extra = t.Append("SELECT 2::INTEGER AS id, 'b' AS name, 3.5 AS score");
  ASSERT_TRUE(extra.status().IsInvalidArgument());
  EXPECT_NE(extra.status().message().find("'score'"), std::string::npos);
  // A lossless source type (SMALLINT into integer) and a missing nullable column are fine.
  ASSERT_TRUE(t.Append("SELECT 3::SMALLINT AS id").ok());
  // Narrowing is refused even with evolution.
  auto narrow = t.Append("SELECT 4::BIGINT AS id", {.evolve_schema = false});
  ASSERT_TRUE(narrow.status().IsInvalidArgument()) << narrow.status();
  EXPECT_EQ(t.Load()->version, 1) << "refused writes commit nothing";

  // Evolution: add a column and widen integer -> long in one append.
  auto ev = t.Append("SELECT 5000000000 AS id, 'c' AS name, 2.5 AS score", {.evolve_schema = true});
  ASSERT_TRUE(ev.ok()) << ev.status();
  auto snap = t.Load();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->schema.Find("id")->type.DeltaName(), "long");
  EXPECT_EQ(snap->schema.Find("score")->type.DeltaName(), "decimal(2,1)");
  EXPECT_TRUE(snap->protocol.HasReaderFeature("typeWidening"));
  EXPECT_TRUE(snap->protocol.HasWriterFeature("typeWidening"));
  EXPECT_EQ(snap->schema.Find("id")->metadata["delta.typeChanges"][0]["toType"], "long");
  ExpectSameRows(conn(), Scan(),
                 "SELECT * FROM (VALUES (1::BIGINT, 'a', NULL::DECIMAL(2,1)), (3, NULL, NULL), "
                 "(5000000000, 'c', 2.5)) AS v(id, name, score)",
                 "evolved");
  EXPECT_TRUE(t.Append("SELECT 7 AS id").ok()) << "writes keep working on the widened table";
}

// Files that all hold exactly the table's flat columns are read without a `schema` map (with one,
// DuckDB reads each file on a single thread); any difference between files brings the map back,
// and the rows are the same either way.
TEST_F(DeltaWriteTest, ScansUniformFilesWithoutASchemaMap) {
  DeltaTable t = Table();
  ASSERT_TRUE(t.Create({.as_select = "SELECT i::INTEGER AS id, 'n' || i AS name, "
                                     "TIMESTAMPTZ '2024-01-01 00:00:00+00' AS ts, "
                                     "(i * 1.5)::DECIMAL(10,2) AS amount FROM range(3) t(i)"})
                  .ok());
  ASSERT_TRUE(t.Append("SELECT 7::INTEGER AS id, 'x' AS name, "
                       "TIMESTAMPTZ '2024-02-01 00:00:00+00' AS ts, 1.25::DECIMAL(10,2) AS amount")
                  .ok());
  std::string uniform = Scan();
  EXPECT_EQ(uniform.find("schema=MAP"), std::string::npos) << uniform;
  ExpectSameRows(conn(), uniform,
                 "SELECT * FROM (VALUES (0, 'n0', TIMESTAMPTZ '2024-01-01 00:00:00+00', 0.00), "
                 "(1, 'n1', TIMESTAMPTZ '2024-01-01 00:00:00+00', 1.50), "
                 "(2, 'n2', TIMESTAMPTZ '2024-01-01 00:00:00+00', 3.00), "
                 "(7, 'x', TIMESTAMPTZ '2024-02-01 00:00:00+00', 1.25)) AS v(id, name, ts, amount)",
                 "uniform");

  // A column added later: the older files lack it, the map makes it read as NULL there.
  ASSERT_TRUE(t.Append("SELECT 8::INTEGER AS id, 'y' AS name, TIMESTAMPTZ '2024-03-01 00:00:00+00' "
                       "AS ts, 2::DECIMAL(10,2) AS amount, 'new' AS note",
                       {.evolve_schema = true})
                  .ok());
  std::string mixed = Scan();
  EXPECT_NE(mixed.find("schema=MAP"), std::string::npos) << mixed;
  auto rows = conn().QueryRows("SELECT count(*), count(note) FROM (" + mixed + ")");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(std::get<int64_t>((*rows)[0][0]), 5);
  EXPECT_EQ(std::get<int64_t>((*rows)[0][1]), 1);

  // Nested columns always go through the map (it renames their fields).
  DeltaTable nested = Table("nested");
  ASSERT_TRUE(nested.Create({.as_select = "SELECT {'x': 1} AS st"}).ok());
  EXPECT_NE(Scan("nested").find("schema=MAP"), std::string::npos);
}

// sum() of a BIGINT is a HUGEINT: stored as decimal(38,0), exact past the range of a long; a
// value of more than 38 digits fails the write and commits nothing.
TEST_F(DeltaWriteTest, WideIntegersAreStoredAsExactDecimals) {
  DeltaTable t = Table();
  auto created = t.Create({.as_select = "SELECT sum(v) AS total, 18446744073709551615::UBIGINT "
                                        "AS u FROM (VALUES (9223372036854775807), "
                                        "(9223372036854775807)) t(v)"});
  ASSERT_TRUE(created.ok()) << created.status();
  auto snap = t.Load();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->schema.Find("total")->type.DeltaName(), "decimal(38,0)");
  EXPECT_EQ(snap->schema.Find("u")->type.DeltaName(), "decimal(20,0)");
  ExpectSameRows(conn(), Scan(),
                 "SELECT 18446744073709551614::DECIMAL(38,0) AS total, "
                 "18446744073709551615::DECIMAL(20,0) AS u",
                 "wide");
  auto huge = t.Append("SELECT (170141183460469231731687303715884105727::HUGEINT) AS total");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("DECIMAL(38,0)"), std::string::npos) << huge.status();
  EXPECT_EQ(t.Load()->version, 0);
}

TEST_F(DeltaWriteTest, CreateRefusesExistingTableUnlessAsked) {
  DeltaTable t = Table();
  ASSERT_TRUE(t.Create({.as_select = "SELECT 1 AS a"}).ok());
  auto again = t.Create({.as_select = "SELECT 1 AS a"});
  EXPECT_TRUE(again.status().IsAlreadyExists()) << again.status();
  auto ignore =
      t.Create({.as_select = "SELECT 2 AS a", .if_exists = CreateOptions::IfExists::kIgnore});
  ASSERT_TRUE(ignore.ok());
  EXPECT_EQ(ignore->version, -1);
  auto replace =
      t.Create({.as_select = "SELECT 'x' AS b", .if_exists = CreateOptions::IfExists::kReplace});
  ASSERT_TRUE(replace.ok()) << replace.status();
  EXPECT_EQ(replace->version, 1);
  ExpectSameRows(conn(), Scan(), "SELECT 'x' AS b", "replaced");
  Schema schema;
  schema.fields.push_back({"k", DataType::Primitive("long"), false, {}});
  schema.fields.push_back({"v", DataType::Primitive("string"), true, {}});
  DeltaTable e = Table("empty");
  ASSERT_TRUE(e.Create({.schema = schema, .properties = {{"delta.appendOnly", "true"}}}).ok());
  EXPECT_EQ(RowCount(*store_, "empty", conn()), 0);
  auto null_key = e.Append("SELECT NULL::BIGINT AS k, 'v' AS v");
  EXPECT_FALSE(null_key.ok()) << "NOT NULL is enforced";
  ASSERT_TRUE(e.Append("SELECT 1::BIGINT AS k").ok());
  EXPECT_EQ(e.Delete({}).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(DeltaWriteTest, OverwriteWholeAndReplaceWhere) {
  DeltaTable t = Table();
  ASSERT_TRUE(t.Create({.as_select = "SELECT i AS id, i % 3 AS p FROM range(30) t(i)",
                        .partition_columns = {"p"}})
                  .ok());
  // replaceWhere p = 1: only partition 1 changes.
  auto rw = t.Overwrite("SELECT 100 + i AS id, 1 AS p FROM range(5) t(i)",
                        {.replace_where = {{"p", Predicate::Op::kEq, "1"}}});
  ASSERT_TRUE(rw.ok()) << rw.status();
  EXPECT_EQ(rw->metrics["numRemovedFiles"], "1");
  ExpectSameRows(conn(), Scan(),
                 "SELECT i AS id, i % 3 AS p FROM range(30) t(i) WHERE i % 3 <> 1 UNION ALL "
                 "SELECT 100 + i, 1 FROM range(5) t(i)",
                 "replaceWhere");
  // Rows outside the condition are refused, and nothing is committed.
  auto outside =
      t.Overwrite("SELECT 1 AS id, 2 AS p", {.replace_where = {{"p", Predicate::Op::kEq, "1"}}});
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.status().message().find("replaceWhere"), std::string::npos) << outside.status();
  EXPECT_EQ(t.Load()->version, 1);
  // replaceWhere on a data column rewrites only the matching rows.
  ASSERT_TRUE(
      t.Overwrite("SELECT 7 AS id, 0 AS p", {.replace_where = {{"id", Predicate::Op::kLt, "10"}}})
          .ok());
  EXPECT_EQ(Count(conn(), "SELECT * FROM (" + Scan() + ") WHERE id < 10"), 1);
  // Whole-table overwrite.
  ASSERT_TRUE(t.Overwrite("SELECT 1 AS id, 9 AS p").ok());
  ExpectSameRows(conn(), Scan(), "SELECT 1::BIGINT AS id, 9::BIGINT AS p", "overwrite");
  EXPECT_EQ(RowCount(*store_, "t", conn(), 0), 30) << "time travel still reads version 0";
  auto info = InfoOf(CommitActions(*store_, "t", 3));
  EXPECT_EQ(info.json["operationParameters"]["mode"], "Overwrite");
  EXPECT_EQ(info.json["isBlindAppend"], false);
}

TEST_F(DeltaWriteTest, AppendCarriesUserMetadataAndTxnInOneCommit) {
  DeltaTable t = Table();
  ASSERT_TRUE(t.Create({.as_select = "SELECT 1 AS id"}).ok());
  auto appended = t.Append("SELECT 2 AS id", {.txn = SetTransaction{"src", 7, {}},
                                              .user_metadata = R"({"file":"b.000001"})"});
  ASSERT_TRUE(appended.ok()) << appended.status();
  auto actions = CommitActions(*store_, "t", 1);
  EXPECT_EQ(InfoOf(actions).json["userMetadata"], R"({"file":"b.000001"})");
  EXPECT_EQ(t.Load()->AppVersion("src"), 7);
  EXPECT_FALSE(InfoOf(CommitActions(*store_, "t", 0)).json.contains("userMetadata"));
}

TEST_F(DeltaWriteTest, DeleteRewritesOnlyFilesThatMayMatch) {
  DeltaTable t = Table();
  ASSERT_TRUE(t.Create({.as_select = "SELECT i AS id, i % 2 AS p FROM range(0) t(i)",
                        .partition_columns = {"p"}})
                  .ok());
  for (int f = 0; f < 4; ++f) {  // 4 appends x 2 partitions, disjoint id ranges per append
    ASSERT_TRUE(t.Append("SELECT i AS id, i % 2 AS p FROM range(" + std::to_string(f * 100) + ", " +
                         std::to_string(f * 100 + 100) + ") t(i)")
                    .ok());
  }
  // A data predicate: stats exclude all but one file; that file is rewritten.
  auto del = t.Delete({.where = {{"id", Predicate::Op::kEq, "150"}}});
  ASSERT_TRUE(del.ok()) << del.status();
  EXPECT_EQ(del->metrics["numRemovedFiles"], "1");
  EXPECT_EQ(del->metrics["numAddedFiles"], "1");
  EXPECT_EQ(del->metrics["numDeletedRows"], "1");
  EXPECT_EQ(del->metrics["numCopiedRows"], "49");
  // A partition predicate: whole files go, nothing is rewritten.
  auto part = t.Delete({.where = {{"p", Predicate::Op::kEq, "1"}}});
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->metrics["numRemovedFiles"], "4");
  EXPECT_EQ(part->metrics["numAddedFiles"], "0");
  // SQL condition, and a delete that matches nothing commits nothing.
  ASSERT_TRUE(t.Delete({.where_sql = "id >= 390"}).ok());
  auto none = t.Delete({.where = {{"id", Predicate::Op::kGt, "100000"}}});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->version, -1);
  ExpectSameRows(conn(), Scan(),
                 "SELECT i AS id, 0::BIGINT AS p FROM range(400) t(i) WHERE i % 2 = 0 AND "
                 "i <> 150 AND i < 390",
                 "after deletes");
  auto info = InfoOf(CommitActions(*store_, "t", 5));
  EXPECT_EQ(info.operation, "DELETE");
  EXPECT_EQ(info.json["readVersion"], 4);
  EXPECT_EQ(info.json["operationParameters"]["predicate"], "[\"id = '150'\"]");
}

TEST_F(DeltaWriteTest, MergeUpdatesInsertsAndDeletes) {
  DeltaTable t = Table();
  ASSERT_TRUE(t.Create({.as_select = "SELECT i AS id, 'v' || i AS val FROM range(100) t(i)"}).ok());
  ASSERT_TRUE(t.Append("SELECT i AS id, 'v' || i AS val FROM range(1000, 1100) t(i)").ok());
  const std::string changes =
      "SELECT * FROM (VALUES (5, 'new5', 'U'), (7, NULL, 'D'), (500, 'ins', 'I'), "
      "(501, NULL, 'D'), (NULL, 'nullkey', 'I')) AS c(id, val, op)";
  auto m =
      t.Merge(changes, {.keys = {"id"}, .delete_when = "op = 'D'", .condition_columns = {"op"}});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->metrics["numTargetRowsUpdated"], "1");
  EXPECT_EQ(m->metrics["numTargetRowsDeleted"], "1");
  EXPECT_EQ(m->metrics["numTargetRowsInserted"], "2");  // 500 and the NULL key
  EXPECT_EQ(m->metrics["numTargetFilesRemoved"], "1") << "the 1000.. file is untouched";
  ExpectSameRows(conn(), Scan(),
                 "SELECT i AS id, CASE WHEN i = 5 THEN 'new5' ELSE 'v' || i END AS val FROM "
                 "range(100) t(i) WHERE i <> 7 UNION ALL SELECT i, 'v' || i FROM range(1000, 1100) "
                 "t(i) UNION ALL SELECT 500, 'ins' UNION ALL SELECT NULL, 'nullkey'",
                 "merged");
  EXPECT_EQ(InfoOf(CommitActions(*store_, "t", 2)).operation, "MERGE");
  // Duplicate source keys are refused; an extra column without condition_columns too.
  auto dup = t.Merge("SELECT 1 AS id, 'a' AS val UNION ALL SELECT 1, 'b'", {.keys = {"id"}});
  EXPECT_TRUE(dup.status().IsInvalidArgument()) << dup.status();
  auto extra = t.Merge("SELECT 1 AS id, 'a' AS val, 'x' AS op", {.keys = {"id"}});
  EXPECT_TRUE(extra.status().IsInvalidArgument());
  // Insert-only merge of existing keys changes nothing and commits nothing.
  auto noop = t.Merge("SELECT 1 AS id, 'zzz' AS val",
                      {.keys = {"id"}, .update_matched = false, .insert_unmatched = true});
  ASSERT_TRUE(noop.ok());
  EXPECT_EQ(noop->version, -1);
}

TEST_F(DeltaWriteTest, SetTransactionMakesIngestionExactlyOnce) {
  DeltaTable t = Table();
  ASSERT_TRUE(t.Create({.as_select = "SELECT 1 AS id"}).ok());
  auto first = t.Append("SELECT 2 AS id", {.txn = SetTransaction{"ingest-a", 7, {}}});
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->already_applied);
  auto again = t.Append("SELECT 2 AS id", {.txn = SetTransaction{"ingest-a", 7, {}}});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_applied);
  EXPECT_EQ(again->version, -1);
  auto older = t.Append("SELECT 2 AS id", {.txn = SetTransaction{"ingest-a", 3, {}}});
  EXPECT_TRUE(older->already_applied);
  ASSERT_TRUE(t.Append("SELECT 3 AS id", {.txn = SetTransaction{"ingest-a", 8, {}}}).ok());
  ASSERT_TRUE(
      t.Merge("SELECT 9 AS id", {.keys = {"id"}, .txn = SetTransaction{"cdc", 1, {}}}).ok());
  auto snap = t.Load();
  EXPECT_EQ(snap->AppVersion("ingest-a"), 8);
  EXPECT_EQ(snap->AppVersion("cdc"), 1);
  EXPECT_EQ(RowCount(*store_, "t", conn()), 4);
}

TEST_F(DeltaWriteTest, WritesThroughNonLocalStores) {
  auto memory = std::make_shared<storage::MemoryObjectStore>("delta-write-test");
  DeltaTable t(memory, "lake/x", conn(), {.temp_dir = temp_.path()});
  ASSERT_TRUE(t.Create({.as_select = "SELECT i AS id, i % 2 AS p FROM range(10) t(i)",
                        .partition_columns = {"p"}})
                  .ok());
  ASSERT_TRUE(t.Append("SELECT 10 AS id, 0 AS p").ok());
  ASSERT_TRUE(t.Delete({.where = {{"id", Predicate::Op::kLt, "3"}}}).ok());
  ScanPlan plan;
  ExpectSameRows(conn(), ScanSql(*memory, "lake/x", conn(), &plan),
                 "SELECT i AS id, i % 2 AS p FROM range(3, 11) t(i)", "memory store");
  // No local temporaries are left behind.
  int leftovers = 0;
  for (const auto& e : std::filesystem::directory_iterator(temp_.path())) {
    leftovers += e.path().filename().string().rfind("strata-", 0) == 0;
  }
  EXPECT_EQ(leftovers, 0);
}

}  // namespace
}  // namespace strata::delta
