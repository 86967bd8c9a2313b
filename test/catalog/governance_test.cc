// After `strata demo importau`, everything under "Governance the catalog must show" in
// ../shared/examples/importau/SPEC.md holds, read back through `strata catalog show|search` and
// `strata lineage` as a user would: one test per SPEC bullet (owners, business tags, PII,
// discovery, lineage), plus the issue's pipelines-and-states and run statistics. The demo runs
// once for the suite.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "test_util.h"

namespace strata::test {
namespace {

using nlohmann::json;

const std::vector<std::string> kBronze = {"clientes",     "fornecedores", "produtos",  "pedidos",
                                          "itens_pedido", "cambio",       "pagamentos"};
const char kFato[] = "silver.fato_pedido_correlacionado";
const char kFluxo[] = "gold.agregado_fluxo_de_caixa_mensal";
const char kFeatures[] = "gold.features_risco_cambial";

class GovernanceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    project_ = dir_->path() + "/importau";
    demo_ = RunStrata({"demo", "importau", "--dir", project_});
  }
  static void TearDownTestSuite() { dir_.reset(); }

  void SetUp() override { ASSERT_EQ(demo_.exit_code, 0) << demo_.out << demo_.err; }

  static json Json(std::vector<std::string> args) {
    args.push_back("--project");
    args.push_back(project_);
    args.push_back("--json");
    CommandResult r = RunStrata(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << " " << args[1] << ": " << r.err;
    if (r.exit_code != 0) return json::object();
    return json::parse(r.out);
  }
  static json Show(const std::string& name) { return Json({"catalog", "show", name}); }
  static json Search(const std::string& terms) { return Json({"catalog", "search", terms}); }

  // The column `name` of a shown table.
  static json Column(const json& table, const std::string& name) {
    for (const json& c : table.value("columns", json::array())) {
      if (c["name"] == name) return c;
    }
    ADD_FAILURE() << table.value("name", "?") << " has no column " << name;
    return json::object();
  }

  static std::unique_ptr<TempDir> dir_;
  static std::string project_;
  static CommandResult demo_;
};

std::unique_ptr<TempDir> GovernanceTest::dir_;
std::string GovernanceTest::project_;
CommandResult GovernanceTest::demo_;

// SPEC: Owners: bronze time-ingestao, silver time-engenharia, gold time-financas (fluxo) and
// time-ciencia-dados (features).
TEST_F(GovernanceTest, OwnersByLayerAndTable) {
  for (const std::string& table : kBronze) {
    EXPECT_EQ(Show("bronze." + table)["owner"], "time-ingestao") << table;
  }
  EXPECT_EQ(Show(kFato)["owner"], "time-engenharia");
  EXPECT_EQ(Show(kFluxo)["owner"], "time-financas");
  EXPECT_EQ(Show(kFeatures)["owner"], "time-ciencia-dados");
  // The layers themselves: one team owns all of bronze, one all of silver; gold is shared.
  json bronze = Show("bronze");
  EXPECT_EQ(bronze["kind"], "layer");
  EXPECT_EQ(bronze["owner"], "time-ingestao");
  EXPECT_EQ(Show("silver")["owner"], "time-engenharia");
  EXPECT_EQ(Show("gold")["owner"], "");
}

// SPEC: pedidos, itens_pedido and the silver fact carry Core Domain; cambio Market Data; gold
// tables BI and ML respectively.
TEST_F(GovernanceTest, BusinessTags) {
  auto tags = [](const std::string& name) {
    json t = Show(name)["tags"];
    return std::set<std::string>(t.begin(), t.end());
  };
  EXPECT_TRUE(tags("bronze.pedidos").contains("Core Domain"));
  EXPECT_TRUE(tags("bronze.itens_pedido").contains("Core Domain"));
  EXPECT_TRUE(tags(kFato).contains("Core Domain"));
  EXPECT_TRUE(tags("bronze.cambio").contains("Market Data"));
  EXPECT_FALSE(tags("bronze.cambio").contains("Core Domain"));
  EXPECT_TRUE(tags(kFluxo).contains("BI"));
  EXPECT_FALSE(tags(kFluxo).contains("ML"));
  EXPECT_TRUE(tags(kFeatures).contains("ML"));
  EXPECT_FALSE(tags(kFeatures).contains("BI"));
  // A tag is searchable: "Market Data" finds the exchange rates.
  json hits = Search("Market Data");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]["name"], "bronze.cambio") << hits.dump(1);
}

// SPEC: PII: clientes.cpf_responsavel (CPF), clientes.nome_responsavel (person name),
// clientes.email, clientes.telefone, fornecedores.email_contato; clientes.cnpj is a company tax
// id (CNPJ). Declared in the source contract, confirmed, and the sampled values agree.
TEST_F(GovernanceTest, PiiClassesConfirmedAndBackedByValues) {
  struct Expected {
    std::string table, column, class_name;
  };
  const std::vector<Expected> expected = {
      {"bronze.clientes", "cpf_responsavel", "CPF"},
      {"bronze.clientes", "nome_responsavel", "PERSON_NAME"},
      {"bronze.clientes", "email", "EMAIL"},
      {"bronze.clientes", "telefone", "PHONE"},
      {"bronze.fornecedores", "email_contato", "EMAIL"},
      {"bronze.clientes", "cnpj", "CNPJ"},
  };
  json clientes = Show("bronze.clientes"), fornecedores = Show("bronze.fornecedores");
  for (const Expected& e : expected) {
    SCOPED_TRACE(e.table + "." + e.column);
    json column = Column(e.table == "bronze.clientes" ? clientes : fornecedores, e.column);
    const json& classes = column["classifications"];
    auto it = std::find_if(classes.begin(), classes.end(),
                           [&](const json& k) { return k["class"] == e.class_name; });
    ASSERT_NE(it, classes.end()) << column.dump(1);
    EXPECT_EQ((*it)["status"], "confirmed");
    // The values were checked too: most sampled values match the class.
    ASSERT_TRUE((*it)["evidence"].is_object()) << it->dump();
    EXPECT_GT((*it)["evidence"].value("sampled", 0), 0) << it->dump();
    EXPECT_GE((*it)["evidence"].value("ratio", 0.0), 0.8) << it->dump();
    // Only that class is live on the column (a CPF is not also a phone).
    for (const json& k : classes) {
      if (k["class"] != e.class_name) {
        EXPECT_EQ(k["status"], "rejected") << k.dump();
      }
    }
  }
  // Columns that are not personal data carry no class.
  for (const char* column : {"cliente_id", "razao_social"}) {
    EXPECT_TRUE(Column(clientes, column)["pii"].empty()) << column;
  }
  // A single column can be shown on its own, with its classes.
  json cpf = Show("bronze.clientes.cpf_responsavel");
  ASSERT_FALSE(cpf["classifications"].empty()) << cpf.dump();
  EXPECT_EQ(cpf["classifications"][0]["class"], "CPF");
}

// SPEC: searching "Forecast" or "Risco Cambial" finds gold.features_risco_cambial; "fluxo de
// caixa" finds gold.agregado_fluxo_de_caixa_mensal. Accents and case do not matter.
TEST_F(GovernanceTest, DiscoveryBySearch) {
  auto first_table = [](const json& hits) {
    for (const json& h : hits) {
      if (h["kind"] == "table") return h["name"].get<std::string>();
    }
    return std::string();
  };
  // The table itself comes first, above the pipeline whose description and tags repeat its
  // words.
  for (const char* terms : {"Forecast", "Risco Cambial"}) {
    json hits = Search(terms);
    ASSERT_FALSE(hits.empty()) << terms;
    EXPECT_EQ(hits[0]["name"], kFeatures) << terms << "\n" << hits.dump(1);
  }
  json fluxo = Search("fluxo de caixa");
  ASSERT_FALSE(fluxo.empty());
  EXPECT_EQ(fluxo[0]["name"], kFluxo) << fluxo.dump(1);
  EXPECT_EQ(first_table(Search("Forecast")), kFeatures);
  EXPECT_EQ(first_table(Search("forecast")), kFeatures);
  json risco = Search("Risco Cambial");
  std::set<std::string> names;
  for (const json& h : risco) names.insert(h["name"]);
  EXPECT_TRUE(names.contains(kFeatures)) << risco.dump(1);
  EXPECT_EQ(first_table(Search("risco cambial")), first_table(risco));
  EXPECT_EQ(first_table(Search("fluxo de caixa")), kFluxo);
  EXPECT_EQ(first_table(Search("FLUXO DE CAIXA")), kFluxo);
  EXPECT_EQ(first_table(Search("câmbio diário")), first_table(Search("cambio diario")));
}

// SPEC: gold.agregado_fluxo_de_caixa_mensal traces to silver.fato_pedido_correlacionado and from
// it to the bronze tables and their landing files, table by table and column by column.
TEST_F(GovernanceTest, LineageTableByTableAndColumnByColumn) {
  json graph = Json({"lineage", kFluxo, "--upstream"});
  std::set<std::pair<std::string, std::string>> edges;
  for (const json& e : graph["edges"]) {
    edges.emplace(e["from"].get<std::string>(), e["to"].get<std::string>());
  }
  EXPECT_TRUE(edges.contains({kFato, kFluxo})) << graph.dump(1);
  // The silver fact reads the bronze tables; each bronze table comes from its landing file.
  for (const char* table :
       {"pedidos", "itens_pedido", "cambio", "clientes", "fornecedores", "produtos"}) {
    EXPECT_TRUE(edges.contains({std::string("bronze.") + table, kFato})) << table;
  }
  for (const std::string& table : kBronze) {
    std::string file = project_ + "/landing/" + table + ".csv";
    EXPECT_TRUE(edges.contains({file, "bronze." + table})) << file;
  }

  // Column by column: a gold measure back to the bronze columns and the landing file's columns.
  std::string measure = std::string(kFluxo) + ".saida_prevista_brl";
  json columns = Json({"lineage", measure, "--upstream"});
  std::set<std::string> nodes;
  for (const json& n : columns["nodes"]) nodes.insert(n["name"]);
  for (const std::string& column :
       {std::string(kFato) + ".valor_moeda", std::string(kFato) + ".taxa_brl",
        std::string("bronze.itens_pedido.preco_unitario"), std::string("bronze.cambio.taxa_brl"),
        project_ + "/landing/itens_pedido.csv.preco_unitario"}) {
    EXPECT_TRUE(nodes.contains(column)) << column << "\n" << columns.dump(1);
  }
  for (const json& e : columns["edges"]) EXPECT_EQ(e["level"], "column") << e.dump();
  // Downstream from a landing column reaches the gold measure.
  json down = Json({"lineage", "bronze.itens_pedido.preco_unitario", "--downstream"});
  std::set<std::string> reached;
  for (const json& n : down["nodes"]) reached.insert(n["name"]);
  EXPECT_TRUE(reached.contains(measure)) << down.dump(1);
}

// The issue: pipelines and their states are assets with descriptions and owners, right after the
// demo (which runs the project, not the orchestrator), and searchable.
TEST_F(GovernanceTest, PipelinesAndStatesWithDescriptionsAndOwners) {
  json pipeline = Show("pipeline:importau");
  EXPECT_EQ(pipeline["kind"], "pipeline");
  EXPECT_EQ(pipeline["owner"], "time-engenharia");
  EXPECT_NE(pipeline["description"].get<std::string>().find("ponta a ponta"), std::string::npos)
      << pipeline.dump(1);
  json state = Show("pipeline:importau/Silver");
  EXPECT_EQ(state["kind"], "task");
  EXPECT_EQ(state["owner"], "time-engenharia");
  EXPECT_NE(state["description"].get<std::string>().find("correlated fact"), std::string::npos)
      << state.dump(1);
  EXPECT_EQ(state["format"], "Task");  // the state type
  const std::vector<std::pair<std::string, std::string>> owners = {{"bronze", "time-ingestao"},
                                                                   {"gold", "time-financas"}};
  for (const auto& [name, owner] : owners) {
    json p = Show("pipeline:" + name);
    EXPECT_EQ(p["owner"], owner) << name;
    EXPECT_FALSE(p["description"].get<std::string>().empty()) << name;
  }
  json listed = Search("ingestao bronze");
  std::set<std::string> kinds;
  for (const json& h : listed) kinds.insert(h["kind"]);
  EXPECT_TRUE(kinds.contains("pipeline")) << listed.dump(1);
}

// The issue: run statistics (rows, freshness) and the schema history per table version.
TEST_F(GovernanceTest, RunStatisticsAndVersions) {
  for (const std::string& name : {std::string("bronze.pedidos"), std::string(kFato),
                                  std::string(kFluxo), std::string(kFeatures)}) {
    SCOPED_TRACE(name);
    json table = Show(name);
    ASSERT_TRUE(table["row_count"].is_number_integer()) << table.dump(1);
    EXPECT_GT(table["row_count"].get<int64_t>(), 0);
    ASSERT_TRUE(table["size_bytes"].is_number_integer()) << table.dump(1);
    EXPECT_GT(table["size_bytes"].get<int64_t>(), 0);
    EXPECT_FALSE(table["data_updated_at"].get<std::string>().empty());
    ASSERT_FALSE(table["runs"].empty());
    EXPECT_EQ(table["runs"][0]["status"], "COMPLETE");
    EXPECT_FALSE(table["versions"].empty());
  }
  // The gold table's rows equal what the engine counts in the lake.
  CommandResult counted = RunStrata({"sql", "SELECT count(*) AS n FROM gold.features_risco_cambial",
                                     "--lake", project_ + "/lake", "--json"});
  ASSERT_EQ(counted.exit_code, 0) << counted.err;
  json rows = json::parse(counted.out);
  ASSERT_FALSE(rows.empty()) << counted.out;
  EXPECT_EQ(Show(kFeatures)["row_count"], rows[0]["n"]) << counted.out;
}

// Pipeline files are synced on any `strata run`, JSON (ASL as is) too; a broken one is skipped
// without failing the run or losing the others, and is listed again once fixed.
TEST(PipelineCatalogSyncTest, EveryRunSyncsPipelinesAndSkipsBrokenFiles) {
  TempDir dir;
  std::string project = dir.path() + "/p";
  ASSERT_EQ(RunStrata({"init", project}).exit_code, 0);
  std::filesystem::create_directories(project + "/pipelines");
  std::ofstream(project + "/pipelines/carga.yaml")
      << "description: Carrega os pedidos.\nowner: time-ingestao\ntags: [bronze]\n"
         "StartAt: Load\nStates:\n  Load:\n    Type: Task\n    Comment: Loads landing.\n"
         "    Resource: strata:ingest\n    End: true\n";
  std::ofstream(project + "/pipelines/asl.json")
      << R"({"Comment": "Espera e termina.", "StartAt": "W", "States": {"W": {"Type": "Wait",)"
      << R"( "Seconds": 1, "Comment": "Pausa.", "End": true}}})";
  std::ofstream(project + "/pipelines/quebrado.yaml") << "StartAt: [unclosed\n  States: {\n";
  CommandResult run = RunStrata({"run", "--project", project});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto show = [&](const std::string& name) {
    CommandResult r = RunStrata({"catalog", "show", name, "--project", project, "--json"});
    return std::make_pair(r.exit_code, r.exit_code == 0 ? json::parse(r.out) : json());
  };
  auto [carga_code, carga] = show("pipeline:carga");
  ASSERT_EQ(carga_code, 0);
  EXPECT_EQ(carga["description"], "Carrega os pedidos.");
  EXPECT_EQ(carga["owner"], "time-ingestao");
  EXPECT_EQ(carga["tags"], json::array({"bronze"}));
  auto [load_code, load] = show("pipeline:carga/Load");
  ASSERT_EQ(load_code, 0);
  EXPECT_EQ(load["description"], "Loads landing.");
  EXPECT_EQ(load["owner"], "time-ingestao");
  EXPECT_EQ(load["location"], "strata:ingest");  // the state's resource
  auto [asl_code, asl] = show("pipeline:asl");
  ASSERT_EQ(asl_code, 0);
  EXPECT_EQ(asl["description"], "Espera e termina.");  // the ASL Comment
  EXPECT_EQ(show("pipeline:asl/W").second["format"], "Wait");
  EXPECT_EQ(show("pipeline:quebrado").first, 1);
  // The layer the project's one source lives in gets that source's owner.
  EXPECT_EQ(show("bronze").second["owner"], "time-ingestao");

  // Fixed: the next run lists it.
  std::ofstream(project + "/pipelines/quebrado.yaml")
      << "owner: time-x\nStartAt: P\nStates:\n  P:\n    Type: Pass\n    End: true\n";
  ASSERT_EQ(RunStrata({"run", "--project", project}).exit_code, 0);
  EXPECT_EQ(show("pipeline:quebrado").second["owner"], "time-x");
  EXPECT_EQ(
      show("pipeline:carga").second["location"],
      std::filesystem::absolute(project + "/pipelines/carga.yaml").lexically_normal().string());

  // Deleted: the next run removes it and its states from show and search; a file that stops
  // parsing is not a deletion, and another project's pipeline in the same catalog stays.
  std::string other = dir.path() + "/outro";
  ASSERT_EQ(RunStrata({"init", other}).exit_code, 0);
  {
    std::ifstream in(other + "/strata.yaml");
    std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string line = "catalog: .strata/catalog.db";
    ASSERT_NE(config.find(line), std::string::npos) << config;
    config.replace(config.find(line), line.size(), "catalog: " + project + "/.strata/catalog.db");
    std::ofstream(other + "/strata.yaml") << config;
  }
  std::filesystem::create_directories(other + "/pipelines");
  std::ofstream(other + "/pipelines/vizinho.yaml")
      << "StartAt: P\nStates:\n  P:\n    Type: Pass\n    End: true\n";
  CommandResult other_run = RunStrata({"run", "--project", other});
  ASSERT_EQ(other_run.exit_code, 0) << other_run.out << other_run.err;
  ASSERT_EQ(show("pipeline:vizinho").first, 0);
  std::filesystem::remove(project + "/pipelines/carga.yaml");
  std::ofstream(project + "/pipelines/asl.json") << "{broken";
  ASSERT_EQ(RunStrata({"run", "--project", project}).exit_code, 0);
  EXPECT_EQ(show("pipeline:carga").first, 1);
  EXPECT_EQ(show("pipeline:carga/Load").first, 1);
  CommandResult search =
      RunStrata({"catalog", "search", "Carrega", "--project", project, "--json"});
  ASSERT_EQ(search.exit_code, 0) << search.err;
  EXPECT_EQ(search.out.find("pipeline:carga"), std::string::npos) << search.out;
  EXPECT_EQ(show("pipeline:asl").second["description"], "Espera e termina.");
  EXPECT_EQ(show("pipeline:quebrado").first, 0);
  EXPECT_EQ(show("pipeline:vizinho").first, 0);
  // Back again: listed again.
  std::ofstream(project + "/pipelines/carga.yaml")
      << "owner: time-y\nStartAt: Load\nStates:\n  Load:\n    Type: Pass\n    End: true\n";
  ASSERT_EQ(RunStrata({"run", "--project", project}).exit_code, 0);
  EXPECT_EQ(show("pipeline:carga").second["owner"], "time-y");
}

}  // namespace
}  // namespace strata::test
