#include "lake/table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lake/lake_test_util.h"
#include "storage/memory_object_store.h"

namespace strata::lake {
namespace {

using testing::CommitRows;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::OpenDuck;

TEST(QuarantineTableTest, NamesTheTableBeside) {
  EXPECT_EQ(QuarantineTableOf(TableName{"bronze", "pedidos"}).ToString(),
            "bronze.pedidos__quarantine");
  EXPECT_EQ(QuarantineTableOf("silver.fato"), "silver.fato__quarantine");
}

class TableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_shared<storage::MemoryObjectStore>("table-test");
    duck_ = OpenDuck();
  }
  // `versions` commits of 10 rows each (ids 0..9, 10..19, ...), one file per commit.
  void MakeTable(const std::string& root, int versions) {
    for (int v = 0; v < versions; ++v) {
      CommitRows(*duck_.conn, *store_, root, v,
                 "SELECT range AS id, 'r' || range AS name FROM range(" + std::to_string(v * 10) +
                     ", " + std::to_string(v * 10 + 10) + ")",
                 1700000000000 + v * 1000);
    }
  }
  std::shared_ptr<storage::MemoryObjectStore> store_;
  testing::Duck duck_;
};

TEST_F(TableTest, OpensByNameOrSaysWhatIsMissing) {
  MakeTable("lake/bronze/pedidos", 1);
  Lake lake(store_, "lake");
  auto table = Table::Open(lake, TableName{"bronze", "pedidos"});
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->display(), "bronze.pedidos");

  auto missing = Table::Open(lake, TableName{"bronze", "pedido"});
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_THAT(missing.status().message(), HasSubstr("did you mean bronze.pedidos"));
}

TEST_F(TableTest, LatestVersionOfATableMadeLater) {
  Lake lake(store_, "lake");
  Table watched = Table::Watch(lake, TableName{"silver", "later"});
  auto none = watched.LatestVersion();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());

  MakeTable("lake/silver/later", 3);
  auto head = watched.LatestVersion();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(*head, std::optional<int64_t>(2));
}

TEST_F(TableTest, HistoryNewestFirstWithOperationAndParameters) {
  MakeTable("lake/bronze/pedidos", 4);
  Lake lake(store_, "lake");
  auto table = Table::Open(lake, TableName{"bronze", "pedidos"});
  ASSERT_TRUE(table.ok()) << table.status();

  auto all = table->History();
  ASSERT_TRUE(all.ok()) << all.status();
  std::vector<int64_t> versions;
  for (const TableCommit& c : *all) versions.push_back(c.version);
  EXPECT_THAT(versions, ElementsAre(3, 2, 1, 0));
  EXPECT_EQ((*all)[0].operation, "WRITE");
  EXPECT_EQ((*all)[3].operation, "CREATE TABLE");
  EXPECT_EQ((*all)[0].timestamp_millis, 1700000003000);
  EXPECT_EQ((*all)[0].parameters, nlohmann::json({{"mode", "Append"}}));
  EXPECT_TRUE((*all)[0].metrics.is_object());

  auto window = table->History(2, 2);  // what a trigger reads: versions 1..2
  ASSERT_TRUE(window.ok()) << window.status();
  versions.clear();
  for (const TableCommit& c : *window) versions.push_back(c.version);
  EXPECT_THAT(versions, ElementsAre(2, 1));
}

TEST_F(TableTest, StatisticsFromTheLogAlone) {
  MakeTable("lake/bronze/pedidos", 3);
  Lake lake(store_, "lake");
  auto table = Table::Open(lake, TableName{"bronze", "pedidos"});
  ASSERT_TRUE(table.ok()) << table.status();
  auto stats = table->Statistics();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->version, 2);
  EXPECT_EQ(stats->file_count, 3);
  EXPECT_GT(stats->total_bytes, 0);
  ASSERT_TRUE(stats->row_count.has_value());
  EXPECT_EQ(*stats->row_count, 30);
  EXPECT_TRUE(stats->partition_columns.empty());

  auto snapshot = delta::LoadSnapshot(*store_, "lake/bronze/pedidos");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  EXPECT_EQ(StatisticsOf(*snapshot).total_bytes, snapshot->TotalBytes());
  snapshot->files[1].stats.reset();  // one file without stats: the count would be a guess
  EXPECT_FALSE(StatisticsOf(*snapshot).row_count.has_value());
  snapshot->files[1].stats = "{\"numRecords\": \"ten\"}";  // not a number: unknown too
  EXPECT_FALSE(StatisticsOf(*snapshot).row_count.has_value());
}

TEST_F(TableTest, StatisticsOfABrokenLogNameTheTable) {
  MakeTable("lake/bronze/pedidos", 2);
  Lake lake(store_, "lake");
  auto table = Table::Open(lake, TableName{"bronze", "pedidos"});
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_TRUE(store_->Delete("lake/bronze/pedidos/_delta_log/00000000000000000000.json").ok());
  auto stats = table->Statistics();
  EXPECT_FALSE(stats.ok());
  EXPECT_THAT(stats.status().message(), HasSubstr("bronze.pedidos"));
}

}  // namespace
}  // namespace strata::lake
