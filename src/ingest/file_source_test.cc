// IngestFileSource end to end on an in-memory lake: outcomes per file, exactly-once, the
// inferred contract, and rows read = loaded + quarantined as seen in the Delta tables.
#include "ingest/file_source.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "ingest/file_source_test_util.h"

namespace strata::ingest {
namespace {

using testing::Count;
using testing::Rows;

class FileSourceTest : public testing::LakeFixture {};

TEST_F(FileSourceTest, LoadsOnceAndRecognisesCopiesAndNewVersions) {
  FileSourceSpec spec = testing::CsvSource("t", {{"a", "BIGINT"}, {"b", "VARCHAR"}}, "t*.csv");
  landing_.Write("t.csv", "a,b\n1,x\n2,y\nz,3\n");
  auto first = Ingest(spec);
  ASSERT_EQ(first.files.size(), 1u);
  EXPECT_EQ(first.files[0].state, FileState::kLoaded) << first.files[0].reason;
  EXPECT_EQ(first.files[0].rows_loaded, 2);
  EXPECT_EQ(first.files[0].rows_quarantined, 1);
  EXPECT_EQ(first.files[0].sha256, Sha256Of("a,b\n1,x\n2,y\nz,3\n"));
  EXPECT_TRUE(first.table_version.has_value());
  EXPECT_TRUE(first.quarantine_version.has_value());

  auto again = Ingest(spec);
  ASSERT_EQ(again.files.size(), 1u);
  EXPECT_EQ(again.files[0].state, FileState::kAlreadyLoaded);
  EXPECT_EQ(again.table_version, first.table_version);  // nothing committed
  EXPECT_EQ(again.quarantine_version, first.quarantine_version);

  landing_.Write("t_copy.csv", "a,b\n1,x\n2,y\nz,3\n");  // same content, other name
  landing_.Write("t.csv", "a,b\n1,x\n2,y\nz,3\n4,w\n");  // a new version of the file
  auto third = Ingest(spec);
  ASSERT_EQ(third.files.size(), 2u);
  EXPECT_EQ(third.files[0].file, "t.csv");
  EXPECT_EQ(third.files[0].state, FileState::kLoaded);
  EXPECT_EQ(third.files[1].state, FileState::kAlreadyLoaded);
  EXPECT_EQ(TableCount("bronze.t"), 5);
  EXPECT_EQ(TableCount("bronze.t__quarantine"), 2);
  EXPECT_EQ(Rows(*db_.conn,
                 "SELECT a, _source_file, _source_row FROM " + View("bronze.t") + " WHERE a = 4"),
            (std::vector<std::string>{"4|t.csv|4"}));
}

// What the SFTP landing zone hands a run: the arrived files by name under the partner's
// directory, their bytes in an immutable copy elsewhere, their hash already computed.
TEST_F(FileSourceTest, ExplicitFilesReadFromTheirCopyWithTheHashGiven) {
  FileSourceSpec spec = testing::CsvSource("t", {{"a", "BIGINT"}}, "t*.csv");
  testing::TempDir archive;
  const std::string content = "a\n1\n2\n";
  archive.Write("object", content);
  landing_.Write("acme/t.csv", "a\n999\n");  // a newer upload to the same name: not read
  IngestOptions options;
  options.files = {{.name = "acme/t.csv",
                    .matched_name = "t.csv",
                    .content_path = archive.path() + "/object",
                    .sha256 = Sha256Of(content)},
                   {.name = "acme/u.csv", .matched_name = "u.csv"}};
  auto first = Ingest(spec, options);
  ASSERT_EQ(first.files.size(), 2u);
  EXPECT_EQ(first.files[0].state, FileState::kLoaded) << first.files[0].reason;
  EXPECT_EQ(first.files[0].sha256, Sha256Of(content));
  EXPECT_EQ(first.files[0].size_bytes, static_cast<int64_t>(content.size()));
  EXPECT_EQ(first.files[1].state, FileState::kRejected);  // u.csv is not the source's
  EXPECT_NE(first.files[1].reason.find("acme/u.csv: "), std::string::npos) << first.files[1].reason;
  EXPECT_EQ(Rows(*db_.conn, "SELECT a, _source_file FROM " + View("bronze.t") + " ORDER BY a"),
            (std::vector<std::string>{"1|acme/t.csv", "2|acme/t.csv"}));

  // The given hash is the file's identity: the same content found by listing is a copy ...
  landing_.Write("t.csv", content);
  auto listed = Ingest(spec);
  ASSERT_EQ(listed.files.size(), 1u);
  EXPECT_EQ(listed.files[0].state, FileState::kAlreadyLoaded);
  // ... and a known hash already loaded is decided without reading the file at all.
  options.files = {{.name = "acme/t.csv",
                    .matched_name = "t.csv",
                    .content_path = archive.path() + "/gone",
                    .sha256 = Sha256Of(content)}};
  auto again = Ingest(spec, options);
  ASSERT_EQ(again.files.size(), 1u);
  EXPECT_EQ(again.files[0].state, FileState::kAlreadyLoaded) << again.files[0].reason;
  EXPECT_EQ(TableCount("bronze.t"), 2);
}

TEST_F(FileSourceTest, RejectedNamesAreReportedAndKept) {
  FileSourceSpec spec = testing::CsvSource("t", {{"a", "BIGINT"}}, "t*");
  landing_.Write("t.xlsx", "binary");
  landing_.Write("t.csv", "a\n1\n");
  landing_.Write("other.csv", "a\n1\n");
  auto listed = Ingest(spec);
  ASSERT_EQ(listed.files.size(), 2u);  // other.csv belongs to someone else: not considered
  EXPECT_EQ(listed.files[0].state, FileState::kLoaded);
  EXPECT_EQ(listed.files[1].state, FileState::kRejected);
  EXPECT_NE(listed.files[1].reason.find("t.xlsx: extension '.xlsx' does not fit format csv"),
            std::string::npos)
      << listed.files[1].reason;
  IngestOptions explicit_files;
  explicit_files.files = {{.name = "other.csv"}, {.name = "../escape.csv"}};
  auto named = Ingest(spec, explicit_files);
  ASSERT_EQ(named.files.size(), 2u);
  EXPECT_EQ(named.files[0].state, FileState::kRejected);
  EXPECT_NE(named.files[0].reason.find("does not match any of the source's patterns (t*)"),
            std::string::npos);
  EXPECT_EQ(named.files[1].state, FileState::kRejected);
  EXPECT_TRUE(named.ok());  // rejected is not failed
  EXPECT_TRUE(std::filesystem::exists(landing_.path() + "/t.xlsx"));
  EXPECT_TRUE(std::filesystem::exists(landing_.path() + "/other.csv"));
}

TEST_F(FileSourceTest, FailedFileDoesNotStopTheOthers) {
  FileSourceSpec spec = testing::CsvSource("t", {{"a", "BIGINT"}, {"b", "DATE"}}, "*.csv");
  landing_.Write("1.csv", "a,x\n1,2024-01-01\n");
  landing_.Write("2.csv", "");
  landing_.Write("3.csv", "a,b\n3,2024-01-03\n");
  landing_.Write("4.csv", "a,b\n");
  auto report = Ingest(spec);
  ASSERT_EQ(report.files.size(), 4u);
  EXPECT_EQ(report.files[0].state, FileState::kFailed);
  EXPECT_NE(report.files[0].reason.find("1.csv: header does not match the contract: expected (a, "
                                        "b), found (a, x)"),
            std::string::npos)
      << report.files[0].reason;
  EXPECT_EQ(report.files[1].state, FileState::kFailed);
  EXPECT_NE(report.files[1].reason.find("2.csv: the file is empty"), std::string::npos);
  EXPECT_EQ(report.files[2].state, FileState::kLoaded);
  EXPECT_EQ(report.files[3].state, FileState::kLoaded);  // header only: loaded, zero rows
  EXPECT_FALSE(report.ok());
  EXPECT_EQ(report.rows_loaded(), 1);
  EXPECT_EQ(TableCount("bronze.t"), 1);
  EXPECT_FALSE(report.quarantine_version.has_value());
  // The header-only file is marked loaded too.
  EXPECT_EQ(Ingest(spec).files[3].state, FileState::kAlreadyLoaded);
}

TEST_F(FileSourceTest, InferredContractHoldsLaterFiles) {
  FileSourceSpec spec = testing::CsvSource("inf", {}, "*.csv");
  landing_.Write("1.csv", "id,day\n1,2024-01-01\n2,2024-01-02\n");
  auto first = Ingest(spec);
  ASSERT_EQ(first.files[0].state, FileState::kLoaded) << first.files[0].reason;
  EXPECT_EQ(Rows(*db_.conn, "SELECT column_name, column_type FROM (DESCRIBE " + View("bronze.inf") +
                                ") WHERE column_name IN ('id', 'day')"),
            (std::vector<std::string>{"id|BIGINT", "day|DATE"}));
  // In a later run, a file whose values would sniff as VARCHAR is held to BIGINT/DATE.
  landing_.Write("2.csv", "id,day\nx,2024-01-03\n3,someday\n4,2024-01-04\n");
  auto second = Ingest(spec);
  ASSERT_EQ(second.files.size(), 2u);
  EXPECT_EQ(second.files[1].state, FileState::kLoaded) << second.files[1].reason;
  EXPECT_EQ(second.files[1].rows_loaded, 1);
  EXPECT_EQ(second.files[1].rows_quarantined, 2);
}

TEST_F(FileSourceTest, QuarantineRowsCarryLineFileRowAndReason) {
  FileSourceSpec spec = testing::CsvSource("q", {{"a", "BIGINT"}, {"b", "DATE"}}, "*.csv");
  landing_.Write("in/q.csv", "a,b\n1,2024-01-01\n2,2024-13-01\n3\n");
  spec.file_patterns = {"**/*.csv"};
  auto report = Ingest(spec);
  ASSERT_EQ(report.files.size(), 1u);
  EXPECT_EQ(report.files[0].file, "in/q.csv");
  EXPECT_EQ(Rows(*db_.conn,
                 "SELECT _source_file, _source_row, _raw_line, _reason IS NOT NULL, "
                 "typeof(_ingested_at) FROM " +
                     View("bronze.q__quarantine") + " ORDER BY _source_row"),
            (std::vector<std::string>{"in/q.csv|2|2,2024-13-01|true|TIMESTAMP WITH TIME ZONE",
                                      "in/q.csv|3|3|true|TIMESTAMP WITH TIME ZONE"}));
}

TEST_F(FileSourceTest, BadSpecIsAnErrorOfTheRun) {
  FileSourceSpec spec = testing::CsvSource("t", {{"a", "NOT_A_TYPE"}});
  auto result = IngestFileSource(*lake_, *db_.conn, spec, landing_.path());
  EXPECT_TRUE(result.status().IsInvalidArgument());
  EXPECT_NE(result.status().message().find("column 'a' has an unknown type 'NOT_A_TYPE'"),
            std::string::npos)
      << result.status();
  spec = testing::CsvSource("t", {{"_source_row", "BIGINT"}});
  EXPECT_TRUE(
      IngestFileSource(*lake_, *db_.conn, spec, landing_.path()).status().IsInvalidArgument());
  spec = testing::CsvSource("t", {{"a", "TIMESTAMP_NS"}});
  EXPECT_TRUE(
      IngestFileSource(*lake_, *db_.conn, spec, landing_.path()).status().IsInvalidArgument());
}

}  // namespace
}  // namespace strata::ingest
