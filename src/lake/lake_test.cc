#include "lake/lake.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "lake/lake_test_util.h"
#include "storage/memory_object_store.h"

namespace strata::lake {
namespace {

using testing::CommitRows;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::OpenDuck;
using testing::ScratchDir;

TEST(TableNameTest, ParsesAndFoldsCase) {
  auto name = ParseTableName("Bronze.Pedidos__quarantine");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->layer, "bronze");
  EXPECT_EQ(name->name, "pedidos__quarantine");
  EXPECT_EQ(name->ToString(), "bronze.pedidos__quarantine");
}

TEST(TableNameTest, RejectsBadNamesNamingThePart) {
  auto no_layer = ParseTableName("pedidos");
  EXPECT_TRUE(no_layer.status().IsInvalidArgument());
  EXPECT_THAT(no_layer.status().message(), HasSubstr("needs a layer"));

  auto three = ParseTableName("a.b.c");
  EXPECT_THAT(three.status().message(), HasSubstr("more than two parts"));

  auto bad_layer = ParseTableName("bro-nze.x");
  EXPECT_TRUE(bad_layer.status().IsInvalidArgument());
  EXPECT_THAT(bad_layer.status().message(), HasSubstr("layer 'bro-nze' contains '-'"));

  auto bad_name = ParseTableName("bronze.9lives");
  EXPECT_THAT(bad_name.status().message(), HasSubstr("name '9lives' must start with a letter"));

  auto empty = ParseTableName("bronze.");
  EXPECT_THAT(empty.status().message(), HasSubstr("name is empty"));

  EXPECT_THAT(ParseTableName("bronze." + std::string(129, 'a')).status().message(),
              HasSubstr("longer than 128"));
}

TEST(TableNameTest, PathReferences) {
  EXPECT_TRUE(IsPathReference("./lake/bronze/x"));
  EXPECT_TRUE(IsPathReference("/abs/table"));
  EXPECT_TRUE(IsPathReference("relative/table"));
  EXPECT_TRUE(IsPathReference(".hidden"));
  EXPECT_FALSE(IsPathReference("bronze.pedidos"));
}

TEST(CloseNamesTest, TyposAndOtherLayers) {
  std::vector<std::string> names = {"bronze.pedidos", "bronze.pedidos__quarantine",
                                    "silver.pedidos", "gold.vendas"};
  EXPECT_THAT(CloseNames("bronze.pedido", names), ElementsAre("bronze.pedidos"));
  EXPECT_THAT(CloseNames("gold.pedidos", names), ElementsAre("bronze.pedidos", "silver.pedidos"));
  EXPECT_TRUE(CloseNames("gold.nothing_like_it", names).empty());
}

class LakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_shared<storage::MemoryObjectStore>("lake-test");
    duck_ = OpenDuck();
  }
  void MakeTable(const std::string& root, int versions = 1) {
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

TEST_F(LakeTest, ListsTablesUnderTheRoot) {
  MakeTable("lake/bronze/pedidos");
  MakeTable("lake/bronze/pedidos__quarantine");
  MakeTable("lake/gold/vendas");
  MakeTable("elsewhere/bronze/not_in_lake");
  // Not tables: a log with no commit, a deeper directory, an invalid name.
  ASSERT_TRUE(store_->Put("lake/silver/empty/_delta_log/_last_checkpoint", "{}").ok());
  ASSERT_TRUE(store_->Put("lake/silver/x/y/_delta_log/00000000000000000000.json", "{}").ok());
  ASSERT_TRUE(store_->Put("lake/silver/Bad-Name/_delta_log/00000000000000000000.json", "").ok());

  Lake lake(store_, "lake");
  auto tables = lake.ListTables();
  ASSERT_TRUE(tables.ok()) << tables.status();
  std::vector<std::string> names;
  for (const TableName& t : *tables) names.push_back(t.ToString());
  EXPECT_THAT(names, ElementsAre("bronze.pedidos", "bronze.pedidos__quarantine", "gold.vendas"));
  EXPECT_TRUE(*lake.HasLayer("silver"));
  EXPECT_FALSE(*lake.HasLayer("platinum"));
}

TEST_F(LakeTest, ResolvesNamesAndExplainsMissingOnes) {
  MakeTable("bronze/pedidos");
  MakeTable("bronze/pedidos__quarantine");
  Lake lake(store_, "");
  auto found = lake.Resolve("bronze.pedidos__quarantine");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->root, "bronze/pedidos__quarantine");
  EXPECT_EQ(found->display, "bronze.pedidos__quarantine");
  ASSERT_TRUE(found->name.has_value());

  auto missing = lake.Resolve("bronze.pedido");
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_THAT(missing.status().message(), HasSubstr("table bronze.pedido does not exist"));
  EXPECT_THAT(missing.status().message(), HasSubstr("did you mean bronze.pedidos"));

  auto unrelated = lake.Resolve("gold.zzz");
  EXPECT_THAT(unrelated.status().message(), HasSubstr("it has 2 tables"));
  EXPECT_TRUE(lake.Resolve("bronze.bad name").status().IsInvalidArgument());
}

TEST(LakeOpenTest, LocalLakesAndPathsAreNeverCreated) {
  ScratchDir dir;
  const std::string missing = dir.path() + "/no-lake";
  auto lake = Lake::Open(missing);
  EXPECT_TRUE(lake.status().IsNotFound());
  EXPECT_THAT(lake.status().message(), HasSubstr("lake directory"));
  EXPECT_FALSE(std::filesystem::exists(missing));

  auto path = OpenTablePath(missing + "/table");
  EXPECT_TRUE(path.status().IsNotFound());
  EXPECT_FALSE(std::filesystem::exists(missing));

  std::filesystem::create_directories(dir.path() + "/plain");
  auto not_delta = OpenTablePath(dir.path() + "/plain");
  EXPECT_TRUE(not_delta.status().IsNotFound());
  EXPECT_THAT(not_delta.status().message(), HasSubstr("is not a Delta table"));
}

TEST(LakeOpenTest, LocalLakeResolvesTablesAndPaths) {
  ScratchDir dir;
  testing::Duck duck = OpenDuck();
  auto store = storage::OpenObjectStore(dir.path());
  ASSERT_TRUE(store.ok());
  CommitRows(*duck.conn, **store, "silver/clientes", 0, "SELECT 1 AS id, 'a' AS name", 1000);

  auto lake = Lake::Open(dir.path());
  ASSERT_TRUE(lake.ok()) << lake.status();
  auto by_name = lake->Resolve("silver.clientes");
  ASSERT_TRUE(by_name.ok()) << by_name.status();
  auto by_path = lake->Resolve(dir.path() + "/silver/clientes");
  ASSERT_TRUE(by_path.ok()) << by_path.status();
  EXPECT_FALSE(by_path->name.has_value());
  EXPECT_EQ(by_path->root, "");

  // memory:// URIs carry a root prefix after the store name.
  auto shared = storage::OpenObjectStore("memory://lake-open-test");
  ASSERT_TRUE(shared.ok());
  CommitRows(*duck.conn, **shared, "root/gold/x", 0, "SELECT 1 AS id, 'a' AS name", 1000);
  auto memory_lake = Lake::Open("memory://lake-open-test/root");
  ASSERT_TRUE(memory_lake.ok()) << memory_lake.status();
  EXPECT_EQ(memory_lake->root(), "root");
  EXPECT_TRUE(memory_lake->Resolve("gold.x").ok());
  EXPECT_TRUE(memory_lake->Resolve("memory://lake-open-test/root/gold/x").ok());
}

}  // namespace
}  // namespace strata::lake
