// `strata demo importau` at scale 1, clean and dirty, checked against the SPEC with SQL of the
// test's own: the files are read straight from landing/ (their lines, in file order, so "the
// row landed last wins" is decided here, not by the pipeline), rates are looked up with an ASOF
// join rather than the models' calendar, and every sum is recomputed from the CSVs.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "pipeline/project_test_util.h"
#include "test_util.h"

namespace strata::test {
namespace {

const char* const kFiles[] = {"clientes",     "fornecedores", "produtos",  "pedidos",
                              "itens_pedido", "cambio",       "pagamentos"};

// The typed rows of a landing file read line by line: n = line number, f = the fields. Only
// for files whose fields never hold a quoted comma (a quoted "12,50" splits into one field too
// many, and a row with the wrong field count is untypable either way).
std::string Lines(const std::string& landing, const std::string& name) {
  return "(SELECT n, string_split(line, ',') AS f FROM (SELECT unnest(p) AS line, "
         "generate_subscripts(p, 1) AS n FROM (SELECT string_split(replace(content, chr(13), ''), "
         "chr(10)) AS p FROM read_text('" +
         landing + "/" + name + ".csv'))) WHERE n > 1 AND line <> '')";
}

// A field that types as T (empty = NULL types as anything).
std::string Ok(int i, const std::string& type) {
  return "(f[" + std::to_string(i) + "] = '' OR TRY_CAST(f[" + std::to_string(i) + "] AS " + type +
         ") IS NOT NULL)";
}
std::string Val(int i, const std::string& type, const std::string& name) {
  return "TRY_CAST(NULLIF(f[" + std::to_string(i) + "], '') AS " + type + ") AS " + name;
}

// CTEs: it, pe, ca, pg (typed, latest row per key by line number), cl, fo, pr (ids present;
// clientes and fornecedores hold quoted commas, so DuckDB's CSV reader reads those two),
// fato (the silver rows, rebuilt), ped (orders in silver: value and rate).
std::string IndependentCtes(const std::string& landing) {
  auto ids = [&](const std::string& name, const std::string& columns, const std::string& id) {
    return "SELECT DISTINCT " + id + " FROM read_csv('" + landing + "/" + name +
           ".csv', header = true, ignore_errors = true, columns = {" + columns + "})";
  };
  return "WITH it AS (SELECT * FROM (SELECT n, " + Val(1, "BIGINT", "pedido_id") + ", " +
         Val(2, "INTEGER", "item_seq") + ", " + Val(3, "BIGINT", "produto_id") + ", " +
         Val(4, "INTEGER", "quantidade") + ", " + Val(5, "DECIMAL(12,2)", "preco") + " FROM " +
         Lines(landing, "itens_pedido") + " WHERE len(f) = 5 AND " + Ok(1, "BIGINT") + " AND " +
         Ok(2, "INTEGER") + " AND " + Ok(3, "BIGINT") + " AND " + Ok(4, "INTEGER") + " AND " +
         Ok(5, "DECIMAL(12,2)") +
         ") QUALIFY row_number() OVER (PARTITION BY pedido_id, item_seq ORDER BY n DESC) = 1),\n"
         "pe AS (SELECT * FROM (SELECT n, " +
         Val(1, "BIGINT", "pedido_id") + ", " + Val(2, "BIGINT", "cliente_id") + ", " +
         Val(3, "BIGINT", "fornecedor_id") + ", " + Val(4, "DATE", "data_pedido") + ", " +
         Val(5, "VARCHAR", "moeda") + ", " + Val(7, "VARCHAR", "status") + " FROM " +
         Lines(landing, "pedidos") + " WHERE len(f) = 7 AND " + Ok(1, "BIGINT") + " AND " +
         Ok(2, "BIGINT") + " AND " + Ok(3, "BIGINT") + " AND " + Ok(4, "DATE") +
         ") QUALIFY row_number() OVER (PARTITION BY pedido_id ORDER BY n DESC) = 1),\n"
         "ca AS (SELECT * FROM (SELECT n, " +
         Val(1, "DATE", "data") + ", " + Val(2, "VARCHAR", "moeda") + ", " +
         Val(3, "DECIMAL(10,4)", "taxa") + " FROM " + Lines(landing, "cambio") +
         " WHERE len(f) = 3 AND " + Ok(1, "DATE") + " AND " + Ok(3, "DECIMAL(10,4)") +
         ") QUALIFY row_number() OVER (PARTITION BY data, moeda ORDER BY n DESC) = 1),\n"
         "pg AS (SELECT * FROM (SELECT n, " +
         Val(1, "BIGINT", "pagamento_id") + ", " + Val(2, "BIGINT", "pedido_id") + ", " +
         Val(4, "DATE", "vencimento") + ", " + Val(5, "DECIMAL(4,3)", "percentual") + " FROM " +
         Lines(landing, "pagamentos") + " WHERE len(f) = 6 AND " + Ok(1, "BIGINT") + " AND " +
         Ok(2, "BIGINT") + " AND " + Ok(4, "DATE") + " AND " + Ok(5, "DECIMAL(4,3)") +
         ") QUALIFY row_number() OVER (PARTITION BY pagamento_id ORDER BY n DESC) = 1),\n"
         "cl AS (" +
         ids("clientes",
             "'cliente_id': 'BIGINT', 'razao_social': 'VARCHAR', 'cnpj': 'VARCHAR', "
             "'nome_responsavel': 'VARCHAR', 'cpf_responsavel': 'VARCHAR', 'email': 'VARCHAR', "
             "'telefone': 'VARCHAR', 'uf': 'VARCHAR'",
             "cliente_id") +
         "),\nfo AS (" +
         ids("fornecedores",
             "'fornecedor_id': 'BIGINT', 'nome': 'VARCHAR', 'pais': 'VARCHAR', 'moeda': "
             "'VARCHAR', 'email_contato': 'VARCHAR'",
             "fornecedor_id") +
         // A product whose duty rate does not type (the dirty "n/a") does not exist: its row
         // never reaches bronze. Product lines hold no quoted commas.
         "),\npr AS (SELECT DISTINCT " + Val(1, "BIGINT", "produto_id") + " FROM " +
         Lines(landing, "produtos") + " WHERE len(f) = 5 AND " + Ok(1, "BIGINT") + " AND " +
         Ok(5, "DECIMAL(5,4)") +
         "),\n"
         // Silver, rebuilt: an ASOF join finds the rate of the latest business day.
         "fato AS (SELECT it.pedido_id, it.item_seq, CAST(it.quantidade AS DECIMAL(38,0)) * "
         "it.preco AS valor_moeda, ca.taxa FROM it JOIN pe USING (pedido_id) "
         "ASOF LEFT JOIN ca ON ca.moeda = pe.moeda AND ca.data <= pe.data_pedido "
         "WHERE pe.status IS DISTINCT FROM 'cancelado' AND it.quantidade > 0 AND it.preco > 0 "
         "AND (it.produto_id IS NULL OR it.produto_id IN (SELECT produto_id FROM pr)) "
         "AND (pe.cliente_id IS NULL OR pe.cliente_id IN (SELECT cliente_id FROM cl)) "
         "AND (pe.fornecedor_id IS NULL OR pe.fornecedor_id IN (SELECT fornecedor_id FROM fo)) "
         "AND ca.taxa IS NOT NULL),\n"
         "ped AS (SELECT pedido_id, sum(valor_moeda) AS valor, any_value(taxa) AS taxa FROM fato "
         "GROUP BY pedido_id)\n";
}

// What the run left in the project's catalog (SPEC, governance): tables found by the words of
// their descriptions, declared PII confirmed on bronze columns, and the lineage of the cash
// flow back to the landing files, column level included.
void CheckCatalog(const std::string& project) {
  CommandResult search =
      RunStrata({"catalog", "search", "Risco Cambial", "--project", project, "--json"});
  ASSERT_EQ(search.exit_code, 0) << search.err;
  nlohmann::json hits = nlohmann::json::parse(search.out);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]["name"], "gold.features_risco_cambial") << search.out;
  EXPECT_EQ(hits[0]["owner"], "time-ciencia-dados");

  CommandResult show =
      RunStrata({"catalog", "show", "bronze.clientes", "--project", project, "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  std::map<std::string, std::string> classes;
  const nlohmann::json table = nlohmann::json::parse(show.out);
  for (const auto& column : table["columns"]) {
    for (const auto& c : column["classifications"]) {
      if (c["status"] == "confirmed") classes[column["name"]] = c["class"];
    }
  }
  EXPECT_EQ(classes["cpf_responsavel"], "CPF");
  EXPECT_EQ(classes["cnpj"], "CNPJ");
  EXPECT_EQ(classes["email"], "EMAIL");
  EXPECT_EQ(classes.count("uf"), 0u);

  CommandResult lineage = RunStrata({"lineage", "gold.agregado_fluxo_de_caixa_mensal", "--upstream",
                                     "--project", project, "--json"});
  ASSERT_EQ(lineage.exit_code, 0) << lineage.err;
  std::set<std::string> sources;
  const nlohmann::json graph = nlohmann::json::parse(lineage.out);
  for (const auto& edge : graph["edges"]) sources.insert(edge["from"].get<std::string>());
  for (const std::string& table : std::vector<std::string>{
           "silver.fato_pedido_correlacionado", "bronze.pagamentos", "bronze.cambio",
           "bronze.itens_pedido", "bronze.pedidos", project + "/landing/itens_pedido.csv"}) {
    EXPECT_EQ(sources.count(table), 1u) << table << "\n" << lineage.out;
  }
  // Column level: the planned outflow comes from the items' value and the order's rate.
  CommandResult column =
      RunStrata({"lineage", "gold.agregado_fluxo_de_caixa_mensal.saida_prevista_brl", "--upstream",
                 "--project", project, "--json"});
  ASSERT_EQ(column.exit_code, 0) << column.err;
  sources.clear();
  const nlohmann::json column_graph = nlohmann::json::parse(column.out);
  for (const auto& edge : column_graph["edges"]) sources.insert(edge["from"].get<std::string>());
  for (const std::string& from : std::vector<std::string>{
           "silver.fato_pedido_correlacionado.valor_moeda",
           "silver.fato_pedido_correlacionado.taxa_brl", "bronze.pagamentos.percentual",
           "bronze.itens_pedido.quantidade", project + "/landing/itens_pedido.csv.quantidade"}) {
    EXPECT_EQ(sources.count(from), 1u) << from << "\n" << column.out;
  }
  EXPECT_EQ(sources.count("bronze.clientes.uf"), 0u) << column.out;
}

void CheckDemo(bool dirty) {
  TempDir dir;
  std::string project = dir.path() + "/demo";
  std::vector<std::string> args = {"demo", "importau", "--dir", project, "--scale", "1", "--json"};
  if (dirty) args.push_back("--dirty");
  CommandResult r = RunStrata(args);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  nlohmann::json record = ParseRecord(r);
  ASSERT_EQ(record["nodes"].size(), 10u);
  std::string landing = project + "/landing";

  // Every file: rows read = rows in bronze + rows in quarantine (counted in the tables).
  for (const char* name : kFiles) {
    const nlohmann::json* node = FindNode(record, std::string("bronze.") + name);
    ASSERT_NE(node, nullptr);
    ASSERT_EQ((*node)["files"].size(), 1u) << name;
    const auto& file = (*node)["files"][0];
    EXPECT_EQ(file["state"], "loaded");
    int64_t read = file["rows_read"];
    EXPECT_EQ(read, DataLines(landing + "/" + name + ".csv")) << name;
    int64_t bronze =
        std::stoll(SqlValue(project, std::string("SELECT count(*) FROM bronze.") + name));
    int64_t quarantined =
        (*node)["rows_quarantined"] > 0
            ? std::stoll(SqlValue(
                  project, std::string("SELECT count(*) FROM bronze.") + name + "__quarantine"))
            : 0;
    EXPECT_EQ(bronze + quarantined, read) << name;
    if (!dirty) {
      EXPECT_EQ(quarantined, 0) << name;
    }
  }

  // Silver + its quarantine = distinct items of orders not cancelled (from the CSVs).
  std::string ctes = IndependentCtes(landing);
  std::string expected_items = SqlValue(
      project, ctes +
                   "SELECT count(*) FROM (SELECT DISTINCT pedido_id, item_seq FROM it) AS i "
                   "LEFT JOIN pe USING (pedido_id) WHERE pe.status IS DISTINCT FROM 'cancelado'");
  std::string silver_items =
      SqlValue(project,
               "SELECT (SELECT count(*) FROM silver.fato_pedido_correlacionado) + (SELECT "
               "count(*) FROM silver.fato_pedido_correlacionado__quarantine)");
  EXPECT_EQ(silver_items, expected_items);
  std::string silver_rows = SqlValue(project, ctes + "SELECT count(*) FROM fato");
  EXPECT_EQ(SqlValue(project, "SELECT count(*) FROM silver.fato_pedido_correlacionado"),
            silver_rows);
  if (dirty) {
    EXPECT_NE(
        SqlValue(project, "SELECT count(*) FROM silver.fato_pedido_correlacionado__quarantine"),
        "0");
  }

  // Gold: sum(saida_prevista_brl) recomputed from the landing files, to the cent.
  std::string recomputed = SqlValue(
      project, ctes +
                   "SELECT CAST(round(sum(pg.percentual * ped.valor * ped.taxa), 2) AS VARCHAR) "
                   "FROM pg JOIN ped USING (pedido_id)");
  std::string published = SqlValue(project,
                                   "SELECT CAST(round(sum(saida_prevista_brl), 2) AS VARCHAR) FROM "
                                   "gold.agregado_fluxo_de_caixa_mensal");
  EXPECT_EQ(published, recomputed);
  EXPECT_NE(published, "0.00");
  // One row per (mes, moeda).
  EXPECT_EQ(SqlValue(project,
                     "SELECT count(*) - count(DISTINCT (mes, moeda)) FROM "
                     "gold.agregado_fluxo_de_caixa_mensal"),
            "0");
  // Every test of every layer ran; nothing failed.
  for (const auto& node : record["nodes"]) {
    EXPECT_NE(node["status"], "failed") << node.dump();
    EXPECT_FALSE(node["tests"].empty()) << node["table"];
  }
  EXPECT_EQ(record["status"], "success");
  EXPECT_EQ(record["catalog"]["synced"], true) << record["catalog"].dump();
  if (!dirty) CheckCatalog(project);

  // A second run loads nothing new and gives the same numbers.
  CommandResult again = RunStrata({"run", "--project", project, "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  nlohmann::json second = ParseRecord(again);
  for (const char* name : kFiles) {
    const nlohmann::json* node = FindNode(second, std::string("bronze.") + name);
    ASSERT_NE(node, nullptr);
    EXPECT_EQ((*node)["rows_written"], 0) << name;
    EXPECT_EQ((*node)["files"][0]["state"], "already_loaded") << name;
  }
  EXPECT_EQ(SqlValue(project,
                     "SELECT CAST(round(sum(saida_prevista_brl), 2) AS VARCHAR) FROM "
                     "gold.agregado_fluxo_de_caixa_mensal"),
            recomputed);
}

TEST(ImportAuDemoTest, CleanScaleOneMatchesTheSpec) { CheckDemo(false); }

TEST(ImportAuDemoTest, DirtyScaleOneQuarantinesAndStillMatches) { CheckDemo(true); }

}  // namespace
}  // namespace strata::test
