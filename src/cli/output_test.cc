#include "cli/output.h"

#include <gtest/gtest.h>

#include <sstream>

#include "engine/engine.h"

namespace strata::cli {
namespace {

class OutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = engine::Database::Open({});
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    auto connection = db_->Connect();
    ASSERT_TRUE(connection.ok()) << connection.status();
    connection_ = std::move(*connection);
  }

  std::string Render(const std::string& sql, OutputFormat format, int64_t max_rows = 1000) {
    auto result = connection_->Query(sql);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return "";
    std::ostringstream out;
    OutputOptions options;
    options.format = format;
    options.max_rows = max_rows;
    auto rows = WriteResult(**result, options, out);
    EXPECT_TRUE(rows.ok()) << rows.status();
    return out.str();
  }

  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Connection> connection_;
};

TEST(OutputFormatTest, ParsesKnownNamesOnly) {
  EXPECT_EQ(*ParseOutputFormat("csv"), OutputFormat::kCsv);
  EXPECT_EQ(*ParseOutputFormat("json"), OutputFormat::kJson);
  EXPECT_EQ(*ParseOutputFormat("table"), OutputFormat::kTable);
  Result<OutputFormat> bad = ParseOutputFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'xml'"), std::string::npos);
}

TEST(OutputFormatTest, CsvAndJsonEscaping) {
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(JsonString("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(JsonString("São Paulo"), "\"São Paulo\"");
}

TEST_F(OutputTest, CsvStreamsEveryRowWithNullsEmpty) {
  std::string csv =
      Render("SELECT i, CASE WHEN i = 2 THEN NULL ELSE 'v,' || i END AS s FROM range(1, 4) t(i)",
             OutputFormat::kCsv);
  EXPECT_EQ(csv, "i,s\n1,\"v,1\"\n2,\n3,\"v,3\"\n");
}

TEST_F(OutputTest, JsonKeepsTypes) {
  std::string json = Render(
      "SELECT 1::BIGINT AS n, 12.50::DECIMAL(12,2) AS d, true AS b, NULL::VARCHAR AS s, "
      "DATE '2024-01-31' AS day, 'x\"y' AS q, 1.5::DOUBLE AS f",
      OutputFormat::kJson);
  EXPECT_EQ(json,
            "[\n{\"n\":1,\"d\":12.50,\"b\":true,\"s\":null,\"day\":\"2024-01-31\","
            "\"q\":\"x\\\"y\",\"f\":1.5}\n]\n");
  EXPECT_EQ(Render("SELECT 1 AS a WHERE false", OutputFormat::kJson), "[]\n");
}

TEST_F(OutputTest, TableAlignsAndCountsBeyondShownRows) {
  std::string table = Render("SELECT i AS id, 'row' || i AS label FROM range(0, 5) t(i)",
                             OutputFormat::kTable, /*max_rows=*/2);
  EXPECT_NE(table.find("| id     | label   |"), std::string::npos) << table;
  EXPECT_NE(table.find("| BIGINT | VARCHAR |"), std::string::npos) << table;
  EXPECT_NE(table.find("|      1 | row1    |"), std::string::npos) << table;
  EXPECT_EQ(table.find("row2"), std::string::npos) << table;
  EXPECT_NE(table.find("(5 rows, 2 shown)"), std::string::npos) << table;
}

TEST_F(OutputTest, TableShowsNullAndEscapesNewlines) {
  std::string table = Render("SELECT NULL AS a, 'x' || chr(10) || 'y' AS b", OutputFormat::kTable);
  EXPECT_NE(table.find("NULL"), std::string::npos) << table;
  EXPECT_NE(table.find("x\\ny"), std::string::npos) << table;
  EXPECT_NE(table.find("(1 row)"), std::string::npos) << table;
}

}  // namespace
}  // namespace strata::cli
