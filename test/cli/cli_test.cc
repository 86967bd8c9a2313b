// The strata binary as a user meets it: help, version, usage errors, and `strata sql`.
#include <gtest/gtest.h>

#include <algorithm>

#include "test_util.h"

namespace strata::test {
namespace {

int CountLines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(CliTest, HelpListsSubcommands) {
  CommandResult r = RunStrata({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("lakehouse"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sql"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(CliTest, SubcommandHasItsOwnHelp) {
  CommandResult r = RunStrata({"sql", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("--format"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--max-rows"), std::string::npos) << r.out;
}

TEST(CliTest, VersionNamesEngine) {
  CommandResult r = RunStrata({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("strata 0."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DuckDB v1.4"), std::string::npos) << r.out;
}

TEST(CliTest, BadUsageIsOneLineAndExitTwo) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{},
                                             {"frobnicate"},
                                             {"sql"},
                                             {"sql", "SELECT 1", "--format", "xml"},
                                             {"sql", "SELECT 1", "--max-rows", "-3"},
                                             {"--log-level"}}) {
    CommandResult r = RunStrata(args);
    EXPECT_EQ(r.exit_code, 2) << "args: " << ::testing::PrintToString(args) << " err: " << r.err;
    EXPECT_EQ(CountLines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("strata: error: ", 0), 0u) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

TEST(CliTest, UnknownLogLevelIsUsageError) {
  CommandResult r = RunStrata({"--log-level", "loud", "sql", "SELECT 1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("loud"), std::string::npos) << r.err;
}

TEST(CliTest, SqlPrintsTableByDefault) {
  CommandResult r = RunStrata({"sql", "SELECT 42 AS answer, 'strata' AS name"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| answer  | name    |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("|      42 | strata  |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(1 row)"), std::string::npos) << r.out;
}

TEST(CliTest, SqlCsvAndJson) {
  CommandResult csv = RunStrata({"sql", "SELECT range AS n FROM range(3)", "--format", "csv"});
  EXPECT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out, "n\n0\n1\n2\n");
  CommandResult json = RunStrata({"sql", "SELECT 'a' AS k, 2.5::DOUBLE AS v", "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out, "[\n{\"k\":\"a\",\"v\":2.5}\n]\n");
}

TEST(CliTest, SqlReadsQueryFromStdin) {
  CommandResult r = RunStrata({"sql", "-", "--format", "csv"}, "SELECT 7 AS seven");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "seven\n7\n");
}

TEST(CliTest, SqlErrorNamesTheProblemAndExitsOne) {
  CommandResult r = RunStrata({"sql", "SELECT * FROM no_such_table"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(CountLines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("no_such_table"), std::string::npos) << r.err;
}

TEST(CliTest, SqlPersistsInDatabaseFile) {
  TempDir dir;
  std::string db = dir.path() + "/t.duckdb";
  ASSERT_EQ(RunStrata({"sql", "CREATE TABLE t AS SELECT 5 AS x", "--database", db}).exit_code, 0);
  CommandResult r = RunStrata({"sql", "SELECT x FROM t", "--database", db, "--format", "csv"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "x\n5\n");
}

}  // namespace
}  // namespace strata::test
