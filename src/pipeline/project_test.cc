#include "pipeline/project.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/pipeline_test_util.h"
#include "pipeline/scaffold.h"

namespace strata::pipeline {
namespace {

using ::testing::HasSubstr;
using testing::ScratchProject;

constexpr const char* kConfig = "name: demo\nstorage: lake\n";

constexpr const char* kSource = R"yaml(defaults:
  format: csv
  owner: time-ingestao
sources:
  - name: pedidos
    files: "pedidos*.csv"
    key: [pedido_id]
    columns:
      - {name: pedido_id, type: BIGINT}
      - {name: valor, type: "DECIMAL(12,2)"}
)yaml";

Status LoadError(const ScratchProject& project) {
  Result<Project> loaded = LoadProject(project.path());
  EXPECT_FALSE(loaded.ok());
  return loaded.ok() ? Status::OK() : loaded.status();
}

TEST(ProjectTest, LoadsSourcesWithDefaultsAndModelsWithMetadata) {
  ScratchProject p;
  p.Write("strata.yaml", kConfig);
  p.Write("sources/s.yaml", kSource);
  p.Write("models/silver/limpo.sql", "SELECT * FROM bronze.pedidos");
  p.Write("models/silver/limpo.yaml",
          "owner: eng\ntags: [Core]\nmaterialized: merge\nkey: [pedido_id]\ntests:\n"
          "  - {name: positivo, expect: valor > 0, action: quarantine}\n");
  Result<Project> project = LoadProject(p.path());
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  ASSERT_EQ(project->sources.size(), 1u);
  const ingest::FileSourceSpec& spec = project->sources[0].spec;
  EXPECT_EQ(spec.table.ToString(), "bronze.pedidos");
  EXPECT_EQ(spec.owner, "time-ingestao");  // from defaults
  EXPECT_EQ(spec.columns.at(1).type, "DECIMAL(12,2)");
  ASSERT_EQ(project->models.size(), 1u);
  const ModelSpec& model = project->models[0];
  EXPECT_EQ(model.table.ToString(), "silver.limpo");
  EXPECT_EQ(model.materialized, Materialization::kMerge);
  EXPECT_EQ(model.owner, "eng");
  ASSERT_EQ(model.tests.size(), 1u);
  EXPECT_EQ(model.tests[0].kind, TestKind::kExpect);
  EXPECT_EQ(model.tests[0].action, TestAction::kQuarantine);
  EXPECT_EQ(model.tests[0].where.ToString(), "models/silver/limpo.yaml:6:5");
}

TEST(ProjectTest, UnknownKeyNamesFileLineFieldAndSuggestion) {
  ScratchProject p;
  p.Write("strata.yaml", kConfig);
  p.Write("models/silver/x.sql", "SELECT 1 AS a");
  p.Write("models/silver/x.yaml", "owner: eng\ndescripton: typo\n");
  Status error = LoadError(p);
  EXPECT_THAT(error.message(), HasSubstr("models/silver/x.yaml:2:1: descripton: unknown field"));
  EXPECT_THAT(error.message(), HasSubstr("did you mean 'description'"));
}

TEST(ProjectTest, BadActionNamesTheNestedField) {
  ScratchProject p;
  p.Write("strata.yaml", kConfig);
  p.Write("models/gold/x.sql", "SELECT 1 AS a");
  p.Write("models/gold/x.yaml",
          "tests:\n  - name: a\n    not_null: a\n  - name: b\n    not_null: a\n"
          "    action: quarentine\n");
  EXPECT_THAT(LoadError(p).message(),
              HasSubstr("models/gold/x.yaml:6:13: tests[1].action: expected one of warn, fail or "
                        "quarantine, got 'quarentine'"));
}

TEST(ProjectTest, QuarantineOnlyForRowLevelTests) {
  ScratchProject p;
  p.Write("strata.yaml", kConfig);
  p.Write("models/gold/x.sql", "SELECT 1 AS a");
  p.Write("models/gold/x.yaml", "tests:\n  - {unique: [a], action: quarantine}\n");
  EXPECT_THAT(LoadError(p).message(), HasSubstr("quarantine needs a row-level test"));
}

TEST(ProjectTest, TestNeedsExactlyOneKind) {
  ScratchProject p;
  p.Write("strata.yaml", kConfig);
  p.Write("models/gold/x.sql", "SELECT 1 AS a");
  p.Write("models/gold/x.yaml", "tests:\n  - {name: t, not_null: a, unique: a}\n");
  EXPECT_THAT(LoadError(p).message(), HasSubstr("a test has one kind"));
  p.Write("models/gold/x.yaml", "tests:\n  - {name: t, action: warn}\n");
  EXPECT_THAT(LoadError(p).message(), HasSubstr("models/gold/x.yaml:2:5: tests[0]: a test needs"));
}

TEST(ProjectTest, SourceErrorsNameTheirPlace) {
  ScratchProject p;
  p.Write("strata.yaml", kConfig);
  p.Write("sources/s.yaml",
          "sources:\n  - name: pedidos\n    files: x.csv\n    columns:\n"
          "      - {name: a}\n");
  EXPECT_THAT(LoadError(p).message(),
              HasSubstr("sources/s.yaml:5:9: sources[0].columns[0]: missing field 'type'"));
  p.Write("sources/s.yaml", "defaults: {format: xml}\nsources:\n  - {name: a, files: a.csv}\n");
  EXPECT_THAT(LoadError(p).message(), HasSubstr("defaults.format: expected one of csv, jsonl or "
                                                "parquet, got 'xml'"));
}

TEST(ProjectTest, InvalidYamlNamesLine) {
  ScratchProject p;
  p.Write("strata.yaml", "name: [unclosed\n");
  EXPECT_THAT(LoadError(p).message(), HasSubstr("strata.yaml:"));
  EXPECT_THAT(LoadError(p).message(), HasSubstr("invalid YAML"));
}

// A few hundred bytes of anchors and aliases stand for billions of nodes: refused, naming the file.
TEST(ProjectTest, YamlAliasBombIsRefusedNamingTheFile) {
  std::string bomb = "defaults: {owner: x}\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n";
  for (int level = 1; level <= 9; ++level) {
    bomb += "x" + std::to_string(level) + ": &x" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) bomb += (i ? "," : "") + ("*x" + std::to_string(level - 1));
    bomb += "]\n";
  }
  ScratchProject p;
  p.Write("strata.yaml", kConfig);
  p.Write("sources/bomb.yaml", bomb);
  EXPECT_THAT(LoadError(p).message(), HasSubstr("sources/bomb.yaml: YAML document too large"));
  p.Write("sources/bomb.yaml", "");
  p.Write("models/silver/m.sql", "/*---\ntags: &t [a, *t]\n---*/\nSELECT 1");
  EXPECT_THAT(LoadError(p).message(), HasSubstr("models/silver/m.sql:"));
  EXPECT_THAT(LoadError(p).message(), HasSubstr("YAML nested deeper than 256"));
}

TEST(ProjectTest, HeaderMetadataInSqlComment) {
  ScratchProject p;
  p.Write("strata.yaml", kConfig);
  p.Write("models/gold/x.sql",
          "/*---\nowner: fin\ntests:\n  - {name: t, not_null: a, action: warn}\n---*/\n"
          "SELECT 1 AS a\n");
  Result<Project> project = LoadProject(p.path());
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  EXPECT_EQ(project->models.at(0).owner, "fin");
  EXPECT_EQ(project->models.at(0).tests.at(0).where.ToString(), "models/gold/x.sql:4:5");
  EXPECT_THAT(project->models.at(0).sql, HasSubstr("SELECT 1 AS a"));
  EXPECT_EQ(project->models.at(0).sql.find("owner"), std::string::npos);
  // Header errors point into the .sql with its own line numbers.
  p.Write("models/gold/x.sql", "/*---\nowner: fin\nownr: x\n---*/\nSELECT 1 AS a\n");
  EXPECT_THAT(LoadError(p).message(), HasSubstr("models/gold/x.sql:3:1: ownr: unknown field"));
  // Both a header and a .yaml: ambiguous.
  p.Write("models/gold/x.sql", "/*---\nowner: fin\n---*/\nSELECT 1 AS a\n");
  p.Write("models/gold/x.yaml", "owner: fin\n");
  EXPECT_THAT(LoadError(p).message(), HasSubstr("already holds this model's metadata"));
}

TEST(ProjectTest, DuplicateTablesAndOrphanMetadataAreErrors) {
  ScratchProject p;
  p.Write("strata.yaml", kConfig);
  p.Write("sources/s.yaml", kSource);
  p.Write("models/bronze/pedidos.sql", "SELECT 1 AS a");
  EXPECT_THAT(LoadError(p).message(), HasSubstr("bronze.pedidos is already defined at"));
  ScratchProject q;
  q.Write("strata.yaml", kConfig);
  q.Write("models/silver/y.yaml", "owner: x\n");
  EXPECT_THAT(LoadError(q).message(), HasSubstr("metadata without a model"));
}

TEST(ProjectTest, MergeNeedsKeyAndFreshnessParsesDurations) {
  ScratchProject p;
  p.Write("strata.yaml", kConfig);
  p.Write("models/silver/x.sql", "SELECT 1 AS a");
  p.Write("models/silver/x.yaml", "materialized: merge\n");
  EXPECT_THAT(LoadError(p).message(), HasSubstr("merge upserts on the model's key"));
  p.Write("models/silver/x.yaml",
          "tests:\n  - {freshness: {column: a, max_age: 36 hours}}\n"
          "  - {name: f2, freshness: {column: a, max_age: 2d}}\n");
  Result<Project> project = LoadProject(p.path());
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  EXPECT_EQ(project->models[0].tests[0].max_age_seconds, 36 * 3600);
  EXPECT_EQ(project->models[0].tests[0].name, "freshness_a");
  EXPECT_EQ(project->models[0].tests[1].max_age_seconds, 2 * 86400);
  p.Write("models/silver/x.yaml", "tests:\n  - {freshness: {column: a, max_age: soon}}\n");
  EXPECT_THAT(LoadError(p).message(), HasSubstr("tests[0].freshness.max_age"));
}

TEST(ProjectTest, ApplyChangesOptionsAndTheirErrors) {
  ScratchProject p;
  p.Write("strata.yaml", kConfig);
  p.Write("models/silver/clientes.sql",
          "/*---\nmaterialized: apply_changes\nkey: [id, region]\nhistory: scd2\n"
          "sequence_by: _lsn\nexcept_columns: [_op]\n---*/\nSELECT * FROM bronze.erp_clientes\n");
  Result<Project> project = LoadProject(p.path());
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  const ModelSpec& model = project->models.at(0);
  EXPECT_EQ(model.materialized, Materialization::kApplyChanges);
  EXPECT_EQ(model.key, (std::vector<std::string>{"id", "region"}));
  EXPECT_EQ(model.apply.history, ApplyChangesSpec::History::kScd2);
  EXPECT_EQ(model.apply.sequence_by, "_lsn");
  EXPECT_EQ(model.apply.except_columns, std::vector<std::string>{"_op"});
  EXPECT_EQ(model.apply.key_where.ToString(), "models/silver/clientes.sql:3:6");
  // Defaults.
  p.Write("models/silver/clientes.sql",
          "/*---\nmaterialized: apply_changes\nkey: id\n---*/\nSELECT * FROM bronze.c\n");
  project = LoadProject(p.path());
  ASSERT_TRUE(project.ok()) << project.status().ToString();
  EXPECT_EQ(project->models.at(0).apply.sequence_by, "_position");
  EXPECT_EQ(project->models.at(0).apply.history, ApplyChangesSpec::History::kScd1);
  EXPECT_FALSE(project->models.at(0).apply.except_columns.has_value());
  // Errors name the file, the line and the field.
  auto error = [&](const std::string& header) {
    p.Write("models/silver/clientes.sql", "/*---\n" + header + "---*/\nSELECT * FROM bronze.c\n");
    return LoadError(p).message();
  };
  EXPECT_THAT(error("materialized: apply_changes\n"),
              HasSubstr("models/silver/clientes.sql:2:15: materialized: apply_changes mirrors a "
                        "table by its key: add 'key: [column, ...]'"));
  EXPECT_THAT(error("materialized: apply_changes\nkey: id\nhistory: scd3\n"),
              HasSubstr("models/silver/clientes.sql:4:10: history: expected one of scd1 or scd2, "
                        "got 'scd3'"));
  EXPECT_THAT(error("materialized: merge\nkey: id\nhistory: scd2\n"),
              HasSubstr("clientes.sql:4:10: history: only a model with 'materialized: "
                        "apply_changes' takes 'history'"));
  EXPECT_THAT(error("materialized: apply_changes\nkey: id\nexcept_columns: [ID]\n"),
              HasSubstr("except_columns: key column 'id' cannot be dropped"));
  EXPECT_THAT(error("materialized: apply_changes\nkey: id\ntests:\n"
                    "  - {not_null: id, action: quarantine}\n"),
              HasSubstr("use warn or fail, not quarantine"));
  EXPECT_THAT(error("materialized: apply_changes\nkey: id\nsequense_by: x\n"),
              HasSubstr("did you mean 'sequence_by'"));
}

TEST(ProjectTest, NotAProject) {
  ScratchProject p;
  Result<Project> loaded = LoadProject(p.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_TRUE(loaded.status().IsNotFound());
  EXPECT_THAT(loaded.status().message(), HasSubstr("strata init"));
}

TEST(ProjectTest, InitTemplateAndImportAuExampleLoad) {
  ScratchProject p;
  ASSERT_TRUE(WriteProjectFiles(p.path() + "/init", InitProjectFiles(), true).ok());
  Result<Project> init = LoadProject(p.path() + "/init");
  ASSERT_TRUE(init.ok()) << init.status().ToString();
  EXPECT_EQ(WriteProjectFiles(p.path() + "/init", InitProjectFiles(), true).code(),
            StatusCode::kAlreadyExists);

  ASSERT_TRUE(WriteProjectFiles(p.path() + "/importau", ImportAuProjectFiles(), false).ok());
  Result<Project> importau = LoadProject(p.path() + "/importau");
  ASSERT_TRUE(importau.ok()) << importau.status().ToString();
  EXPECT_EQ(importau->sources.size(), 7u);
  ASSERT_EQ(importau->models.size(), 3u);
  EXPECT_EQ(importau->models[0].table.ToString(), "gold.agregado_fluxo_de_caixa_mensal");
  EXPECT_EQ(importau->models[0].owner, "time-financas");
  EXPECT_EQ(importau->models[1].owner, "time-ciencia-dados");
  EXPECT_EQ(importau->models[2].owner, "time-engenharia");
  const SourceSpec* cambio = importau->FindSource({"bronze", "cambio"});
  ASSERT_NE(cambio, nullptr);
  EXPECT_EQ(cambio->spec.tags, std::vector<std::string>{"Market Data"});
  EXPECT_EQ(cambio->spec.owner, "time-ingestao");
}

}  // namespace
}  // namespace strata::pipeline
