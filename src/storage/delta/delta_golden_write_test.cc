// Golden writes: for each operation strata performs, the actions it commits are the ones the
// protocol requires for that operation, and the table passes the conformance check
// (conformance.h). Where the reference corpus holds a Spark-written table, strata writes to a copy
// of it: the result reads back with the expected rows and still conforms.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "storage/delta/conformance.h"
#include "storage/delta/write_test_util.h"

namespace strata::delta {
namespace {

using json = nlohmann::json;
using testing::ActionsOf;
using testing::CommitActions;
using testing::Count;
using ::testing::HasSubstr;
using testing::InfoOf;

class GoldenWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duck_ = testing::OpenDuck();
    store_ = testing::OpenLocal(temp_.path() + "/lake");
  }
  engine::Connection& conn() { return *duck_.conn; }
  DeltaTable Table(const std::string& root = "t") { return DeltaTable(store_, root, conn()); }
  std::string Scan(const std::string& root = "t") {
    plans_.emplace_back();
    return testing::ScanSql(*store_, root, conn(), &plans_.back());
  }
  std::vector<Action> Commit(int64_t version, const std::string& root = "t") {
    return CommitActions(*store_, root, version);
  }
  // The conformance check of `root`, asserted clean (the temp dir hook checks again at the end).
  void ExpectConforms(const std::string& root = "t") {
    auto report = CheckTableConformance(*store_, root, conn());
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_TRUE(report->ok()) << report->Summary(50);
  }
  // Copies a reference table into the lake as `root` and opens a store on it.
  void CopyReference(const std::string& reference, const std::string& root) {
    const std::string from = testing::ConformanceDir() + "/" + reference + "/delta";
    std::filesystem::copy(from, temp_.path() + "/lake/" + root,
                          std::filesystem::copy_options::recursive);
  }

  storage::testing::ScopedTempDir temp_;
  testing::Duck duck_;
  std::shared_ptr<storage::ObjectStore> store_;
  std::vector<ScanPlan> plans_;
};

// Version 0 of a new table: protocol, metaData (schema fields with object metadata), adds.
TEST_F(GoldenWriteTest, CreateWritesProtocolMetadataAndAdds) {
  ASSERT_TRUE(Table()
                  .Create({.as_select = "SELECT i AS id, 'x' || i AS name, DATE '2024-01-01' + "
                                        "i::INT AS day FROM range(10) t(i)",
                           .name = "t",
                           .description = "golden"})
                  .ok());
  auto actions = Commit(0);
  ASSERT_EQ(ActionsOf<Protocol>(actions).size(), 1u);
  auto metadata = ActionsOf<Metadata>(actions);
  ASSERT_EQ(metadata.size(), 1u);
  // The issue-24 regression, read from the file itself: no field's metadata is null.
  json schema = json::parse(metadata[0].schema_string);
  for (const json& field : schema["fields"]) {
    EXPECT_TRUE(field["metadata"].is_object()) << field.dump();
    EXPECT_TRUE(field["nullable"].is_boolean()) << field.dump();
  }
  for (const AddFile& add : ActionsOf<AddFile>(actions)) {
    EXPECT_TRUE(add.data_change);
    ASSERT_TRUE(add.stats.has_value());
    EXPECT_EQ(json::parse(*add.stats)["minValues"]["day"], "2024-01-01");
  }
  EXPECT_TRUE(ActionsOf<RemoveFile>(actions).empty());
  ExpectConforms();
}

// An append adds files and removes none; it is a blind append.
TEST_F(GoldenWriteTest, AppendAddsOnly) {
  ASSERT_TRUE(Table().Create({.as_select = "SELECT i AS id FROM range(3) t(i)"}).ok());
  ASSERT_TRUE(Table().Append("SELECT i AS id FROM range(3, 6) t(i)").ok());
  auto actions = Commit(1);
  EXPECT_FALSE(ActionsOf<AddFile>(actions).empty());
  EXPECT_TRUE(ActionsOf<RemoveFile>(actions).empty());
  EXPECT_TRUE(ActionsOf<Metadata>(actions).empty());
  EXPECT_EQ(InfoOf(actions).json["isBlindAppend"], true);
  ExpectConforms();
}

// Overwrite, delete and merge remove what they replace, with dataChange and a timestamp, and
// the removes carry the partition values and size (extendedFileMetadata).
TEST_F(GoldenWriteTest, OverwriteDeleteAndMergeRemoveWhatTheyReplace) {
  DeltaTable t = Table();
  ASSERT_TRUE(
      t.Create({.as_select = "SELECT i AS id, i % 2 AS p, 'v' || i AS val FROM range(20) t(i)",
                .partition_columns = {"p"}})
          .ok());
  ASSERT_TRUE(t.Overwrite("SELECT 100 + i AS id, 1 AS p, 'w' AS val FROM range(5) t(i)",
                          {.replace_where = {{"p", Predicate::Op::kEq, "1"}}})
                  .ok());
  ASSERT_TRUE(t.Delete({.where = {{"id", Predicate::Op::kEq, "4"}}}).ok());
  ASSERT_TRUE(t.Merge("SELECT * FROM (VALUES (2, 0, 'merged', 'U'), (200, 1, 'new', 'I')) "
                      "AS c(id, p, val, op)",
                      {.keys = {"id"}, .delete_when = "op = 'D'", .condition_columns = {"op"}})
                  .ok());
  for (int64_t version : {1, 2, 3}) {
    auto removes = ActionsOf<RemoveFile>(Commit(version));
    ASSERT_FALSE(removes.empty()) << "version " << version;
    for (const RemoveFile& r : removes) {
      EXPECT_TRUE(r.data_change);
      EXPECT_TRUE(r.deletion_timestamp.has_value());
      EXPECT_TRUE(r.partition_values.has_value());
      EXPECT_TRUE(r.size.has_value());
    }
  }
  // 20 rows; p = 1 replaced by 5; id 4 deleted; id 2 updated, id 200 inserted.
  EXPECT_EQ(Count(conn(), Scan()), 10 + 5 - 1 + 1);
  EXPECT_EQ(Count(conn(), "SELECT * FROM (" + Scan() + ") WHERE id = 2 AND val = 'merged'"), 1);
  ExpectConforms();
}

// Schema evolution writes a new metaData with the added column and keeps the table's id.
TEST_F(GoldenWriteTest, SchemaEvolutionWritesANewMetadata) {
  DeltaTable t = Table();
  ASSERT_TRUE(t.Create({.as_select = "SELECT 1 AS id"}).ok());
  ASSERT_TRUE(t.Append("SELECT 2 AS id, 'new' AS extra", {.evolve_schema = true}).ok());
  auto before = ActionsOf<Metadata>(Commit(0));
  auto after = ActionsOf<Metadata>(Commit(1));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].id, before[0].id);
  EXPECT_THAT(after[0].schema_string, HasSubstr("\"extra\""));
  ExpectConforms();
}

// Partition values with characters that need escaping twice (Hive escaping in the directory,
// URI encoding in the log), nulls, dates and timestamps.
TEST_F(GoldenWriteTest, PartitionedPathsAreEscapedAndValuesSpelledAsTheProtocolSays) {
  ASSERT_TRUE(
      Table()
          .Create({.as_select = "SELECT * FROM (VALUES "
                                "(1, 'a b', DATE '2024-02-29', TIMESTAMP '2024-01-01 10:11:12'),"
                                "(2, 'x:y/z%#?', DATE '1999-12-31', NULL),"
                                "(3, 'ç€ unicode', NULL, TIMESTAMP '2024-01-01 00:00:00.5'),"
                                "(4, NULL, DATE '2024-01-01', TIMESTAMP '2024-01-01 00:00:00'))"
                                " AS v(id, s, d, ts)",
                   .partition_columns = {"s", "d", "ts"}})
          .ok());
  for (const AddFile& add : ActionsOf<AddFile>(Commit(0))) {
    EXPECT_EQ(add.path.find(' '), std::string::npos) << add.path;
    EXPECT_EQ(add.path.find('#'), std::string::npos) << add.path;
  }
  EXPECT_EQ(Count(conn(), Scan()), 4);
  EXPECT_EQ(Count(conn(), "SELECT * FROM (" + Scan() + ") WHERE s = 'x:y/z%#?' AND ts IS NULL"), 1);
  ExpectConforms();
}

// OPTIMIZE rewrites without changing data: dataChange false on both sides.
TEST_F(GoldenWriteTest, OptimizeMarksItsActionsDataChangeFalse) {
  DeltaTable t = Table();
  ASSERT_TRUE(t.Create({.as_select = "SELECT 0 AS id"}).ok());
  for (int i = 1; i < 4; ++i) ASSERT_TRUE(t.Append("SELECT " + std::to_string(i) + " AS id").ok());
  auto optimized = t.Optimize();
  ASSERT_TRUE(optimized.ok()) << optimized.status();
  auto actions = Commit(optimized->version);
  ASSERT_FALSE(ActionsOf<AddFile>(actions).empty());
  for (const AddFile& a : ActionsOf<AddFile>(actions)) EXPECT_FALSE(a.data_change);
  for (const RemoveFile& r : ActionsOf<RemoveFile>(actions)) EXPECT_FALSE(r.data_change);
  EXPECT_EQ(InfoOf(actions).operation, "OPTIMIZE");
  ExpectConforms();
}

// Checkpoints and VACUUM: the checkpoint holds the live files, `_last_checkpoint` describes it,
// and after VACUUM every live file still exists.
TEST_F(GoldenWriteTest, CheckpointAndVacuumKeepTheTableWhole) {
  DeltaTable t = Table();
  ASSERT_TRUE(t.Create({.as_select = "SELECT 0 AS id"}).ok());
  for (int i = 1; i < 12; ++i) ASSERT_TRUE(t.Append("SELECT " + std::to_string(i) + " AS id").ok());
  ASSERT_TRUE(t.Overwrite("SELECT 42 AS id").ok());
  auto checkpoint = t.Checkpoint();
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  auto last = store_->Get(LastCheckpointKey("t"));
  ASSERT_TRUE(last.ok());
  json info = json::parse(*last);
  EXPECT_EQ(info["version"], *checkpoint);
  EXPECT_TRUE(info.contains("size"));
  auto vacuum = t.Vacuum({.retention_hours = 0, .allow_short_retention = true});
  ASSERT_TRUE(vacuum.ok()) << vacuum.status();
  EXPECT_FALSE(vacuum->files.empty());
  EXPECT_EQ(Count(conn(), Scan()), 1);
  auto report = CheckTableConformance(*store_, "t", conn());
  ASSERT_TRUE(report.ok());
  EXPECT_GE(report->checkpoints, 2) << "the automatic checkpoint at 10 and the explicit one";
  ExpectConforms();
}

// Spark-written tables, appended to and deleted from by strata.
struct SparkTableCase {
  const char* reference;
  const char* rows;  // a SELECT over the table (as `src`) giving rows to append
};

void PrintTo(const SparkTableCase& c, std::ostream* os) { *os << c.reference; }

class SparkTableWriteTest : public GoldenWriteTest,
                            public ::testing::WithParamInterface<SparkTableCase> {};

TEST_P(SparkTableWriteTest, AppendToASparkTableConformsAndReadsBack) {
  const SparkTableCase& c = GetParam();
  CopyReference(c.reference, "spark");
  ExpectConforms("spark");  // the copy as Spark wrote it
  const std::string before = Scan("spark");
  ASSERT_TRUE(conn().Execute("CREATE OR REPLACE TEMP TABLE before_rows AS " + before).ok());
  ASSERT_TRUE(conn()
                  .Execute("CREATE OR REPLACE TEMP TABLE new_rows AS SELECT * FROM (" +
                           std::string(c.rows) + ")")
                  .ok());
  const int64_t before_count = Count(conn(), "SELECT * FROM before_rows");
  const int64_t added = Count(conn(), "SELECT * FROM new_rows");
  ASSERT_GT(added, 0);
  auto appended = Table("spark").Append("SELECT * FROM new_rows");
  ASSERT_TRUE(appended.ok()) << appended.status();
  testing::ExpectSameRows(conn(), Scan("spark"),
                          "SELECT * FROM before_rows UNION ALL SELECT * FROM new_rows",
                          std::string(c.reference) + " after append");
  EXPECT_EQ(Count(conn(), Scan("spark")), before_count + added);
  ExpectConforms("spark");
}

INSTANTIATE_TEST_SUITE_P(
    Reference, SparkTableWriteTest,
    ::testing::Values(
        SparkTableCase{"basic_append", "SELECT * FROM before_rows LIMIT 2"},
        SparkTableCase{"basic_partitioned", "SELECT * FROM before_rows LIMIT 3"},
        SparkTableCase{"data-reader-escaped-chars", "SELECT * FROM before_rows"},
        SparkTableCase{"data-reader-partition-values", "SELECT * FROM before_rows LIMIT 2"},
        SparkTableCase{"basic-decimal-table", "SELECT * FROM before_rows"},
        SparkTableCase{"data-reader-primitives", "SELECT * FROM before_rows LIMIT 4"},
        SparkTableCase{"data-reader-timestamp_ntz", "SELECT * FROM before_rows LIMIT 3"},
        SparkTableCase{"table-with-dv-small", "SELECT * FROM before_rows LIMIT 2"},
        SparkTableCase{"dv-partitioned-with-checkpoint", "SELECT * FROM before_rows LIMIT 5"},
        SparkTableCase{"basic-with-inserts-deletes-checkpoint",
                       "SELECT * FROM before_rows LIMIT 5"}),
    [](const auto& info) {
      std::string n = info.param.reference;
      for (char& ch : n) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return n;
    });

// strata does not write column-mapped tables yet: it says so and commits nothing, so the table
// stays as Spark left it.
TEST_F(GoldenWriteTest, AColumnMappedSparkTableIsRefusedUntouched) {
  CopyReference("table-with-columnmapping-mode-name", "mapped");
  auto before = testing::ScanSql(*store_, "mapped", conn(), &plans_.emplace_back());
  ASSERT_TRUE(conn().Execute("CREATE TEMP TABLE mapped_rows AS " + before).ok());
  auto refused = Table("mapped").Append("SELECT * FROM mapped_rows");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("column mapping"));
  auto latest = LatestVersion(*store_, "mapped");
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ(Count(conn(), Scan("mapped")), Count(conn(), "SELECT * FROM mapped_rows"));
  ExpectConforms("mapped");
}

// A delete from a table with deletion vectors: the removes name the file together with its
// deletion vector (the logical file), as delta-kernel-rs and Spark match them.
TEST_F(GoldenWriteTest, DeleteFromATableWithDeletionVectorsRemovesTheLogicalFile) {
  CopyReference("table-with-dv-small", "dv");
  const int64_t before = Count(conn(), Scan("dv"));
  ASSERT_GT(before, 1);
  auto deleted = Table("dv").Delete({.where_sql = "true"});
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  bool saw_dv = false;
  for (const RemoveFile& r : ActionsOf<RemoveFile>(Commit(deleted->version, "dv"))) {
    saw_dv = saw_dv || r.deletion_vector.has_value();
  }
  EXPECT_TRUE(saw_dv) << "the Spark table's file carries a DV; its remove must carry it too";
  EXPECT_EQ(Count(conn(), Scan("dv")), 0);
  ExpectConforms("dv");
}

}  // namespace
}  // namespace strata::delta
