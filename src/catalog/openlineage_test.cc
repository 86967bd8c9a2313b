// OpenLineage events: built from the catalog, written to a directory, validated against the
// spec's JSON Schemas with a draft 2020-12 validator (test/catalog/validate_openlineage.py).
#include "catalog/openlineage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "catalog/catalog_test_util.h"
#include "catalog/sync.h"

namespace strata::catalog {
namespace {

using ::testing::HasSubstr;

int Validate(const std::vector<std::string>& files, std::string* output) {
  std::string command = std::string("python3 ") + STRATA_SOURCE_DIR +
                        "/test/catalog/validate_openlineage.py " + STRATA_SHARED_DIR +
                        "/conformance/openlineage";
  for (const std::string& f : files) command += " " + f;
  command += " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[512];
  while (pipe && fgets(buffer, sizeof buffer, pipe)) *output += buffer;
  int status = pipe ? pclose(pipe) : -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

class OpenLineageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalog = Catalog::Open(dir_.path() + "/catalog.db");
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = std::move(*catalog);
    auto db = engine::Database::Open({});
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    conn_ = std::move(*db_->Connect());
    ASSERT_TRUE(
        conn_
            ->Execute(
                "CREATE SCHEMA bronze; CREATE SCHEMA silver; "
                "CREATE TABLE bronze.clientes AS SELECT * FROM (VALUES (1, 'Ana Silva', "
                "'52998224725', 'SP'), "
                "(2, 'Bruno Costa', '11144477735', 'RJ'), (3, 'Carla Lima', '39053344705', 'MG'), "
                "(4, 'Diego Alves', '86288366757', 'SP'), (5, 'Felipe Gomes', '71428793860', "
                "'BA'), "
                "(6, 'Rafael Melo', '28625587887', 'PR')) t(cliente_id, nome, cpf, uf); "
                "CREATE TABLE silver.clientes_uf AS SELECT cliente_id, cpf, upper(uf) AS uf FROM "
                "bronze.clientes")
            .ok());
  }

  testing::TempDir dir_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Connection> conn_;
};

TEST_F(OpenLineageTest, RunEventsValidateAgainstTheSpec) {
  std::string out_dir = dir_.path() + "/lineage";
  auto emitter = OpenLineageEmitter::Create({out_dir});
  ASSERT_TRUE(emitter.ok()) << emitter.status();

  // Ingestion of bronze.clientes from a landing file.
  RunSync bronze;
  bronze.run = {"run-bronze-1",
                "bronze.clientes",
                "importau",
                RunStatus::kSucceeded,
                "2024-05-01T10:00:00Z",
                "2024-05-01T10:00:05Z",
                6,
                "",
                {{"bronze.clientes", 0, 6}}};
  bronze.table = {.name = "bronze.clientes",
                  .description = "Clientes.",
                  .owner = "time-ingestao",
                  .tags = {"Cadastro"},
                  .columns = {{"cliente_id", "", "Identificador.", {}, ""},
                              {"nome", "", "", {}, "PERSON_NAME"},
                              {"cpf", "", "CPF.", {}, "CPF"},
                              {"uf", "", "", {}, ""}}};
  bronze.schema = {
      {"cliente_id", "INTEGER"}, {"nome", "VARCHAR"}, {"cpf", "VARCHAR"}, {"uf", "VARCHAR"}};
  bronze.landing_files = {"landing/clientes.csv"};
  bronze.relation_sql = "bronze.clientes";
  ASSERT_TRUE(StartRun(*catalog_, bronze.run, "", emitter->get()).ok());
  auto synced = SyncRun(*catalog_, *conn_, bronze, emitter->get());
  ASSERT_TRUE(synced.ok()) << synced.status();
  EXPECT_TRUE(synced->emit_status.ok()) << synced->emit_status;

  // A model run, with SQL lineage; then a failed run.
  RunSync silver;
  silver.run = {"3f1c2a9e-8d4b-4c6e-9a7b-2e5d1f0c3b4a",
                "silver.clientes_uf",
                "importau",
                RunStatus::kSucceeded,
                "2024-05-01T10:01:00Z",
                "2024-05-01T10:01:02Z",
                6,
                "",
                {{"silver.clientes_uf", 0, 6}}};
  silver.table = {
      .name = "silver.clientes_uf", .description = "Clientes por UF.", .owner = "time-engenharia"};
  silver.schema = {{"cliente_id", "INTEGER"}, {"cpf", "VARCHAR"}, {"uf", "VARCHAR"}};
  silver.sql = "SELECT cliente_id, cpf, upper(uf) AS uf FROM bronze.clientes";
  ASSERT_TRUE(StartRun(*catalog_, silver.run, silver.sql, emitter->get()).ok());
  synced = SyncRun(*catalog_, *conn_, silver, emitter->get());
  ASSERT_TRUE(synced.ok()) << synced.status();
  EXPECT_TRUE(synced->emit_status.ok()) << synced->emit_status;
  RunSync failed = silver;
  failed.run.run_id = "run-silver-2";
  failed.run.status = RunStatus::kFailed;
  failed.run.error = "Conversion Error: could not convert 'x' to INTEGER";
  synced = SyncRun(*catalog_, *conn_, failed, emitter->get());
  ASSERT_TRUE(synced.ok()) << synced.status();

  std::vector<std::string> files = Files(out_dir);
  ASSERT_EQ(files.size(), 5u);  // START + COMPLETE, START + COMPLETE, FAIL
  std::string output;
  EXPECT_EQ(Validate(files, &output), 0) << output;
  EXPECT_THAT(output, HasSubstr("5 events"));

  // The model's COMPLETE event carries sql, schema, ownership and column lineage.
  nlohmann::json complete;
  for (const std::string& f : files) {
    std::ifstream in(f);
    nlohmann::json e = nlohmann::json::parse(in);
    if (e["eventType"] == "COMPLETE" && e["job"]["name"] == "silver.clientes_uf") complete = e;
  }
  ASSERT_FALSE(complete.is_null());
  EXPECT_EQ(complete["run"]["runId"], "3f1c2a9e-8d4b-4c6e-9a7b-2e5d1f0c3b4a");
  EXPECT_EQ(complete["job"]["facets"]["sql"]["query"], silver.sql);
  const auto& output_ds = complete["outputs"][0];
  EXPECT_EQ(output_ds["facets"]["ownership"]["owners"][0]["name"], "time-engenharia");
  EXPECT_EQ(output_ds["facets"]["schema"]["fields"].size(), 3u);
  const auto& uf = output_ds["facets"]["columnLineage"]["fields"]["uf"]["inputFields"][0];
  EXPECT_EQ(uf["name"], "bronze.clientes");
  EXPECT_EQ(uf["field"], "uf");
  EXPECT_EQ(uf["transformations"][0]["subtype"], "TRANSFORMATION");
  EXPECT_EQ(output_ds["outputFacets"]["outputStatistics"]["rowCount"], 6);
  EXPECT_EQ(complete["inputs"][0]["name"], "bronze.clientes");

  // The catalog got the metadata, lineage and classes, and the CPF moved to silver.
  auto cpf = catalog_->Classifications("silver.clientes_uf.cpf");
  ASSERT_TRUE(cpf.ok());
  ASSERT_FALSE(cpf->empty());
  EXPECT_EQ((*cpf)[0].class_name, "CPF");
  auto graph = catalog_->Lineage("silver.clientes_uf.cpf", LineageDirection::kUpstream, 0);
  ASSERT_TRUE(graph.ok());
  ASSERT_EQ(graph->nodes.size(), 3u);
  EXPECT_EQ(graph->nodes[2].name, "landing/clientes.csv.cpf");
}

TEST_F(OpenLineageTest, InvalidEventsAreCaughtByTheValidator) {
  // The check must be able to fail: a run id that is not a UUID and a facet without _producer.
  nlohmann::json event =
      BuildRunEvent({.event_type = "COMPLETE", .run_id = "x", .job_name = "j"}, "strata");
  event["run"]["runId"] = "not-a-uuid";
  event["job"]["facets"]["sql"] = {{"query", "SELECT 1"}};
  std::string path = dir_.path() + "/bad.json";
  std::ofstream(path) << event.dump();
  std::string output;
  EXPECT_EQ(Validate({path}, &output), 1) << output;
  EXPECT_THAT(output, HasSubstr("_producer"));
}

TEST_F(OpenLineageTest, RunUuidIsStable) {
  EXPECT_EQ(RunUuid("run-1"), RunUuid("run-1"));
  EXPECT_NE(RunUuid("run-1"), RunUuid("run-2"));
  EXPECT_EQ(RunUuid("3f1c2a9e-8d4b-4c6e-9a7b-2e5d1f0c3b4a"),
            "3f1c2a9e-8d4b-4c6e-9a7b-2e5d1f0c3b4a");
  EXPECT_EQ(RunUuid("run-1")[14], '8');
}

// A table's run "<run id>/<table>" belongs to the run store's run "<run id>": its events name
// that run (the same id, as OpenLineage's UUID) in the parent facet, valid per the spec.
TEST_F(OpenLineageTest, TableRunsNameTheirRunAsParent) {
  RunRecord run;
  run.run_id = "20260101T000000Z-abc123/bronze.clientes";
  run.job = "bronze.clientes";
  run.pipeline = "importau";
  run.status = RunStatus::kSucceeded;
  auto event = BuildRunEventFromCatalog(*catalog_, run, "COMPLETE", LineageRecord{}, "");
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->parent_run_id, "20260101T000000Z-abc123");
  nlohmann::json json = BuildRunEvent(*event, "strata");
  EXPECT_EQ(json["run"]["facets"]["parent"]["run"]["runId"], RunUuid("20260101T000000Z-abc123"));
  EXPECT_EQ(json["run"]["facets"]["parent"]["job"]["name"], "importau");
  std::string path = dir_.path() + "/parent.json";
  std::ofstream(path) << json.dump();
  std::string output;
  EXPECT_EQ(Validate({path}, &output), 0) << output;
  run.run_id = "run-without-parent";
  event = BuildRunEventFromCatalog(*catalog_, run, "COMPLETE", LineageRecord{}, "");
  ASSERT_TRUE(event.ok());
  EXPECT_FALSE(BuildRunEvent(*event, "strata")["run"]["facets"].contains("parent"));
}

TEST_F(OpenLineageTest, HttpTargetReportsAnUnreachableEndpoint) {
  auto emitter = OpenLineageEmitter::Create({"http://127.0.0.1:1/api/v1/lineage", "strata", 2});
  ASSERT_TRUE(emitter.ok());
  Status status = (*emitter)->Emit(nlohmann::json::object());
  EXPECT_TRUE(status.IsIOError()) << status;
  EXPECT_THAT(status.message(), HasSubstr("127.0.0.1:1"));
}

}  // namespace
}  // namespace strata::catalog
