// strata pipeline / runs / scheduler as a user meets them: the ImportAu chain end to end on a
// generated data set (a step that fails is retried, caught, recorded, and resumed after the
// fix), cancelling a long command from another process, a file landing while the scheduler
// runs, a backfill that skips dates already successful, and bad input.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "demo/importau_generator.h"
#include "orchestrator/background.h"
#include "pipeline/project_test_util.h"
#include "test_util.h"

namespace strata::test {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

Json ParseJson(const CommandResult& r) {
  Json j = Json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
  return j;
}

// A project with only strata.yaml and the given pipelines.
std::string SmallProject(const TempDir& dir, const std::map<std::string, std::string>& pipelines) {
  std::string project = dir.path() + "/p";
  WriteText(project + "/strata.yaml", "name: p\n");
  for (const auto& [name, text] : pipelines) WriteText(project + "/pipelines/" + name, text);
  return project;
}

// The id of the newest run of `project` once it is RUNNING and `ready(run_id)` holds (up to
// 30 s); empty if that never happens.
std::string WaitForRunning(const std::string& project,
                           const std::function<bool(const std::string&)>& ready) {
  std::string run_id;
  bool running = Eventually(30, [&] {
    CommandResult r = RunStrata({"runs", "list", "--project", project, "--json"});
    if (r.exit_code != 0) return false;
    Json list = Json::parse(r.out, nullptr, false);
    if (list.is_discarded() || list.empty() || list[0]["status"] != "RUNNING") return false;
    run_id = list[0]["run_id"];
    return ready(run_id);
  });
  return running ? run_id : "";
}

const Json* FindState(const Json& run, const std::string& state) {
  for (const Json& s : run["states"]) {
    if (s["state"] == state && s["scope"] == "") return &s;
  }
  return nullptr;
}

TEST(PipelineCliTest, ImportAuChainRetriesCatchesRecordsAndResumes) {
  TempDir dir;
  const std::string project = dir.path() + "/importau";
  fs::copy(std::string(STRATA_SOURCE_DIR) + "/examples/importau", project,
           fs::copy_options::recursive);
  auto counts = demo::GenerateImportAu(project + "/landing", {1, 7, false});
  ASSERT_TRUE(counts.ok()) << counts.status();

  CommandResult list = RunStrata({"pipeline", "list", "--project", project, "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  Json pipelines = ParseJson(list);
  ASSERT_EQ(pipelines.size(), 7u);
  for (const Json& p : pipelines) {
    EXPECT_EQ(p["error"], "") << p["name"];
    EXPECT_FALSE(p["description"].get<std::string>().empty()) << p["name"];
    EXPECT_FALSE(p["owner"].get<std::string>().empty()) << p["name"];
  }

  // Break the gold model: the chain loads bronze and silver, then Gold fails three times
  // (1 + 2 retries), the Catch records the failure and the run fails.
  const std::string gold_sql = project + "/models/gold/features_risco_cambial.sql";
  const std::string good_sql = Read(gold_sql);
  WriteText(gold_sql, "SELECT coluna_que_nao_existe FROM silver.fato_pedido_correlacionado\n");
  CommandResult failed = RunStrata({"pipeline", "run", "importau", "--project", project});
  EXPECT_EQ(failed.exit_code, 1) << failed.out << failed.err;
  EXPECT_TRUE(Contains(failed.err, "ImportAu.StepFailed")) << failed.err;
  EXPECT_TRUE(Contains(failed.err, "failed  Gold attempt 3")) << failed.err;

  CommandResult runs = RunStrata({"runs", "list", "--project", project, "--json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  Json run_list = ParseJson(runs);
  ASSERT_EQ(run_list.size(), 1u);
  const std::string failed_id = run_list[0]["run_id"];
  EXPECT_EQ(run_list[0]["status"], "FAILED");

  CommandResult show = RunStrata({"runs", "show", failed_id, "--project", project, "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  Json first = ParseJson(show);
  EXPECT_EQ(first["error"], "ImportAu.StepFailed");
  int gold_attempts = 0;
  for (const Json& a : first["attempts"]) {
    if (a["state"] != "Gold") continue;
    ++gold_attempts;
    EXPECT_EQ(a["status"], "FAILED");
    EXPECT_EQ(a["error"], "States.TaskFailed");
    EXPECT_TRUE(Contains(a["cause"], "gold.features_risco_cambial")) << a["cause"];
  }
  EXPECT_EQ(gold_attempts, 3);
  ASSERT_NE(FindState(first, "Gold"), nullptr);
  EXPECT_EQ((*FindState(first, "Gold"))["status"], "CAUGHT");
  ASSERT_NE(FindState(first, "RecordFailure"), nullptr);
  EXPECT_EQ((*FindState(first, "RecordFailure"))["status"], "SUCCEEDED");
  EXPECT_EQ(FindState(first, "TestGold"), nullptr);
  // The Catch's record: one JSON line naming the run and the error.
  std::string failures = Read(project + "/.strata/importau_failures.jsonl");
  Json recorded = Json::parse(failures.substr(0, failures.find('\n')), nullptr, false);
  ASSERT_FALSE(recorded.is_discarded()) << failures;
  EXPECT_EQ(recorded["run"], failed_id);
  EXPECT_EQ(recorded["error"], "States.TaskFailed");
  // The log of a failed attempt says what happened.
  CommandResult log = RunStrata(
      {"runs", "logs", failed_id, "--state", "Gold", "--attempt", "2", "--project", project});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  EXPECT_TRUE(Contains(log.out, "gold.features_risco_cambial failed")) << log.out;
  // Silver's task result and the lake agree.
  const Json* silver = FindState(first, "Silver");
  ASSERT_NE(silver, nullptr);
  int64_t silver_rows = (*silver)["output"]["silver"]["nodes"][0]["rows_written"];
  EXPECT_GT(silver_rows, 0);
  EXPECT_EQ(SqlValue(project, "SELECT count(*) FROM silver.fato_pedido_correlacionado"),
            std::to_string(silver_rows));

  // Fixed, the run resumes at Gold with the input Gold had: bronze and silver do not run again.
  WriteText(gold_sql, good_sql);
  CommandResult resumed =
      RunStrata({"pipeline", "resume", failed_id, "--project", project, "--json"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  Json second = ParseJson(resumed);
  EXPECT_EQ(second["status"], "SUCCEEDED");
  EXPECT_EQ(second["resumed_from"], failed_id);
  EXPECT_EQ(FindState(second, "Bronze"), nullptr);
  EXPECT_EQ(FindState(second, "Silver"), nullptr);
  ASSERT_NE(FindState(second, "Gold"), nullptr);
  ASSERT_NE(FindState(second, "TestGold"), nullptr);
  EXPECT_EQ((*FindState(second, "TestGold"))["status"], "SUCCEEDED");
  EXPECT_EQ(second["output"]["silver"]["nodes"][0]["rows_written"], silver_rows);
  EXPECT_NE(SqlValue(project, "SELECT count(*) FROM gold.features_risco_cambial"), "0");
  EXPECT_NE(SqlValue(project, "SELECT count(*) FROM gold.agregado_fluxo_de_caixa_mensal"), "0");

  CommandResult again = RunStrata({"pipeline", "resume", failed_id, "--project", project});
  EXPECT_EQ(again.exit_code, 0) << again.err;  // a FAILED run may be resumed more than once
  CommandResult of_success =
      RunStrata({"pipeline", "resume", second["run_id"], "--project", project});
  EXPECT_EQ(of_success.exit_code, 1);
  EXPECT_TRUE(Contains(of_success.err, "only FAILED or ABORTED")) << of_success.err;
}

TEST(PipelineCliTest, CancelStopsALongCommandOfAnotherProcess) {
  TempDir dir;
  std::string project = SmallProject(dir, {{"long.yaml", R"(
StartAt: Sleep
States:
  Sleep:
    Type: Task
    Resource: strata:command
    Parameters: {command: 'echo $$ > sleeper.pid; echo started; exec sleep 120'}
    End: true
)"}});
  Background run(dir.path(), {"pipeline", "run", "long", "--project", project});
  std::string run_id = WaitForRunning(project, [&](const std::string&) {
    return fs::exists(project + "/sleeper.pid") && !Read(project + "/sleeper.pid").empty();
  });
  ASSERT_FALSE(run_id.empty()) << run.err();
  pid_t sleeper = std::stoi(Read(project + "/sleeper.pid"));
  ASSERT_EQ(kill(sleeper, 0), 0);

  CommandResult cancel = RunStrata({"runs", "cancel", run_id, "--project", project, "--json"});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  EXPECT_EQ(ParseJson(cancel)["status"], "ABORTED");
  EXPECT_EQ(run.Wait(30), 1) << run.err();
  EXPECT_TRUE(Contains(run.err(), "ABORTED")) << run.err();
  EXPECT_TRUE(Eventually(10, [&] { return kill(sleeper, 0) != 0; })) << "sleep still runs";
  CommandResult log = RunStrata({"runs", "logs", run_id, "--project", project});
  EXPECT_TRUE(Contains(log.out, "cancelled with strata runs cancel")) << log.out;
}

TEST(PipelineCliTest, CancelStopsAModelTaskAndItsTableCommitsNothing) {
  TempDir dir;
  std::string project = dir.path() + "/p";
  ASSERT_EQ(RunStrata({"init", project}).exit_code, 0);
  ASSERT_EQ(RunStrata({"run", "--project", project}).exit_code, 0);
  // A model slow enough to be cancelled (10^11 rows of a cross join, no sleep).
  WriteText(project + "/models/gold/lento.sql",
            "SELECT sum(a.range * b.range) AS s FROM range(1000000) a, range(100000) b, "
            "silver.pedidos_validos");
  WriteText(project + "/pipelines/lento.yaml", R"(
StartAt: Build
States:
  Build:
    Type: Task
    Resource: strata:model
    Parameters: {select: [gold.lento]}
    End: true
)");
  Background run(dir.path(), {"pipeline", "run", "lento", "--project", project});
  std::string run_id = WaitForRunning(project, [&](const std::string& id) {
    CommandResult log = RunStrata({"runs", "logs", id, "--project", project});
    return Contains(log.out, "select=[\"gold.lento\"]");
  });
  ASSERT_FALSE(run_id.empty()) << run.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CommandResult cancel = RunStrata({"runs", "cancel", run_id, "--project", project, "--json"});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.err;
  // Without the cancel reaching the model, the cross join would run for many minutes.
  EXPECT_EQ(run.Wait(30), 1) << run.err();
  EXPECT_TRUE(Contains(run.err(), "ABORTED")) << run.err();
  EXPECT_FALSE(fs::exists(project + "/lake/gold/lento/_delta_log"));
  CommandResult log = RunStrata({"runs", "logs", run_id, "--project", project});
  EXPECT_TRUE(Contains(log.out, "[strata] stopped")) << log.out;
}

TEST(PipelineCliTest, SchedulerStartsAPipelineWhenAFileLands) {
  TempDir dir;
  std::string project = SmallProject(dir, {{"on_orders.yaml", R"(
description: counts the lines of each landed orders file
owner: time-ingestao
triggers:
  - file: "pedidos/*.csv"
StartAt: Count
States:
  Count:
    Type: Task
    Resource: strata:command
    Parameters:
      command.$: States.Format('wc -l < landing/{}', $.file.path)
    End: true
)"}});
  fs::create_directories(project + "/landing/pedidos");
  Background scheduler(dir.path(), {"scheduler", "--project", project, "--poll", "0.2"});
  ASSERT_TRUE(Eventually(20, [&] { return Contains(scheduler.err(), "1 file triggers"); }))
      << scheduler.err();
  WriteText(project + "/landing/pedidos/2025-01-31.csv", "a\n1\n2\n");
  WriteText(project + "/landing/clientes.csv", "a\n1\n");  // matches no trigger
  Json done;
  ASSERT_TRUE(Eventually(40, [&] {
    CommandResult r = RunStrata({"runs", "list", "--project", project, "--json"});
    Json list = Json::parse(r.out, nullptr, false);
    if (list.is_discarded() || list.empty() || list[0]["status"] != "SUCCEEDED") return false;
    done = list;
    return true;
  })) << scheduler.err();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0]["trigger"], "file");
  EXPECT_EQ(done[0]["trigger_info"], "pedidos/2025-01-31.csv");
  EXPECT_EQ(done[0]["output"], 3);  // wc -l printed 3: JSON on stdout is the result
  scheduler.Signal(SIGTERM);
  EXPECT_EQ(scheduler.Wait(30), 0) << scheduler.err();
  EXPECT_TRUE(Contains(scheduler.err(), "started run")) << scheduler.err();
}

TEST(PipelineCliTest, BackfillSkipsDatesAlreadySuccessful) {
  TempDir dir;
  std::string project = SmallProject(dir, {{"daily.yaml", R"(
StartAt: Load
States:
  Load:
    Type: Task
    Resource: strata:command
    Parameters:
      command.$: States.Format('if [ {} = 2025-03-02 ] && [ ! -f fixed ]; then echo broken >&2; exit 2; fi; echo {} >> done.txt', $.date, $.date)
    End: true
)"}});
  CommandResult first =
      RunStrata({"pipeline", "backfill", "daily", "--from", "2025-03-01", "--to", "2025-03-04",
                 "--concurrency", "2", "--project", project, "--json"});
  EXPECT_EQ(first.exit_code, 1) << first.err;
  EXPECT_TRUE(Contains(first.err, "1 of 4 dates failed")) << first.err;
  Json items = ParseJson(first);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[1]["date"], "2025-03-02");
  EXPECT_EQ(items[1]["status"], "FAILED");
  WriteText(project + "/fixed", "");
  CommandResult second = RunStrata({"pipeline", "backfill", "daily", "--from", "2025-03-01", "--to",
                                    "2025-03-04", "--project", project, "--json"});
  EXPECT_EQ(second.exit_code, 0) << second.err;
  Json redo = ParseJson(second);
  ASSERT_EQ(redo.size(), 4u);
  for (int i : {0, 2, 3}) EXPECT_EQ(redo[i]["status"], "SKIPPED") << i;
  EXPECT_EQ(redo[1]["status"], "SUCCEEDED");
  // Each date ran successfully exactly once.
  std::string done = Read(project + "/done.txt");
  for (const char* d : {"2025-03-01", "2025-03-02", "2025-03-03", "2025-03-04"}) {
    EXPECT_EQ(std::count(done.begin(), done.end(), '\n'), 4) << done;
    EXPECT_TRUE(Contains(done, d)) << done;
  }
  CommandResult bad = RunStrata({"pipeline", "backfill", "daily", "--from", "2025-03-04", "--to",
                                 "2025-03-01", "--project", project});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(Contains(bad.err, "is before --from")) << bad.err;
}

TEST(PipelineCliTest, BadInputGetsClearErrors) {
  TempDir dir;
  std::string project =
      SmallProject(dir, {{"ok.yaml", "StartAt: A\nStates: {A: {Type: Pass, End: true}}\n"},
                         {"broken.yaml",
                          "owner: x\nStartAt: A\nStates:\n  A:\n    Type: Task\n"
                          "    Resource: strata:comand\n    End: true\n"}});
  CommandResult runs = RunStrata({"runs", "list", "--project", project, "--json"});
  EXPECT_EQ(runs.exit_code, 0) << runs.err;  // no catalog yet: no runs, none created
  EXPECT_EQ(runs.out, "[]\n");
  EXPECT_FALSE(fs::exists(project + "/.strata/catalog.db"));

  CommandResult list = RunStrata({"pipeline", "list", "--project", project});
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_TRUE(Contains(list.out,
                       "pipelines/broken.yaml:6: state 'A': field 'Resource': unknown strata "
                       "step 'strata:comand'"))
      << list.out;
  CommandResult show = RunStrata({"pipeline", "show", "broken", "--project", project});
  EXPECT_EQ(show.exit_code, 1);
  EXPECT_TRUE(Contains(show.err, "broken.yaml:6")) << show.err;
  CommandResult missing = RunStrata({"pipeline", "run", "ko", "--project", project});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(Contains(missing.err, "did you mean ok")) << missing.err;
  CommandResult input =
      RunStrata({"pipeline", "run", "ok", "--input", "{nope", "--project", project});
  EXPECT_EQ(input.exit_code, 1);
  EXPECT_TRUE(Contains(input.err, "--input is not valid JSON")) << input.err;
  CommandResult ok = RunStrata(
      {"pipeline", "run", "ok", "--input", "{\"a\": [1, 2]}", "--project", project, "--json"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ParseJson(ok)["output"]["a"][1], 2);
  CommandResult unknown = RunStrata({"runs", "show", "nope", "--project", project});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(Contains(unknown.err, "run 'nope' does not exist")) << unknown.err;
  CommandResult usage = RunStrata({"pipeline", "backfill", "ok", "--project", project});
  EXPECT_EQ(usage.exit_code, 2);
}

}  // namespace
}  // namespace strata::test
