// The catalog API, run against both stores: SQLite and a real PostgreSQL server.
#include "catalog/catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "catalog/catalog_test_util.h"

namespace strata::catalog {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

using TempDir = testing::TempDir;

std::string Backend(const ::testing::TestParamInfo<Dialect>& info) {
  return info.param == Dialect::kSqlite ? "Sqlite" : "Postgres";
}

class CatalogTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    location_ = GetParam() == Dialect::kSqlite ? dir_.path() + "/.strata/catalog.db"
                                               : testing::FreshPostgresUrl();
    ASSERT_FALSE(location_.empty());
    auto opened = Catalog::Open(location_);
    ASSERT_TRUE(opened.ok()) << opened.status();
    catalog_ = std::move(*opened);
    ASSERT_EQ(catalog_->store().dialect(), GetParam());
  }

  // A small ImportAu: bronze pedidos and cambio, the silver fact and the two gold tables.
  void LoadImportAu() {
    TableMetadata pedidos{.name = "bronze.pedidos",
                          .description = "Pedidos de compra aos fornecedores.",
                          .owner = "time-ingestao",
                          .tags = {"Core Domain"},
                          .columns = {{"pedido_id", "BIGINT", "Identificador do pedido.", {}, ""},
                                      {"moeda", "VARCHAR", "Moeda do pedido.", {}, ""}},
                          .version = 1,
                          .row_count = 100};
    ASSERT_TRUE(catalog_->UpsertTable(pedidos).ok());
    TableMetadata clientes{.name = "bronze.clientes",
                           .owner = "time-ingestao",
                           .columns = {{"cliente_id", "BIGINT", "", {}, ""},
                                       {"cpf_responsavel", "VARCHAR", "CPF.", {}, "CPF"}}};
    ASSERT_TRUE(catalog_->UpsertTable(clientes).ok());
    TableMetadata cambio{
        .name = "bronze.cambio",
        .description = "Taxas de câmbio diárias.",
        .owner = "time-ingestao",
        .tags = {"Market Data"},
        .columns = {{"moeda", "VARCHAR", "", {}, ""}, {"taxa_brl", "DECIMAL(10,4)", "", {}, ""}}};
    ASSERT_TRUE(catalog_->UpsertTable(cambio).ok());
    TableMetadata fato{.name = "silver.fato_pedido_correlacionado",
                       .description = "Fato de itens de pedido correlacionados.",
                       .owner = "time-engenharia",
                       .tags = {"Core Domain"},
                       .columns = {{"pedido_id", "BIGINT", "", {}, ""},
                                   {"valor_moeda", "DECIMAL(38,2)", "", {}, ""},
                                   {"taxa_brl", "DECIMAL(10,4)", "", {}, ""}}};
    ASSERT_TRUE(catalog_->UpsertTable(fato).ok());
    TableMetadata fluxo{
        .name = "gold.agregado_fluxo_de_caixa_mensal",
        .description = "Agregado do fluxo de caixa mensal por moeda (Risco Cambial).",
        .owner = "time-financas",
        .tags = {"BI"},
        .glossary = {"Fluxo de Caixa", "Risco Cambial", "Variação Cambial"},
        .columns = {{"mes", "DATE", "Primeiro dia do mês.", {}, ""},
                    {"saida_prevista_brl", "DECIMAL(38,6)", "", {}, ""}}};
    ASSERT_TRUE(catalog_->UpsertTable(fluxo).ok());
    TableMetadata features{
        .name = "gold.features_risco_cambial",
        .description = "Features mensais para o modelo de Forecast de exposição cambial.",
        .owner = "time-ciencia-dados",
        .tags = {"ML"},
        .glossary = {"Forecast", "Risco Cambial"},
        .columns = {{"mes", "DATE", "", {}, ""}, {"volume_brl", "DECIMAL(38,6)", "", {}, ""}}};
    ASSERT_TRUE(catalog_->UpsertTable(features).ok());
  }

  TempDir dir_;
  std::string location_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_P(CatalogTest, MigrationsRunOnceAndInOrder) {
  auto rows =
      catalog_->store().Query("SELECT version, name FROM schema_migrations ORDER BY version");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), static_cast<size_t>(LatestSchemaVersion()));
  EXPECT_EQ((*rows)[0].Int(0), 1);
  // Reopening migrates nothing and keeps the data.
  LoadImportAu();
  catalog_.reset();
  auto again = Catalog::Open(location_);
  ASSERT_TRUE(again.ok()) << again.status();
  auto count = (*again)->store().Query("SELECT count(*) FROM schema_migrations");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ((*count)[0].Int(0), LatestSchemaVersion());
  EXPECT_TRUE((*again)->GetAsset("bronze.pedidos").ok());
}

TEST_P(CatalogTest, RefusesASchemaFromANewerStrata) {
  ASSERT_TRUE(
      catalog_->store().Execute("INSERT INTO schema_migrations VALUES (999, 'future', 'x')").ok());
  auto reopened = Catalog::Open(location_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(reopened.status().message(), HasSubstr("upgrade strata"));
}

TEST_P(CatalogTest, TableMetadataColumnsAndLabels) {
  LoadImportAu();
  auto fluxo = catalog_->GetAsset("gold.agregado_fluxo_de_caixa_mensal");
  ASSERT_TRUE(fluxo.ok()) << fluxo.status();
  EXPECT_EQ(fluxo->kind, "table");
  EXPECT_EQ(fluxo->layer, "gold");
  EXPECT_EQ(fluxo->owner, "time-financas");
  EXPECT_EQ(fluxo->format, "delta");
  EXPECT_THAT(fluxo->tags, ElementsAre("BI"));
  EXPECT_THAT(fluxo->glossary, ElementsAre("Fluxo de Caixa", "Risco Cambial", "Variação Cambial"));
  auto columns = catalog_->Columns("gold.agregado_fluxo_de_caixa_mensal");
  ASSERT_TRUE(columns.ok());
  ASSERT_EQ(columns->size(), 2u);
  EXPECT_EQ((*columns)[0].name, "mes");
  EXPECT_EQ((*columns)[0].type, "DATE");
  EXPECT_EQ((*columns)[0].description, "Primeiro dia do mês.");
  auto cpf = catalog_->Classifications("bronze.clientes.cpf_responsavel");
  ASSERT_TRUE(cpf.ok());
  ASSERT_EQ(cpf->size(), 1u);
  EXPECT_EQ((*cpf)[0].class_name, "CPF");
  EXPECT_EQ((*cpf)[0].status, "confirmed");
  EXPECT_EQ((*cpf)[0].method, "declared");
  auto missing = catalog_->GetAsset("agregado_fluxo_de_caixa_mensal");
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("did you mean gold.agregado_fluxo_de_caixa_mensal"));
}

TEST_P(CatalogTest, SchemaHistoryRecordsChangesPerVersion) {
  TableMetadata t{.name = "bronze.x",
                  .columns = {{"a", "INTEGER", "", {}, ""}, {"b", "VARCHAR", "", {}, ""}},
                  .version = 0};
  auto first = catalog_->UpsertTable(t);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->changes, "created");
  t.version = 1;  // same schema: no new history entry
  ASSERT_TRUE(catalog_->UpsertTable(t).ok());
  t.version = 2;
  t.columns = {{"a", "BIGINT", "", {}, ""}, {"c", "DATE", "", {}, ""}};
  auto changed = catalog_->UpsertTable(t);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(changed->schema_changed);
  EXPECT_EQ(changed->changes, "a: INTEGER -> BIGINT; added c DATE; dropped b");
  auto history = catalog_->SchemaHistory("bronze.x");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 0);
  EXPECT_EQ((*history)[1].version, 2);
  auto columns = catalog_->Columns("bronze.x");
  ASSERT_TRUE(columns.ok());
  ASSERT_EQ(columns->size(), 2u);  // b is gone from the live schema
  EXPECT_EQ((*columns)[1].name, "c");
  EXPECT_TRUE(catalog_->GetAsset("bronze.x.b").status().IsNotFound());
}

TEST_P(CatalogTest, UserEditsWinOverProjectSync) {
  LoadImportAu();
  ASSERT_TRUE(catalog_->SetOwner("bronze.pedidos", "maria").ok());
  ASSERT_TRUE(catalog_->SetDescription("bronze.pedidos.moeda", "ISO-4217, três letras.").ok());
  ASSERT_TRUE(catalog_->AddLabel("bronze.pedidos", "tag", "Faturamento").ok());
  ASSERT_TRUE(catalog_->RemoveLabel("bronze.pedidos", "tag", "Core Domain").ok());
  LoadImportAu();  // the next run syncs the project again
  auto pedidos = catalog_->GetAsset("bronze.pedidos");
  ASSERT_TRUE(pedidos.ok());
  EXPECT_EQ(pedidos->owner, "maria");
  EXPECT_EQ(pedidos->owner_source, "user");
  EXPECT_THAT(pedidos->tags, ElementsAre("Faturamento"));
  auto moeda = catalog_->GetAsset("bronze.pedidos.moeda");
  ASSERT_TRUE(moeda.ok());
  EXPECT_EQ(moeda->description, "ISO-4217, três letras.");
  // A crawler never overwrites the project.
  TableMetadata crawled{.name = "bronze.cambio",
                        .description = "inferred",
                        .owner = "nobody",
                        .source = MetadataSource::kCrawler};
  ASSERT_TRUE(catalog_->UpsertTable(crawled).ok());
  EXPECT_EQ(catalog_->GetAsset("bronze.cambio")->owner, "time-ingestao");
  EXPECT_TRUE(catalog_->SetOwner("bronze.nada", "x").IsNotFound());
  EXPECT_TRUE(catalog_->RemoveLabel("bronze.cambio", "tag", "Nope").IsNotFound());
}

TEST_P(CatalogTest, SearchIsAccentAndCaseInsensitive) {
  LoadImportAu();
  PipelineMetadata pipeline{
      "importau",
      "Pipeline diário da ImportAu.",
      "time-engenharia",
      {},
      {{"silver", "Task", "Constrói o fato correlacionado.", "model:silver"}}};
  ASSERT_TRUE(catalog_->UpsertPipeline(pipeline).ok());
  auto top = [&](const std::string& q) -> std::string {
    auto hits = catalog_->Search(q, 5);
    EXPECT_TRUE(hits.ok()) << hits.status();
    return hits.ok() && !hits->empty() ? (*hits)[0].name : "";
  };
  EXPECT_EQ(top("Forecast"), "gold.features_risco_cambial");
  EXPECT_EQ(top("fluxo de caixa"), "gold.agregado_fluxo_de_caixa_mensal");
  EXPECT_EQ(top("CAMBIO"), "bronze.cambio");
  EXPECT_EQ(top("câmbio diárias"), "bronze.cambio");
  EXPECT_EQ(top("time-ciencia-dados"), "gold.features_risco_cambial");
  EXPECT_EQ(top("constroi fato"), "pipeline:importau/silver");
  auto risco = catalog_->Search("risco cambial", 10);
  ASSERT_TRUE(risco.ok());
  std::vector<std::string> names;
  for (const SearchHit& h : *risco) names.push_back(h.name);
  EXPECT_THAT(names, Contains("gold.features_risco_cambial"));
  EXPECT_THAT(names, Contains("gold.agregado_fluxo_de_caixa_mensal"));
  // No hit for every term: any term will do.
  EXPECT_EQ(top("cambio zzzunknown"), "bronze.cambio");
  auto none = catalog_->Search("zzzunknown", 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // Edits show up in search; removed assets do not.
  ASSERT_TRUE(catalog_->AddLabel("bronze.pedidos", "glossary", "Exposição").ok());
  EXPECT_EQ(top("exposicao"), "bronze.pedidos");
  ASSERT_TRUE(catalog_->RemoveAsset("bronze.pedidos").ok());
  EXPECT_NE(top("exposicao"), "bronze.pedidos");
}

TEST_P(CatalogTest, LineageGraphTableAndColumnLevel) {
  LoadImportAu();
  LineageRecord landing{.job = "bronze.pedidos",
                        .kind = "landing",
                        .run_id = "r1",
                        .inputs = {"landing/pedidos.csv"},
                        .outputs = {"bronze.pedidos"},
                        .columns = {{"landing/pedidos.csv", "moeda", "bronze.pedidos", "moeda",
                                     "DIRECT", "IDENTITY"}}};
  ASSERT_TRUE(catalog_->RecordLineage(landing).ok());
  LineageRecord silver{
      .job = "silver.fato_pedido_correlacionado",
      .kind = "sql",
      .run_id = "r2",
      .inputs = {"bronze.pedidos", "bronze.cambio"},
      .outputs = {"silver.fato_pedido_correlacionado"},
      .output_version = 3,
      .columns = {{"bronze.cambio", "taxa_brl", "silver.fato_pedido_correlacionado", "taxa_brl",
                   "DIRECT", "TRANSFORMATION"},
                  {"bronze.pedidos", "moeda", "silver.fato_pedido_correlacionado", "taxa_brl",
                   "INDIRECT", "WINDOW"}}};
  ASSERT_TRUE(catalog_->RecordLineage(silver).ok());
  LineageRecord gold{.job = "gold.agregado_fluxo_de_caixa_mensal",
                     .kind = "sql",
                     .run_id = "r3",
                     .inputs = {"silver.fato_pedido_correlacionado"},
                     .outputs = {"gold.agregado_fluxo_de_caixa_mensal"},
                     .columns = {{"silver.fato_pedido_correlacionado", "taxa_brl",
                                  "gold.agregado_fluxo_de_caixa_mensal", "saida_prevista_brl",
                                  "DIRECT", "AGGREGATION"}}};
  ASSERT_TRUE(catalog_->RecordLineage(gold).ok());

  auto up =
      catalog_->Lineage("gold.agregado_fluxo_de_caixa_mensal", LineageDirection::kUpstream, 0);
  ASSERT_TRUE(up.ok()) << up.status();
  std::vector<std::string> nodes;
  for (const LineageNode& n : up->nodes) nodes.push_back(n.name + "@" + std::to_string(n.depth));
  EXPECT_THAT(nodes, ElementsAre("gold.agregado_fluxo_de_caixa_mensal@0",
                                 "silver.fato_pedido_correlacionado@1", "bronze.cambio@2",
                                 "bronze.pedidos@2", "landing/pedidos.csv@3"));
  auto limited =
      catalog_->Lineage("gold.agregado_fluxo_de_caixa_mensal", LineageDirection::kUpstream, 1);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->nodes.size(), 2u);
  auto column = catalog_->Lineage("gold.agregado_fluxo_de_caixa_mensal.saida_prevista_brl",
                                  LineageDirection::kUpstream, 0);
  ASSERT_TRUE(column.ok());
  nodes.clear();
  for (const LineageNode& n : column->nodes) nodes.push_back(n.name);
  EXPECT_THAT(nodes,
              ElementsAre("gold.agregado_fluxo_de_caixa_mensal.saida_prevista_brl",
                          "silver.fato_pedido_correlacionado.taxa_brl", "bronze.cambio.taxa_brl",
                          "bronze.pedidos.moeda", "landing/pedidos.csv.moeda"));
  auto down = catalog_->Lineage("bronze.cambio", LineageDirection::kDownstream, 0);
  ASSERT_TRUE(down.ok());
  ASSERT_EQ(down->edges.size(), 2u);
  EXPECT_EQ(down->edges[0].to, "silver.fato_pedido_correlacionado");
  EXPECT_EQ(down->edges[0].run_id, "r2");
  EXPECT_EQ(down->edges[0].to_version, 3);
  // A model's new SQL replaces its old edges.
  silver.inputs = {"bronze.pedidos"};
  silver.columns.clear();
  ASSERT_TRUE(catalog_->RecordLineage(silver).ok());
  down = catalog_->Lineage("bronze.cambio", LineageDirection::kDownstream, 0);
  ASSERT_TRUE(down.ok());
  EXPECT_TRUE(down->edges.empty());
  EXPECT_TRUE(catalog_->Lineage("gold.nada", LineageDirection::kBoth, 0).status().IsNotFound());
}

TEST_P(CatalogTest, RunsUpdateFreshnessAndState) {
  LoadImportAu();
  PipelineMetadata pipeline{"importau", "", "time-engenharia", {}, {{"gold", "Task", "", ""}}};
  ASSERT_TRUE(catalog_->UpsertPipeline(pipeline).ok());
  RunRecord run{"run-1",
                "pipeline:importau/gold",
                "importau",
                RunStatus::kSucceeded,
                "2024-05-01T10:00:00Z",
                "2024-05-01T10:05:00Z",
                42,
                "",
                {{"gold.features_risco_cambial", 7, 42}}};
  ASSERT_TRUE(catalog_->RecordRun(run).ok());
  auto table = catalog_->GetAsset("gold.features_risco_cambial");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->version, 7);
  EXPECT_EQ(table->row_count, 42);
  EXPECT_EQ(table->data_updated_at, "2024-05-01T10:05:00Z");
  EXPECT_EQ(catalog_->GetAsset("pipeline:importau")->state, "COMPLETE");
  RunRecord failed{"run-2",
                   "pipeline:importau/gold",
                   "importau",
                   RunStatus::kFailed,
                   "2024-05-02T10:00:00Z",
                   "2024-05-02T10:01:00Z",
                   std::nullopt,
                   "boom",
                   {{"gold.features_risco_cambial", 8, 0}}};
  ASSERT_TRUE(catalog_->RecordRun(failed).ok());
  EXPECT_EQ(catalog_->GetAsset("gold.features_risco_cambial")->version,
            7);  // a failure writes nothing
  EXPECT_EQ(catalog_->GetAsset("pipeline:importau/gold")->state, "FAIL");
  auto runs = catalog_->Runs("gold.features_risco_cambial");
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 2u);
  EXPECT_EQ((*runs)[0].run_id, "run-2");
  EXPECT_EQ((*runs)[0].error, "boom");
}

TEST_P(CatalogTest, ClassificationsConfirmRejectPropagate) {
  LoadImportAu();
  const std::string column = "bronze.pedidos.moeda";
  ASSERT_TRUE(catalog_
                  ->RecordClassifications(column, {{column, "EMAIL", "", 0.9, "values", "{}", ""},
                                                   {column, "PHONE", "", 0.6, "values", "{}", ""}})
                  .ok());
  ASSERT_TRUE(catalog_->RejectClassification(column, "PHONE").ok());
  ASSERT_TRUE(catalog_->ConfirmClassification(column, "EMAIL").ok());
  // New data arrives: PHONE is proposed again but stays rejected; EMAIL stays confirmed.
  ASSERT_TRUE(catalog_
                  ->RecordClassifications(column, {{column, "EMAIL", "", 0.95, "values", "{}", ""},
                                                   {column, "PHONE", "", 0.7, "values", "{}", ""}})
                  .ok());
  auto got = catalog_->Classifications(column);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].class_name, "EMAIL");
  EXPECT_EQ((*got)[0].status, "confirmed");
  EXPECT_DOUBLE_EQ((*got)[0].confidence, 0.95);
  EXPECT_EQ((*got)[1].status, "rejected");
  // A proposal withdrawn by the values disappears.
  ASSERT_TRUE(catalog_
                  ->RecordClassifications("bronze.cambio.moeda",
                                          {{"", "IP_ADDRESS", "", 0.8, "values", "{}", ""}})
                  .ok());
  ASSERT_TRUE(catalog_->RecordClassifications("bronze.cambio.moeda", {}).ok());
  EXPECT_TRUE(catalog_->Classifications("bronze.cambio.moeda")->empty());
  // Propagation along IDENTITY edges only, and never over a rejection.
  LineageRecord lineage{
      .job = "silver.x",
      .kind = "sql",
      .inputs = {"bronze.pedidos"},
      .outputs = {"silver.x"},
      .columns = {{"bronze.pedidos", "moeda", "silver.x", "moeda", "DIRECT", "IDENTITY"},
                  {"bronze.pedidos", "moeda", "silver.x", "moeda_len", "DIRECT", "TRANSFORMATION"},
                  {"silver.x", "moeda", "gold.y", "moeda", "DIRECT", "IDENTITY"}}};
  ASSERT_TRUE(catalog_->RecordLineage(lineage).ok());
  ASSERT_TRUE(catalog_->RejectClassification("gold.y.moeda", "EMAIL").ok());
  auto propagated = catalog_->PropagateClassifications();
  ASSERT_TRUE(propagated.ok()) << propagated.status();
  EXPECT_EQ(*propagated, 1);
  auto silver = catalog_->Classifications("silver.x.moeda");
  ASSERT_TRUE(silver.ok());
  ASSERT_EQ(silver->size(), 1u);
  EXPECT_EQ((*silver)[0].method, "lineage");
  EXPECT_EQ((*silver)[0].origin, column);
  EXPECT_TRUE(catalog_->Classifications("silver.x.moeda_len")->empty());
  EXPECT_EQ((*catalog_->Classifications("gold.y.moeda"))[0].status, "rejected");
}

INSTANTIATE_TEST_SUITE_P(Stores, CatalogTest,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgres), Backend);

}  // namespace
}  // namespace strata::catalog
