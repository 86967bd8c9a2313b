// The write-conformance check itself: Spark-written reference tables pass it, the negative
// reference cases and hand-broken logs fail it with a problem that names the file and the rule.
#include "storage/delta/conformance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "storage/delta/delta_test_util.h"
#include "storage/delta/log_files.h"
#include "storage/memory_object_store.h"

namespace strata::delta {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

// Reference cases whose logs break the protocol on purpose, with the problem each must show.
const std::map<std::string, std::string> kNegativeCases = {
    {"deltalog-invalid-protocol-version", "minReaderVersion must be 1, 2 or 3"},
    {"versions-not-contiguous", "are missing"},
    {"corrupted-last-checkpoint-kernel", "_last_checkpoint"},
};

std::vector<std::string> ReferenceCases() {
  std::ifstream in(testing::ConformanceDir() + "/cases.json");
  json cases = json::parse(in, nullptr, false);
  std::vector<std::string> names;
  for (const auto& c : cases["cases"]) names.push_back(c["case"]);
  return names;
}

std::string AllProblems(const ConformanceReport& report) { return report.Summary(1000); }

class ReferenceTableTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ReferenceTableTest, SparkWrittenTablesPassNegativeCasesFail) {
  auto store = storage::OpenObjectStore(testing::ConformanceDir() + "/" + GetParam() + "/delta");
  ASSERT_TRUE(store.ok()) << store.status();
  testing::Duck duck = testing::OpenDuck();
  auto report = CheckTableConformance(**store, "", *duck.conn);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->tables, 1);
  EXPECT_GT(report->commits + report->checkpoints, 0);
  auto negative = kNegativeCases.find(GetParam());
  if (negative == kNegativeCases.end()) {
    EXPECT_TRUE(report->ok()) << AllProblems(*report);
  } else {
    EXPECT_FALSE(report->ok());
    EXPECT_THAT(AllProblems(*report), HasSubstr(negative->second));
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ReferenceTableTest, ::testing::ValuesIn(ReferenceCases()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

// A small valid table, written line by line, that each test breaks in one place.
class HandWrittenLogTest : public ::testing::Test {
 protected:
  static json Field(const std::string& name, const std::string& type) {
    return {{"name", name}, {"type", type}, {"nullable", true}, {"metadata", json::object()}};
  }
  json Schema() const {
    return {{"type", "struct"},
            {"fields",
             {Field("id", "long"), Field("day", "date"), Field("at", "timestamp"),
              Field("amount", "decimal(10,2)")}}};
  }
  json Metadata() const {
    return {{"metaData",
             {{"id", "5fba94ed-9794-4965-ba6e-6ee3c0d22af9"},
              {"format", {{"provider", "parquet"}, {"options", json::object()}}},
              {"schemaString", Schema().dump()},
              {"partitionColumns", json::array({"day"})},
              {"configuration", json::object()},
              {"createdTime", 1700000000000}}}};
  }
  static json Protocol() {
    return {{"protocol", {{"minReaderVersion", 1}, {"minWriterVersion", 2}}}};
  }
  static json Stats() {
    return {{"numRecords", 2},
            {"minValues", {{"id", 1}, {"at", "2024-01-01T10:00:00.000Z"}, {"amount", 1.5}}},
            {"maxValues", {{"id", 2}, {"at", "2024-01-01T11:00:00.000Z"}, {"amount", 9.25}}},
            {"nullCount", {{"id", 0}, {"at", 0}, {"amount", 1}}}};
  }
  static json Add(const std::string& path = "day=2024-01-01/part-0.parquet") {
    return {{"add",
             {{"path", path},
              {"partitionValues", {{"day", "2024-01-01"}}},
              {"size", 10},
              {"modificationTime", 1700000000000},
              {"dataChange", true},
              {"stats", Stats().dump()}}}};
  }
  // Writes version 0 from `lines` (and the data file of every add), then checks the table.
  ConformanceReport Check(const std::vector<json>& lines) {
    std::string content;
    for (const json& line : lines) content += line.dump() + "\n";
    EXPECT_TRUE(store_.Put(CommitKey("t", 0), content).ok());
    for (const json& line : lines) {
      if (line.contains("add")) {
        auto decoded = DecodeUriPath(line["add"].value("path", "x"));
        // Paths the store cannot hold ("a:b/...") just stay missing.
        if (decoded.ok()) (void)store_.Put("t/" + *decoded, "PAR1");
      }
    }
    auto report = CheckTableConformance(store_, "t", *duck_.conn);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : ConformanceReport{};
  }
  void ExpectProblem(const std::vector<json>& lines, const std::string& problem) {
    ConformanceReport report = Check(lines);
    EXPECT_THAT(AllProblems(report), HasSubstr(problem));
    EXPECT_THAT(AllProblems(report), HasSubstr("t/_delta_log/00000000000000000000.json"));
  }

  storage::MemoryObjectStore store_{"conformance"};
  testing::Duck duck_ = testing::OpenDuck();
};

TEST_F(HandWrittenLogTest, AValidTablePasses) {
  ConformanceReport report = Check({Protocol(), Metadata(), Add()});
  EXPECT_TRUE(report.ok()) << AllProblems(report);
  EXPECT_EQ(report.commits, 1);
}

// The regression of issue 24: strata wrote `"metadata": null` in every schema field, which
// Spark's DataType.fromJson refuses.
TEST_F(HandWrittenLogTest, NullFieldMetadataIsRefused) {
  json schema = Schema();
  schema["fields"][0]["metadata"] = nullptr;
  json metadata = Metadata();
  metadata["metaData"]["schemaString"] = schema.dump();
  ExpectProblem({Protocol(), metadata, Add()}, "field 'id': 'metadata' must be an object");
}

TEST_F(HandWrittenLogTest, SchemaFieldsNeedABooleanNullableAndAKnownType) {
  json schema = Schema();
  schema["fields"][1].erase("nullable");
  schema["fields"][2]["type"] = "datetime";
  json metadata = Metadata();
  metadata["metaData"]["schemaString"] = schema.dump();
  ConformanceReport report = Check({Protocol(), metadata, Add()});
  EXPECT_THAT(AllProblems(report), HasSubstr("field 'day': 'nullable' is missing"));
  EXPECT_THAT(AllProblems(report), HasSubstr("unknown type 'datetime'"));
}

TEST_F(HandWrittenLogTest, ConfigurationMustBeAMapOfStrings) {
  json metadata = Metadata();
  metadata["metaData"]["configuration"] = {{"delta.checkpointInterval", 10}};
  ExpectProblem({Protocol(), metadata, Add()}, "'configuration' must be an object of strings");
}

TEST_F(HandWrittenLogTest, StatsNeedNumRecordsAndTheProtocolsEncodings) {
  json no_count = Add();
  json stats = Stats();
  stats.erase("numRecords");
  no_count["add"]["stats"] = stats.dump();
  ExpectProblem({Protocol(), Metadata(), no_count}, "'numRecords' is missing");

  json micros_as_number = Add();
  stats = Stats();
  stats["minValues"]["at"] = 1704103200000000;
  micros_as_number["add"]["stats"] = stats.dump();
  ExpectProblem({Protocol(), Metadata(), micros_as_number},
                "not the protocol's encoding of timestamp");

  json decimal_as_text = Add();
  stats = Stats();
  stats["maxValues"]["amount"] = "9.25";
  decimal_as_text["add"]["stats"] = stats.dump();
  ExpectProblem({Protocol(), Metadata(), decimal_as_text}, "encoding of decimal(10,2)");

  json unknown_column = Add();
  stats = Stats();
  stats["nullCount"]["nope"] = 0;
  unknown_column["add"]["stats"] = stats.dump();
  ExpectProblem({Protocol(), Metadata(), unknown_column}, "not in the schema");

  json stats_object = Add();
  stats_object["add"]["stats"] = Stats();
  ExpectProblem({Protocol(), Metadata(), stats_object}, "'stats' must be a JSON string");
}

TEST_F(HandWrittenLogTest, PartitionValuesCoverExactlyThePartitionColumns) {
  json missing = Add();
  missing["add"]["partitionValues"] = json::object();
  ExpectProblem({Protocol(), Metadata(), missing}, "lacks partition column 'day'");

  json bad_date = Add();
  bad_date["add"]["partitionValues"]["day"] = "01/02/2024";
  ExpectProblem({Protocol(), Metadata(), bad_date}, "not the protocol's encoding of date");

  json number = Add();
  number["add"]["partitionValues"] = {{"day", 20240101}};
  ExpectProblem({Protocol(), Metadata(), number}, "an object of strings or nulls");
}

TEST_F(HandWrittenLogTest, PathsAreUriEncodedAndNameExistingFiles) {
  ExpectProblem({Protocol(), Metadata(), Add("day=2024-01-01/part 0.parquet")},
                "must be %-encoded");
  ExpectProblem({Protocol(), Metadata(), Add("day=2024-01-01/part%2.parquet")}, "bad %-escape");
  ExpectProblem({Protocol(), Metadata(), Add("a:b/part-0.parquet")}, "first segment");
  ConformanceReport ok = Check({Protocol(), Metadata(), Add("day=2024-01-01/part%200.parquet")});
  EXPECT_TRUE(ok.ok()) << AllProblems(ok);
  // A live add whose file is gone.
  ASSERT_TRUE(store_.Delete("t/day=2024-01-01/part 0.parquet").ok());
  auto report = CheckTableConformance(store_, "t", *duck_.conn);
  ASSERT_TRUE(report.ok());
  EXPECT_THAT(AllProblems(*report), HasSubstr("does not exist"));
}

TEST_F(HandWrittenLogTest, FeaturesInUseMustBeDeclared) {
  json dv = Add();
  dv["add"]["deletionVector"] = {
      {"storageType", "i"},
      {"pathOrInlineDv", "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L"},
      {"sizeInBytes", 40},
      {"cardinality", 6}};
  ExpectProblem({Protocol(), Metadata(), dv}, "uses 'deletionVectors'");
  json features = {{"protocol",
                    {{"minReaderVersion", 3},
                     {"minWriterVersion", 7},
                     {"readerFeatures", {"deletionVectors"}},
                     {"writerFeatures", {"deletionVectors"}}}}};
  ConformanceReport ok = Check({features, Metadata(), dv});
  EXPECT_TRUE(ok.ok()) << AllProblems(ok);

  json ntz_schema = Schema();
  ntz_schema["fields"][2]["type"] = "timestamp_ntz";
  json ntz = Metadata();
  ntz["metaData"]["schemaString"] = ntz_schema.dump();
  json add = Add();
  json stats = Stats();
  stats["minValues"]["at"] = "2024-01-01T10:00:00.000";
  stats["maxValues"]["at"] = "2024-01-01T11:00:00.000";
  add["add"]["stats"] = stats.dump();
  ExpectProblem({Protocol(), ntz, add}, "uses 'timestampNtz'");
}

TEST_F(HandWrittenLogTest, ProtocolFeatureListsMatchTheVersions) {
  ExpectProblem({{{"protocol", {{"minReaderVersion", 3}, {"minWriterVersion", 7}}}}, Metadata()},
                "readerFeatures must be present exactly when minReaderVersion is 3");
  ExpectProblem(
      {{{"protocol",
         {{"minReaderVersion", 1}, {"minWriterVersion", 2}, {"writerFeatures", json::array()}}}},
       Metadata()},
      "writerFeatures must be present exactly when minWriterVersion is 7");
}

TEST_F(HandWrittenLogTest, CommitShapeRules) {
  ExpectProblem({Metadata(), Add()}, "version 0 must hold a protocol and a metaData");
  ExpectProblem({Protocol(), Metadata(), Add(), Add()}, "added twice");
  ExpectProblem(
      {Protocol(), Metadata(), {{"add", Add()["add"]}, {"txn", {{"appId", "a"}, {"version", 1}}}}},
      "exactly one action");
  ExpectProblem({Protocol(), Metadata(), {{"txn", {{"appId", "a"}, {"version", "1"}}}}},
                "'version' must be an integer");
  ExpectProblem({Protocol(),
                 Metadata(),
                 {{"commitInfo", {{"operationParameters", {{"mode", json::array()}}}}}}},
                "'operationParameters' must be an object of scalars");
}

TEST_F(HandWrittenLogTest, LogFileNamesAndVersionGaps) {
  Check({Protocol(), Metadata(), Add()});
  ASSERT_TRUE(store_.Put("t/_delta_log/00000000000000000002.json", Add("x.parquet").dump()).ok());
  ASSERT_TRUE(store_.Put("t/x.parquet", "PAR1").ok());
  ASSERT_TRUE(store_.Put("t/_delta_log/1.json", "{}").ok());
  ASSERT_TRUE(store_.Put("t/_delta_log/00000000000000000002.json.tmp", "").ok());
  auto report = CheckTableConformance(store_, "t", *duck_.conn);
  ASSERT_TRUE(report.ok());
  EXPECT_THAT(AllProblems(*report), HasSubstr("versions 1 to 1 are missing"));
  EXPECT_THAT(AllProblems(*report), HasSubstr("20 zero-padded digits"));
  EXPECT_THAT(AllProblems(*report), HasSubstr("json.tmp: not a Delta log file name"));
}

TEST(ConformanceWalkTest, FindsEveryTableUnderAPrefixAndNothingElse) {
  storage::MemoryObjectStore store("walk");
  testing::Duck duck = testing::OpenDuck();
  auto none = CheckTablesConformance(store, "lake", *duck.conn);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->tables, 0);
  EXPECT_TRUE(none->ok());
  const std::string v0 =
      json({{"protocol", {{"minReaderVersion", 1}, {"minWriterVersion", 2}}}}).dump() + "\n";
  ASSERT_TRUE(store.Put("lake/bronze/a/_delta_log/00000000000000000000.json", v0).ok());
  ASSERT_TRUE(store.Put("lake/silver/b/_delta_log/00000000000000000000.json", v0).ok());
  ASSERT_TRUE(store.Put("lake/not_delta_log/file", "x").ok());
  auto both = CheckTablesConformance(store, "lake", *duck.conn);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->tables, 2);
  // A table's prefix is a directory: "lake/bronze/a" does not take in "lake/bronze/a_b".
  ASSERT_TRUE(store.Put("lake/bronze/a_b/_delta_log/00000000000000000000.json", v0).ok());
  auto one = CheckTablesConformance(store, "lake/bronze/a", *duck.conn);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->tables, 1);
  // Both lack a metaData: each is reported under its own path.
  EXPECT_THAT(AllProblems(*both), HasSubstr("lake/bronze/a/_delta_log/"));
  EXPECT_THAT(AllProblems(*both), HasSubstr("lake/silver/b/_delta_log/"));
}

}  // namespace
}  // namespace strata::delta
