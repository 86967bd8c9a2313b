// `strata table ...` and lake tables in `strata sql`, driven through the real binary over a lake
// made on disk: Parquet written by `strata sql` (DuckDB) plus hand-written Delta commits.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_util.h"

namespace strata::test {
namespace {

using nlohmann::json;

constexpr int64_t kT0 = 1704067200000;  // 2024-01-01 00:00:00 UTC
const std::string kConformance = STRATA_SHARED_DIR "/conformance/delta/basic_append";

int CountLines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

std::vector<std::string> SortedLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::sort(lines.begin(), lines.end());
  return lines;
}

class TableCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // bronze.pedidos: version 0 has ids 1..3, version 1 (an hour later) adds 4 and 5.
    Commit("bronze/pedidos", 0, "SELECT range AS id, 'p' || range AS name FROM range(1, 4)", kT0);
    Commit("bronze/pedidos", 1, "SELECT range AS id, 'p' || range AS name FROM range(4, 6)",
           kT0 + 3600000);
    Commit("bronze/pedidos__quarantine", 0, "SELECT 99 AS id, 'bad' AS name", kT0);
    Commit("gold/vendas", 0, "SELECT 7 AS id, 'v' AS name", kT0);
  }

  // One commit of a table with schema (id BIGINT NOT NULL, name VARCHAR) and one data file.
  void Commit(const std::string& table, int version, const std::string& select, int64_t millis) {
    const std::string dir = lake_.path() + "/" + table;
    const std::string file = "part-" + std::to_string(version) + ".parquet";
    std::filesystem::create_directories(dir + "/_delta_log");
    CommandResult copy = RunStrata({"sql", "COPY (SELECT CAST(id AS BIGINT) AS id, name FROM (" +
                                               select + ")) TO '" + dir + "/" + file + "'"});
    ASSERT_EQ(copy.exit_code, 0) << copy.err;
    CommandResult count =
        RunStrata({"sql", "--format", "csv", "SELECT count(*) FROM (" + select + ")"});
    const std::string rows = count.out.substr(count.out.find('\n') + 1);
    json schema = {
        {"type", "struct"},
        {"fields",
         {{{"name", "id"}, {"type", "long"}, {"nullable", false}, {"metadata", json::object()}},
          {{"name", "name"},
           {"type", "string"},
           {"nullable", true},
           {"metadata", json::object()}}}}};
    std::string log;
    log += json{{"commitInfo",
                 {{"timestamp", millis},
                  {"operation", version == 0 ? "CREATE TABLE" : "WRITE"},
                  {"operationParameters", {{"mode", version == 0 ? "ErrorIfExists" : "Append"}}},
                  {"operationMetrics", {{"numFiles", "1"}}}}}}
               .dump() +
           "\n";
    if (version == 0) {
      log += json{{"protocol", {{"minReaderVersion", 1}, {"minWriterVersion", 2}}}}.dump() + "\n";
      log += json{{"metaData",
                   {{"id", "5b0ad2c1-0000-4000-8000-00000000000" + std::to_string(version)},
                    {"format", {{"provider", "parquet"}, {"options", json::object()}}},
                    {"schemaString", schema.dump()},
                    {"partitionColumns", json::array()},
                    {"configuration", {{"delta.appendOnly", "false"}}},
                    {"createdTime", millis}}}}
                 .dump() +
             "\n";
    }
    log += json{{"add",
                 {{"path", file},
                  {"partitionValues", json::object()},
                  {"size", std::filesystem::file_size(dir + "/" + file)},
                  {"modificationTime", millis},
                  {"dataChange", true},
                  {"stats", "{\"numRecords\":" + rows.substr(0, rows.find('\n')) + "}"}}}}
               .dump() +
           "\n";
    char name[32];
    std::snprintf(name, sizeof(name), "%020d.json", version);
    std::ofstream(dir + "/_delta_log/" + name) << log;
  }

  CommandResult Table(std::vector<std::string> args) {
    args.insert(args.begin(), "table");
    args.push_back("--lake");
    args.push_back(lake_.path());
    return RunStrata(args);
  }

  TempDir lake_;
};

TEST_F(TableCliTest, ReadsAtVersionsAndTimestamps) {
  CommandResult latest = Table({"read", "bronze.pedidos", "--format", "csv"});
  ASSERT_EQ(latest.exit_code, 0) << latest.err;
  EXPECT_EQ(SortedLines(latest.out),
            (std::vector<std::string>{"1,p1", "2,p2", "3,p3", "4,p4", "5,p5", "id,name"}));

  CommandResult v0 = Table({"read", "bronze.pedidos", "--version", "0", "--format", "csv"});
  ASSERT_EQ(v0.exit_code, 0) << v0.err;
  EXPECT_EQ(CountLines(v0.out), 4) << v0.out;

  CommandResult at =
      Table({"read", "bronze.pedidos", "--timestamp", "2024-01-01 00:59:59", "--format", "csv"});
  ASSERT_EQ(at.exit_code, 0) << at.err;
  EXPECT_EQ(CountLines(at.out), 4) << at.out;

  CommandResult filtered =
      Table({"read", "bronze.pedidos", "--where", "id > 1", "--where", "name <> 'p5'", "--json"});
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  json rows = json::parse(filtered.out);
  ASSERT_EQ(rows.size(), 3u) << filtered.out;
  EXPECT_TRUE(rows[0].contains("id"));

  CommandResult limited = Table({"read", "bronze.pedidos", "--limit", "2", "--format", "csv"});
  EXPECT_EQ(CountLines(limited.out), 3) << limited.out;

  CommandResult table = Table({"read", "bronze.pedidos__quarantine"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("bad"), std::string::npos) << table.out;
}

TEST_F(TableCliTest, HistoryNewestFirst) {
  CommandResult r = Table({"history", "bronze.pedidos", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  json history = json::parse(r.out);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0]["version"], 1);
  EXPECT_EQ(history[0]["operation"], "WRITE");
  EXPECT_EQ(history[0]["parameters"]["mode"], "Append");
  EXPECT_EQ(history[0]["metrics"]["numFiles"], "1");
  EXPECT_EQ(history[0]["timestamp_millis"], kT0 + 3600000);
  EXPECT_EQ(history[1]["version"], 0);
  EXPECT_EQ(history[1]["operation"], "CREATE TABLE");
  EXPECT_EQ(history[1]["timestamp"], "2024-01-01 00:00:00 UTC");

  CommandResult limited = Table({"history", "bronze.pedidos", "--limit", "1", "--json"});
  EXPECT_EQ(json::parse(limited.out).size(), 1u);
  CommandResult text = Table({"history", "bronze.pedidos"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("CREATE TABLE"), std::string::npos) << text.out;
}

TEST_F(TableCliTest, InfoJson) {
  CommandResult r = Table({"info", "bronze.pedidos", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json info = json::parse(r.out);
  EXPECT_EQ(info["table"], "bronze.pedidos");
  EXPECT_EQ(info["version"], 1);
  EXPECT_EQ(info["timestamp"], "2024-01-01 01:00:00 UTC");
  EXPECT_EQ(info["protocol"]["min_reader_version"], 1);
  EXPECT_EQ(info["protocol"]["min_writer_version"], 2);
  EXPECT_TRUE(info["protocol"]["reader_features"].is_null());
  ASSERT_EQ(info["schema"].size(), 2u);
  EXPECT_EQ(info["schema"][0]["name"], "id");
  EXPECT_EQ(info["schema"][0]["type"], "long");
  EXPECT_EQ(info["schema"][0]["sql_type"], "BIGINT");
  EXPECT_EQ(info["schema"][0]["nullable"], false);
  EXPECT_EQ(info["schema"][1]["nullable"], true);
  EXPECT_EQ(info["partition_columns"], json::array());
  EXPECT_EQ(info["file_count"], 2);
  const auto size = std::filesystem::file_size(lake_.path() + "/bronze/pedidos/part-0.parquet") +
                    std::filesystem::file_size(lake_.path() + "/bronze/pedidos/part-1.parquet");
  EXPECT_EQ(info["total_bytes"], size);
  EXPECT_EQ(info["row_count"], 5);
  EXPECT_EQ(info["properties"]["delta.appendOnly"], "false");
  EXPECT_TRUE(info["last_checkpoint"].is_null());

  CommandResult v0 = Table({"info", "bronze.pedidos", "--version", "0", "--json"});
  ASSERT_EQ(v0.exit_code, 0) << v0.err;
  EXPECT_EQ(json::parse(v0.out)["row_count"], 3);

  CommandResult text = Table({"info", "bronze.pedidos"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("not null"), std::string::npos) << text.out;
}

TEST_F(TableCliTest, ListsTables) {
  CommandResult r = Table({"list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json tables = json::parse(r.out);
  ASSERT_EQ(tables.size(), 3u) << r.out;
  EXPECT_EQ(tables[0]["table"], "bronze.pedidos");
  EXPECT_EQ(tables[0]["version"], 1);
  EXPECT_EQ(tables[1]["table"], "bronze.pedidos__quarantine");
  EXPECT_EQ(tables[2]["layer"], "gold");
}

TEST_F(TableCliTest, ErrorsAreOneLineAndExitOne) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {{"read", "bronze.bad-name"}, "contains '-'"},
           {{"read", "pedidos"}, "needs a layer"},
           {{"read", "bronze.pedido"}, "did you mean bronze.pedidos"},
           {{"read", "bronze.pedidos", "--version", "9"}, "latest is 1"},
           {{"read", "bronze.pedidos", "--timestamp", "2023-06-01"}, "earliest"},
           {{"read", "bronze.pedidos", "--timestamp", "someday"}, "invalid timestamp"},
           {{"read", "bronze.pedidos", "--where", "nope = 1"}, "nope"},
           {{"info", "gold.x", "--json"}, "does not exist"},
           {{"history", "./no/such/table"}, "does not exist"}}) {
    CommandResult r = Table(c.args);
    EXPECT_EQ(r.exit_code, 1) << ::testing::PrintToString(c.args) << r.err;
    EXPECT_EQ(CountLines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  CommandResult no_lake = RunStrata({"table", "list", "--lake", lake_.path() + "/nope"});
  EXPECT_EQ(no_lake.exit_code, 1);
  EXPECT_NE(no_lake.err.find("does not exist"), std::string::npos) << no_lake.err;
}

// `strata table check`: the Delta protocol conformance of the lake, one table or a path. A
// schema field with "metadata": null (what strata wrote before issue 24) is named with its file
// and line, and the exit code is 1.
TEST_F(TableCliTest, CheckNamesEachProtocolProblemAndExitsOne) {
  CommandResult all = Table({"check"});
  ASSERT_EQ(all.exit_code, 0) << all.out << all.err;
  EXPECT_NE(all.out.find("3 tables, 4 commits, 0 checkpoints: OK"), std::string::npos) << all.out;
  CommandResult one = Table({"check", "bronze.pedidos", "--json"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  json report = json::parse(one.out);
  EXPECT_EQ(report["tables"], 1);
  EXPECT_EQ(report["ok"], true);

  // A metadata change whose schema has a null field metadata, as strata once wrote.
  std::ofstream(lake_.path() + "/STRATA_NONCONFORMING_OK") << "broken on purpose by this test";
  json schema = {{"type", "struct"},
                 {"fields",
                  {{{"name", "id"}, {"type", "long"}, {"nullable", false}, {"metadata", nullptr}},
                   {{"name", "name"}, {"type", "string"}, {"nullable", true}}}}};
  json metadata = {{"metaData",
                    {{"id", "5b0ad2c1-0000-4000-8000-000000000000"},
                     {"format", {{"provider", "parquet"}, {"options", json::object()}}},
                     {"schemaString", schema.dump()},
                     {"partitionColumns", json::array()},
                     {"configuration", json::object()}}}};
  std::ofstream(lake_.path() + "/bronze/pedidos/_delta_log/00000000000000000002.json")
      << metadata.dump() << "\n";
  CommandResult broken = Table({"check"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.out.find("bronze/pedidos/_delta_log/00000000000000000002.json:1"),
            std::string::npos)
      << broken.out;
  EXPECT_NE(broken.out.find("field 'id': 'metadata' must be an object"), std::string::npos)
      << broken.out;
  EXPECT_EQ(CountLines(broken.err), 1) << broken.err;
  EXPECT_NE(broken.err.find("1 Delta protocol problem(s)"), std::string::npos) << broken.err;
  // The other tables are still fine on their own; a path without a table is an error.
  EXPECT_EQ(Table({"check", "gold.vendas"}).exit_code, 0);
  TempDir empty;
  CommandResult none = RunStrata({"table", "check", empty.path()});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("no Delta table"), std::string::npos) << none.err;
}

TEST_F(TableCliTest, UsageErrorsExitTwo) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"read", "bronze.pedidos", "--version", "0", "--timestamp", "2024-01-01"},
           {"read", "bronze.pedidos", "--version", "-1"},
           {"read", "bronze.pedidos", "--format", "xml"},
           {"read"},
           {"frobnicate"}}) {
    CommandResult r = Table(args);
    EXPECT_EQ(r.exit_code, 2) << ::testing::PrintToString(args) << r.err;
    EXPECT_EQ(CountLines(r.err), 1) << r.err;
  }
}

TEST_F(TableCliTest, SqlQueriesLakeTablesByName) {
  CommandResult r = RunStrata(
      {"sql", "--lake", lake_.path(), "--format", "csv",
       "SELECT n.id FROM bronze.pedidos n ANTI JOIN bronze.pedidos o AT (VERSION => 0) USING (id) "
       "UNION ALL SELECT id FROM gold.vendas ORDER BY 1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "id\n4\n5\n7\n");

  CommandResult missing = RunStrata({"sql", "--lake", lake_.path(), "SELECT * FROM gold.venda"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("did you mean gold.vendas"), std::string::npos) << missing.err;
}

TEST_F(TableCliTest, MaintenanceOptimizeCheckpointVacuum) {
  Commit("bronze/pedidos", 2, "SELECT 6 AS id, 'p6' AS name", kT0 + 7200000);
  CommandResult optimize = Table({"optimize", "bronze.pedidos", "--json"});
  ASSERT_EQ(optimize.exit_code, 0) << optimize.err;
  json optimized = json::parse(optimize.out);
  EXPECT_EQ(optimized["version"], 3);
  EXPECT_EQ(optimized["metrics"]["numRemovedFiles"], "3");
  CommandResult again = Table({"optimize", "bronze.pedidos"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("nothing to compact"), std::string::npos) << again.out;

  CommandResult checkpoint = Table({"checkpoint", "bronze.pedidos", "--json"});
  ASSERT_EQ(checkpoint.exit_code, 0) << checkpoint.err;
  EXPECT_EQ(json::parse(checkpoint.out)["checkpoint_version"], 3);
  CommandResult info = Table({"info", "bronze.pedidos", "--json"});
  json described = json::parse(info.out);
  EXPECT_EQ(described["last_checkpoint"], 3);
  EXPECT_EQ(described["file_count"], 1);
  EXPECT_EQ(described["row_count"], 6);
  CommandResult history = Table({"history", "bronze.pedidos", "--limit", "1", "--json"});
  EXPECT_EQ(json::parse(history.out)[0]["operation"], "OPTIMIZE") << history.out;

  // The safety minimum holds unless overridden; a dry run deletes nothing.
  CommandResult refused = Table({"vacuum", "bronze.pedidos", "--retain-hours", "0"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("safety minimum"), std::string::npos) << refused.err;
  const std::string old_file = lake_.path() + "/bronze/pedidos/part-0.parquet";
  CommandResult dry = Table({"vacuum", "bronze.pedidos", "--retain-hours", "0",
                             "--allow-short-retention", "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(json::parse(dry.out)["files"].size(), 3u) << dry.out;
  EXPECT_TRUE(std::filesystem::exists(old_file));
  CommandResult vacuum =
      Table({"vacuum", "bronze.pedidos", "--retain-hours", "0", "--allow-short-retention"});
  ASSERT_EQ(vacuum.exit_code, 0) << vacuum.err;
  EXPECT_NE(vacuum.out.find("deleted 3"), std::string::npos) << vacuum.out;
  EXPECT_FALSE(std::filesystem::exists(old_file));
  CommandResult read = Table({"read", "bronze.pedidos", "--format", "csv"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(CountLines(read.out), 7) << read.out;
}

TEST(TableCliConformanceTest, ReadsReferenceTableByPath) {
  CommandResult expected = RunStrata(
      {"sql", "--format", "csv",
       "SELECT * FROM '" + kConformance + "/expected/latest/table_content.parquet' ORDER BY ALL"});
  ASSERT_EQ(expected.exit_code, 0) << expected.err;
  CommandResult read = RunStrata({"table", "read", kConformance + "/delta", "--format", "csv"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_EQ(SortedLines(read.out), SortedLines(expected.out));
  EXPECT_EQ(CountLines(read.out), 6);

  CommandResult v0 =
      RunStrata({"table", "read", kConformance + "/delta", "--version", "0", "--format", "csv"});
  ASSERT_EQ(v0.exit_code, 0) << v0.err;
  EXPECT_EQ(CountLines(v0.out), 4) << v0.out;

  CommandResult sql =
      RunStrata({"sql", "--format", "csv",
                 "SELECT letter FROM '" + kConformance + "/delta' AT (VERSION => 0) ORDER BY 1"});
  ASSERT_EQ(sql.exit_code, 0) << sql.err;
  EXPECT_EQ(sql.out, "letter\na\nb\nc\n");

  CommandResult info = RunStrata({"table", "info", kConformance + "/delta", "--json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  json parsed = json::parse(info.out);
  EXPECT_EQ(parsed["version"], 1);
  EXPECT_EQ(parsed["file_count"], 2);
  EXPECT_EQ(parsed["total_bytes"], 996 + 984);
}

}  // namespace
}  // namespace strata::test
