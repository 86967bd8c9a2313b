// Write-audit-publish: DeltaTable::Stage, reading staged rows, publishing them with Create, and
// the cleanup of what is never published.
#include <gtest/gtest.h>

#include <filesystem>

#include "storage/delta/delta_table.h"
#include "storage/delta/write_test_util.h"
#include "storage/memory_object_store.h"

namespace strata::delta {
namespace {

namespace fs = std::filesystem;
using storage::testing::ScopedTempDir;
using testing::ActionsOf;
using testing::CommitActions;
using testing::ExpectSameRows;
using testing::RowCount;
using testing::ScanSql;

constexpr const char* kRows =
    "SELECT i::INTEGER AS id, 'name ' || i AS name, (i * 1.25)::DECIMAL(10,2) AS amount, "
    "sum(i) OVER (ORDER BY i) AS running FROM range(300) t(i)";

class StagedWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    duck_ = testing::OpenDuck();
    store_ = testing::OpenLocal(temp_.path() + "/lake");
  }
  engine::Connection& conn() { return *duck_.conn; }
  DeltaTable Table() { return DeltaTable(store_, "t", conn()); }
  int ParquetFiles() {
    int n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(temp_.path() + "/lake/t", ec)) {
      n += e.path().extension() == ".parquet";
    }
    return n;
  }

  ScopedTempDir temp_;
  testing::Duck duck_;
  std::shared_ptr<storage::ObjectStore> store_;
};

TEST_F(StagedWriteTest, StagedRowsAreReadableButInvisibleUntilCreatePublishesTheSameFiles) {
  DeltaTable t = Table();
  auto staged = t.Stage(kRows);
  ASSERT_TRUE(staged.ok()) << staged.status();
  EXPECT_EQ((*staged)->rows(), 300);
  // The window sum is a HUGEINT: staged rows already have the table's types.
  EXPECT_EQ((*staged)->schema().Find("running")->type.DeltaName(), "decimal(38,0)");
  ExpectSameRows(conn(), "SELECT * FROM " + (*staged)->read_sql(),
                 "SELECT * REPLACE (CAST(running AS DECIMAL(38,0)) AS running) FROM (" +
                     std::string(kRows) + ")",
                 "staged");
  EXPECT_TRUE(t.Load().status().IsNotFound()) << "nothing is committed by staging";
  const int files = ParquetFiles();
  ASSERT_GT(files, 0);

  auto created = t.Create({.staged = staged->get(), .name = std::string("t")});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->version, 0);
  EXPECT_EQ(created->metrics["numOutputRows"], "300");
  EXPECT_EQ(ParquetFiles(), files) << "publishing writes no data file";
  auto adds = ActionsOf<AddFile>(CommitActions(*store_, "t", 0));
  EXPECT_EQ(static_cast<int>(adds.size()), files);
  staged->reset();  // consumed: destroying it keeps the committed files
  EXPECT_EQ(ParquetFiles(), files);
  EXPECT_EQ(RowCount(*store_, "t", conn()), 300);
}

TEST_F(StagedWriteTest, AStageNeverPublishedIsDeletedAndTheTableKeepsItsRows) {
  DeltaTable t = Table();
  ASSERT_TRUE(t.Create({.as_select = "SELECT 1 AS id"}).ok());
  const int before = ParquetFiles();
  {
    auto staged = t.Stage("SELECT i AS id FROM range(1000) t(i)");
    ASSERT_TRUE(staged.ok()) << staged.status();
    EXPECT_GT(ParquetFiles(), before);
    EXPECT_EQ(RowCount(*store_, "t", conn()), 1);
  }
  EXPECT_EQ(ParquetFiles(), before);
  EXPECT_EQ(RowCount(*store_, "t", conn()), 1);
}

TEST_F(StagedWriteTest, ReplacingATableWithStagedRows) {
  DeltaTable t = Table();
  ASSERT_TRUE(t.Create({.as_select = "SELECT 1 AS id"}).ok());
  auto staged = t.Stage("SELECT 'x' AS b, 2 AS c");
  ASSERT_TRUE(staged.ok());
  auto refused = t.Create({.staged = staged->get()});
  EXPECT_TRUE(refused.status().IsAlreadyExists()) << refused.status();
  auto replaced =
      t.Create({.staged = staged->get(), .if_exists = CreateOptions::IfExists::kReplace});
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_EQ(replaced->version, 1);
  ScanPlan plan;
  ExpectSameRows(conn(), ScanSql(*store_, "t", conn(), &plan), "SELECT 'x' AS b, 2 AS c",
                 "replaced");
}

TEST_F(StagedWriteTest, AnEmptyStageHasTheColumnsAndNoFile) {
  DeltaTable t = Table();
  auto staged = t.Stage("SELECT i AS id, 'v' AS v FROM range(5) t(i) WHERE i > 10");
  ASSERT_TRUE(staged.ok()) << staged.status();
  EXPECT_EQ((*staged)->rows(), 0);
  EXPECT_EQ(ParquetFiles(), 0);
  auto columns = conn().Query("SELECT * FROM " + (*staged)->read_sql());
  ASSERT_TRUE(columns.ok()) << columns.status();
  ASSERT_EQ((*columns)->columns().size(), 2u);
  EXPECT_EQ((*columns)->columns()[1].name, "v");
  ASSERT_TRUE(t.Create({.staged = staged->get()}).ok());
  EXPECT_EQ(RowCount(*store_, "t", conn()), 0);
  EXPECT_NE(t.Load()->schema.Find("v"), nullptr);
}

TEST_F(StagedWriteTest, BadInputIsRefusedAndLeavesNoFile) {
  DeltaTable t = Table();
  auto broken =
      t.Stage("SELECT i AS id, 1 / (i - 3) AS boom, error('row ' || i) FROM range(5) t(i)");
  EXPECT_FALSE(broken.ok());
  EXPECT_EQ(ParquetFiles(), 0);
  auto staged = t.Stage("SELECT 1 AS id");
  ASSERT_TRUE(staged.ok());
  auto partitioned = t.Create({.staged = staged->get(), .partition_columns = {"id"}});
  EXPECT_TRUE(partitioned.status().IsInvalidArgument()) << partitioned.status();
  EXPECT_TRUE(t.Load().status().IsNotFound());
}

TEST_F(StagedWriteTest, NonLocalStoresReadStagedRowsFromLocalCopies) {
  auto memory = std::make_shared<storage::MemoryObjectStore>("staged-write-test");
  DeltaTable t(memory, "lake/x", conn(), {.temp_dir = temp_.path()});
  auto staged = t.Stage("SELECT i AS id FROM range(50) t(i)");
  ASSERT_TRUE(staged.ok()) << staged.status();
  ExpectSameRows(conn(), "SELECT * FROM " + (*staged)->read_sql(),
                 "SELECT i AS id FROM range(50) t(i)", "copies");
  ASSERT_TRUE(t.Create({.staged = staged->get()}).ok());
  ScanPlan plan;
  ExpectSameRows(conn(), ScanSql(*memory, "lake/x", conn(), &plan),
                 "SELECT i AS id FROM range(50) t(i)", "published");
}

}  // namespace
}  // namespace strata::delta
