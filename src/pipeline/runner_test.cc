#include "pipeline/runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "lake/session.h"
#include "pipeline/pipeline_test_util.h"
#include "storage/delta/delta_table.h"

namespace strata::pipeline {
namespace {

using ::testing::HasSubstr;
using testing::ScratchProject;

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override { p_.Write("strata.yaml", "name: r\nengine: {threads: 2}\n"); }

  RunRecord Run(RunOptions options = {}) {
    Result<Project> project = LoadProject(p_.path());
    EXPECT_TRUE(project.ok()) << project.status().ToString();
    if (!project.ok()) return {};
    project_ = std::move(project).value();
    Result<RunRecord> record = RunProject(project_, options);
    EXPECT_TRUE(record.ok()) << record.status().ToString();
    return record.ok() ? std::move(record).value() : RunRecord{};
  }

  // Rows of `sql` over the lake, as "a|b" strings.
  std::vector<std::string> Query(const std::string& sql) {
    testing::Duck duck = testing::OpenDuck();
    Result<lake::Lake> lake = lake::Lake::Open(p_.path() + "/lake");
    EXPECT_TRUE(lake.ok()) << lake.status().ToString();
    lake::LakeSession session(*lake, *duck.conn);
    Result<lake::BoundQuery> bound = session.Bind(sql);
    EXPECT_TRUE(bound.ok()) << bound.status().ToString();
    auto rows =
        duck.conn->QueryRows("SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (" + bound->sql + ")");
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> out;
    for (const auto& row : *rows) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i) {
        line += (i ? "|" : "") + (std::holds_alternative<std::string>(row[i])
                                      ? std::get<std::string>(row[i])
                                      : std::string("NULL"));
      }
      out.push_back(line);
    }
    return out;
  }

  const NodeResult& Node(const RunRecord& record, const std::string& table) {
    for (const NodeResult& node : record.nodes) {
      if (node.table == table) return node;
    }
    static NodeResult none;
    ADD_FAILURE() << "no node " << table;
    return none;
  }

  ScratchProject p_;
  Project project_;
};

TEST_F(RunnerTest, TableIncrementalAndMergeMaterializations) {
  for (const char* kind : {"table", "incremental", "merge"}) {
    p_.Write(std::string("models/silver/") + kind + ".sql",
             "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS t(id, v)");
    p_.Write(std::string("models/silver/") + kind + ".yaml",
             std::string("materialized: ") + kind + "\nkey: [id]\n");
  }
  RunRecord first = Run();
  ASSERT_TRUE(first.ok());
  for (const char* kind : {"table", "incremental", "merge"}) {
    p_.Write(std::string("models/silver/") + kind + ".sql",
             "SELECT * FROM (VALUES (2, 'B'), (3, 'c')) AS t(id, v)");
  }
  RunRecord second = Run();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Node(second, "silver.table").rows_written, 2);
  EXPECT_EQ(Node(second, "silver.incremental").rows_written, 1);  // only id 3 is new
  EXPECT_EQ(Node(second, "silver.incremental").table_version, 1);
  EXPECT_THAT(Query("SELECT id, v FROM silver.table ORDER BY id"),
              ::testing::ElementsAre("2|B", "3|c"));
  EXPECT_THAT(Query("SELECT id, v FROM silver.incremental ORDER BY id"),
              ::testing::ElementsAre("1|a", "2|b", "3|c"));
  EXPECT_THAT(Query("SELECT id, v FROM silver.merge ORDER BY id"),
              ::testing::ElementsAre("1|a", "2|B", "3|c"));
}

// A CDC bronze table (as a database source writes it) mirrored by an apply_changes model whose
// SQL transforms the changes; the second run reads only the new bronze version.
TEST_F(RunnerTest, ApplyChangesMirrorsACdcBronzeTable) {
  auto store = storage::OpenObjectStore(p_.path() + "/lake");
  ASSERT_TRUE(store.ok());
  testing::Duck duck = testing::OpenDuck();
  delta::DeltaTable bronze(*store, "bronze/erp_clientes", *duck.conn);
  auto changes = [](const std::string& rows) {
    return "SELECT id::BIGINT AS id, nome, _op, _position, _source_ts::TIMESTAMP AS _source_ts, "
           "_tx::BIGINT AS _tx, _ingested_at::TIMESTAMP AS _ingested_at FROM (VALUES " +
           rows + ") AS v(id, nome, _op, _position, _source_ts, _tx, _ingested_at)";
  };
  ASSERT_TRUE(bronze
                  .Create({.as_select =
                               changes("(1, 'ana', 'r', 'b.1:10', '2024-01-01', 1, '2024-01-02'), "
                                       "(2, 'bia', 'r', 'b.1:10', '2024-01-01', 1, '2024-01-02')")})
                  .ok());
  p_.Write("models/silver/clientes.sql",
           "/*---\nmaterialized: apply_changes\nkey: [id]\n"
           "tests:\n  - {name: um_por_id, unique: [id], action: fail}\n---*/\n"
           "SELECT c.id, upper(c.nome) AS nome, c._op, c._position, c._source_ts\n"
           "FROM bronze.erp_clientes AS c\n");
  RunRecord first = Run();
  ASSERT_EQ(Node(first, "silver.clientes").status, NodeStatus::kSuccess)
      << Node(first, "silver.clientes").error;
  EXPECT_EQ(Node(first, "silver.clientes").materialized, "apply_changes");
  EXPECT_THAT(Query("SELECT * FROM silver.clientes ORDER BY id"),
              ::testing::ElementsAre("1|ANA|2024-01-01 00:00:00", "2|BIA|2024-01-01 00:00:00"));
  ASSERT_TRUE(bronze
                  .Append(changes("(1, 'ana maria', 'u', 'b.1:20', '2024-01-03', 2, '2024-01-04'), "
                                  "(2, 'bia', 'd', 'b.1:30', '2024-01-03', 3, '2024-01-04')"))
                  .ok());
  RunRecord second = Run();
  const NodeResult& node = Node(second, "silver.clientes");
  ASSERT_EQ(node.status, NodeStatus::kSuccess) << node.error;
  EXPECT_EQ(node.rows_written, 2);  // one update, one delete
  ASSERT_EQ(node.tests.size(), 1u);
  EXPECT_EQ(node.tests[0].status, TestStatus::kPass);
  EXPECT_THAT(Query("SELECT * FROM silver.clientes ORDER BY id"),
              ::testing::ElementsAre("1|ANA MARIA|2024-01-03 00:00:00"));
  // A key column the changes lack: the node fails naming the model file, line and field.
  p_.Write("models/silver/clientes.sql",
           "/*---\nmaterialized: apply_changes\nkey: [cliente_id]\n---*/\n"
           "SELECT * FROM bronze.erp_clientes\n");
  RunRecord bad = Run();
  EXPECT_EQ(Node(bad, "silver.clientes").status, NodeStatus::kFailed);
  EXPECT_THAT(Node(bad, "silver.clientes").error,
              ::testing::HasSubstr("models/silver/clientes.sql:3:6: key: column 'cliente_id' is "
                                   "not a column of the changes read from bronze.erp_clientes"));
}

TEST_F(RunnerTest, QuarantineTableFollowsTheModel) {
  p_.Write("models/silver/t.sql", "SELECT * FROM (VALUES (1, -1), (2, 5), (3, NULL)) AS t(id, q)");
  p_.Write("models/silver/t.yaml",
           "tests:\n"
           "  - {name: positivo, expect: q > 0, action: quarantine}\n"
           "  - {name: presente, not_null: q, action: quarantine}\n"
           "  - {name: conta, action: fail, sql: 'SELECT 1 FROM (SELECT (SELECT count(*) FROM "
           "silver.t) + (SELECT count(*) FROM silver.t__quarantine) AS n) WHERE n <> 3'}\n");
  RunRecord record = Run();
  ASSERT_TRUE(record.ok()) << Node(record, "silver.t").error;
  const NodeResult& node = Node(record, "silver.t");
  EXPECT_EQ(node.status, NodeStatus::kWarn);
  EXPECT_EQ(node.rows_written, 1);
  EXPECT_EQ(node.rows_quarantined, 2);
  EXPECT_THAT(Query("SELECT id, CAST(_rules AS VARCHAR), _run_id = '" + record.run_id +
                    "' FROM silver.t__quarantine ORDER BY id"),
              ::testing::ElementsAre("1|[positivo]|true", "3|[positivo, presente]|true"));
  // A second run replaces (not appends to) the quarantine of a table model.
  ASSERT_TRUE(Run().ok());
  EXPECT_EQ(Query("SELECT count(*) FROM silver.t__quarantine").at(0), "2");
  EXPECT_FALSE(std::filesystem::exists(p_.path() + "/.strata/runs"));  // the run store keeps runs
}

// RunOptions::files: a source loads exactly the files named (the SFTP landing zone's arrivals),
// read from where they are kept; without it the landing directory is listed.
TEST_F(RunnerTest, NamedFilesAreLoadedInsteadOfTheListing) {
  p_.Write("sources/s.yaml",
           "sources:\n  - {name: pedidos, files: 'p*.csv', columns: [{name: id, type: BIGINT}]}\n");
  p_.Write("landing/p1.csv", "id\n1\n");
  p_.Write("landing/acme/p2.csv", "id\n999\n");  // the partner's newer upload: not this one
  p_.Write("archive/object", "id\n2\n");
  RunOptions options;
  options.selection.names = {"bronze.pedidos"};
  options.files["pedidos"] = {{.name = "acme/p2.csv",
                               .matched_name = "p2.csv",
                               .content_path = p_.path() + "/archive/object"}};
  RunRecord named = Run(options);
  ASSERT_TRUE(named.ok()) << Node(named, "bronze.pedidos").error;
  const NodeResult& node = Node(named, "bronze.pedidos");
  ASSERT_EQ(node.files.size(), 1u);
  EXPECT_EQ(node.files[0].file, "acme/p2.csv");
  EXPECT_EQ(node.files[0].state, ingest::FileState::kLoaded) << node.files[0].reason;
  EXPECT_THAT(Query("SELECT id, _source_file FROM bronze.pedidos"),
              ::testing::ElementsAre("2|acme/p2.csv"));

  RunRecord listed = Run();  // p1.csv only: a pattern without '/' stays at the landing root
  ASSERT_TRUE(listed.ok()) << Node(listed, "bronze.pedidos").error;
  EXPECT_THAT(Query("SELECT id, _source_file FROM bronze.pedidos ORDER BY id"),
              ::testing::ElementsAre("1|p1.csv", "2|acme/p2.csv"));
}

TEST_F(RunnerTest, IndependentModelsRunInParallelAndFailuresSkipDownstreamOnly) {
  p_.Write("models/silver/a.sql", "SELECT range AS id FROM range(1000)");
  p_.Write("models/silver/b.sql", "SELECT range AS id FROM range(10)");
  p_.Write("models/silver/b.yaml", "tests:\n  - {name: poucos, row_count: {max: 5}}\n");
  p_.Write("models/gold/da.sql", "SELECT count(*) AS n FROM silver.a");
  p_.Write("models/gold/db.sql", "SELECT count(*) AS n FROM silver.b");
  p_.Write("models/gold/dd.sql", "SELECT * FROM gold.db");
  RunOptions options;
  options.workers = 3;
  int started = 0;
  options.progress = [&](const ProgressEvent& event) {
    started += event.kind == ProgressEvent::Kind::kStarted;
  };
  RunRecord record = Run(options);
  EXPECT_FALSE(record.ok());
  EXPECT_EQ(started, 3);  // a, b and da ran; db and dd never started
  EXPECT_EQ(Node(record, "silver.a").status, NodeStatus::kSuccess);
  EXPECT_EQ(Node(record, "gold.da").status, NodeStatus::kSuccess);
  EXPECT_EQ(Node(record, "silver.b").status, NodeStatus::kFailed);
  EXPECT_THAT(Node(record, "silver.b").error, HasSubstr("test 'poucos' failed"));
  EXPECT_EQ(Node(record, "gold.db").status, NodeStatus::kSkipped);
  EXPECT_EQ(Node(record, "gold.dd").status, NodeStatus::kSkipped);
  EXPECT_THAT(Node(record, "gold.dd").error, HasSubstr("upstream gold.db"));
  EXPECT_EQ(Query("SELECT n FROM gold.da").at(0), "1000");
  Result<lake::Lake> lake = lake::Lake::Open(p_.path() + "/lake");
  ASSERT_TRUE(lake.ok());
  EXPECT_FALSE(lake->ResolveName({"silver", "b"}).ok());  // nothing committed
}

TEST_F(RunnerTest, TestCommandJudgesCommittedTables) {
  p_.Write("models/silver/a.sql", "SELECT range AS id FROM range(3)");
  p_.Write("models/silver/a.yaml", "tests:\n  - {name: pequeno, range: {column: id, max: 5}}\n");
  RunOptions test_only;
  test_only.test_only = true;
  Result<Project> project = LoadProject(p_.path());
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  Result<RunRecord> before = RunProject(*project, test_only);
  EXPECT_EQ(before.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(before.status().message(), HasSubstr("run 'strata run' first"));
  ASSERT_TRUE(Run().ok());
  p_.Write("models/silver/a.yaml", "tests:\n  - {name: pequeno, range: {column: id, max: 1}}\n");
  RunRecord after = Run(test_only);
  EXPECT_FALSE(after.ok());
  EXPECT_EQ(Node(after, "silver.a").tests.at(0).failing_rows, 1);
  EXPECT_EQ(after.command, "test");
}

TEST_F(RunnerTest, RunIsRecordedInTheCatalogAndAsOpenLineageEvents) {
  p_.Write("strata.yaml", "name: r\nengine: {threads: 2}\nopenlineage: eventos\n");
  p_.Write("models/silver/a.sql", "SELECT range AS id, range * 2 AS dobro FROM range(3)");
  p_.Write("models/silver/a.yaml",
           "description: Tabela a.\nowner: time-a\ncolumns:\n  - {name: dobro, description: "
           "O dobro.}\n");
  p_.Write("models/gold/b.sql", "SELECT CAST(sum(dobro) AS BIGINT) AS total FROM silver.a");
  RunRecord record = Run();
  ASSERT_TRUE(record.ok()) << RunRecordJson(record);
  EXPECT_TRUE(record.catalog_synced) << record.catalog_error;

  Result<std::unique_ptr<catalog::Catalog>> catalog =
      catalog::Catalog::Open(p_.path() + "/.strata/catalog.db");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  Result<std::vector<catalog::SearchHit>> hits = (*catalog)->Search("time-a", 5);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ(hits->front().name, "silver.a");

  // START and COMPLETE per model; gold.b's COMPLETE carries the column lineage from silver.a.
  std::map<std::string, int> events;
  bool gold_column_lineage = false;
  nlohmann::json gold_complete;
  for (const auto& entry : std::filesystem::directory_iterator(p_.path() + "/eventos")) {
    std::ifstream in(entry.path());
    nlohmann::json event = nlohmann::json::parse(in);
    const std::string job = event["job"]["name"];
    ++events[job + ":" + event["eventType"].get<std::string>()];
    if (job == "gold.b" && event["eventType"] == "COMPLETE") {
      gold_complete = event;
      gold_column_lineage = event["outputs"][0]["facets"]["columnLineage"]["fields"]["total"]
                                 ["inputFields"][0]["field"] == "dobro";
    }
  }
  EXPECT_EQ(events["silver.a:START"], 1);
  EXPECT_EQ(events["silver.a:COMPLETE"], 1);
  EXPECT_EQ(events["gold.b:START"], 1);
  EXPECT_EQ(events["gold.b:COMPLETE"], 1);
  EXPECT_TRUE(gold_column_lineage) << gold_complete.dump(1);
}

// The catalog records each node while the run goes on, as soon as the node finishes: a node's
// catalog run ends when the node did, not when the run did. Failed and skipped nodes are recorded
// too (FAIL, ABORT).
TEST_F(RunnerTest, CatalogRecordsEachNodeWhenItFinishes) {
  p_.Write("models/silver/a.sql", "SELECT range AS id FROM range(10)");
  // Slow enough that silver.a's catalog run ends well before it.
  p_.Write(
      "models/silver/slow.sql",
      "SELECT count(*) AS n FROM range(30000000) r1, range(2) r2 WHERE r1.range % 7 = r2.range");
  p_.Write("models/silver/b.sql", "SELECT range AS id FROM range(10)");
  p_.Write("models/silver/b.yaml", "tests:\n  - {name: poucos, row_count: {max: 5}}\n");
  p_.Write("models/gold/db.sql", "SELECT count(*) AS n FROM silver.b");
  RunOptions options;
  options.workers = 3;  // a, slow and b start together
  RunRecord record = Run(options);
  EXPECT_TRUE(record.catalog_synced) << record.catalog_error;
  Result<std::unique_ptr<catalog::Catalog>> catalog =
      catalog::Catalog::Open(p_.path() + "/.strata/catalog.db");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  auto only_run = [&](const std::string& job) {
    Result<std::vector<catalog::RunInfo>> runs = (*catalog)->Runs(job);
    EXPECT_TRUE(runs.ok()) << runs.status().ToString();
    EXPECT_EQ(runs.ok() ? runs->size() : 0, 1u) << job;
    return runs.ok() && !runs->empty() ? runs->front() : catalog::RunInfo{};
  };
  catalog::RunInfo a = only_run("silver.a");
  catalog::RunInfo slow = only_run("silver.slow");
  EXPECT_EQ(a.status, "COMPLETE");
  EXPECT_EQ(slow.status, "COMPLETE");
  EXPECT_EQ(only_run("silver.b").status, "FAIL");
  EXPECT_EQ(only_run("gold.db").status, "ABORT");
  // ISO times of one format compare as text.
  EXPECT_LT(a.ended_at, slow.ended_at);
  EXPECT_LE(slow.ended_at, only_run("gold.db").ended_at);
}

TEST_F(RunnerTest, UnwritableOpenLineageTargetIsReportedNotFatal) {
  p_.Write("strata.yaml", "name: r\nopenlineage: strata.yaml/eventos\n");
  p_.Write("models/silver/a.sql", "SELECT 1 AS id");
  RunRecord record = Run();
  EXPECT_TRUE(record.ok());  // the data is committed whatever the catalog says
  EXPECT_FALSE(record.catalog_synced);
  EXPECT_THAT(record.catalog_error, HasSubstr("eventos"));
  EXPECT_EQ(Query("SELECT id FROM silver.a"), std::vector<std::string>{"1"});
}

// A model that would run for hours: a cross join of silver.a with a huge range (no sleeps; it
// computes until interrupted).
constexpr const char* kSlowModel =
    "SELECT CAST(sum(a.id * r.range) AS BIGINT) AS s FROM silver.a AS a, range(100000000000) "
    "AS r";

TEST_F(RunnerTest, CancelInterruptsTheRunningModelAndStartsNothingMore) {
  p_.Write("models/silver/a.sql", "SELECT range AS id FROM range(3)");
  p_.Write("models/gold/lento.sql", "SELECT 7 AS s");
  p_.Write("models/gold/depois.sql", "SELECT s FROM gold.lento");
  ASSERT_TRUE(Run().ok());  // version 0 of every table
  p_.Write("models/silver/a.sql", "SELECT range AS id FROM range(5)");
  p_.Write("models/gold/lento.sql", kSlowModel);

  auto token = std::make_shared<CancelToken>();
  RunOptions options;
  options.workers = 2;
  std::vector<std::string> started;
  options.progress = [&](const ProgressEvent& event) {
    if (event.kind != ProgressEvent::Kind::kStarted) return;
    started.push_back(event.table);
    if (event.table == "gold.lento") token->Cancel();  // as a user would, while it runs
  };
  options.cancel = token;
  RunRecord record = Run(options);
  EXPECT_TRUE(record.cancelled);
  EXPECT_FALSE(record.ok());
  EXPECT_THAT(started, ::testing::ElementsAre("silver.a", "gold.lento"));
  EXPECT_EQ(Node(record, "silver.a").status, NodeStatus::kSuccess);
  EXPECT_EQ(Node(record, "silver.a").table_version, 1);
  const NodeResult& slow = Node(record, "gold.lento");
  EXPECT_EQ(slow.status, NodeStatus::kSkipped);
  EXPECT_EQ(slow.error, "cancelled by user: interrupted while running, nothing committed");
  EXPECT_FALSE(slow.table_version);
  EXPECT_EQ(Node(record, "gold.depois").status, NodeStatus::kSkipped);
  EXPECT_EQ(Node(record, "gold.depois").error, "cancelled by user: not started");
  nlohmann::json json = nlohmann::json::parse(RunRecordJson(record));
  EXPECT_EQ(json["status"], "cancelled");
  EXPECT_FALSE(std::filesystem::exists(p_.path() + "/.strata/runs"));  // the run store keeps runs

  // silver.a's new version stays; gold.lento and gold.depois are still their first versions.
  EXPECT_EQ(Query("SELECT count(*) FROM silver.a").at(0), "5");
  EXPECT_EQ(Query("SELECT s FROM gold.lento"), std::vector<std::string>{"7"});
  EXPECT_EQ(Query("SELECT s FROM gold.depois"), std::vector<std::string>{"7"});
  Result<lake::Lake> lake = lake::Lake::Open(p_.path() + "/lake");
  ASSERT_TRUE(lake.ok());
  Result<lake::TableLocation> lento = lake->ResolveName({"gold", "lento"});
  ASSERT_TRUE(lento.ok()) << lento.status().ToString();
}

TEST_F(RunnerTest, RunCancelledBeforeItStartsCommitsNothing) {
  p_.Write("models/silver/a.sql", "SELECT range AS id FROM range(3)");
  p_.Write("models/gold/b.sql", "SELECT count(*) AS n FROM silver.a");
  auto token = std::make_shared<CancelToken>();
  token->Cancel();
  token->Cancel();  // idempotent
  RunOptions options;
  options.cancel = token;
  int started = 0;
  options.progress = [&](const ProgressEvent& event) {
    started += event.kind == ProgressEvent::Kind::kStarted;
  };
  RunRecord record = Run(options);
  EXPECT_TRUE(record.cancelled);
  EXPECT_EQ(started, 0);
  ASSERT_EQ(record.nodes.size(), 2u);
  for (const NodeResult& node : record.nodes) {
    EXPECT_EQ(node.status, NodeStatus::kSkipped) << node.table;
    EXPECT_EQ(node.error, "cancelled by user: not started") << node.table;
  }
  Result<lake::Lake> lake = lake::Lake::Open(p_.path() + "/lake");
  ASSERT_TRUE(lake.ok());
  EXPECT_FALSE(lake->ResolveName({"silver", "a"}).ok());
}

TEST_F(RunnerTest, TokenNeverCancelledOrCancelledAfterTheRunChangesNothing) {
  p_.Write("models/silver/a.sql", "SELECT range AS id FROM range(3)");
  auto token = std::make_shared<CancelToken>();
  RunOptions options;
  options.cancel = token;
  RunRecord record = Run(options);
  EXPECT_TRUE(record.ok());
  EXPECT_FALSE(record.cancelled);
  token->Cancel();  // too late: the run is over
  EXPECT_EQ(nlohmann::json::parse(RunRecordJson(record))["status"], "success");
  EXPECT_EQ(Query("SELECT count(*) FROM silver.a").at(0), "3");
}

}  // namespace
}  // namespace strata::pipeline
