// Log replay, time travel and scans over tables built in memory (so the non-local store path,
// with temporary copies for DuckDB, is exercised too).
#include "storage/delta/snapshot.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "storage/delta/deletion_vector.h"
#include "storage/delta/delta_test_util.h"
#include "storage/delta/log_files.h"
#include "storage/delta/scan.h"

namespace strata::delta {
namespace {

constexpr const char* kSchema =
    R"({"type":"struct","fields":[{"name":"x","type":"integer","nullable":true,"metadata":{}},)"
    R"({"name":"p","type":"string","nullable":true,"metadata":{}}]})";

class MemoryTable : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    auto store =
        storage::OpenObjectStore("memory://delta-snapshot-test-" + std::to_string(counter++));
    store.status().Check();
    store_ = *store;
    duck_ = testing::OpenDuck();
  }

  void Commit(int64_t version, const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    ASSERT_TRUE(store_->PutIfAbsent(CommitKey(root_, version), text).ok());
  }
  static std::string Info(int64_t ts) {
    return R"({"commitInfo":{"timestamp":)" + std::to_string(ts) + R"(,"operation":"WRITE"}})";
  }
  static std::string ProtocolLine(const std::string& extra = "") {
    return extra.empty() ? R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})" : extra;
  }
  static std::string MetadataLine(const std::string& partition = "[\"p\"]") {
    nlohmann::json m = {
        {"metaData",
         {{"id", "t1"},
          {"format", {{"provider", "parquet"}, {"options", nlohmann::json::object()}}},
          {"schemaString", kSchema},
          {"partitionColumns", nlohmann::json::parse(partition)},
          {"configuration", nlohmann::json::object()},
          {"createdTime", 1}}}};
    return m.dump();
  }

  // Writes a Parquet file of x in [lo, hi] into the table and returns its add action line.
  std::string AddData(const std::string& p, int lo, int hi, bool with_stats = true,
                      const std::string& extra_columns = "") {
    const std::string rel = "p=" + p + "/part-" + std::to_string(lo) + ".parquet";
    const char* tmp_env = std::getenv("STRATA_TEST_TMP");
    std::string tmp = std::string(tmp_env ? tmp_env : "/tmp") + "/delta-snap-" +
                      std::to_string(::getpid()) + "-" + std::to_string(lo) + ".parquet";
    std::string dir = tmp.substr(0, tmp.rfind('/'));
    EXPECT_TRUE(duck_.conn->Execute("SELECT 1").ok());
    std::system(("mkdir -p '" + dir + "'").c_str());
    auto s = duck_.conn->Execute(
        "COPY (SELECT CAST(range AS INTEGER) AS x" +
        (extra_columns.empty() ? "" : ", " + extra_columns) + " FROM range(" + std::to_string(lo) +
        ", " + std::to_string(hi + 1) + ")) TO " + engine::QuoteLiteral(tmp) + " (FORMAT parquet)");
    EXPECT_TRUE(s.ok()) << s;
    std::ifstream in(tmp, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    std::remove(tmp.c_str());
    EXPECT_TRUE(store_->Put(JoinKey(root_, rel), bytes.str()).ok());
    nlohmann::json add = {{"path", rel},
                          {"partitionValues", {{"p", p}}},
                          {"size", bytes.str().size()},
                          {"modificationTime", 1},
                          {"dataChange", true}};
    if (with_stats) {
      add["stats"] = nlohmann::json({{"numRecords", hi - lo + 1},
                                     {"minValues", {{"x", lo}}},
                                     {"maxValues", {{"x", hi}}},
                                     {"nullCount", {{"x", 0}}}})
                         .dump();
    }
    return nlohmann::json({{"add", add}}).dump();
  }

  Result<Snapshot> Load(SnapshotOptions options = {}) {
    options.connection = duck_.conn.get();
    return LoadSnapshot(*store_, root_, options);
  }

  std::string root_ = "lake/silver/t";
  std::shared_ptr<storage::ObjectStore> store_;
  testing::Duck duck_;
};

TEST_F(MemoryTable, EmptyLogIsNotFound) {
  auto snap = Load();
  EXPECT_TRUE(snap.status().IsNotFound()) << snap.status();
  auto latest = LatestVersion(*store_, root_);
  ASSERT_TRUE(latest.ok());
  EXPECT_FALSE(latest->has_value());
}

TEST_F(MemoryTable, TimeTravelByVersionAndTimestamp) {
  Commit(0, {Info(1000), ProtocolLine(), MetadataLine(), AddData("a", 1, 10)});
  Commit(1, {Info(2000), AddData("b", 11, 20)});
  Commit(2, {Info(3000), AddData("c", 21, 30)});
  auto latest = Load();
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(latest->files.size(), 3u);
  ASSERT_EQ(latest->commits.size(), 3u);
  EXPECT_EQ(latest->commits[1].timestamp_millis, 2000);

  SnapshotOptions at;
  at.timestamp_millis = 2500;
  auto v1 = Load(at);
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v1->files.size(), 2u);
  at.timestamp_millis = 3000;
  EXPECT_EQ(Load(at)->version, 2);
  at.timestamp_millis = 999999;
  EXPECT_EQ(Load(at)->version, 2);
  at.timestamp_millis = 500;
  auto early = Load(at);
  ASSERT_FALSE(early.ok());
  EXPECT_TRUE(early.status().IsInvalidArgument());
  EXPECT_NE(early.status().message().find("earliest available commit (version 0 at "
                                          "1970-01-01T00:00:01.000Z)"),
            std::string::npos)
      << early.status();

  SnapshotOptions ver;
  ver.version = 0;
  EXPECT_EQ(Load(ver)->files.size(), 1u);
  ver.version = 3;
  EXPECT_TRUE(Load(ver).status().IsNotFound());

  auto history = ReadHistory(*store_, root_, std::nullopt, 2);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 2);
  EXPECT_EQ((*history)[0].info.operation, "WRITE");
}

TEST_F(MemoryTable, GapInVersionsIsCorruptionNamingTheVersion) {
  Commit(0, {Info(1), ProtocolLine(), MetadataLine()});
  Commit(1, {Info(2)});
  Commit(3, {Info(4)});
  auto snap = Load();
  ASSERT_FALSE(snap.ok());
  EXPECT_TRUE(snap.status().IsCorruption());
  EXPECT_NE(snap.status().message().find("version 2 is missing"), std::string::npos)
      << snap.status();
  SnapshotOptions ver;
  ver.version = 1;
  EXPECT_TRUE(Load(ver).ok());
}

TEST_F(MemoryTable, UnsupportedReaderFeatureIsNamed) {
  Commit(
      0,
      {Info(1),
       R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors","variantType"],"writerFeatures":[]}})",
       MetadataLine()});
  auto snap = Load();
  ASSERT_FALSE(snap.ok());
  EXPECT_TRUE(snap.status().IsUnsupported());
  EXPECT_NE(snap.status().message().find("'variantType'"), std::string::npos) << snap.status();
}

TEST_F(MemoryTable, TracksSetTransactionsAndRemoves) {
  Commit(0, {Info(1), ProtocolLine(), MetadataLine(), AddData("a", 1, 10),
             R"({"txn":{"appId":"ingest-orders","version":7}})"});
  Commit(1, {Info(2), R"({"remove":{"path":"p=a/part-1.parquet","dataChange":true}})",
             R"({"txn":{"appId":"ingest-orders","version":8}})",
             R"({"txn":{"appId":"other","version":1}})"});
  auto snap = Load();
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_TRUE(snap->files.empty());
  EXPECT_EQ(snap->AppVersion("ingest-orders"), 8);
  EXPECT_EQ(snap->AppVersion("other"), 1);
  EXPECT_FALSE(snap->AppVersion("missing").has_value());
  // The empty table still scans, with typed columns.
  auto plan = PlanScan(*snap, *store_, *duck_.conn);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(testing::Count(*duck_.conn, plan->sql()), 0);
}

TEST_F(MemoryTable, ScanPrunesByPartitionAndStats) {
  Commit(0, {Info(1), ProtocolLine(), MetadataLine(), AddData("a", 1, 10), AddData("b", 11, 20),
             AddData("c", 21, 30), AddData("d", 31, 40, /*with_stats=*/false)});
  auto snap = Load();
  ASSERT_TRUE(snap.ok()) << snap.status();
  auto& conn = *duck_.conn;
  auto run = [&](std::vector<Predicate> filters, size_t kept, int64_t rows) {
    ScanOptions options;
    options.filters = std::move(filters);
    auto plan = PlanScan(*snap, *store_, conn, options);
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_EQ(plan->kept_files().size(), kept) << plan->sql();
    EXPECT_EQ(plan->pruned_file_count(), 4 - kept);
    EXPECT_EQ(testing::Count(conn, plan->sql()), rows) << plan->sql();
  };
  using Op = Predicate::Op;
  run({}, 4, 40);
  run({{"x", Op::kGt, "15"}}, 3, 25);  // b, c and d (no stats: kept)
  run({{"p", Op::kEq, "a"}}, 1, 10);
  run({{"p", Op::kEq, "b"}, {"x", Op::kLe, "12"}}, 1, 2);
  run({{"x", Op::kEq, "5"}, {"p", Op::kEq, "b"}}, 0, 0);
  run({{"x", Op::kIsNull, ""}}, 1, 0);  // only d lacks a nullCount
  run({{"p", Op::kIsNull, ""}}, 0, 0);
  run({{"p", Op::kNe, "a"}, {"x", Op::kLt, "21"}}, 2, 10);

  ScanOptions bad;
  bad.filters = {{"nope", Op::kEq, "1"}};
  EXPECT_TRUE(PlanScan(*snap, *store_, conn, bad).status().IsInvalidArgument());
  ScanOptions projection;
  projection.columns = {"p"};
  auto plan = PlanScan(*snap, *store_, conn, projection);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(conn.Execute(plan->CreateViewSql("t_view")).ok());
  auto rows = conn.QueryRows("SELECT p, count(*) FROM t_view GROUP BY p ORDER BY p");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ(std::get<std::string>((*rows)[0][0]), "a");
  EXPECT_EQ(std::get<int64_t>((*rows)[0][1]), 10);
}

TEST_F(MemoryTable, SchemaEvolutionReadsMissingColumnsAsNull) {
  Commit(0, {Info(1), ProtocolLine(), MetadataLine(), AddData("a", 1, 10)});
  // v1 adds column y (long); the old file does not have it.
  std::string evolved = MetadataLine();
  const std::string old_fields = R"(\"metadata\":{}}]})";
  const size_t at = evolved.rfind(old_fields);
  ASSERT_NE(at, std::string::npos) << evolved;
  evolved.replace(at, old_fields.size(),
                  R"(\"metadata\":{}},{\"name\":\"y\",\"type\":\"long\",)"
                  R"(\"nullable\":true,\"metadata\":{}}]})");
  ASSERT_NE(evolved, MetadataLine());
  Commit(1, {Info(2), evolved, AddData("b", 11, 20, true, "CAST(range * 2 AS BIGINT) AS y")});
  auto snap = Load();
  ASSERT_TRUE(snap.ok()) << snap.status();
  ASSERT_EQ(snap->schema.fields.size(), 3u);
  auto& conn = *duck_.conn;
  auto plan = PlanScan(*snap, *store_, conn);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(testing::Count(conn, plan->sql() + " WHERE y IS NULL"), 10) << plan->sql();
  EXPECT_EQ(testing::Count(conn, plan->sql() + " WHERE y = x * 2"), 10);

  // With a deletion vector the scan takes the union_by_name path: same answer, minus row 0.
  std::string bitmap = SerializeRoaringBitmapArray({0});
  size_t size = bitmap.size();
  while (bitmap.size() % 4) bitmap += '\0';
  Snapshot with_dv = *snap;
  for (AddFile& f : with_dv.files) {
    if (f.path == "p=a/part-1.parquet") {
      f.deletion_vector =
          DeletionVectorDescriptor{"i", Z85Encode(bitmap), std::nullopt, int32_t(size), 1};
    }
  }
  auto dv_plan = PlanScan(with_dv, *store_, conn);
  ASSERT_TRUE(dv_plan.ok()) << dv_plan.status();
  EXPECT_EQ(testing::Count(conn, dv_plan->sql()), 19) << dv_plan->sql();
  EXPECT_EQ(testing::Count(conn, dv_plan->sql() + " WHERE y IS NULL"), 9);
  EXPECT_EQ(testing::Count(conn, dv_plan->sql() + " WHERE x = 1"), 0);
}

TEST(PruningTest, TimestampStatsAreMillisecondTruncated) {
  Snapshot snap;
  auto schema = ParseSchema(
      R"({"type":"struct","fields":[{"name":"ts","type":"timestamp","nullable":true,"metadata":{}}]})");
  ASSERT_TRUE(schema.ok());
  snap.schema = *schema;
  AddFile f;
  f.stats = R"({"numRecords":2,"minValues":{"ts":"2021-01-01T00:00:00.000Z"},)"
            R"("maxValues":{"ts":"2021-01-01T00:00:00.123Z"},"nullCount":{"ts":0}})";
  using Op = Predicate::Op;
  EXPECT_TRUE(*FileMayMatch(snap, f, {{"ts", Op::kGt, "2021-01-01 00:00:00.1234"}}));
  EXPECT_FALSE(*FileMayMatch(snap, f, {{"ts", Op::kGt, "2021-01-01 00:00:00.124"}}));
  EXPECT_FALSE(*FileMayMatch(snap, f, {{"ts", Op::kLt, "2020-12-31T23:00:00+02:00"}}));
  EXPECT_FALSE(*FileMayMatch(snap, f, {{"ts", Op::kLt, "2021-01-01T01:00:00+02:00"}}));
  EXPECT_TRUE(*FileMayMatch(snap, f, {{"ts", Op::kLt, "2021-01-01T01:00:00-02:00"}}));
  EXPECT_TRUE(*FileMayMatch(snap, f, {{"ts", Op::kLt, "not a time"}}));  // unknown: keep
}

}  // namespace
}  // namespace strata::delta
