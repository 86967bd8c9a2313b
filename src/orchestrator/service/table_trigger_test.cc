// Table triggers (`triggers: [{table: bronze.pedidos}]`): one run per new committed Delta
// version, found by listing the table's _delta_log/, fired once even with two schedulers
// sharing the catalog; versions from before the trigger's first look do not fire; bad
// definitions name the file (pipeline), the line and the field. Commits are written as Delta
// log files (what any writer -- a run, a CDC batch, another process -- leaves behind).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "orchestrator/service/pipeline_file.h"
#include "orchestrator/service/service.h"
#include "pipeline/pipeline_test_util.h"

namespace strata::orchestrator::service {
namespace {

using pipeline::testing::ScratchProject;

constexpr const char* kOnPedidos = R"(description: reacts to commits
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

class TableTriggerTest : public ::testing::Test {
 protected:
  void SetUp() override { project_.Write("strata.yaml", "name: t\n"); }

  std::unique_ptr<OrchestratorService> Open() {
    ServiceOptions options;
    options.project_dir = project_.path();
    auto service = OrchestratorService::Open(options);
    EXPECT_TRUE(service.ok()) << service.status();
    return service.ok() ? std::move(*service) : nullptr;
  }

  // Writes commit `version` of lake table layer/name, as a Delta writer would.
  void Commit(const std::string& table_dir, int64_t version, const std::string& operation,
              int64_t millis = 1700000000000) {
    std::string text = R"({"commitInfo":{"timestamp":)" + std::to_string(millis + version) +
                       R"(,"operation":")" + operation + "\"}}\n";
    if (version == 0) {
      text += R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})"
              "\n"
              R"({"metaData":{"id":"t","format":{"provider":"parquet","options":{}},)"
              R"("schemaString":"{\"type\":\"struct\",\"fields\":[]}","partitionColumns":[],)"
              R"("configuration":{},"createdTime":1700000000000}})"
              "\n";
    }
    char file[32];  // the Delta protocol's commit file name: the version in 20 digits
    std::snprintf(file, sizeof(file), "%020lld.json", static_cast<long long>(version));
    project_.Write("lake/" + table_dir + "/_delta_log/" + file, text);
  }

  std::vector<RunSummary> Finished(OrchestratorService& service, std::vector<std::string> ids) {
    std::vector<RunSummary> out;
    for (const std::string& id : ids) {
      auto done = service.WaitRun(id, 60'000'000);
      EXPECT_TRUE(done.ok()) << done.status();
      if (done.ok()) out.push_back(*done);
    }
    return out;
  }

  ScratchProject project_;
};

TEST_F(TableTriggerTest, EachNewVersionFiresOnceAcrossSchedulers) {
  project_.Write("pipelines/on_pedidos.yaml",
                 std::string("triggers:\n  - table: bronze.pedidos\n") + kOnPedidos);
  auto a = Open();
  auto b = Open();
  ASSERT_TRUE(a && b);
  // First look: the table does not exist yet; nothing fires.
  EXPECT_TRUE(a->SchedulerTick()->empty());
  Commit("bronze/pedidos", 0, "CREATE TABLE");
  auto first = a->SchedulerTick();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 1u);
  // The other scheduler, and the same one again, see nothing new.
  EXPECT_TRUE(b->SchedulerTick()->empty());
  EXPECT_TRUE(a->SchedulerTick()->empty());
  std::vector<RunSummary> runs = Finished(*a, *first);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].status, "SUCCEEDED") << runs[0].cause;
  EXPECT_EQ(runs[0].trigger, "table");
  EXPECT_EQ(runs[0].trigger_info, "bronze.pedidos@0");
  EXPECT_EQ(runs[0].input,
            (Json{{"table", "bronze.pedidos"}, {"version", 0}, {"operation", "CREATE TABLE"}}));
  EXPECT_EQ(runs[0].output, runs[0].input);  // the command saw it on stdin

  // Two more commits: one run each, in order, whichever scheduler looks first.
  Commit("bronze/pedidos", 1, "WRITE");
  Commit("bronze/pedidos", 2, "MERGE");
  auto next = b->SchedulerTick();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_TRUE(a->SchedulerTick()->empty());
  runs = Finished(*b, *next);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].input["version"], 1);
  EXPECT_EQ(runs[0].input["operation"], "WRITE");
  EXPECT_EQ(runs[1].input["version"], 2);
  EXPECT_EQ(runs[1].input["operation"], "MERGE");
  auto all = a->ListRuns({.pipeline = "on_pedidos"});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
}

TEST_F(TableTriggerTest, VersionsFromBeforeTheFirstLookDoNotFireAndBareNamesResolve) {
  for (int v = 0; v < 3; ++v) Commit("silver/pedidos_limpos", v, v == 0 ? "CREATE TABLE" : "WRITE");
  project_.Write("pipelines/on_limpos.yaml",
                 std::string("triggers:\n  - table: pedidos_limpos\n") + kOnPedidos);
  auto service = Open();
  ASSERT_TRUE(service);
  EXPECT_TRUE(service->SchedulerTick()->empty());  // history is not replayed
  Commit("silver/pedidos_limpos", 3, "WRITE");
  auto fired = service->SchedulerTick();
  ASSERT_TRUE(fired.ok()) << fired.status();
  std::vector<RunSummary> runs = Finished(*service, *fired);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].input["table"], "silver.pedidos_limpos");  // the lake's only such table
  EXPECT_EQ(runs[0].input["version"], 3);
  // Versions committed while no scheduler looked still fire, once each, after a restart.
  service.reset();
  Commit("silver/pedidos_limpos", 4, "WRITE");
  Commit("silver/pedidos_limpos", 5, "DELETE");
  service = Open();
  fired = service->SchedulerTick();
  ASSERT_TRUE(fired.ok()) << fired.status();
  runs = Finished(*service, *fired);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].input["version"], 4);
  EXPECT_EQ(runs[1].input["version"], 5);
  EXPECT_EQ(runs[1].input["operation"], "DELETE");
}

TEST_F(TableTriggerTest, ATableMadeAgainFiresItsNewVersions) {
  project_.Write("pipelines/on_pedidos.yaml",
                 std::string("triggers:\n  - table: bronze.pedidos\n") + kOnPedidos);
  auto service = Open();
  ASSERT_TRUE(service);
  EXPECT_TRUE(service->SchedulerTick()->empty());
  for (int v = 0; v < 3; ++v) Commit("bronze/pedidos", v, "WRITE");
  auto fired = service->SchedulerTick();
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(Finished(*service, *fired).size(), 3u);
  // Dropped and made again (a new log, later commit times): its version 0 is a new commit.
  std::filesystem::remove_all(project_.path() + "/lake/bronze/pedidos");
  Commit("bronze/pedidos", 0, "CREATE OR REPLACE TABLE", 1800000000000);
  fired = service->SchedulerTick();
  ASSERT_TRUE(fired.ok()) << fired.status();
  std::vector<RunSummary> runs = Finished(*service, *fired);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].input["version"], 0);
  EXPECT_EQ(runs[0].input["operation"], "CREATE OR REPLACE TABLE");
  EXPECT_TRUE(service->SchedulerTick()->empty());
}

TEST_F(TableTriggerTest, AnAmbiguousBareNameFiresNothing) {
  Commit("bronze/pedidos", 0, "CREATE TABLE");
  Commit("silver/pedidos", 0, "CREATE TABLE");
  project_.Write("pipelines/on_any.yaml",
                 std::string("triggers:\n  - table: pedidos\n") + kOnPedidos);
  auto service = Open();
  ASSERT_TRUE(service);
  EXPECT_TRUE(service->SchedulerTick()->empty());
  Commit("bronze/pedidos", 1, "WRITE");
  EXPECT_TRUE(service->SchedulerTick()->empty());
}

TEST_F(TableTriggerTest, DefinitionErrorsNameThePipelineAndTheField) {
  struct Case {
    std::string triggers, message;
  };
  const std::vector<Case> cases = {
      {"  - table: bronze.Pe-didos\n",
       "field 'triggers[0].table': table name 'bronze.Pe-didos': name 'pe-didos' contains '-'"},
      {"  - {table: bronze.pedidos, file: '*.csv'}\n", "field 'triggers[0].file': not allowed"},
      {"  - {table: 7}\n", "field 'triggers[0].table': expected a string"},
      {"  - file: '*.csv'\n  - {tabel: bronze.pedidos}\n",
       "field 'triggers[1]': a trigger is {file: PATTERN, source: NAME}"},
      {"  - table: a.b.c\n", "field 'triggers[0].table'"},
  };
  for (const Case& c : cases) {
    auto loaded =
        ParsePipeline("on_bad", "pipelines/on_bad.yaml", "triggers:\n" + c.triggers + kOnPedidos);
    ASSERT_FALSE(loaded.ok()) << c.triggers;
    const std::string& m = loaded.status().message();
    EXPECT_EQ(m.rfind("pipelines/on_bad.yaml:", 0), 0u) << m;
    EXPECT_NE(m.find(c.message), std::string::npos) << m << "\n  wanted: " << c.message;
  }
  auto good = ParsePipeline(
      "ok", "pipelines/ok.yaml",
      "triggers:\n  - table: Bronze.Pedidos\n  - table: pedidos\n" + std::string(kOnPedidos));
  ASSERT_TRUE(good.ok()) << good.status();
  ASSERT_EQ(good->info.table_triggers.size(), 2u);
  EXPECT_EQ(good->info.table_triggers[0].table, "Bronze.Pedidos");
}

}  // namespace
}  // namespace strata::orchestrator::service
