#include "common/yaml.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace strata {
namespace {

// Ten levels of ten aliases each: 10^10 nodes once expanded, in under 500 bytes.
std::string AliasBomb() {
  std::string text = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int level = 1; level <= 9; ++level) {
    std::string prev = "*l" + std::to_string(level - 1);
    text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) text += (i ? ", " : "") + prev;
    text += "]\n";
  }
  return text;
}

TEST(LoadYamlTest, ParsesOrdinaryDocumentsWithAliases) {
  Result<YAML::Node> doc = LoadYaml("base: &b {retries: 3}\njob: *b\nlist: [1, 2]\n", "x.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ((*doc)["job"]["retries"].Scalar(), "3");
  EXPECT_EQ((*doc)["list"].size(), 2u);
}

TEST(LoadYamlTest, SyntaxErrorNamesFileLineAndColumn) {
  Result<YAML::Node> doc = LoadYaml("a: 1\nb: [1, 2\n", "pipelines/p.yaml", 10);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(doc.status().message().find("pipelines/p.yaml:1"), std::string::npos) << doc.status();
  EXPECT_NE(doc.status().message().find("invalid YAML"), std::string::npos);
}

TEST(LoadYamlTest, TextThatIsNotUtf8IsRefusedWithItsPlace) {
  Result<YAML::Node> doc = LoadYaml("a: 1\nb: x\xff\n", "bad.yaml");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("bad.yaml:2:5: invalid YAML: not UTF-8"), std::string::npos)
      << doc.status();
}

TEST(LoadYamlTest, AliasBombIsRefusedQuicklyNamingTheFile) {
  const std::string bomb = AliasBomb();
  ASSERT_LT(bomb.size(), 600u);
  auto start = std::chrono::steady_clock::now();
  Result<YAML::Node> doc = LoadYaml(bomb, "pipelines/bomb.yaml");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("pipelines/bomb.yaml"), std::string::npos) << doc.status();
  EXPECT_NE(doc.status().message().find("alias expansion"), std::string::npos) << doc.status();
  EXPECT_LT(seconds, 5.0);  // the budget walk stops at ~100,000 nodes
}

TEST(LoadYamlTest, SelfReferentialAnchorIsRefused) {
  Result<YAML::Node> doc = LoadYaml("a: &a [1, *a]\n", "cycle.yaml");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("cycle.yaml"), std::string::npos) << doc.status();
  EXPECT_NE(doc.status().message().find("nested deeper"), std::string::npos) << doc.status();
}

TEST(LoadYamlTest, BudgetGrowsWithTheText) {
  // 3,000 list items without aliases fit any budget; a small explicit budget refuses them.
  std::string text = "[";
  for (int i = 0; i < 3000; ++i) text += "1,";
  text += "1]";
  EXPECT_TRUE(LoadYaml(text, "big.yaml").ok());
  Result<YAML::Node> tight = LoadYaml(text, "big.yaml", 0, {100, 0, 256});
  EXPECT_FALSE(tight.ok());
}

}  // namespace
}  // namespace strata
