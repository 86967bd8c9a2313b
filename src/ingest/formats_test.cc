// JSON lines and Parquet staging against DuckDB only.
#include <gtest/gtest.h>

#include "ingest/file_reader.h"
#include "ingest/ingest_test_util.h"

namespace strata::ingest {
namespace {

using testing::Count;
using testing::Rows;

class FormatStage : public ::testing::Test {
 protected:
  Result<StagedFile> StagePath(const std::string& path, const std::string& name) {
    auto scan = ScanFile(path, ScanOptionsFor(spec_));
    EXPECT_TRUE(scan.ok()) << scan.status();
    ReadRequest request{&spec_, spec_.columns, path, name, 1'000'000, "__fmt"};
    return StageFile(*db_.conn, request, *scan);
  }
  std::vector<std::string> Data(const StagedFile& s, const std::string& columns) {
    return Rows(*db_.conn, "SELECT " + columns + ", _source_row FROM (" + s.data_sql +
                               ") ORDER BY _source_row");
  }
  std::vector<std::string> Quarantine(const StagedFile& s) {
    return Rows(*db_.conn, "SELECT _source_row, _raw_line, _reason FROM (" + s.quarantine_sql +
                               ") ORDER BY _source_row");
  }

  testing::TempDir dir_;
  testing::Db db_;
  FileSourceSpec spec_ = [] {
    FileSourceSpec spec = testing::CsvSource(
        "e", {{"id", "BIGINT"}, {"day", "DATE"}, {"tags", "VARCHAR[]"}, {"note", "VARCHAR"}});
    spec.format = "jsonl";
    return spec;
  }();
};

TEST_F(FormatStage, JsonLinesTypeOrQuarantineWithLineNumbers) {
  std::string path = dir_.Write(
      "e.jsonl",
      "{\"id\": 1, \"day\": \"2024-01-01\", \"tags\": [\"a\"], \"note\": \"x\", \"extra\": 0}\n"
      "\n"
      "not json at all\n"
      "{\"id\": \"abc\", \"day\": \"2024-01-02\"}\n"
      "[1, 2]\n"
      "{\"id\": 6, \"day\": \"2024-02-30\"}\n"
      "{\"id\": 7, \"note\": null, \"tags\": \"notalist\"}\n"
      "{\"id\": 8, \"bad\xff\": 1}\n"
      "  \n"
      "{\"id\": 10}");
  auto s = StagePath(path, "e.jsonl");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->rows_read, 8);  // two blank lines are not rows
  EXPECT_EQ(s->rows_loaded, 2);
  EXPECT_EQ(s->rows_quarantined, 6);
  EXPECT_EQ(Data(*s, "id, day, tags, note"),
            (std::vector<std::string>{"1|2024-01-01|[a]|x|1", "10|NULL|NULL|NULL|10"}));
  std::vector<std::string> q = Quarantine(*s);
  ASSERT_EQ(q.size(), 6u);
  EXPECT_EQ(q[0], "3|not json at all|not valid JSON");
  EXPECT_EQ(q[1].substr(0, 2), "4|");
  EXPECT_NE(q[1].find("column \"id\": cannot convert 'abc' to BIGINT"), std::string::npos) << q[1];
  EXPECT_EQ(q[2], "5|[1, 2]|not a JSON object (ARRAY)");
  EXPECT_NE(q[3].find("column \"day\": cannot convert '2024-02-30' to DATE"), std::string::npos);
  EXPECT_NE(q[4].find("column \"tags\""), std::string::npos) << q[4];
  EXPECT_EQ(q[5].substr(0, 2), "8|");
  EXPECT_NE(q[5].find("INVALID ENCODING"), std::string::npos) << q[5];
}

TEST_F(FormatStage, JsonLinesInferredContractAndEmptyFile) {
  spec_.columns.clear();
  std::string path = dir_.Write("i.jsonl", "{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2, \"b\": \"y\"}\n");
  auto s = StagePath(path, "i.jsonl");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->columns.size(), 2u);
  EXPECT_EQ(s->columns[0].type, "BIGINT");
  EXPECT_EQ(s->rows_loaded, 2);
  auto empty = StagePath(dir_.Write("z.jsonl", ""), "z.jsonl");
  EXPECT_TRUE(empty.status().IsInvalidArgument());
  auto utf16 = StagePath(
      dir_.Write("u.jsonl", std::string("\xFE\xFF\0{\0\"\0a\0\"\0:\0\x31\0}", 16)), "u.jsonl");
  EXPECT_TRUE(utf16.status().IsInvalidArgument());
  EXPECT_NE(utf16.status().message().find("the file is UTF-16"), std::string::npos)
      << utf16.status();
}

TEST_F(FormatStage, ParquetCastsToTheContractAndQuarantinesFailures) {
  spec_ = testing::CsvSource("p", {{"id", "BIGINT"}, {"qty", "INTEGER"}, {"day", "DATE"}});
  spec_.format = "parquet";
  std::string path = dir_.path() + "/p.parquet";
  ASSERT_TRUE(db_.conn
                  ->Execute("COPY (SELECT * FROM (VALUES (1, '10', '2024-01-01', 'x'), "
                            "(2, 'ten', '2024-01-02', 'y'), (3, '30', 'never', 'z'), "
                            "(4, NULL, NULL, 'w')) t(ID, qty, day, other)) TO " +
                            engine::QuoteLiteral(path) + " (FORMAT parquet)")
                  .ok());
  auto s = StagePath(path, "p.parquet");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->rows_read, 4);
  EXPECT_EQ(Data(*s, "id, qty, day"),
            (std::vector<std::string>{"1|10|2024-01-01|1", "4|NULL|NULL|4"}));
  std::vector<std::string> q = Quarantine(*s);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_NE(q[0].find("2|{\"ID\":2,\"qty\":\"ten\""), std::string::npos) << q[0];
  EXPECT_NE(q[0].find("column \"qty\": cannot convert 'ten' to INTEGER"), std::string::npos);
  EXPECT_NE(q[1].find("column \"day\": cannot convert 'never' to DATE"), std::string::npos);
}

// Numbers that an integer or decimal column cannot hold exactly are quarantined, in JSON lines
// (numbers or text) and in Parquet (a DOUBLE column read into BIGINT or DECIMAL).
TEST_F(FormatStage, InexactNumbersAreQuarantinedInJsonAndParquet) {
  spec_ = testing::CsvSource("n", {{"id", "BIGINT"}, {"amount", "DECIMAL(10,2)"}});
  spec_.format = "jsonl";
  std::string json = dir_.Write("n.jsonl",
                                "{\"id\": 1, \"amount\": 2.5}\n"
                                "{\"id\": 2.5, \"amount\": 1}\n"
                                "{\"id\": \"3\", \"amount\": \"0.125\"}\n"
                                "{\"id\": 4.0, \"amount\": \"7\"}\n");
  auto j = StagePath(json, "n.jsonl");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(Data(*j, "id, amount"), (std::vector<std::string>{"1|2.50|1", "4|7.00|4"}));
  std::vector<std::string> jq = Quarantine(*j);
  ASSERT_EQ(jq.size(), 2u);
  EXPECT_NE(jq[0].find("column \"id\": cannot convert '2.5' to BIGINT"), std::string::npos)
      << jq[0];
  EXPECT_NE(jq[1].find("column \"amount\": cannot convert '0.125' to DECIMAL(10,2)"),
            std::string::npos)
      << jq[1];

  spec_.format = "parquet";
  std::string path = dir_.path() + "/n.parquet";
  ASSERT_TRUE(db_.conn
                  ->Execute("COPY (SELECT * FROM (VALUES (1.0::DOUBLE, 2.5::DOUBLE), "
                            "(2.5, 1.0), (3.0, 0.125), (4.0, 0.1)) t(id, amount)) TO " +
                            engine::QuoteLiteral(path) + " (FORMAT parquet)")
                  .ok());
  auto p = StagePath(path, "n.parquet");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Data(*p, "id, amount"), (std::vector<std::string>{"1|2.50|1", "4|0.10|4"}));
  std::vector<std::string> pq = Quarantine(*p);
  ASSERT_EQ(pq.size(), 2u);
  EXPECT_NE(pq[0].find("column \"id\": cannot convert '2.5' to BIGINT"), std::string::npos)
      << pq[0];
  EXPECT_NE(pq[1].find("column \"amount\": cannot convert '0.125' to DECIMAL(10,2)"),
            std::string::npos)
      << pq[1];
}

TEST_F(FormatStage, ParquetMissingColumnOrCorruptFileFails) {
  spec_ = testing::CsvSource("p", {{"id", "BIGINT"}, {"missing_col", "INTEGER"}});
  spec_.format = "parquet";
  std::string path = dir_.path() + "/m.parquet";
  ASSERT_TRUE(db_.conn
                  ->Execute("COPY (SELECT 1 AS id, 2 AS other) TO " + engine::QuoteLiteral(path) +
                            " (FORMAT parquet)")
                  .ok());
  auto s = StagePath(path, "m.parquet");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().IsInvalidArgument());
  EXPECT_NE(s.status().message().find("column 'missing_col' of the contract is missing from the "
                                      "file (it has (id, other))"),
            std::string::npos)
      << s.status();
  auto corrupt = StagePath(dir_.Write("c.parquet", "PAR1 this is not parquet"), "c.parquet");
  ASSERT_FALSE(corrupt.ok());
  EXPECT_TRUE(corrupt.status().IsInvalidArgument()) << corrupt.status();
  EXPECT_NE(corrupt.status().message().find("cannot read the Parquet file"), std::string::npos);
}

TEST_F(FormatStage, ParquetWithoutContractTakesTheFileTypes) {
  spec_ = testing::CsvSource("p", {});
  spec_.format = "parquet";
  std::string path = dir_.path() + "/n.parquet";
  ASSERT_TRUE(db_.conn
                  ->Execute("COPY (SELECT range AS id, 'x' || range AS s FROM range(5)) TO " +
                            engine::QuoteLiteral(path) + " (FORMAT parquet)")
                  .ok());
  auto s = StagePath(path, "n.parquet");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->columns.size(), 2u);
  EXPECT_EQ(s->columns[0].type, "BIGINT");
  EXPECT_EQ(s->rows_loaded, 5);
  EXPECT_EQ(Count(*db_.conn, "SELECT max(_source_row) FROM (" + s->data_sql + ")"), 5);
}

}  // namespace
}  // namespace strata::ingest
