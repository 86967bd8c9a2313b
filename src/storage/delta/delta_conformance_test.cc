// Reads every table of ../shared/conformance/delta (Delta's own reader conformance data, in
// place) and compares it with the expected rows; see that folder's README.md and cases.json.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "common/numbers.h"
#include "storage/delta/delta_test_util.h"
#include "storage/delta/scan.h"
#include "storage/delta/snapshot.h"
#include "storage/object_store.h"

namespace strata::delta {
namespace {

using testing::ConformanceDir;
using testing::ExpectSameRows;
using json = nlohmann::json;

// Cases we cannot read yet: they must fail with Unsupported naming the feature. Moving a case
// out of here is required once it reads correctly (the test fails if it starts to succeed).
const std::map<std::string, std::string> kExpectedUnsupported = {};

// Negative cases: the error code and a substring the message must contain.
struct ExpectedError {
  StatusCode code;
  std::string needle;
};
const std::map<std::string, ExpectedError> kExpectedErrors = {
    {"versions-not-contiguous", {StatusCode::kCorruption, "version 1 is missing"}},
    {"deltalog-invalid-protocol-version", {StatusCode::kUnsupported, "reader version 99"}},
};

// Per-case rewrites of expected columns. data-reader-partition-values was generated in a UTC-7
// session: its expected as_timestamp is 18:11:11Z for the partition string "2021-09-08 11:11:11",
// which the protocol (and we) read as UTC. We compare against the expected value shifted back.
const std::map<std::string, std::map<std::string, std::string>> kExpectedOverrides = {
    {"data-reader-partition-values",
     {{"as_timestamp", "CAST(as_timestamp AS TIMESTAMPTZ) - INTERVAL 7 HOUR"}}},
};

json LoadCases() {
  std::ifstream in(ConformanceDir() + "/cases.json");
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) ADD_FAILURE() << "cannot read cases.json";
  return j;
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  json j = LoadCases();
  for (const auto& c : j["cases"]) names.push_back(c["case"].get<std::string>());
  return names;
}

json FindCase(const std::string& name) {
  static const json cases = LoadCases();
  for (const auto& c : cases["cases"]) {
    if (c["case"] == name) return c;
  }
  return json();
}

std::shared_ptr<storage::ObjectStore> OpenTable(const std::string& name) {
  auto store = storage::OpenObjectStore(ConformanceDir() + "/" + name + "/delta");
  store.status().Check();
  return *store;
}

// The expected rows of a golden case: Spark's part files, with overrides applied.
std::string ExpectedSql(const std::string& case_name, const std::string& folder) {
  std::string source = "read_parquet(" + engine::QuoteLiteral(folder + "/*.parquet") + ")";
  auto it = kExpectedOverrides.find(case_name);
  if (it == kExpectedOverrides.end()) return "SELECT * FROM " + source;
  std::string sql = "SELECT * REPLACE (";
  bool first = true;
  for (const auto& [col, expr] : it->second) {
    sql += std::string(first ? "" : ", ") + expr + " AS " + engine::QuoteIdentifier(col);
    first = false;
  }
  return sql + ") FROM " + source;
}

// Loads the table at `version` (nullopt = latest) and returns its scan SQL (kept alive in plan).
Result<std::string> ReadTable(storage::ObjectStore& store, engine::Connection& conn,
                              std::optional<int64_t> version, Snapshot* snap_out,
                              ScanPlan* plan_out) {
  SnapshotOptions options;
  options.version = version;
  options.connection = &conn;
  STRATA_ASSIGN_OR_RETURN(Snapshot snap, LoadSnapshot(store, "", options));
  STRATA_ASSIGN_OR_RETURN(ScanPlan plan, PlanScan(snap, store, conn));
  std::string sql = plan.sql();
  *snap_out = std::move(snap);
  *plan_out = std::move(plan);
  return sql;
}

class DeltaConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DeltaConformanceTest, ReadsLatestAndVersions) {
  const std::string name = GetParam();
  const json info = FindCase(name);
  auto store = OpenTable(name);
  auto duck = testing::OpenDuck();
  engine::Connection& conn = *duck.conn;
  // ExpectSameRows runs the scan in a non-UTC session zone and compares in UTC.

  Snapshot snap;
  ScanPlan plan;
  auto sql = ReadTable(*store, conn, std::nullopt, &snap, &plan);

  if (auto it = kExpectedErrors.find(name); it != kExpectedErrors.end()) {
    ASSERT_FALSE(sql.ok()) << name << " must fail";
    EXPECT_EQ(sql.status().code(), it->second.code) << sql.status();
    EXPECT_NE(sql.status().message().find(it->second.needle), std::string::npos) << sql.status();
    return;
  }
  if (auto it = kExpectedUnsupported.find(name); it != kExpectedUnsupported.end()) {
    ASSERT_FALSE(sql.ok()) << name << " now loads: check it and move it out of the list";
    EXPECT_TRUE(sql.status().IsUnsupported()) << sql.status();
    EXPECT_NE(sql.status().message().find(it->second), std::string::npos) << sql.status();
    return;
  }
  ASSERT_TRUE(sql.ok()) << sql.status();
  EXPECT_EQ(snap.version, info["latest_version"].get<int64_t>());
  EXPECT_EQ(snap.protocol.min_reader_version, info["protocol"]["minReaderVersion"].get<int>());
  EXPECT_EQ(snap.protocol.min_writer_version, info["protocol"]["minWriterVersion"].get<int>());
  EXPECT_EQ(snap.partition_columns(), info["partitionColumns"].get<std::vector<std::string>>());
  int dv_files = 0;
  for (const auto& f : snap.files) dv_files += f.deletion_vector ? 1 : 0;
  if (info["addsWithDeletionVector"].get<int>() > 0) {
    EXPECT_GT(dv_files, 0);
  }

  const std::string dir = ConformanceDir() + "/" + name;
  const json& expected = info["expected"];
  if (expected.contains("latest_rows") &&
      expected["latest_rows"].is_array()) {  // inline expectation (table-with-dv-small)
    std::string values;
    for (const auto& row : expected["latest_rows"]) {
      values += std::string(values.empty() ? "" : ", ") + "(" + row["value"].dump() + ")";
    }
    ExpectSameRows(conn, *sql, "SELECT * FROM (VALUES " + values + ") AS t(value)", name);
  } else if (expected.contains("versions")) {  // DAT: one folder per version
    for (const auto& [label, rows] : expected["versions"].items()) {
      const std::string folder = dir + "/expected/" + label;
      std::optional<int64_t> version;
      if (label != "latest") {
        version = ParseInteger<int64_t>(std::string_view(label).substr(1));
        ASSERT_TRUE(version.has_value()) << "version folder " << label;
      }
      Snapshot vsnap;
      ScanPlan vplan;
      auto vsql = ReadTable(*store, conn, version, &vsnap, &vplan);
      ASSERT_TRUE(vsql.ok()) << label << ": " << vsql.status();
      ExpectSameRows(conn, *vsql,
                     "SELECT * FROM read_parquet(" +
                         engine::QuoteLiteral(folder + "/table_content.parquet") + ")",
                     name + "@" + label);
      EXPECT_EQ(testing::Count(conn, *vsql), rows.get<int64_t>()) << label;
      std::ifstream meta_in(folder + "/table_version_metadata.json");
      json meta = json::parse(meta_in, nullptr, false);
      ASSERT_FALSE(meta.is_discarded());
      EXPECT_EQ(vsnap.version, meta["version"].get<int64_t>()) << label;
      EXPECT_EQ(vsnap.protocol.min_reader_version, meta["min_reader_version"].get<int>());
      EXPECT_EQ(vsnap.protocol.min_writer_version, meta["min_writer_version"].get<int>());
      EXPECT_EQ(json(vsnap.metadata.configuration), meta["properties"]) << label;
    }
  } else {
    ExpectSameRows(conn, *sql, ExpectedSql(name, dir + "/expected"), name);
    EXPECT_EQ(testing::Count(conn, *sql), expected["latest_rows"].get<int64_t>());
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, DeltaConformanceTest, ::testing::ValuesIn(CaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

TEST(DeltaConformanceListTest, ExpectedListsNameRealCases) {
  std::set<std::string> names;
  for (const auto& n : CaseNames()) names.insert(n);
  EXPECT_EQ(names.size(), 42u);
  for (const auto& [n, f] : kExpectedUnsupported) EXPECT_TRUE(names.count(n)) << n;
  for (const auto& [n, e] : kExpectedErrors) EXPECT_TRUE(names.count(n)) << n;
}

// Time travel over the lineages of cases.json: reading the longer table at version v gives the
// expected rows of the shorter table.
TEST(DeltaConformanceTimeTravelTest, Lineages) {
  const json cases = LoadCases();
  int checked = 0;
  for (const auto& lineage : cases["time_travel_lineages"]) {
    const std::string table = lineage["table"].get<std::string>();
    auto store = OpenTable(table);
    auto duck = testing::OpenDuck();
    for (const auto& [v, folder] : lineage["expected_by_version"].items()) {
      Snapshot snap;
      ScanPlan plan;
      std::optional<int64_t> version = ParseInteger<int64_t>(v);
      ASSERT_TRUE(version.has_value()) << table << "@" << v;
      auto sql = ReadTable(*store, *duck.conn, *version, &snap, &plan);
      ASSERT_TRUE(sql.ok()) << table << "@" << v << ": " << sql.status();
      EXPECT_EQ(snap.version, *version);
      ExpectSameRows(*duck.conn, *sql,
                     ExpectedSql(table, ConformanceDir() + "/" + folder.get<std::string>()),
                     table + "@" + v);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 13);
}

}  // namespace
}  // namespace strata::delta
