#include "ingest/file_scan.h"

#include <gtest/gtest.h>

#include <random>

#include "ingest/file_reader.h"
#include "ingest/ingest_test_util.h"

namespace strata::ingest {
namespace {

FileScan Scan(const testing::TempDir& dir, const std::string& content,
              RecordScanOptions options = {}) {
  std::string path = dir.Write("f.csv", content);
  auto scan = ScanFile(path, options);
  EXPECT_TRUE(scan.ok()) << scan.status();
  return scan.ok() ? *scan : FileScan{};
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ScanFile, HashMatchesContentAcrossChunks) {
  testing::TempDir dir;
  std::string big(3 << 20, 'x');  // three read chunks
  for (size_t i = 0; i < big.size(); i += 97) big[i] = '\n';
  FileScan scan = Scan(dir, big);
  EXPECT_EQ(scan.sha256, Sha256Hex(big));
  EXPECT_EQ(scan.size_bytes, static_cast<int64_t>(big.size()));
}

TEST(ScanFile, AKnownHashIsNotComputedAgain) {
  testing::TempDir dir;
  RecordScanOptions no_hash;
  no_hash.hash = false;
  FileScan counted = Scan(dir, "a,b\n1,2\n3,4\n", no_hash);
  EXPECT_EQ(counted.sha256, "");
  EXPECT_EQ(counted.lines, 3);
  EXPECT_EQ(counted.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(counted.size_bytes, 12);

  no_hash.count_records = false;  // Parquet with its hash known: only the size is wanted
  FileScan sized = Scan(dir, "PAR1 not really", no_hash);
  EXPECT_EQ(sized.sha256, "");
  EXPECT_EQ(sized.lines, 0);
  EXPECT_EQ(sized.size_bytes, 15);
  EXPECT_FALSE(ScanFile(dir.path() + "/missing", no_hash).ok());
}

TEST(ScanFile, CountsLinesHeaderAndBlankLines) {
  testing::TempDir dir;
  FileScan scan = Scan(dir, "a,b\n1,2\n\n3,4\r\n\r\n5,6");
  EXPECT_EQ(scan.lines, 6);
  EXPECT_EQ(scan.blank_lines, (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(scan.header, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(scan.data_records(true, false), 3);
  EXPECT_EQ(scan.data_records(true, true), 5);
}

TEST(ScanFile, QuotedLineBreaksDoNotEndRecords) {
  testing::TempDir dir;
  FileScan scan = Scan(dir, "a,b\n1,\"x\ny\n\nz\"\n2,\"q\"\"\n\"\n3,x\"y\n");
  EXPECT_EQ(scan.lines, 4);  // header + three records
  EXPECT_TRUE(scan.blank_lines.empty());
  EXPECT_FALSE(scan.unterminated_quote);
}

// Which field positions hold only plainly spelled numbers, and how many digits they keep after
// the point: the header and quotes aside, across lines without quotes (split in place), lines
// with quotes and a line that straddles two read chunks.
TEST(ScanFile, FieldNumbersTellPlainNumbersApart) {
  testing::TempDir dir;
  RecordScanOptions options;
  options.check_numbers = true;
  options.null_string = "NA";
  std::string padding(1 << 20, '7');  // one value across the first read chunk's end
  FileScan scan = Scan(dir,
                       "x.5,b,c,d,e\n"
                       "-12,3.50,007,\"9\",1\r\n"
                       "+4,,NA,\"x\ny\",2\n"
                       "0,-0.125,12.0,5,3\n"
                       "1," +
                           padding +
                           ".1,1,\"\"\"6\",4\n"
                           "2,1.5",
                       options);
  ASSERT_EQ(scan.field_numbers.size(), 5u);
  auto shape = [&](size_t i) {
    return std::make_pair(scan.field_numbers[i].plain, scan.field_numbers[i].decimals);
  };
  EXPECT_EQ(shape(0), std::make_pair(true, 0));   // the header's "x.5" does not count
  EXPECT_EQ(shape(1), std::make_pair(true, 3));   // "3.50" keeps 1, "-0.125" 3
  EXPECT_EQ(shape(2), std::make_pair(true, 0));   // "007", NA, "12.0"
  EXPECT_EQ(shape(3), std::make_pair(false, 0));  // "9" quoted is plain; "x\ny" and "\"6" not
  EXPECT_EQ(shape(4), std::make_pair(true, 0));   // the last line has no fifth field

  for (const char* bad :
       {" 1", "1 ", "1e3", ".5", "5.", "0x1F", "1_000", "-", "+", "1.2.3", "\xd9\xa1", "1\r2"}) {
    FileScan one = Scan(dir, std::string("a,b\n1,") + bad + "\n2,3\n", options);
    ASSERT_EQ(one.field_numbers.size(), 2u) << bad;
    EXPECT_TRUE(one.field_numbers[0].plain) << bad;
    EXPECT_FALSE(one.field_numbers[1].plain) << bad;
  }
  // A record longer than any line DuckDB reads (an unterminated quote) ends the shaping: no
  // position is known to be plain, and the scan holds no copy of it.
  FileScan runaway = Scan(dir, "a,b\n1,\"" + std::string(9 << 20, 'x'), options);
  EXPECT_TRUE(runaway.unterminated_quote);
  EXPECT_TRUE(runaway.field_numbers.empty());
  // Without check_numbers, nothing is worked out.
  EXPECT_TRUE(Scan(dir, "a\n1\n").field_numbers.empty());
}

// Random files (plain and odd values, quoted or not, quoted delimiters, quotes and line breaks,
// LF or CRLF, some across read chunks) against the shapes of the values they were made of.
TEST(ScanFile, FieldNumbersMatchTheValuesOfRandomFiles) {
  testing::TempDir dir;
  RecordScanOptions options;
  options.check_numbers = true;
  const std::vector<std::string> plain = {"12", "-3", "+7", "007", "3.50", "-0.125", "12.0", ""};
  const std::vector<std::string> odd = {"1e3", " 1",   ".5",   "5.",    "0x1F",
                                        "x,y", "a\nb", "q\"q", "1 000", "-"};
  for (unsigned seed = 1; seed <= 24; ++seed) {
    std::mt19937 random(seed);
    auto chance = [&](int percent) { return static_cast<int>(random() % 100) < percent; };
    const int columns = 4;
    const int rows = seed % 6 == 0 ? 70000 : 1 + static_cast<int>(random() % 40);  // > 1 MB
    const std::string eol = seed % 2 == 0 ? "\r\n" : "\n";
    std::vector<FieldNumbers> expected(columns);
    std::string content = "a,b,c,d" + eol;
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < columns; ++c) {
        // Column c takes an odd value with probability c * 1% (column 0 never does).
        const bool is_odd = chance(c);
        const std::string& value =
            is_odd ? odd[random() % odd.size()] : plain[random() % plain.size()];
        if (is_odd) expected[c].plain = false;
        size_t point = value.find('.');
        if (!is_odd && point != std::string::npos) {
          size_t last = value.find_last_not_of('0');
          expected[c].decimals =
              std::max(expected[c].decimals, static_cast<int>(last > point ? last - point : 0));
        }
        const bool must_quote = value.find_first_of(",\n\"") != std::string::npos;
        std::string field = value;
        if (must_quote || chance(20)) {
          field = "\"";
          for (char ch : value) field += ch == '"' ? std::string("\"\"") : std::string(1, ch);
          field += "\"";
        }
        content += (c ? "," : "") + field;
      }
      content += eol;
    }
    for (int c = 0; c < columns; ++c) {
      if (!expected[c].plain) expected[c].decimals = 0;  // not compared once a column is odd
    }
    FileScan scan = Scan(dir, content, options);
    EXPECT_EQ(scan.lines, rows + 1) << "seed " << seed;
    ASSERT_EQ(scan.field_numbers.size(), static_cast<size_t>(columns)) << "seed " << seed;
    for (int c = 0; c < columns; ++c) {
      EXPECT_EQ(scan.field_numbers[c].plain, expected[c].plain) << "seed " << seed << " col " << c;
      if (expected[c].plain) {
        EXPECT_EQ(scan.field_numbers[c].decimals, expected[c].decimals)
            << "seed " << seed << " col " << c;
      }
    }
  }
}

TEST(ReadLines, GivesTheRawTextOfTheAskedLinesAcrossChunks) {
  testing::TempDir dir;
  std::string padding(1 << 20, 'p');  // line 4 straddles the first read chunk
  std::string path = dir.Write("f.csv", "a,b\n1,\"x\ny\"\r\n\n2," + padding + "\n3,z\n4,last");
  std::vector<std::pair<int64_t, std::string>> got;
  Status read = ReadLines(path, {}, {6, 2, 4, 3, 9}, [&](int64_t line, std::string_view text) {
    got.emplace_back(line, std::string(text));
    return Status::OK();
  });
  ASSERT_TRUE(read.ok()) << read;
  ASSERT_EQ(got.size(), 4u);  // line 9 does not exist
  EXPECT_EQ(got[0], (std::pair<int64_t, std::string>{2, "1,\"x\ny\""}));
  EXPECT_EQ(got[1], (std::pair<int64_t, std::string>{3, ""}));
  EXPECT_EQ(got[2], (std::pair<int64_t, std::string>{4, "2," + padding}));
  EXPECT_EQ(got[3], (std::pair<int64_t, std::string>{6, "4,last"}));
  // The sink's error stops the read and comes back.
  Status stopped = ReadLines(
      path, {}, {2, 5}, [](int64_t, std::string_view) { return Status::Internal("sink full"); });
  EXPECT_EQ(stopped.message(), "sink full");
  EXPECT_TRUE(ReadLines(dir.path() + "/missing.csv", {}, {1}, [](int64_t, std::string_view) {
                return Status::OK();
              }).IsIOError());
}

TEST(ScanFile, UnterminatedQuoteRunsToTheEnd) {
  testing::TempDir dir;
  FileScan scan = Scan(dir, "a,b\n1,\"x\n2,y\n3,z\n");
  EXPECT_EQ(scan.lines, 2);
  EXPECT_TRUE(scan.unterminated_quote);
}

TEST(ScanFile, BackslashEscapeAndBomAndQuotedHeader) {
  testing::TempDir dir;
  RecordScanOptions options;
  options.escape = '\\';
  FileScan scan = Scan(dir, "\xEF\xBB\xBF\"id\",\"na,me\"\n1,\"a\\\"\nb\"\n", options);
  EXPECT_TRUE(scan.has_bom);
  EXPECT_EQ(scan.header, (std::vector<std::string>{"id", "na,me"}));
  EXPECT_EQ(scan.lines, 2);
}

TEST(ScanFile, EmptyAndMissingFiles) {
  testing::TempDir dir;
  FileScan empty = Scan(dir, "");
  EXPECT_EQ(empty.lines, 0);
  EXPECT_TRUE(empty.header.empty());
  EXPECT_EQ(empty.data_records(true, false), 0);
  auto missing = ScanFile(dir.path() + "/nope.csv", {});
  EXPECT_TRUE(missing.status().IsIOError());
  EXPECT_NE(missing.status().message().find("nope.csv"), std::string::npos);
}

TEST(SplitCsvRecord, QuotesAndEscapes) {
  EXPECT_EQ(SplitCsvRecord("a,\"b,c\",\"d\"\"e\",\r", ',', '"', '"'),
            (std::vector<std::string>{"a", "b,c", "d\"e", ""}));
  EXPECT_EQ(SplitCsvRecord("x;y", ';', std::nullopt, std::nullopt),
            (std::vector<std::string>{"x", "y"}));
}

// Brute force: walk records 1.. and hand out good row numbers to those not in `gaps`.
std::vector<int64_t> BruteForce(const std::vector<int64_t>& gaps, int64_t good) {
  std::vector<int64_t> out;
  size_t j = 0;
  for (int64_t record = 1; static_cast<int64_t>(out.size()) < good; ++record) {
    if (j < gaps.size() && gaps[j] == record) {
      ++j;
      continue;
    }
    out.push_back(record);
  }
  return out;
}

TEST(RowBlocks, AgreeWithBruteForce) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 40; ++round) {
    int64_t good = static_cast<int64_t>(rng() % 20000);
    int64_t records = good + static_cast<int64_t>(rng() % 300);
    std::vector<int64_t> gaps;
    // Clustered and spread gaps, and sometimes gaps at the very start or end.
    for (int64_t r = 1; r <= records && static_cast<int64_t>(gaps.size()) < records - good; ++r) {
      if (rng() % (round % 3 == 0 ? 3 : 97) == 0) gaps.push_back(r);
    }
    good = records - static_cast<int64_t>(gaps.size());
    std::vector<RowBlock> blocks = PlanRowBlocks(gaps, good);
    std::vector<int64_t> expected = BruteForce(gaps, good);
    for (int64_t k = 1; k <= good; ++k) {
      ASSERT_EQ(SourceRecord(blocks, k), expected[k - 1]) << "round " << round << " k " << k;
    }
  }
  EXPECT_TRUE(PlanRowBlocks({}, 10).empty());
  EXPECT_TRUE(PlanRowBlocks({11, 12}, 10).empty());  // gaps after the last good row
}

}  // namespace
}  // namespace strata::ingest
