// strata init / run / test as a user meets them: a new project runs as created, errors in
// project files name file, line and field, a failing test stops its model and what is
// downstream, and the exit code says so.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "orchestrator/background.h"
#include "pipeline/project_test_util.h"
#include "test_util.h"

namespace strata::test {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ProjectCliTest, InitCreatesAProjectThatRuns) {
  TempDir dir;
  std::string project = dir.path() + "/novo";
  CommandResult init = RunStrata({"init", project});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_TRUE(Contains(init.out, "strata run --project")) << init.out;
  CommandResult again = RunStrata({"init", project});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(Contains(again.err, "is not empty")) << again.err;

  CommandResult run = RunStrata({"run", "--project", project});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(Contains(run.out, "silver.pedidos_validos")) << run.out;
  EXPECT_TRUE(Contains(run.out, "run record: ")) << run.out;
  // The sample's negative value is quarantined with the rule it broke; the rest is committed.
  EXPECT_EQ(SqlValue(project, "SELECT count(*) FROM silver.pedidos_validos"), "2");
  EXPECT_EQ(SqlValue(project,
                     "SELECT pedido_id || ':' || CAST(_rules AS VARCHAR) FROM "
                     "silver.pedidos_validos__quarantine"),
            "3:[valor_positivo]");
  // Inside the project (here a subdirectory of it), `strata sql` finds the lake by itself.
  std::string cwd = std::filesystem::current_path().string();
  std::filesystem::current_path(project + "/models");
  CommandResult sql =
      RunStrata({"sql", "--format", "csv", "SELECT count(*) AS n FROM silver.pedidos_validos"});
  std::filesystem::current_path(cwd);
  EXPECT_EQ(sql.exit_code, 0) << sql.err;
  EXPECT_EQ(sql.out, "n\n2\n");
  // The run is one record in the run store (nothing under .strata/runs/ any more).
  EXPECT_FALSE(std::filesystem::exists(project + "/.strata/runs"));
  CommandResult runs = RunStrata({"runs", "list", "--project", project, "--json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  nlohmann::json listed = ParseRecord(runs);
  ASSERT_EQ(listed.size(), 1u) << listed;
  EXPECT_EQ(listed[0]["pipeline"], "project");

  CommandResult test = RunStrata({"test", "--project", project, "--json"});
  EXPECT_EQ(test.exit_code, 0) << test.out << test.err;
  nlohmann::json record = ParseRecord(test);
  EXPECT_EQ(record["command"], "test");
  EXPECT_EQ(record["status"], "success");
}

TEST(ProjectCliTest, ProjectErrorsNameFileLineAndField) {
  TempDir dir;
  std::string project = dir.path() + "/p";
  ASSERT_EQ(RunStrata({"init", project}).exit_code, 0);
  std::string meta = project + "/models/silver/pedidos_validos.yaml";
  WriteText(meta, "owner: x\ntests:\n  - {name: a, not_null: valor, acton: warn}\n");
  CommandResult run = RunStrata({"run", "--project", project});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Contains(run.err,
                       "models/silver/pedidos_validos.yaml:3:32: tests[0].acton: "
                       "unknown field 'acton' (did you mean 'action'?)"))
      << run.err;

  WriteText(meta, "owner: x\n");
  WriteText(project + "/models/gold/resumo.sql", "SELECT count(*) AS n FROM silver.pedido_valido");
  run = RunStrata({"run", "--project", project});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Contains(run.err, "models/gold/resumo.sql: gold.resumo reads silver.pedido_valido"))
      << run.err;
  EXPECT_TRUE(Contains(run.err, "did you mean silver.pedidos_validos")) << run.err;
}

TEST(ProjectCliTest, FailingTestCommitsNothingAndSkipsDownstream) {
  TempDir dir;
  std::string project = dir.path() + "/p";
  ASSERT_EQ(RunStrata({"init", project}).exit_code, 0);
  WriteText(project + "/models/gold/resumo.sql",
            "SELECT count(*) AS n FROM silver.pedidos_validos");
  ASSERT_EQ(RunStrata({"run", "--project", project}).exit_code, 0);
  // A third valid order breaks the new fail test: silver commits nothing, gold is skipped.
  WriteText(project + "/landing/pedidos_2.csv",
            "pedido_id,cliente,data_pedido,valor\n4,Davi,2024-03-03,10.00\n");
  WriteText(project + "/models/silver/pedidos_validos.yaml",
            "tests:\n  - {name: no_maximo_dois, row_count: {max: 2}, action: fail}\n");
  CommandResult run = RunStrata({"run", "--project", project, "--json"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  nlohmann::json record = ParseRecord(run);
  const nlohmann::json* silver = FindNode(record, "silver.pedidos_validos");
  const nlohmann::json* gold = FindNode(record, "gold.resumo");
  ASSERT_TRUE(silver && gold);
  EXPECT_EQ((*silver)["status"], "failed");
  EXPECT_TRUE(Contains((*silver)["error"], "no_maximo_dois")) << silver->dump();
  EXPECT_TRUE((*silver)["table_version"].is_null());
  EXPECT_EQ((*gold)["status"], "skipped");
  EXPECT_TRUE(Contains((*gold)["error"], "silver.pedidos_validos")) << gold->dump();
  // The lake still holds the previous silver (2 rows) and gold.
  EXPECT_EQ(SqlValue(project, "SELECT count(*) FROM silver.pedidos_validos"), "2");
  EXPECT_EQ(SqlValue(project, "SELECT n FROM gold.resumo"), "2");
  // The refused rows were written (and tested) as staged files: none of them is left behind.
  int data_files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(project + "/lake/silver/pedidos_validos")) {
    data_files += entry.path().extension() == ".parquet";
  }
  EXPECT_EQ(data_files, 1) << "only the committed version's file is on disk";

  // --select runs only what is named (here bronze's source), and passes.
  CommandResult bronze = RunStrata({"run", "--project", project, "--select", "pedidos"});
  EXPECT_EQ(bronze.exit_code, 0) << bronze.out << bronze.err;
  EXPECT_FALSE(Contains(bronze.out, "silver.pedidos_validos")) << bronze.out;
}

TEST(ProjectCliTest, CtrlCCancelsTheRunAndTheTableBeingBuiltCommitsNothing) {
  TempDir dir;
  std::string project = dir.path() + "/p";
  ASSERT_EQ(RunStrata({"init", project}).exit_code, 0);
  // A model slow enough to be interrupted (10^11 rows of a cross join, no sleep).
  WriteText(project + "/models/gold/lento.sql",
            "SELECT sum(a.range * b.range) AS s FROM range(1000000) a, range(100000) b, "
            "silver.pedidos_validos");
  Background run(dir.path(), {"run", "--project", project}, "run");
  ASSERT_TRUE(Eventually(60, [&] {
    return std::filesystem::exists(project +
                                   "/lake/silver/pedidos_validos/_delta_log/"
                                   "00000000000000000000.json");
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  run.Signal(SIGINT);
  EXPECT_EQ(run.Wait(30), 1) << run.out() << run.err();
  EXPECT_TRUE(Contains(run.out(), "CANCELLED")) << run.out();
  EXPECT_TRUE(Contains(run.out(), "gold.lento: cancelled by user")) << run.out();
  EXPECT_TRUE(Contains(run.err(), "cancelled by user")) << run.err();
  EXPECT_FALSE(std::filesystem::exists(project + "/lake/gold/lento/_delta_log"));
  // What was committed before the cancel stays, and the next run builds the rest.
  EXPECT_EQ(SqlValue(project, "SELECT count(*) FROM silver.pedidos_validos"), "2");
}

}  // namespace
}  // namespace strata::test
