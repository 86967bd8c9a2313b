// Checkpoints written by strata and read back by the read path, appends to the Delta project's
// reference tables, OPTIMIZE and VACUUM.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "storage/delta/checkpoint_reader.h"
#include "storage/delta/checkpoint_writer.h"
#include "storage/delta/delta_table.h"
#include "storage/delta/write_schema.h"
#include "storage/delta/write_test_util.h"

namespace strata::delta {
namespace {

namespace fs = std::filesystem;
using storage::testing::ScopedTempDir;
using testing::ActionsOf;
using testing::CommitActions;
using testing::ExpectSameRows;
using testing::InfoOf;
using testing::RowCount;

class DeltaMaintenanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duck_ = testing::OpenDuck();
    store_ = testing::OpenLocal(temp_.path() + "/lake");
  }
  engine::Connection& conn() { return *duck_.conn; }
  std::string Scan(const std::string& root = "t", std::optional<int64_t> v = std::nullopt) {
    plans_.emplace_back();
    return testing::ScanSql(*store_, root, conn(), &plans_.back(), v);
  }

  ScopedTempDir temp_;
  testing::Duck duck_;
  std::shared_ptr<storage::ObjectStore> store_;
  std::vector<ScanPlan> plans_;
};

TEST_F(DeltaMaintenanceTest, CheckpointsAreWrittenEveryIntervalAndReadBack) {
  DeltaTable t(store_, "t", conn());
  CreateOptions create;
  create.as_select = "SELECT i AS id, 'p' || (i % 2) AS p FROM range(10) t(i)";
  create.partition_columns = {"p"};
  create.properties = {{"delta.checkpointInterval", "5"}};
  ASSERT_TRUE(t.Create(create).ok());
  for (int v = 1; v <= 12; ++v) {
    Result<CommitResult> r = Status::Internal("unset");
    if (v == 3) {
      r = t.Delete({.where = {{"id", Predicate::Op::kLt, "4"}}});
    } else {
      r = t.Append("SELECT " + std::to_string(v * 100) + " AS id, 'p1' AS p",
                   {.txn = SetTransaction{"app", v, {}}});
    }
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->checkpoint_version.has_value(), v % 5 == 0) << v;
    EXPECT_TRUE(r->checkpoint_status.ok()) << r->checkpoint_status;
  }
  for (int v : {5, 10}) {
    EXPECT_TRUE(store_->Head("t/_delta_log/" + PaddedVersion(v) + ".checkpoint.parquet").ok());
  }
  auto last = nlohmann::json::parse(store_->Get(LastCheckpointKey("t")).value());
  EXPECT_EQ(last["version"], 10);
  EXPECT_EQ(last["numOfAddFiles"], 11);  // 2 rewritten by the delete + v1, v2, v4..v10

  SnapshotOptions so;
  so.connection = &conn();
  auto latest = LoadSnapshot(*store_, "t", so);
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->checkpoint_version, 10);
  EXPECT_EQ(latest->AppVersion("app"), 12);
  const std::string expected =
      "SELECT i AS id, 'p' || (i % 2) AS p FROM range(4, 10) t(i) UNION ALL SELECT v * 100, 'p1' "
      "FROM range(1, 13) t(v) WHERE v <> 3";
  ExpectSameRows(conn(), Scan(), expected, "from checkpoint 10");
  EXPECT_EQ(RowCount(*store_, "t", conn(), 7), 6 + 6) << "version 7 replays from checkpoint 5";

  // The checkpoint holds the protocol's columns and types, and the delete's tombstones.
  const std::string file =
      *store_->LocalPath("t/_delta_log/" + PaddedVersion(10) + ".checkpoint.parquet");
  auto types = conn().QueryRows(
      "SELECT column_name, column_type FROM (DESCRIBE SELECT add.partitionValues AS pv, add.stats "
      "AS st, remove.deletionTimestamp AS dt, metaData.configuration AS cfg, txn.version AS tv "
      "FROM read_parquet(" +
      engine::QuoteLiteral(file) + "))");
  ASSERT_TRUE(types.ok()) << types.status();
  std::map<std::string, std::string> type_of;
  for (const auto& row : *types) {
    type_of[std::get<std::string>(row[0])] = std::get<std::string>(row[1]);
  }
  EXPECT_EQ(type_of["pv"], "MAP(VARCHAR, VARCHAR)");
  EXPECT_EQ(type_of["st"], "VARCHAR");
  EXPECT_EQ(type_of["dt"], "BIGINT");
  EXPECT_EQ(type_of["cfg"], "MAP(VARCHAR, VARCHAR)");
  auto actions = ReadParquetActions(conn(), {file}, "checkpoint 10");
  ASSERT_TRUE(actions.ok()) << actions.status();
  EXPECT_EQ(ActionsOf<RemoveFile>(*actions).size(), 2u) << "tombstones of the delete";
  EXPECT_EQ(ActionsOf<SetTransaction>(*actions).size(), 1u);
  EXPECT_EQ(ActionsOf<AddFile>(*actions).size(), 11u);

  // On demand: the snapshot replayed from a new checkpoint equals the one replayed from JSON.
  auto before = t.Load();
  ASSERT_TRUE(before.ok());
  ASSERT_EQ(t.Checkpoint().value(), 12);
  auto after = t.Load();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->checkpoint_version, 12);
  ASSERT_EQ(after->files.size(), before->files.size());
  for (size_t i = 0; i < after->files.size(); ++i) {
    EXPECT_EQ(after->files[i].path, before->files[i].path);
    EXPECT_EQ(after->files[i].partition_values, before->files[i].partition_values);
    EXPECT_EQ(after->files[i].stats, before->files[i].stats);
    EXPECT_EQ(after->files[i].size, before->files[i].size);
  }
  EXPECT_EQ(after->metadata.schema_string, before->metadata.schema_string);
  EXPECT_EQ(after->metadata.configuration, before->metadata.configuration);
  EXPECT_EQ(after->app_versions, before->app_versions);
}

// Copies of the Delta project's reference tables (written by Spark) take our appends and
// checkpoints and still read all their old rows. (kernel-timestamp-int96 is left out: after
// an append it mixes INT96 and UTC-adjusted INT64 timestamp files, which the scan refuses.)
TEST_F(DeltaMaintenanceTest, AppendsToReferenceTablesKeepTheirRows) {
  const std::vector<std::string> cases = {"basic_append",
                                          "basic_partitioned",
                                          "multi_partitioned",
                                          "data-reader-primitives",
                                          "data-reader-partition-values",
                                          "basic-decimal-table",
                                          "data-reader-escaped-chars",
                                          "basic-with-inserts-deletes-checkpoint",
                                          "kernel-timestamp-timestamp_micros",
                                          "data-reader-timestamp_ntz",
                                          "dv-partitioned-with-checkpoint",
                                          "table-with-columnmapping-mode-name"};
  int appended = 0, refused = 0;
  for (const std::string& name : cases) {
    SCOPED_TRACE(name);
    const std::string dir = temp_.path() + "/" + name;
    fs::copy(testing::ConformanceDir() + "/" + name + "/delta", dir, fs::copy_options::recursive);
    auto store = testing::OpenLocal(dir);
    DeltaTable t(store, "", conn());
    auto snap = t.Load();
    ASSERT_TRUE(snap.ok()) << snap.status();
    ScanPlan old_plan;
    ASSERT_TRUE(conn()
                    .Execute("CREATE OR REPLACE TEMP TABLE old_rows AS " +
                             testing::ScanSql(*store, "", conn(), &old_plan))
                    .ok());
    ASSERT_TRUE(conn()
                    .Execute("CREATE OR REPLACE TEMP TABLE new_rows AS SELECT * FROM old_rows "
                             "LIMIT 3")
                    .ok());
    auto r = t.Append("SELECT * FROM new_rows");
    if (!r.ok()) {
      // Only refusals that name what is missing are acceptable.
      EXPECT_TRUE(r.status().IsUnsupported()) << r.status();
      std::printf("[ info     ] %s: append refused: %s\n", name.c_str(),
                  r.status().ToString().c_str());
      ++refused;
      continue;
    }
    EXPECT_EQ(r->version, snap->version + 1);
    const std::string expected = "SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows";
    ScanPlan plan;
    ExpectSameRows(conn(), testing::ScanSql(*store, "", conn(), &plan), expected, "after append");
    ASSERT_TRUE(t.Checkpoint().ok());
    ScanPlan cp_plan;
    ExpectSameRows(conn(), testing::ScanSql(*store, "", conn(), &cp_plan), expected,
                   "after checkpoint");
    ++appended;
  }
  EXPECT_GE(appended, 9);
  EXPECT_GE(refused, 2);  // binary partition values, column mapping
}

TEST_F(DeltaMaintenanceTest, OptimizeCompactsSmallFilesPerPartitionInOneCommit) {
  DeltaTable t(store_, "t", conn());
  ASSERT_TRUE(t.Create({.as_select = "SELECT 0::BIGINT AS id, 0::BIGINT AS p WHERE false",
                        .partition_columns = {"p"}})
                  .ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(t.Append("SELECT i AS id, i % 2 AS p FROM range(" + std::to_string(i * 10) + ", " +
                         std::to_string(i * 10 + 10) + ") t(i)")
                    .ok());
  }
  ASSERT_TRUE(t.Delete({.where = {{"id", Predicate::Op::kEq, "5"}}}).ok());
  const int64_t before = t.Load()->version;
  EXPECT_EQ(t.Load()->files.size(), 6u);
  auto r = t.Optimize();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->metrics["numRemovedFiles"], "6");
  EXPECT_EQ(r->metrics["numAddedFiles"], "2");
  auto actions = CommitActions(*store_, "t", r->version);
  for (const auto& a : ActionsOf<AddFile>(actions)) EXPECT_FALSE(a.data_change);
  for (const auto& rm : ActionsOf<RemoveFile>(actions)) EXPECT_FALSE(rm.data_change);
  EXPECT_EQ(InfoOf(actions).operation, "OPTIMIZE");
  EXPECT_EQ(t.Load()->files.size(), 2u);
  const std::string expected = "SELECT i AS id, i % 2 AS p FROM range(30) t(i) WHERE i <> 5";
  ExpectSameRows(conn(), Scan(), expected, "optimized");
  ExpectSameRows(conn(), Scan("t", before), expected, "time travel before optimize");
  auto again = t.Optimize();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, -1) << "nothing left to compact";
}

TEST_F(DeltaMaintenanceTest, VacuumDeletesOnlyFilesOutsideTheRetention) {
  FakeClock clock(Clock::System().NowMicros());
  DeltaTable t(store_, "t", conn(), {.clock = &clock});
  ASSERT_TRUE(t.Create({.as_select = "SELECT 1 AS id"}).ok());  // v0
  ASSERT_TRUE(t.Append("SELECT 2 AS id").ok());                 // v1
  ASSERT_TRUE(t.Overwrite("SELECT 3 AS id").ok());              // v2: removes v0, v1
  const auto v1_files = t.Load(1)->files;
  const auto v2_files = t.Load(2)->files;
  ASSERT_TRUE(store_->Put("t/part-orphan-0.zstd.parquet", "not committed").ok());
  ASSERT_TRUE(store_->Put("t/_hidden/keep.txt", "hidden").ok());

  EXPECT_EQ(t.Vacuum({.retention_hours = 1}).status().code(), StatusCode::kFailedPrecondition);
  auto young = t.Vacuum({.retention_hours = 0, .allow_short_retention = true});
  ASSERT_TRUE(young.ok()) << young.status();
  // Retention 0 at "now": the files removed by v2 were removed just now and the orphan was
  // just written: all are younger than the cutoff (they may belong to a running writer).
  EXPECT_EQ(young->files, std::vector<std::string>{});

  clock.Advance(10LL * 24 * 3600 * 1000000);     // 10 days later
  ASSERT_TRUE(t.Append("SELECT 4 AS id").ok());  // v3
  ASSERT_TRUE(store_->Put("t/part-orphan-1.zstd.parquet", "not committed").ok());
  auto dry = t.Vacuum({.retention_hours = 168, .dry_run = true});
  ASSERT_TRUE(dry.ok()) << dry.status();
  // v2 was current 7 days ago, so its files stay; v0/v1's files were removed by v2 and are
  // older than the retention: they go, with the orphan.
  std::set<std::string> expected = {"t/part-orphan-0.zstd.parquet", "t/part-orphan-1.zstd.parquet"};
  for (const AddFile& f : v1_files) expected.insert("t/" + f.path);
  EXPECT_EQ(std::set<std::string>(dry->files.begin(), dry->files.end()), expected);
  for (const std::string& k : expected)
    EXPECT_TRUE(store_->Head(k).ok()) << "dry run deleted " << k;
  auto done = t.Vacuum({.retention_hours = 168});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->files.size(), expected.size());
  for (const std::string& k : expected) EXPECT_FALSE(store_->Head(k).ok()) << k;
  EXPECT_TRUE(store_->Head("t/_hidden/keep.txt").ok());
  for (const AddFile& f : v2_files) EXPECT_TRUE(store_->Head("t/" + f.path).ok());
  ExpectSameRows(conn(), Scan(), "SELECT 3 AS id UNION ALL SELECT 4", "latest after vacuum");
  ExpectSameRows(conn(), Scan("t", 2), "SELECT 3 AS id", "version 2 inside the retention");
}

}  // namespace
}  // namespace strata::delta
