// The crawler over real files: CSV with another delimiter, Parquet, JSON, hive partitions and a
// Delta table; schema changes; PII found in columns whose names say nothing.
#include "catalog/crawler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "catalog/catalog_test_util.h"
#include "demo/importau_generator.h"

namespace strata::catalog {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class CrawlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalog = Catalog::Open(dir_.path() + "/catalog.db");
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = std::move(*catalog);
    db_ = std::move(*engine::Database::Open({}));
    conn_ = std::move(*db_->Connect());
    root_ = dir_.path() + "/data";
    fs::create_directories(root_);
  }

  void Sql(const std::string& sql) { ASSERT_TRUE(conn_->Execute(sql).ok()) << sql; }

  std::map<std::string, std::string> TopClasses(const std::string& table) {
    std::map<std::string, std::string> out;
    auto columns = catalog_->Columns(table);
    EXPECT_TRUE(columns.ok()) << columns.status();
    for (const ColumnInfo& c : *columns) {
      if (!c.classifications.empty()) out[c.name] = c.classifications[0].class_name;
    }
    return out;
  }

  testing::TempDir dir_;
  std::string root_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Connection> conn_;
};

TEST_F(CrawlerTest, FindsPiiInColumnsWhoseNamesSayNothing) {
  std::string generated = dir_.path() + "/generated";
  auto counts = demo::GenerateImportAu(generated, {.scale = 1, .seed = 7});
  ASSERT_TRUE(counts.ok()) << counts.status();
  // clientes.csv with anonymous column names, semicolons, and no hint anywhere.
  Sql("COPY (SELECT cliente_id AS c1, razao_social AS c2, cnpj AS c3, nome_responsavel AS c4, "
      "cpf_responsavel AS c5, email AS c6, telefone AS c7, uf AS c8 FROM read_csv('" +
      generated + "/clientes.csv', all_varchar = true)) TO '" + root_ +
      "/export_a.csv' (DELIMITER ';')");
  // Decoys: 11-digit numbers whose check digits fail, and an id column called "cpf".
  Sql("COPY (SELECT i AS cpf, 10000000000 + i * 7919 AS c9, 'texto ' || i AS email "
      "FROM range(200) t(i)) TO '" +
      root_ + "/decoys.parquet' (FORMAT parquet)");
  auto report = Crawl(*catalog_, *conn_, root_, {});
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->tables.size(), 2u);
  EXPECT_THAT(report->skipped, IsEmpty());
  std::string csv = fs::canonical(root_ + "/export_a.csv").string();
  auto asset = catalog_->GetAsset(csv);
  ASSERT_TRUE(asset.ok()) << asset.status();
  EXPECT_THAT(asset->format, HasSubstr("delimiter=';'"));
  EXPECT_EQ(asset->row_count, counts->clientes);
  std::map<std::string, std::string> classes = TopClasses(csv);
  EXPECT_EQ(
      classes,
      (std::map<std::string, std::string>{
          {"c3", "CNPJ"}, {"c4", "PERSON_NAME"}, {"c5", "CPF"}, {"c6", "EMAIL"}, {"c7", "PHONE"}}));
  auto evidence = catalog_->Classifications(csv + ".c5");
  ASSERT_TRUE(evidence.ok());
  EXPECT_GT((*evidence)[0].confidence, 0.85);
  EXPECT_THAT((*evidence)[0].evidence, HasSubstr("\"sampled\":1000"));
  EXPECT_THAT(TopClasses(fs::canonical(root_ + "/decoys.parquet").string()), IsEmpty());
}

TEST_F(CrawlerTest, RecognisesFormatsPartitionsAndDelta) {
  Sql("COPY (SELECT i AS id, 'user' || i || '@example.com' AS contact FROM range(20) t(i)) TO '" +
      root_ + "/users.json' (FORMAT json)");
  Sql("COPY (SELECT i AS id, 2024 AS year, 1 + i % 2 AS month, i * 1.5 AS amount FROM range(40) "
      "t(i)) TO '" +
      root_ + "/events' (FORMAT parquet, PARTITION_BY (year, month))");
  // A minimal Delta table: one Parquet file and a log with protocol, metadata and the add.
  fs::create_directories(root_ + "/lake/t/_delta_log");
  Sql("COPY (SELECT i::BIGINT AS id, '192.168.0.' || i AS ip FROM range(30) t(i)) TO '" + root_ +
      "/lake/t/part-0.parquet' (FORMAT parquet)");
  int64_t size = static_cast<int64_t>(fs::file_size(root_ + "/lake/t/part-0.parquet"));
  std::ofstream(root_ + "/lake/t/_delta_log/00000000000000000000.json")
      << R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})"
      << "\n"
      << R"({"metaData":{"id":"6b3c","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},{\"name\":\"ip\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":[],"configuration":{},"createdTime":0}})"
      << "\n"
      << R"({"add":{"path":"part-0.parquet","partitionValues":{},"size":)" << size
      << R"(,"modificationTime":0,"dataChange":true}})"
      << "\n";
  std::ofstream(root_ + "/README.txt") << "not data\n";

  auto report = Crawl(*catalog_, *conn_, root_, {});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->skipped, IsEmpty());
  std::map<std::string, std::string> formats;
  for (const CrawledTable& t : report->tables)
    formats[fs::path(t.name).filename().string()] = t.format;
  EXPECT_EQ(formats, (std::map<std::string, std::string>{
                         {"users.json", "json"}, {"events", "parquet"}, {"t", "delta"}}));
  std::string events = fs::canonical(root_ + "/events").string();
  auto columns = catalog_->Columns(events);
  ASSERT_TRUE(columns.ok());
  std::vector<std::string> names;
  for (const ColumnInfo& c : *columns) names.push_back(c.name);
  EXPECT_THAT(names, Contains("month"));  // partition keys are columns
  EXPECT_EQ(catalog_->GetAsset(events)->row_count, 40);
  std::string delta = fs::canonical(root_ + "/lake/t").string();
  EXPECT_EQ(catalog_->GetAsset(delta)->version, 0);
  EXPECT_EQ(TopClasses(delta), (std::map<std::string, std::string>{{"ip", "IP_ADDRESS"}}));
  EXPECT_EQ(TopClasses(fs::canonical(root_ + "/users.json").string()),
            (std::map<std::string, std::string>{{"contact", "EMAIL"}}));
}

TEST_F(CrawlerTest, RecrawlRecordsSchemaChanges) {
  std::string path = root_ + "/prices.csv";
  std::ofstream(path) << "sku,price\nA,1.5\nB,2.5\n";
  ASSERT_TRUE(Crawl(*catalog_, *conn_, root_, {}).ok());
  std::ofstream(path) << "sku,price,currency\nA,1.5,BRL\nB,2.5,USD\n";
  auto report = Crawl(*catalog_, *conn_, root_, {});
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->tables.size(), 1u);
  EXPECT_TRUE(report->tables[0].outcome.schema_changed);
  EXPECT_EQ(report->tables[0].outcome.changes, "added currency VARCHAR");
  auto history = catalog_->SchemaHistory(fs::canonical(path).string());
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[1].version, 1);
  // The same again: nothing new.
  report = Crawl(*catalog_, *conn_, root_, {});
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->tables[0].outcome.schema_changed);
  EXPECT_TRUE(Crawl(*catalog_, *conn_, root_ + "/nope", {}).status().IsNotFound());
}

}  // namespace
}  // namespace strata::catalog
