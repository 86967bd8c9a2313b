// Column lineage of the ImportAu models, derived through DuckDB's parser.
#include "catalog/sql_lineage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace strata::catalog {
namespace {

using ::testing::Contains;
using ::testing::IsSupersetOf;
using ::testing::Not;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Model(const std::string& relative) {
  return ReadFile(std::string(STRATA_SOURCE_DIR) + "/examples/importau/models/" + relative);
}

class SqlLineageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = engine::Database::Open({});
    ASSERT_TRUE(db.ok());
    db_ = std::move(*db);
    auto conn = db_->Connect();
    ASSERT_TRUE(conn.ok());
    conn_ = std::move(*conn);
    // Bronze as the ingestion writes it: the declared columns plus the load bookkeeping.
    const char* meta = "_ingested_at TIMESTAMP, _source_file VARCHAR, _source_row BIGINT";
    std::string ddl =
        std::string("CREATE SCHEMA bronze; CREATE SCHEMA silver; CREATE SCHEMA gold;") +
        "CREATE TABLE bronze.clientes (cliente_id BIGINT, razao_social VARCHAR, cnpj VARCHAR, "
        "nome_responsavel VARCHAR, cpf_responsavel VARCHAR, email VARCHAR, telefone VARCHAR, uf "
        "VARCHAR, " +
        meta + ");" +
        "CREATE TABLE bronze.fornecedores (fornecedor_id BIGINT, nome VARCHAR, pais VARCHAR, moeda "
        "VARCHAR, email_contato VARCHAR, " +
        meta + ");" +
        "CREATE TABLE bronze.produtos (produto_id BIGINT, descricao VARCHAR, ncm VARCHAR, "
        "categoria VARCHAR, aliquota_ii DECIMAL(5,4), " +
        meta + ");" +
        "CREATE TABLE bronze.pedidos (pedido_id BIGINT, cliente_id BIGINT, fornecedor_id BIGINT, "
        "data_pedido DATE, moeda VARCHAR, incoterm VARCHAR, status VARCHAR, " +
        meta + ");" +
        "CREATE TABLE bronze.itens_pedido (pedido_id BIGINT, item_seq INTEGER, produto_id BIGINT, "
        "quantidade INTEGER, preco_unitario DECIMAL(12,2), " +
        meta + ");" +
        "CREATE TABLE bronze.cambio (data DATE, moeda VARCHAR, taxa_brl DECIMAL(10,4), " + meta +
        ");" +
        "CREATE TABLE bronze.pagamentos (pagamento_id BIGINT, pedido_id BIGINT, tipo VARCHAR, "
        "data_vencimento DATE, percentual DECIMAL(4,3), status VARCHAR, " +
        meta + ");";
    ASSERT_TRUE(conn_->Execute(ddl).ok());
    ASSERT_TRUE(conn_
                    ->Execute("CREATE VIEW silver.fato_pedido_correlacionado AS " +
                              Model("silver/fato_pedido_correlacionado.sql"))
                    .ok());
  }

  // "input_table.column" of every edge into `output` with the given transformation.
  std::set<std::string> Inputs(const SqlLineage& l, const std::string& output,
                               const std::string& transformation) {
    std::set<std::string> out;
    for (const SqlColumnEdge& e : l.columns) {
      if (e.output_column == output && e.transformation == transformation) {
        out.insert(e.input_table + "." + e.input_column);
      }
    }
    return out;
  }

  std::unique_ptr<engine::Database> db_;
  std::unique_ptr<engine::Connection> conn_;
};

TEST_F(SqlLineageTest, SilverModel) {
  auto lineage = DeriveSqlLineage(*conn_, Model("silver/fato_pedido_correlacionado.sql"),
                                  DescribeLookup(*conn_));
  ASSERT_TRUE(lineage.ok()) << lineage.status();
  EXPECT_EQ(lineage->inputs,
            (std::vector<std::string>{"bronze.itens_pedido", "bronze.pedidos", "bronze.clientes",
                                      "bronze.fornecedores", "bronze.produtos", "bronze.cambio"}));
  ASSERT_EQ(lineage->output_columns.size(), 18u);
  EXPECT_EQ(lineage->output_columns[16], "valor_brl");
  EXPECT_EQ(
      Inputs(*lineage, "valor_brl", "DIRECT"),
      (std::set<std::string>{"bronze.itens_pedido.quantidade", "bronze.itens_pedido.preco_unitario",
                             "bronze.cambio.taxa_brl"}));
  // The rate is carried forward over days by a window partitioned by currency.
  EXPECT_THAT(Inputs(*lineage, "valor_brl", "INDIRECT"), Contains("bronze.cambio.moeda"));
  EXPECT_EQ(Inputs(*lineage, "uf", "DIRECT"), (std::set<std::string>{"bronze.clientes.uf"}));
  for (const SqlColumnEdge& e : lineage->columns) {
    if (e.output_column == "uf") {
      EXPECT_EQ(e.subtype, "IDENTITY");
    }
    if (e.output_column == "valor_moeda" && e.transformation == "DIRECT") {
      EXPECT_EQ(e.subtype, "TRANSFORMATION");
    }
    // No lineage to the bookkeeping columns that only order the dedup window... as values.
    if (e.transformation == "DIRECT") {
      EXPECT_NE(e.input_column, "_ingested_at");
    }
  }
  // Join keys and the status filter affect every row.
  std::set<std::string> dataset;
  for (const SqlColumnEdge& e : lineage->dataset)
    dataset.insert(e.input_table + "." + e.input_column + ":" + e.subtype);
  EXPECT_THAT(dataset,
              IsSupersetOf({"bronze.pedidos.status:FILTER", "bronze.clientes.cliente_id:JOIN",
                            "bronze.itens_pedido._ingested_at:FILTER"}));
}

TEST_F(SqlLineageTest, GoldFluxoDeCaixa) {
  auto lineage = DeriveSqlLineage(*conn_, Model("gold/agregado_fluxo_de_caixa_mensal.sql"),
                                  DescribeLookup(*conn_));
  ASSERT_TRUE(lineage.ok()) << lineage.status();
  EXPECT_EQ(lineage->inputs,
            (std::vector<std::string>{"bronze.pagamentos", "silver.fato_pedido_correlacionado",
                                      "bronze.cambio"}));
  EXPECT_EQ(
      lineage->output_columns,
      (std::vector<std::string>{"mes", "moeda", "saida_prevista_brl", "saida_cambio_vencimento_brl",
                                "variacao_cambial_brl", "n_pagamentos"}));
  EXPECT_EQ(Inputs(*lineage, "saida_prevista_brl", "DIRECT"),
            (std::set<std::string>{"silver.fato_pedido_correlacionado.valor_moeda",
                                   "silver.fato_pedido_correlacionado.taxa_brl",
                                   "bronze.pagamentos.percentual"}));
  EXPECT_EQ(Inputs(*lineage, "saida_cambio_vencimento_brl", "DIRECT"),
            (std::set<std::string>{"silver.fato_pedido_correlacionado.valor_moeda",
                                   "bronze.cambio.taxa_brl", "bronze.pagamentos.percentual"}));
  EXPECT_EQ(Inputs(*lineage, "mes", "DIRECT"),
            (std::set<std::string>{"bronze.pagamentos.data_vencimento"}));
  EXPECT_EQ(Inputs(*lineage, "n_pagamentos", "DIRECT"), (std::set<std::string>{}));
  for (const SqlColumnEdge& e : lineage->columns) {
    if (e.output_column == "saida_prevista_brl") {
      EXPECT_EQ(e.subtype, "AGGREGATION") << e.input_column;
    }
  }
}

TEST_F(SqlLineageTest, GoldFeaturesGroupByAllAndLag) {
  auto lineage =
      DeriveSqlLineage(*conn_, Model("gold/features_risco_cambial.sql"), DescribeLookup(*conn_));
  ASSERT_TRUE(lineage.ok()) << lineage.status();
  EXPECT_EQ(Inputs(*lineage, "volume_brl_lag1", "DIRECT"),
            (std::set<std::string>{"silver.fato_pedido_correlacionado.valor_brl"}));
  EXPECT_EQ(Inputs(*lineage, "volatilidade", "DIRECT"),
            (std::set<std::string>{"bronze.cambio.taxa_brl"}));
  EXPECT_THAT(Inputs(*lineage, "volume_brl_lag1", "INDIRECT"),
              Contains("silver.fato_pedido_correlacionado.moeda"));
}

TEST_F(SqlLineageTest, StarsAliasesSubqueriesAndSetOperations) {
  const char* sql =
      "WITH c AS (SELECT * EXCLUDE (_source_row) FROM bronze.cambio) "
      "SELECT c.* REPLACE (taxa_brl * 2 AS taxa_brl), "
      "       (SELECT max(p.percentual) FROM bronze.pagamentos p WHERE p.data_vencimento = c.data) "
      "AS pmax, "
      "       CASE WHEN c.moeda = 'USD' THEN 1 ELSE 0 END AS is_usd "
      "FROM c UNION ALL SELECT data, moeda, taxa_brl / 2, now(), 'x', 1.0, 0 FROM bronze.cambio";
  auto lineage = DeriveSqlLineage(*conn_, sql, DescribeLookup(*conn_));
  ASSERT_TRUE(lineage.ok()) << lineage.status();
  EXPECT_EQ(lineage->output_columns,
            (std::vector<std::string>{"data", "moeda", "taxa_brl", "_ingested_at", "_source_file",
                                      "pmax", "is_usd"}));
  EXPECT_EQ(Inputs(*lineage, "pmax", "DIRECT"),
            (std::set<std::string>{"bronze.pagamentos.percentual"}));
  EXPECT_EQ(Inputs(*lineage, "is_usd", "INDIRECT"), (std::set<std::string>{"bronze.cambio.moeda"}));
  EXPECT_EQ(Inputs(*lineage, "taxa_brl", "DIRECT"),
            (std::set<std::string>{"bronze.cambio.taxa_brl"}));
  for (const SqlColumnEdge& e : lineage->columns) {
    if (e.output_column == "data") {
      EXPECT_EQ(e.subtype, "IDENTITY");
    }
    if (e.output_column == "taxa_brl") {
      EXPECT_EQ(e.subtype, "TRANSFORMATION");
    }
  }
}

TEST_F(SqlLineageTest, Errors) {
  auto bad = DeriveSqlLineage(*conn_, "SELEC nope", DescribeLookup(*conn_));
  EXPECT_TRUE(bad.status().IsInvalidArgument()) << bad.status();
  auto ddl = DeriveSqlLineage(*conn_, "CREATE TABLE x (a INT)", DescribeLookup(*conn_));
  EXPECT_TRUE(ddl.status().IsInvalidArgument()) << ddl.status();
  auto unknown = DeriveSqlLineage(*conn_, "SELECT * FROM bronze.nada", DescribeLookup(*conn_));
  EXPECT_TRUE(unknown.status().IsNotFound()) << unknown.status();
  auto record = ToLineageRecord(
      *DeriveSqlLineage(*conn_, "SELECT moeda AS m FROM bronze.cambio", DescribeLookup(*conn_)),
      "silver.m", "silver.m", "run", 4);
  ASSERT_EQ(record.columns.size(), 1u);
  EXPECT_EQ(record.columns[0].from_table, "bronze.cambio");
  EXPECT_EQ(record.columns[0].to_column, "m");
  EXPECT_EQ(record.output_version, 4);
}

}  // namespace
}  // namespace strata::catalog
