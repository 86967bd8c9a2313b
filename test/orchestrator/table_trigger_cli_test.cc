// A pipeline triggered by commits to a table, through the strata binary: two schedulers watch
// bronze.pedidos, `strata run` ingests landing files (new Delta versions), and the pipeline
// runs once per new version with {table, version, operation}; more ticks do not fire again; a
// bad trigger is reported naming the pipeline file and the field.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "orchestrator/background.h"
#include "pipeline/project_test_util.h"
#include "test_util.h"

namespace strata::test {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kSources = R"(defaults:
  format: csv
sources:
  - name: pedidos
    files: "pedidos*.csv"
    columns:
      - {name: pedido_id, type: BIGINT}
      - {name: valor, type: DOUBLE}
)";

constexpr const char* kPipeline = R"(description: reacts to each commit to bronze.pedidos
owner: tests
triggers:
  - table: bronze.pedidos
StartAt: Echo
States:
  Echo:
    Type: Task
    Resource: strata:command
    Parameters:
      command: 'cat'
      input.$: $
    End: true
)";

// Versions of the table: its commit files.
std::vector<int64_t> Versions(const std::string& table_dir) {
  std::vector<int64_t> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(table_dir + "/_delta_log", ec)) {
    std::string name = e.path().filename().string();
    if (name.size() == 25 && name.substr(20) == ".json")
      out.push_back(std::stoll(name.substr(0, 20)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(TableTriggerCliTest, EachCommitByStrataRunFiresThePipelineOnce) {
  TempDir dir;
  const std::string project = dir.path() + "/p";
  WriteText(project + "/strata.yaml", "name: p\n");
  WriteText(project + "/sources/pedidos.yaml", kSources);
  WriteText(project + "/pipelines/on_pedidos.yaml", kPipeline);
  CommandResult list = RunStrata({"pipeline", "show", "on_pedidos", "--project", project});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("on commit: each new Delta version of bronze.pedidos"), std::string::npos)
      << list.out;

  std::vector<std::unique_ptr<Background>> schedulers;
  for (const char* tag : {"s1", "s2"}) {
    schedulers.push_back(std::make_unique<Background>(
        dir.path(),
        std::vector<std::string>{"--log-level", "info", "scheduler", "--project", project, "--poll",
                                 "0.2"},
        tag));
  }
  // One of them has looked at the table (not there yet): commits from now on fire.
  ASSERT_TRUE(
      Eventually(60,
                 [&] {
                   for (auto& s : schedulers) {
                     if (s->err().find("fires on commits to bronze.pedidos after version -1") !=
                         std::string::npos) {
                       return true;
                     }
                   }
                   return false;
                 }))
      << schedulers[0]->err() << schedulers[1]->err();

  auto runs_of_pipeline = [&] {
    // Only on_pedidos: each `strata run` below is a run too (of the built-in pipeline project).
    CommandResult r =
        RunStrata({"runs", "list", "--project", project, "--pipeline", "on_pedidos", "--json"});
    Json j = r.exit_code == 0 ? Json::parse(r.out, nullptr, false) : Json::array();
    return j.is_discarded() ? Json::array() : j;
  };
  auto expect_one_run_per_version = [&](const std::vector<int64_t>& versions) {
    ASSERT_TRUE(Eventually(60, [&] {
      Json runs = runs_of_pipeline();
      if (runs.size() < versions.size()) return false;
      for (const Json& r : runs) {
        if (r["status"] != "SUCCEEDED") return false;
      }
      return true;
    })) << runs_of_pipeline().dump(2);
    // Several more ticks of both schedulers: nothing fires again.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    Json runs = runs_of_pipeline();
    std::vector<int64_t> fired;
    for (const Json& r : runs) {
      EXPECT_EQ(r["pipeline"], "on_pedidos");
      EXPECT_EQ(r["trigger"], "table");
      EXPECT_EQ(r["input"]["table"], "bronze.pedidos");
      EXPECT_FALSE(r["input"]["operation"].get<std::string>().empty()) << r["input"];
      EXPECT_EQ(r["output"], r["input"]);  // the task got the trigger's input
      fired.push_back(r["input"]["version"].get<int64_t>());
    }
    std::sort(fired.begin(), fired.end());
    EXPECT_EQ(fired, versions);
  };

  WriteText(project + "/landing/pedidos_1.csv", "pedido_id,valor\n1,10.5\n2,20\n");
  CommandResult run = RunStrata({"run", "--project", project});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  std::vector<int64_t> versions = Versions(project + "/lake/bronze/pedidos");
  ASSERT_FALSE(versions.empty());
  expect_one_run_per_version(versions);

  // Nothing new to load: no commit, no run. A new file: its commit fires once more.
  run = RunStrata({"run", "--project", project});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  WriteText(project + "/landing/pedidos_2.csv", "pedido_id,valor\n3,7\n");
  run = RunStrata({"run", "--project", project});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  std::vector<int64_t> more = Versions(project + "/lake/bronze/pedidos");
  ASSERT_GT(more.size(), versions.size());
  expect_one_run_per_version(more);

  for (auto& s : schedulers) s->Signal(SIGTERM);
  for (auto& s : schedulers) EXPECT_EQ(s->Wait(30), 0) << s->err();
}

TEST(TableTriggerCliTest, ABadTableTriggerNamesThePipelineAndTheField) {
  TempDir dir;
  const std::string project = dir.path() + "/p";
  WriteText(project + "/strata.yaml", "name: p\n");
  std::string bad = kPipeline;
  bad.replace(bad.find("table: bronze.pedidos\n"), 22, "table: bronze.pe-didos\n");
  WriteText(project + "/pipelines/on_pedidos.yaml", bad);
  CommandResult r = RunStrata({"pipeline", "list", "--project", project});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("pipelines/on_pedidos.yaml:4: field 'triggers[0].table'"), std::string::npos)
      << r.out;
  r = RunStrata({"pipeline", "run", "on_pedidos", "--project", project});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("triggers[0].table"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace strata::test
