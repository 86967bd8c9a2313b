// StageFile on CSV against DuckDB only (no lake): typing, rejects, row numbers, bad inputs.
#include <gtest/gtest.h>

#include "ingest/file_reader.h"
#include "ingest/ingest_test_util.h"

namespace strata::ingest {
namespace {

using testing::Count;
using testing::Rows;

class CsvStage : public ::testing::Test {
 protected:
  // Stages `content` as file "f.csv"; returns the outcome.
  Result<StagedFile> Stage(const std::string& content, const FileSourceSpec& spec) {
    spec_ = spec;
    std::string path = dir_.Write("f.csv", content);
    auto scan = ScanFile(path, ScanOptionsFor(spec_));
    EXPECT_TRUE(scan.ok()) << scan.status();
    ReadRequest request;
    request.source = &spec_;
    request.columns = spec_.columns;
    request.path = path;
    request.file = "f.csv";
    request.ingested_at_micros = 1'700'000'000'000'000;
    return StageFile(*db_.conn, request, *scan);
  }
  Result<StagedFile> Stage(const std::string& content) { return Stage(content, Abc()); }

  static FileSourceSpec Abc() {
    return testing::CsvSource("t", {{"a", "BIGINT"}, {"b", "VARCHAR"}, {"c", "DATE"}});
  }

  // "a|b|c|row" of the good rows and "row|raw|reason" of the quarantined ones.
  std::vector<std::string> Data(const StagedFile& s) {
    return Rows(*db_.conn, "SELECT * EXCLUDE (_source_file, _ingested_at) FROM (" + s.data_sql +
                               ") ORDER BY _source_row");
  }
  std::vector<std::string> Quarantine(const StagedFile& s) {
    return Rows(*db_.conn, "SELECT _source_row, _raw_line, _reason FROM (" + s.quarantine_sql +
                               ") ORDER BY _source_row");
  }

  testing::TempDir dir_;
  testing::Db db_;
  FileSourceSpec spec_;
};

TEST_F(CsvStage, RejectsInTheMiddleKeepRowNumbersExact) {
  auto s = Stage(
      "a,b,c\n1,x,2024-01-01\n2,y,2024-02-30\nbad,z,2024-01-04\n4,w\n5,v,2024-01-05,extra\n"
      "6,u,2024-01-06\n");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->rows_read, 6);
  EXPECT_EQ(s->rows_loaded, 2);
  EXPECT_EQ(s->rows_quarantined, 4);
  EXPECT_EQ(Data(*s), (std::vector<std::string>{"1|x|2024-01-01|1", "6|u|2024-01-06|6"}));
  std::vector<std::string> q = Quarantine(*s);
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0].substr(0, 19), "2|2,y,2024-02-30|CA");
  EXPECT_NE(q[0].find("Could not convert string \"2024-02-30\" to 'DATE'"), std::string::npos);
  EXPECT_NE(q[1].find("3|bad,z,2024-01-04|"), std::string::npos);
  EXPECT_NE(q[2].find("4|4,w|MISSING COLUMNS: Expected Number of Columns: 3 Found: 2"),
            std::string::npos);
  EXPECT_NE(q[3].find("5|5,v,2024-01-05,extra|TOO MANY COLUMNS"), std::string::npos);
  // The lineage columns are there and typed.
  EXPECT_EQ(Rows(*db_.conn,
                 "SELECT DISTINCT _source_file, typeof(_ingested_at), "
                 "CAST(_ingested_at AS VARCHAR) FROM (" +
                     s->data_sql + ")"),
            (std::vector<std::string>{"f.csv|TIMESTAMP WITH TIME ZONE|2023-11-14 22:13:20+00"}));
}

TEST_F(CsvStage, QuotedNewlinesAndBlankLinesCountAsDocumented) {
  // Records: 1 (two physical lines), blank, 3, blank, 5 (rejected), 6.
  auto s = Stage(
      "a,b,c\n1,\"multi\nline\",2024-01-01\n\n3,x,2024-01-03\n\n5,y,nope\n6,\"q\"\"q\","
      "2024-01-06");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->rows_read, 4);
  EXPECT_EQ(Data(*s), (std::vector<std::string>{"1|multi\nline|2024-01-01|1", "3|x|2024-01-03|3",
                                                "6|q\"q|2024-01-06|6"}));
  std::vector<std::string> q = Quarantine(*s);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].substr(0, 11), "5|5,y,nope|");
}

TEST_F(CsvStage, LineWithTwoErrorsIsOneQuarantinedRow) {
  auto s = Stage("a,b,c\nx,y,z\n1,b,2024-01-01\n");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->rows_quarantined, 1);
  std::vector<std::string> q = Quarantine(*s);
  ASSERT_EQ(q.size(), 1u);
  // DuckDB rejects the line for its date; the integer column, checked after DuckDB read the
  // line, is not reached.
  EXPECT_NE(q[0].find("column \"c\""), std::string::npos) << q[0];
  EXPECT_EQ(Data(*s), (std::vector<std::string>{"1|b|2024-01-01|2"}));
}

// DuckDB's own cast rounds "12.5" into an INTEGER column and "1.005" into DECIMAL(12,2): the
// contract's integers and decimals take only values they hold exactly; the others are
// quarantined with their raw line (a quoted line break included) and the column named.
TEST_F(CsvStage, IntegersAndDecimalsMustFitExactly) {
  FileSourceSpec spec = testing::CsvSource(
      "t", {{"qty", "INTEGER"}, {"price", "DECIMAL(12,2)"}, {"note", "VARCHAR"}});
  auto s = Stage(
      "qty,price,note\n"
      "1,10.50,ok\n"
      "12.5,1.00,half a unit\n"
      " 7 ,+3.1,spaces and sign\n"
      "1e2,2,exponent\n"
      "12.0,1.500,trailing zeros\n"
      "3,1.005,\"a third\ndecimal\"\n"
      "0x1F,.5,hex\n"
      "4,,\n"
      "99999999999,1,too big\n"
      "5,-.25,last\n",
      spec);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->rows_read, 10);
  EXPECT_EQ(s->rows_loaded, 5);
  EXPECT_EQ(s->rows_quarantined, 5);
  EXPECT_EQ(Data(*s), (std::vector<std::string>{"1|10.50|ok|1", "7|3.10|spaces and sign|3",
                                                "12|1.50|trailing zeros|5", "4|NULL|NULL|8",
                                                "5|-0.25|last|10"}));
  std::vector<std::string> q = Quarantine(*s);
  ASSERT_EQ(q.size(), 5u);
  EXPECT_EQ(q[0], "2|12.5,1.00,half a unit|column \"qty\": cannot convert '12.5' to INTEGER");
  EXPECT_EQ(q[1], "4|1e2,2,exponent|column \"qty\": cannot convert '1e2' to INTEGER");
  EXPECT_EQ(q[2],
            "6|3,1.005,\"a third\ndecimal\"|column \"price\": cannot convert '1.005' to "
            "DECIMAL(12,2)");
  EXPECT_EQ(q[3], "7|0x1F,.5,hex|column \"qty\": cannot convert '0x1F' to INTEGER");
  EXPECT_EQ(q[4],
            "9|99999999999,1,too big|column \"qty\": cannot convert '99999999999' to INTEGER");
  // No inexact line: nothing quarantined, no extra pass over the file.
  auto clean = Stage("qty,price,note\n1,2.5,x\n", spec);
  ASSERT_TRUE(clean.ok()) << clean.status();
  EXPECT_EQ(clean->rows_quarantined, 0);
  EXPECT_EQ(Data(*clean), (std::vector<std::string>{"1|2.50|x|1"}));
}

// Columns whose values are all plain numbers that fit the scale are typed by DuckDB's reader
// directly: the values are the same, and a value out of range is its reject, column named.
// The other integer and decimal columns of the file are still read as text and checked.
TEST_F(CsvStage, PlainNumberColumnsAreTypedByTheReader) {
  FileSourceSpec spec = testing::CsvSource(
      "t", {{"qty", "INTEGER"}, {"price", "DECIMAL(12,2)"}, {"rate", "DECIMAL(6,1)"}});
  auto s = Stage(
      "rate,qty,price\n"
      "1.50,007,+3.1\n"
      "2,-12,10.50\n"
      ",12.0,\"4\"\n"
      "3.0,99999999999,1\n"
      "4.25,5,6\n",
      spec);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->rows_read, 5);
  EXPECT_EQ(s->rows_loaded, 3);
  EXPECT_EQ(Data(*s),
            (std::vector<std::string>{"7|3.10|1.5|1", "-12|10.50|2.0|2", "12|4.00|NULL|3"}));
  std::vector<std::string> q = Quarantine(*s);
  ASSERT_EQ(q.size(), 2u);
  // qty is plain: DuckDB's reader refuses the value that does not fit an INTEGER.
  EXPECT_NE(q[0].find("4|3.0,99999999999,1|"), std::string::npos) << q[0];
  EXPECT_NE(q[0].find("column \"qty\""), std::string::npos) << q[0];
  EXPECT_NE(q[0].find("Could not convert string \"99999999999\" to 'INTEGER'"), std::string::npos)
      << q[0];
  // rate has a value with more decimals than it keeps: read as text, that row is quarantined.
  EXPECT_EQ(q[1], "5|4.25,5,6|column \"rate\": cannot convert '4.25' to DECIMAL(6,1)");
}

TEST_F(CsvStage, BadInputsGetTheirOutcome) {
  struct Case {
    std::string name, content;
    bool fails;
    int64_t loaded, quarantined;
    std::string reason;  // substring of the failure or of the first quarantine row
  };
  const std::vector<Case> cases = {
      {"empty", "", true, 0, 0, "the file is empty"},
      {"header only", "a,b,c\n", false, 0, 0, ""},
      {"header only, no newline", "a,b,c", false, 0, 0, ""},
      {"header differs", "a,x,c\n1,2,2024-01-01\n", true, 0, 0,
       "expected (a, b, c), found (a, x, c): column 2 is 'x', expected 'b'"},
      {"header short", "a,b\n1,2\n", true, 0, 0, "column 'c' is missing"},
      {"header long", "a,b,c,d\n1,2,2024-01-01,4\n", true, 0, 0, "unexpected column 'd'"},
      {"crlf", "a,b,c\r\n1,x,2024-01-01\r\n2,y,bad\r\n", false, 1, 1, "2,y,bad"},
      {"crlf with blank lines", "a,b,c\r\n\r\n1,x,2024-01-01\r\n", false, 1, 0, ""},
      // DuckDB refuses a file whose line endings change midway: the whole file fails.
      {"mixed line endings", "a,b,c\n1,x,2024-01-01\r\n2,y,2024-01-02\n", true, 0, 0,
       "reached an invalid state"},
      {"bom",
       "\xEF\xBB\xBF"
       "a,b,c\n1,x,2024-01-01\n",
       false, 1, 0, ""},
      {"invalid utf-8", "a,b,c\n1,x\xff\xfe,2024-01-01\n2,y,2024-01-02\n", false, 1, 1,
       "INVALID ENCODING"},
      {"utf-16",
       std::string("\xFF\xFE"
                   "a\0,\0b\0,\0c\0\n\0"
                   "1\0,\0x\0,\0"
                   "2\0\n\0",
                   26),
       true, 0, 0, "the file is UTF-16"},
      {"truncated last line", "a,b,c\n1,x,2024-01-01\n2,y", false, 1, 1, "MISSING COLUMNS"},
      {"truncated in a date", "a,b,c\n1,x,2024-01-01\n2,y,2024-0", false, 1, 1, "2024-0"},
      {"truncated in quotes", "a,b,c\n1,x,2024-01-01\n2,\"y,2024", false, 1, 1,
       "unterminated quote"},
      {"unquoted quote in field", "a,b,c\n1,\"x\"y,2024-01-01\n2,y,2024-01-02\n", false, 1, 1,
       "UNQUOTED VALUE"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto s = Stage(c.content);
    if (c.fails) {
      ASSERT_FALSE(s.ok());
      EXPECT_TRUE(s.status().IsInvalidArgument());
      EXPECT_NE(s.status().message().find(c.reason), std::string::npos) << s.status();
      continue;
    }
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->rows_loaded, c.loaded);
    EXPECT_EQ(s->rows_quarantined, c.quarantined);
    EXPECT_EQ(s->rows_read, c.loaded + c.quarantined);
    EXPECT_EQ(Count(*db_.conn, "SELECT count(*) FROM (" + s->data_sql + ")"), c.loaded);
    if (!c.reason.empty()) {
      std::vector<std::string> q = Quarantine(*s);
      ASSERT_FALSE(q.empty());
      EXPECT_NE(q[0].find(c.reason), std::string::npos) << q[0];
    }
  }
}

TEST_F(CsvStage, OneColumnFilesKeepBlankLinesAsNullRows) {
  // With one column DuckDB reads an empty line as a NULL value: a row, numbered like any other.
  auto s = Stage("a\n1\n\n3\nx\n", testing::CsvSource("t", {{"a", "BIGINT"}}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->rows_read, 4);
  EXPECT_EQ(Rows(*db_.conn, "SELECT a, _source_row FROM (" + s->data_sql + ") ORDER BY 2"),
            (std::vector<std::string>{"1|1", "NULL|2", "3|3"}));
  EXPECT_EQ(Quarantine(*s).size(), 1u);
  EXPECT_EQ(Quarantine(*s)[0].substr(0, 4), "4|x|");
}

TEST_F(CsvStage, HeaderInAnotherOrderMapsByName) {
  auto s = Stage("C,a,b\n2024-01-01,1,x\n");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Data(*s), (std::vector<std::string>{"1|x|2024-01-01|1"}));
}

TEST_F(CsvStage, SpecOptionsDelimiterNullFormatsAndNoHeader) {
  FileSourceSpec spec = Abc();
  spec.csv.delimiter = ";";
  spec.csv.header = false;
  spec.csv.date_format = "%d/%m/%Y";
  spec.csv.null_string = "NA";
  auto s = Stage("1;NA;31/01/2024\n2;x;2024-01-31\n3;;01/02/2024\n", spec);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Data(*s), (std::vector<std::string>{"1|NULL|2024-01-31|1", "3|NULL|2024-02-01|3"}));
  EXPECT_EQ(s->rows_quarantined, 1);
}

TEST_F(CsvStage, InfersTypesWithoutAContract) {
  FileSourceSpec spec = Abc();
  spec.columns.clear();
  auto s = Stage("id,when,amount\n1,2024-01-01,1.5\n2,2024-01-02,2.25\n", spec);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->columns.size(), 3u);
  EXPECT_EQ(s->columns[0].name, "id");
  EXPECT_EQ(s->columns[0].type, "BIGINT");
  EXPECT_EQ(s->columns[1].type, "DATE");
  EXPECT_EQ(s->columns[2].type, "DOUBLE");
  EXPECT_EQ(s->rows_loaded, 2);
}

// A multi-megabyte file read by four threads, with rejects scattered through it: every good
// row's _source_row must equal the row number written into the row itself.
TEST_F(CsvStage, FileOrderAndRowNumbersHoldUnderParallelReads) {
  testing::Db db4(4);
  std::string content = "n,pad,c\n";
  int64_t bad = 0;
  const int64_t rows = 120'000;
  for (int64_t n = 1; n <= rows; ++n) {
    if (n % 7919 == 0) {
      content += std::to_string(n) + ",broken\n";  // a field short
      ++bad;
    } else if (n % 10007 == 0) {
      content += "\n";  // a blank line: no row, but it is counted
    } else if (n % 4099 == 0) {
      content += std::to_string(n) + ",\"two\nlines\",2024-01-01\n";
    } else {
      content += std::to_string(n) + ",padding-padding-padding-padding,2024-01-01\n";
    }
  }
  ASSERT_GT(content.size(), 4u << 20);
  FileSourceSpec spec =
      testing::CsvSource("t", {{"n", "BIGINT"}, {"pad", "VARCHAR"}, {"c", "DATE"}});
  std::string path = dir_.Write("big.csv", content);
  auto scan = ScanFile(path, ScanOptionsFor(spec));
  ASSERT_TRUE(scan.ok());
  ReadRequest request{&spec, spec.columns, path, "big.csv", 1, "__t"};
  auto s = StageFile(*db4.conn, request, *scan);
  ASSERT_TRUE(s.ok()) << s.status();
  int64_t blanks = rows / 10007;
  EXPECT_EQ(s->rows_quarantined, bad);
  EXPECT_EQ(s->rows_loaded, rows - bad - blanks);
  EXPECT_EQ(Count(*db4.conn, "SELECT count(*) FROM (" + s->data_sql + ") WHERE n <> _source_row"),
            0);
  EXPECT_EQ(Count(*db4.conn, "SELECT count(*) FROM (" + s->quarantine_sql +
                                 ") WHERE CAST(split_part(_raw_line, ',', 1) AS BIGINT) <> "
                                 "_source_row"),
            0);
  // And the staging table itself is in file order.
  EXPECT_EQ(Count(*db4.conn,
                  "SELECT count(*) FROM (SELECT CAST(n AS BIGINT) AS n, lag(CAST(n AS BIGINT)) "
                  "OVER (ORDER BY rowid) AS p FROM \"__t_rows\") WHERE p >= n"),
            0);
}

}  // namespace
}  // namespace strata::ingest
