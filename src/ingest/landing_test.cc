#include "ingest/landing.h"

#include <gtest/gtest.h>

#include "ingest/ingest_test_util.h"

namespace strata::ingest {
namespace {

TEST(GlobMatch, StarQuestionAndClasses) {
  EXPECT_TRUE(GlobMatch("pedidos*.csv", "pedidos.csv"));
  EXPECT_TRUE(GlobMatch("pedidos*.csv", "pedidos_2024-01.csv"));
  EXPECT_FALSE(GlobMatch("pedidos*.csv", "itens_pedido.csv"));
  EXPECT_FALSE(GlobMatch("pedidos*.csv", "pedidos.csv.bak"));
  EXPECT_FALSE(GlobMatch("pedidos*.csv", "2024/pedidos.csv"));  // '*' never crosses '/'
  EXPECT_TRUE(GlobMatch("p?d.csv", "pad.csv"));
  EXPECT_FALSE(GlobMatch("p?d.csv", "pd.csv"));
  EXPECT_TRUE(GlobMatch("f[0-9][0-9].csv", "f42.csv"));
  EXPECT_FALSE(GlobMatch("f[0-9].csv", "fx.csv"));
  EXPECT_TRUE(GlobMatch("f[!0-9].csv", "fx.csv"));
  EXPECT_TRUE(GlobMatch("f[^0-9].csv", "fx.csv"));
  EXPECT_FALSE(GlobMatch("f[!0-9].csv", "f1.csv"));
  EXPECT_TRUE(GlobMatch("f[abc].csv", "fb.csv"));
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(GlobMatch("a\\*b", "axb"));
  EXPECT_TRUE(GlobMatch("*", "anything.csv"));
  EXPECT_TRUE(GlobMatch("*a*b*c", "xxaxxbxxc"));
  EXPECT_FALSE(GlobMatch("*a*b*c", "xxaxxcxxb"));
  EXPECT_TRUE(GlobMatch("[unclosed", "[unclosed"));
}

TEST(GlobMatch, DoubleStarSpansDirectories) {
  EXPECT_TRUE(GlobMatch("**/x.csv", "x.csv"));
  EXPECT_TRUE(GlobMatch("**/x.csv", "a/x.csv"));
  EXPECT_TRUE(GlobMatch("**/x.csv", "a/b/c/x.csv"));
  EXPECT_TRUE(GlobMatch("in/**/*.csv", "in/a.csv"));
  EXPECT_TRUE(GlobMatch("in/**/*.csv", "in/2024/01/a.csv"));
  EXPECT_FALSE(GlobMatch("in/**/*.csv", "out/2024/a.csv"));
  EXPECT_TRUE(GlobMatch("in/**", "in/a/b"));
  EXPECT_FALSE(GlobMatch("in/*/a.csv", "in/x/y/a.csv"));
  EXPECT_TRUE(GlobMatch("in/*/a.csv", "in/x/a.csv"));
}

TEST(LandingRejection, PatternExtensionAndUnsafePaths) {
  std::vector<std::string> patterns = {"clientes*"};
  EXPECT_EQ(LandingRejection(patterns, "csv", "clientes.csv"), std::nullopt);
  EXPECT_EQ(LandingRejection(patterns, "csv", "clientes.CSV"), std::nullopt);
  auto wrong_ext = LandingRejection(patterns, "csv", "clientes.xlsx");
  ASSERT_TRUE(wrong_ext.has_value());
  EXPECT_NE(wrong_ext->find("'.xlsx' does not fit format csv"), std::string::npos) << *wrong_ext;
  auto no_ext = LandingRejection(patterns, "csv", "clientes");
  ASSERT_TRUE(no_ext.has_value());
  EXPECT_NE(no_ext->find("no extension"), std::string::npos);
  auto other = LandingRejection(patterns, "csv", "pedidos.csv");
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(other->find("does not match any of the source's patterns (clientes*)"),
            std::string::npos);
  EXPECT_TRUE(LandingRejection({"*"}, "csv", "../etc/passwd.csv").has_value());
  EXPECT_TRUE(LandingRejection({"*"}, "csv", "/abs.csv").has_value());
  EXPECT_TRUE(LandingRejection({"**"}, "csv", "a//b.csv").has_value());
  EXPECT_EQ(LandingRejection({"*json"}, "jsonl", "e.ndjson"), std::nullopt);
  EXPECT_EQ(LandingRejection({"*"}, "parquet", "p.parquet"), std::nullopt);
  EXPECT_TRUE(LandingRejection({"*"}, "parquet", "p.csv").has_value());
}

TEST(ListLandingFiles, RecursiveSortedSkipsHidden) {
  testing::TempDir dir;
  dir.Write("b.csv", "x");
  dir.Write("a.csv", "x");
  dir.Write("sub/c.csv", "x");
  dir.Write(".partial.csv", "x");
  dir.Write(".strata/catalog.db", "x");
  auto files = ListLandingFiles(dir.path());
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(*files, (std::vector<std::string>{"a.csv", "b.csv", "sub/c.csv"}));
  EXPECT_TRUE(ListLandingFiles(dir.path() + "/missing").status().IsNotFound());
}

}  // namespace
}  // namespace strata::ingest
