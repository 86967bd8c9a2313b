// One owner for runs, as a user meets it: the id `strata run` (or `strata demo`) prints is a run
// of the project's built-in pipeline "project" in the run store, so `strata runs show` finds it
// (its JSON export holds the run record), `strata runs list` shows it beside the state machines'
// runs, and a failed project run resumes through `strata pipeline resume` like any run. Nothing
// is written to .strata/runs/.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "pipeline/project_test_util.h"
#include "test_util.h"

namespace strata::test {
namespace {

// The run id of `strata run`'s summary: its first line is "run <id> (<project>): ...".
std::string PrintedRunId(const std::string& out) {
  EXPECT_EQ(out.rfind("run ", 0), 0u) << out;
  const size_t end = out.find(' ', 4);
  return end == std::string::npos ? "" : out.substr(4, end - 4);
}

nlohmann::json ShowRun(const std::string& project, const std::string& id) {
  CommandResult show = RunStrata({"runs", "show", id, "--project", project, "--json"});
  EXPECT_EQ(show.exit_code, 0) << show.out << show.err;
  return ParseRecord(show);
}

TEST(RunsCliTest, RunsShowFindsTheRunStrataRunPrinted) {
  TempDir dir;
  const std::string project = dir.path() + "/p";
  ASSERT_EQ(RunStrata({"init", project}).exit_code, 0);

  CommandResult run = RunStrata({"run", "--project", project});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const std::string id = PrintedRunId(run.out);
  ASSERT_FALSE(id.empty()) << run.out;
  EXPECT_NE(run.out.find("run record: strata runs show " + id + " --json"), std::string::npos)
      << run.out;
  nlohmann::json shown = ShowRun(project, id);
  EXPECT_EQ(shown["run_id"], id);
  EXPECT_EQ(shown["pipeline"], "project");
  EXPECT_EQ(shown["status"], "SUCCEEDED");
  EXPECT_EQ(shown["trigger"], "manual");
  // The JSON export: the run record, under the same id; one state per table.
  EXPECT_EQ(shown["output"]["schema"], "strata.run/1");
  EXPECT_EQ(shown["output"]["run_id"], id);
  EXPECT_NE(FindNode(shown["output"], "silver.pedidos_validos"), nullptr);
  std::set<std::string> states;
  for (const auto& s : shown["states"]) states.insert(s["state"].get<std::string>());
  EXPECT_EQ(states.count("silver.pedidos_validos"), 1u) << shown["states"];
  EXPECT_EQ(states.count("bronze.pedidos"), 1u) << shown["states"];

  CommandResult text = RunStrata({"runs", "show", id, "--project", project});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("pipeline: project"), std::string::npos) << text.out;

  // `strata run --json` prints the record; its id is a run too.
  CommandResult json_run = RunStrata({"run", "--project", project, "--json"});
  ASSERT_EQ(json_run.exit_code, 0) << json_run.err;
  const std::string json_id = ParseRecord(json_run)["run_id"];
  EXPECT_EQ(ShowRun(project, json_id)["output"]["run_id"], json_id);
  // The catalog's runs of its tables carry the id too ("<run id>/<table>").
  CommandResult catalog_runs =
      RunStrata({"catalog", "show", "silver.pedidos_validos", "--project", project, "--json"});
  EXPECT_NE(catalog_runs.out.find(json_id + "/silver.pedidos_validos"), std::string::npos)
      << catalog_runs.out << catalog_runs.err;

  EXPECT_FALSE(std::filesystem::exists(project + "/.strata/runs"));
}

TEST(RunsCliTest, RunsListShowsProjectRunsAndStateMachineRunsWithTheirPipeline) {
  TempDir dir;
  const std::string project = dir.path() + "/p";
  ASSERT_EQ(RunStrata({"init", project}).exit_code, 0);
  WriteText(project + "/pipelines/aviso.yaml",
            "StartAt: Aviso\nStates:\n  Aviso: {Type: Pass, Result: {ok: true}, End: true}\n");
  CommandResult run = RunStrata({"run", "--project", project});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string project_run = PrintedRunId(run.out);
  CommandResult machine = RunStrata({"pipeline", "run", "aviso", "--project", project, "--json"});
  ASSERT_EQ(machine.exit_code, 0) << machine.out << machine.err;
  const std::string machine_run = ParseRecord(machine)["run_id"];

  CommandResult list = RunStrata({"runs", "list", "--project", project, "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  std::map<std::string, std::string> pipelines;
  for (const auto& r : ParseRecord(list)) {
    pipelines[r["run_id"]] = r["pipeline"];
    EXPECT_GE(r["state_count"].get<int>(), 1) << r;
  }
  EXPECT_EQ(pipelines[project_run], "project");
  EXPECT_EQ(pipelines[machine_run], "aviso");

  CommandResult only = RunStrata({"runs", "list", "--project", project, "--pipeline", "project"});
  EXPECT_EQ(only.exit_code, 0) << only.err;
  EXPECT_NE(only.out.find(project_run), std::string::npos) << only.out;
  EXPECT_EQ(only.out.find(machine_run), std::string::npos) << only.out;
  CommandResult bad = RunStrata({"runs", "list", "--project", project, "--status", "DONE"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown run status 'DONE'"), std::string::npos) << bad.err;
}

// A failing model fails the project run; after the fix, the one resume path re-runs only what
// did not succeed.
TEST(RunsCliTest, AFailedProjectRunResumesWhatFailed) {
  TempDir dir;
  const std::string project = dir.path() + "/p";
  ASSERT_EQ(RunStrata({"init", project}).exit_code, 0);
  const std::string model = project + "/models/gold/resumo.sql";
  WriteText(model, "SELECT CAST('x' AS INTEGER) AS n FROM silver.pedidos_validos");
  CommandResult run = RunStrata({"run", "--project", project});
  ASSERT_EQ(run.exit_code, 1) << run.out;
  const std::string failed = PrintedRunId(run.out);
  nlohmann::json shown = ShowRun(project, failed);
  EXPECT_EQ(shown["status"], "FAILED");
  EXPECT_NE(shown["cause"].get<std::string>().find("gold.resumo"), std::string::npos) << shown;

  WriteText(model, "SELECT count(*) AS n FROM silver.pedidos_validos");
  CommandResult resume = RunStrata({"pipeline", "resume", failed, "--project", project, "--json"});
  ASSERT_EQ(resume.exit_code, 0) << resume.out << resume.err;
  nlohmann::json resumed = ParseRecord(resume);
  EXPECT_EQ(resumed["status"], "SUCCEEDED");
  EXPECT_EQ(resumed["resumed_from"], failed);
  EXPECT_EQ(resumed["input"]["select"], nlohmann::json::array({"gold.resumo"}));
  ASSERT_EQ(resumed["output"]["nodes"].size(), 1u) << resumed["output"];
  EXPECT_EQ(SqlValue(project, "SELECT n FROM gold.resumo"), "2");
}

TEST(RunsCliTest, RunsShowFindsTheRunTheDemoPrinted) {
  TempDir dir;
  const std::string project = dir.path() + "/demo";
  CommandResult demo = RunStrata({"demo", "importau", "--dir", project, "--scale", "1"});
  ASSERT_EQ(demo.exit_code, 0) << demo.out << demo.err;
  const std::string id = PrintedRunId(demo.out);
  nlohmann::json shown = ShowRun(project, id);
  EXPECT_EQ(shown["pipeline"], "project");
  EXPECT_EQ(shown["status"], "SUCCEEDED");
  EXPECT_NE(FindNode(shown["output"], "gold.agregado_fluxo_de_caixa_mensal"), nullptr);
}

}  // namespace
}  // namespace strata::test
