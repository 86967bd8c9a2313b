#include "pipeline/graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/pipeline_test_util.h"

namespace strata::pipeline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::OpenDuck;
using testing::ScratchProject;

std::vector<std::string> Names(const std::vector<lake::TableName>& tables) {
  std::vector<std::string> names;
  for (const auto& t : tables) names.push_back(t.ToString());
  return names;
}

class GraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    p_.Write("strata.yaml", "name: g\n");
    p_.Write("sources/s.yaml",
             "sources:\n"
             "  - {name: pedidos, files: p.csv}\n"
             "  - {name: itens, files: i.csv}\n"
             "  - {name: cambio, files: c.csv}\n");
  }

  Result<ModelGraph> Build(std::vector<lake::TableName> lake_tables = {}) {
    Result<Project> loaded = LoadProject(p_.path());
    if (!loaded.ok()) return loaded.status();
    project_ = std::move(loaded).value();
    return BuildModelGraph(project_, *duck_.conn, lake_tables);
  }

  ScratchProject p_;
  testing::Duck duck_ = OpenDuck();
  Project project_;
};

TEST_F(GraphTest, ReadsComeFromTheParserThroughCtesSubqueriesAndJoins) {
  p_.Write("models/silver/fato.sql",
           "-- FROM bronze.comentario is a comment, not a table\n"
           "WITH itens AS (SELECT * FROM bronze.itens),\n"
           "     pedidos AS (SELECT * FROM bronze.pedidos WHERE status <> 'FROM bronze.nada')\n"
           "SELECT i.*, (SELECT max(taxa) FROM bronze.cambio) AS taxa\n"
           "FROM itens i JOIN pedidos p USING (pedido_id)\n"
           "WHERE i.pedido_id IN (SELECT pedido_id FROM bronze.pedidos)");
  p_.Write("models/gold/resumo.sql",
           "SELECT count(*) FROM (SELECT * FROM silver.fato) AS f, "
           "LATERAL (SELECT 1 FROM bronze.cambio) AS c");
  Result<ModelGraph> graph = Build();
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  ASSERT_EQ(graph->nodes.size(), 2u);
  // Topological: silver before gold although gold sorts first by name.
  EXPECT_EQ(graph->nodes[0].model->table.ToString(), "silver.fato");
  EXPECT_THAT(Names(graph->nodes[0].reads),
              ElementsAre("bronze.cambio", "bronze.itens", "bronze.pedidos"));
  EXPECT_THAT(Names(graph->nodes[1].reads), ElementsAre("bronze.cambio", "silver.fato"));
  EXPECT_THAT(graph->nodes[1].upstream, ElementsAre(0u));
  EXPECT_THAT(graph->nodes[0].downstream, ElementsAre(1u));
}

TEST_F(GraphTest, UnknownTableNamesBothEndsAndCloseNames) {
  p_.Write("models/silver/fato.sql", "SELECT * FROM bronze.pedido");
  Result<ModelGraph> graph = Build();
  ASSERT_FALSE(graph.ok());
  EXPECT_THAT(graph.status().message(),
              HasSubstr("models/silver/fato.sql: silver.fato reads bronze.pedido"));
  EXPECT_THAT(graph.status().message(), HasSubstr("did you mean bronze.pedidos"));
}

TEST_F(GraphTest, TablesAlreadyInTheLakeAreKnown) {
  p_.Write("models/silver/fato.sql", "SELECT * FROM bronze.legado");
  EXPECT_FALSE(Build().ok());
  Result<ModelGraph> graph = Build({{"bronze", "legado"}});
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
}

TEST_F(GraphTest, CycleNamesEveryModelOnIt) {
  p_.Write("models/silver/a.sql", "SELECT * FROM silver.b");
  p_.Write("models/silver/b.sql", "SELECT * FROM gold.c");
  p_.Write("models/gold/c.sql", "SELECT * FROM silver.a");
  p_.Write("models/gold/d.sql", "SELECT * FROM silver.a");  // downstream of the cycle only
  Result<ModelGraph> graph = Build();
  ASSERT_FALSE(graph.ok());
  EXPECT_THAT(graph.status().message(), HasSubstr("dependency cycle"));
  EXPECT_THAT(graph.status().message(), HasSubstr("silver.a"));
  EXPECT_THAT(graph.status().message(), HasSubstr("silver.b"));
  EXPECT_THAT(graph.status().message(), HasSubstr("gold.c"));
  EXPECT_THAT(graph.status().message(), ::testing::Not(HasSubstr("gold.d")));
}

TEST_F(GraphTest, SelfReferenceIsACycle) {
  p_.Write("models/silver/a.sql", "SELECT * FROM silver.a");
  Result<ModelGraph> graph = Build();
  ASSERT_FALSE(graph.ok());
  EXPECT_THAT(graph.status().message(), HasSubstr("silver.a reads itself"));
}

TEST_F(GraphTest, TestReadsAreDependenciesButTheModelItselfIsNot) {
  p_.Write("models/silver/a.sql", "SELECT 1 AS id");
  p_.Write("models/gold/b.sql", "SELECT 1 AS id");
  p_.Write("models/gold/b.yaml",
           "tests:\n"
           "  - {name: r, relationships: {column: id, to: silver.a, field: id}}\n"
           "  - {name: s, sql: 'SELECT * FROM gold.b__quarantine, gold.b, bronze.cambio'}\n");
  Result<ModelGraph> graph = Build();
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  EXPECT_EQ(graph->nodes[1].model->table.ToString(), "gold.b");
  EXPECT_THAT(Names(graph->nodes[1].test_reads), ElementsAre("bronze.cambio", "silver.a"));
  EXPECT_THAT(graph->nodes[1].upstream, ElementsAre(0u));
  p_.Write("models/gold/b.yaml", "tests:\n  - {name: s, sql: 'SELECT * FROM silver.nada'}\n");
  Result<ModelGraph> bad = Build();
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("has test 's' reading silver.nada"));
}

TEST_F(GraphTest, SqlThatDoesNotParseNamesTheFile) {
  p_.Write("models/silver/a.sql", "SELEC 1");
  Result<ModelGraph> graph = Build();
  ASSERT_FALSE(graph.ok());
  EXPECT_THAT(graph.status().message(), HasSubstr("models/silver/a.sql"));
  EXPECT_THAT(graph.status().message(), HasSubstr("syntax error"));
}

TEST_F(GraphTest, SelectionWithUpstreamDownstreamAndLayer) {
  p_.Write("models/silver/a.sql", "SELECT * FROM bronze.pedidos");
  p_.Write("models/gold/b.sql", "SELECT * FROM silver.a");
  p_.Write("models/gold/c.sql", "SELECT 1 AS x");
  Result<ModelGraph> graph = Build();
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto tables = [&](const SelectedNodes& s) {
    std::vector<std::string> out = s.sources;
    for (size_t i : s.models) out.push_back(graph->nodes[i].model->table.ToString());
    return out;
  };
  Result<SelectedNodes> all = Select(project_, *graph, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(tables(*all).size(), 6u);
  Result<SelectedNodes> up = Select(project_, *graph, {{"+gold.b"}, ""});
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_THAT(tables(*up), ElementsAre("pedidos", "silver.a", "gold.b"));
  Result<SelectedNodes> down = Select(project_, *graph, {{"a+"}, ""});
  ASSERT_TRUE(down.ok());
  EXPECT_THAT(tables(*down), ElementsAre("silver.a", "gold.b"));
  Result<SelectedNodes> layer = Select(project_, *graph, {{}, "bronze"});
  ASSERT_TRUE(layer.ok());
  EXPECT_THAT(tables(*layer), ElementsAre("pedidos", "itens", "cambio"));
  Result<SelectedNodes> missing = Select(project_, *graph, {{"gold.bb"}, ""});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("did you mean gold.b"));
}

}  // namespace
}  // namespace strata::pipeline
