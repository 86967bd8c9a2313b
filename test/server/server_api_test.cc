// `strata serve` over a real socket, on a real ImportAu project (strata demo importau): every
// API route, its errors, read-only SQL, metrics, runs (a failing model makes a failed run), and
// a graceful shutdown on SIGTERM.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "access/access.h"
#include "server/serve_process.h"
#include "test_util.h"

namespace strata::test {
namespace {

using nlohmann::json;

struct Reply {
  int status = 0;
  json body;
  std::string text;
  std::string content_type;
};

class ServerApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    project_ = dir_->path() + "/importau";
    CommandResult demo =
        RunStrata({"demo", "importau", "--dir", project_, "--scale", "1", "--json"});
    ASSERT_EQ(demo.exit_code, 0) << demo.err;
    demo_run_id_ = json::parse(demo.out, nullptr, false).value("run_id", "");
    // A model that fails when it runs (a cast error in DuckDB), for failed runs.
    std::ofstream(project_ + "/models/gold/quebrado.sql")
        << "SELECT moeda, CAST('not a number' AS INTEGER) AS x FROM "
           "gold.agregado_fluxo_de_caixa_mensal\n";
    // A model that computes for hours (a cross join with a huge range, no sleeps), to cancel.
    std::ofstream(project_ + "/models/gold/lento.sql")
        << "SELECT CAST(sum(a.n_pagamentos * r.range) AS BIGINT) AS s FROM "
           "gold.agregado_fluxo_de_caixa_mensal AS a, range(100000000000) AS r\n";
    // A state machine (pipelines/*.yaml, run by the orchestrator service) that fails at its
    // second state after one retry.
    std::filesystem::create_directories(project_ + "/pipelines");
    std::ofstream(project_ + "/pipelines/quebra_teste.yaml") << R"(description: Falha de teste.
owner: time-teste
StartAt: Prepara
States:
  Prepara:
    Type: Pass
    Next: Quebra
  Quebra:
    Type: Task
    Resource: strata:model:gold.quebrado
    Retry:
      - ErrorEquals: [States.ALL]
        MaxAttempts: 1
        IntervalSeconds: 1
    End: true
)";
    // Started by the scheduler `strata serve` runs when a matching file lands.
    std::ofstream(project_ + "/pipelines/chegada.yaml")
        << "triggers:\n  - file: \"chegada*.csv\"\nStartAt: Recebe\n"
           "States:\n  Recebe: {Type: Pass, End: true}\n";
    // Started on each new version of a table that no test creates (so it never fires here).
    std::ofstream(project_ + "/pipelines/nova_versao.yaml")
        << "triggers:\n  - table: gold.relatorio_futuro\nStartAt: Nota\n"
           "States:\n  Nota: {Type: Pass, End: true}\n";
    std::ofstream(project_ + "/pipelines/espera.yaml")
        << "StartAt: Espera\nStates:\n  Espera: {Type: Wait, Seconds: 600, End: true}\n";
    // Every route but health needs credentials: an admin's API token, made in the catalog
    // database the server will use.
    {
      auto access = access::AccessControl::Open(project_ + "/.strata/catalog.db");
      ASSERT_TRUE(access.ok()) << access.status().message();
      ASSERT_TRUE((*access)->AddUser("tester", "tester-password", {"admin"}).ok());
      auto token = (*access)->CreateToken("tester", "server_api_test", 0);
      ASSERT_TRUE(token.ok()) << token.status().message();
      token_ = token->secret;
      ASSERT_TRUE((*access)->AddUser("analista", "analista-password", {"analyst"}).ok());
      auto analyst = (*access)->CreateToken("analista", "server_api_test", 0);
      ASSERT_TRUE(analyst.ok()) << analyst.status().message();
      analyst_token_ = analyst->secret;
      // A custom role that reads the gold layer only.
      ASSERT_TRUE((*access)->CreateRole("so_ouro").ok());
      access::Grant gold{"so_ouro", access::Privilege::kRead,
                         access::Target{access::Target::Kind::kLayer, "gold"}};
      ASSERT_TRUE((*access)->GrantPrivilege(gold).ok());
      ASSERT_TRUE((*access)->AddUser("ouro", "ouro-password", {"so_ouro"}).ok());
      auto gold_token = (*access)->CreateToken("ouro", "server_api_test", 0);
      ASSERT_TRUE(gold_token.ok()) << gold_token.status().message();
      gold_token_ = gold_token->secret;
    }
    server_ = new ServeProcess(project_, {"--sql-timeout-ms", "20000"});
    client_ = new httplib::Client("127.0.0.1", server_->port());
    client_->set_read_timeout(120, 0);
    client_->set_bearer_token_auth(token_.c_str());
  }
  static void TearDownTestSuite() {
    delete client_;
    if (server_) {
      const int code = server_->Stop(SIGTERM);
      EXPECT_EQ(code, 0) << server_->Stderr();  // graceful: exit 0 after SIGTERM
      EXPECT_NE(server_->Stderr().find("SIGTERM, shutting down"), std::string::npos);
    }
    delete server_;
    delete dir_;
  }

  static Reply Make(const httplib::Result& result) {
    Reply reply;
    if (!result) {
      ADD_FAILURE() << "request failed: " << httplib::to_string(result.error());
      return reply;
    }
    reply.status = result->status;
    reply.text = result->body;
    reply.content_type = result->get_header_value("Content-Type");
    if (reply.content_type.rfind("application/json", 0) == 0) {
      reply.body = json::parse(result->body, nullptr, false);
      EXPECT_FALSE(reply.body.is_discarded()) << result->body;
    }
    return reply;
  }
  static Reply Get(const std::string& path) { return Make(client_->Get(path.c_str())); }
  static Reply Post(const std::string& path, const std::string& body) {
    return Make(client_->Post(path.c_str(), body, "application/json"));
  }
  // Errors are JSON with the status and a message.
  static void ExpectError(const Reply& reply, int status, const std::string& part) {
    EXPECT_EQ(reply.status, status) << reply.text;
    ASSERT_TRUE(reply.body.contains("error")) << reply.text;
    EXPECT_EQ(reply.body["error"]["status"], status);
    EXPECT_NE(reply.body["error"]["message"].get<std::string>().find(part), std::string::npos)
        << reply.text;
  }
  static json WaitRun(const std::string& id) {
    for (int i = 0; i < 1200; ++i) {
      Reply run = Get("/api/runs/" + id);
      if (run.status == 200 && run.body["status"] != "running") return run.body;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "run " << id << " did not finish";
    return json();
  }

  static TempDir* dir_;
  static std::string project_;
  static std::string demo_run_id_;  // the run `strata demo` printed
  static std::string token_;
  static std::string analyst_token_;
  static std::string gold_token_;
  static ServeProcess* server_;
  static httplib::Client* client_;
};
TempDir* ServerApiTest::dir_ = nullptr;
std::string ServerApiTest::project_;
std::string ServerApiTest::demo_run_id_;
std::string ServerApiTest::token_;
std::string ServerApiTest::analyst_token_;
std::string ServerApiTest::gold_token_;
ServeProcess* ServerApiTest::server_ = nullptr;
httplib::Client* ServerApiTest::client_ = nullptr;

TEST_F(ServerApiTest, TablesAndDetail) {
  Reply tables = Get("/api/tables");
  ASSERT_EQ(tables.status, 200) << tables.text;
  std::map<std::string, int> by_layer;
  for (const json& t : tables.body["tables"]) ++by_layer[t["layer"].get<std::string>()];
  EXPECT_EQ(by_layer["bronze"], 7);
  EXPECT_GE(by_layer["silver"], 1);
  EXPECT_GE(by_layer["gold"], 2);
  Reply gold = Get("/api/tables?layer=gold");
  for (const json& t : gold.body["tables"]) EXPECT_EQ(t["layer"], "gold");

  Reply detail = Get("/api/tables/gold.agregado_fluxo_de_caixa_mensal?sample=5");
  ASSERT_EQ(detail.status, 200) << detail.text;
  const json& t = detail.body;
  EXPECT_EQ(t["owner"], "time-financas");
  EXPECT_NE(t["description"].get<std::string>().find("Risco Cambial"), std::string::npos);
  std::vector<std::string> columns;
  for (const json& c : t["columns"]) columns.push_back(c["name"]);
  EXPECT_EQ(columns, (std::vector<std::string>{"mes", "moeda", "saida_prevista_brl",
                                               "saida_cambio_vencimento_brl",
                                               "variacao_cambial_brl", "n_pagamentos"}));
  EXPECT_FALSE(t["history"].empty());
  EXPECT_EQ(t["history"][0]["version"], t["statistics"]["version"]);
  EXPECT_EQ(t["sample"]["row_count"], 5);
  EXPECT_EQ(t["sample"]["columns"].size(), 6u);
  // Statistics agree with a count through the SQL endpoint.
  Reply count = Post("/api/sql",
                     R"({"sql": "SELECT count(*) AS n FROM gold.agregado_fluxo_de_caixa_mensal"})");
  ASSERT_EQ(count.status, 200) << count.text;
  EXPECT_EQ(t["statistics"]["row_count"], count.body["rows"][0][0]);
  EXPECT_EQ(t["upstream"].size(), 3u) << t["upstream"];  // fato, pagamentos, cambio

  // Declared PII on bronze is confirmed and shown per column.
  Reply clientes = Get("/api/tables/bronze.clientes?sample=0");
  ASSERT_EQ(clientes.status, 200);
  std::map<std::string, std::string> pii;
  for (const json& c : clientes.body["columns"]) {
    for (const json& p : c["pii"]) {
      if (p["status"] == "confirmed") pii[c["name"]] = p["class"];
    }
  }
  EXPECT_EQ(pii["cpf_responsavel"], "CPF");
  EXPECT_EQ(pii["email"], "EMAIL");
  EXPECT_EQ(pii.count("uf"), 0u);
  EXPECT_TRUE(clientes.body["sample"].is_null());
  // Previews mask PII columns unless asked; the other columns are as stored.
  Reply masked = Get("/api/tables/bronze.clientes?sample=3");
  Reply shown = Get("/api/tables/bronze.clientes?sample=3&pii=show");
  const json& mcols = masked.body["sample"]["columns"];
  for (size_t i = 0; i < mcols.size(); ++i) {
    const std::string column = mcols[i]["name"];
    const std::string m = masked.body["sample"]["rows"][0][i].dump();
    const std::string v = shown.body["sample"]["rows"][0][i].dump();
    if (pii.count(column)) {
      EXPECT_NE(m.find("\u2022\u2022\u2022\u2022"), std::string::npos) << column << " " << m;
      EXPECT_NE(m, v) << column;
    } else if (column != "nome_responsavel" && column != "telefone") {
      EXPECT_EQ(m, v) << column;
    }
  }
  EXPECT_TRUE(masked.body["sample"]["masked_columns"].size() >= 3u);
  // An analyst (read, no unmask) gets masked previews only: pii=show is refused, and the raw
  // sample route masks too.
  httplib::Client analyst("127.0.0.1", server_->port());
  analyst.set_bearer_token_auth(analyst_token_.c_str());
  httplib::Result clear = analyst.Get("/api/tables/bronze.clientes?sample=3&pii=show");
  ASSERT_TRUE(clear);
  EXPECT_EQ(clear->status, 403) << clear->body;
  EXPECT_NE(clear->body.find("unmask"), std::string::npos) << clear->body;
  httplib::Result raw = analyst.Get("/api/tables/bronze.clientes/sample?limit=3");
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200) << raw->body;
  EXPECT_GE(json::parse(raw->body)["masked_columns"].size(), 3u) << raw->body;
  EXPECT_EQ(Get("/api/tables/bronze.clientes/sample?limit=3&pii=show").body.count("masked_columns"),
            0u);

  Reply sample = Get("/api/tables/bronze.cambio/sample?limit=3");
  EXPECT_EQ(sample.body["row_count"], 3);
  Reply profile = Get("/api/tables/gold.agregado_fluxo_de_caixa_mensal/profile");
  ASSERT_EQ(profile.status, 200) << profile.text;
  EXPECT_EQ(profile.body["row_count"], 6);  // one row per column

  ExpectError(Get("/api/tables/gold.nada"), 404, "gold.nada");
  ExpectError(Get("/api/tables/gold.agregado_fluxo_de_caixa_mensal?sample=x"), 400, "sample");
  ExpectError(Get("/api/tables/gold.agregado_fluxo_de_caixa_mensal?sample=-1"), 400, "sample");
  ExpectError(Get("/api/tables/not%20a%20table/sample"), 400, "not a lake table name");
}

// Masking happens in the query, not on its output: an analyst's SQL, filters and profiles see
// only masked PII, so no predicate can probe a value; file and settings functions are refused.
TEST_F(ServerApiTest, AnAnalystSeesPiiMaskedInsideTheQuery) {
  httplib::Client analyst("127.0.0.1", server_->port());
  analyst.set_bearer_token_auth(analyst_token_.c_str());
  auto as_analyst = [&](const std::string& sql) {
    return Make(analyst.Post("/api/sql", json({{"sql", sql}}).dump(), "application/json"));
  };
  Reply clear = Post("/api/sql", json({{"sql", "SELECT cpf_responsavel FROM bronze.clientes "
                                              "WHERE cpf_responsavel IS NOT NULL LIMIT 1"}})
                                     .dump());
  ASSERT_EQ(clear.status, 200) << clear.text;
  const std::string cpf = clear.body["rows"][0][0];
  ASSERT_NE(cpf, "***");

  Reply masked = as_analyst("SELECT cpf_responsavel, email, uf FROM bronze.clientes LIMIT 5");
  ASSERT_EQ(masked.status, 200) << masked.text;
  ASSERT_EQ(masked.body["rows"].size(), 5u);
  for (const json& row : masked.body["rows"]) {
    for (int pii : {0, 1}) {
      if (!row[pii].is_null()) {
        EXPECT_EQ(row[pii], "***") << row;
      }
    }
    EXPECT_NE(row[2], "***") << row;  // not PII
  }
  const std::string probe =
      "SELECT count(*) FROM bronze.clientes WHERE cpf_responsavel = '" + cpf + "'";
  Reply probed = as_analyst(probe);
  ASSERT_EQ(probed.status, 200) << probed.text;
  EXPECT_EQ(probed.body["rows"][0][0], 0);
  EXPECT_GE(Post("/api/sql", json({{"sql", probe}}).dump()).body["rows"][0][0], 1);

  Reply profile = Make(analyst.Get("/api/tables/bronze.clientes/profile"));
  ASSERT_EQ(profile.status, 200) << profile.text;
  EXPECT_EQ(profile.text.find(cpf), std::string::npos) << profile.text;

  for (const char* sql : {"SELECT * FROM duckdb_settings()",
                          "SELECT * FROM read_parquet('lake/bronze/clientes/*.parquet')",
                          "SELECT * FROM sqlite_scan('x.db', 't')"}) {
    Reply refused = as_analyst(sql);
    EXPECT_EQ(refused.status, 403) << sql << " " << refused.text;
    EXPECT_NE(refused.text.find("is not allowed here"), std::string::npos) << refused.text;
  }
}

TEST_F(ServerApiTest, SearchRanksRiscoCambial) {
  Reply search = Get("/api/search?q=Risco%20Cambial");
  ASSERT_EQ(search.status, 200) << search.text;
  ASSERT_FALSE(search.body["results"].empty());
  EXPECT_EQ(search.body["results"][0]["name"], "gold.features_risco_cambial");
  double previous = 1e300;
  for (const json& hit : search.body["results"]) {
    EXPECT_LE(hit["score"].get<double>(), previous);
    previous = hit["score"].get<double>();
  }
  ExpectError(Get("/api/search"), 400, "'q'");
  ExpectError(Get("/api/search?q=x&limit=0"), 400, "limit");
  EXPECT_EQ(Get("/api/search?q=zzzzqqq").body["results"].size(), 0u);
}

TEST_F(ServerApiTest, LineageTableAndColumnLevel) {
  Reply up = Get("/api/lineage/gold.agregado_fluxo_de_caixa_mensal?direction=upstream");
  ASSERT_EQ(up.status, 200) << up.text;
  std::set<std::string> names;
  bool landing_file = false;
  for (const json& n : up.body["nodes"]) {
    names.insert(n["name"].get<std::string>());
    if (n["kind"] == "file" && n["name"].get<std::string>().find("pagamentos") != std::string::npos)
      landing_file = true;
  }
  EXPECT_TRUE(names.count("silver.fato_pedido_correlacionado"));
  EXPECT_TRUE(names.count("bronze.pagamentos"));
  EXPECT_TRUE(names.count("bronze.itens_pedido"));  // through silver
  EXPECT_TRUE(landing_file) << up.text;
  EXPECT_FALSE(names.count("gold.features_risco_cambial"));  // downstream of silver only

  Reply shallow = Get("/api/lineage/gold.agregado_fluxo_de_caixa_mensal?depth=1");
  for (const json& n : shallow.body["nodes"]) EXPECT_LE(n["depth"].get<int>(), 1);
  EXPECT_LT(shallow.body["nodes"].size(), up.body["nodes"].size());

  Reply down = Get("/api/lineage/bronze.cambio?direction=downstream");
  std::set<std::string> below;
  for (const json& n : down.body["nodes"]) below.insert(n["name"].get<std::string>());
  EXPECT_TRUE(below.count("gold.agregado_fluxo_de_caixa_mensal"));

  Reply column = Get("/api/lineage/gold.agregado_fluxo_de_caixa_mensal.moeda");
  ASSERT_EQ(column.status, 200) << column.text;
  std::set<std::string> sources;
  for (const json& e : column.body["edges"]) {
    EXPECT_EQ(e["level"], "column");
    sources.insert(e["from"].get<std::string>());
  }
  EXPECT_TRUE(sources.count("silver.fato_pedido_correlacionado.moeda")) << column.text;
  Reply all_columns = Get("/api/lineage/gold.agregado_fluxo_de_caixa_mensal?level=column&depth=1");
  ASSERT_EQ(all_columns.status, 200) << all_columns.text;
  EXPECT_GT(all_columns.body["edges"].size(), 5u);

  ExpectError(Get("/api/lineage/gold.x"), 404, "gold.x");
  ExpectError(Get("/api/lineage/gold.agregado_fluxo_de_caixa_mensal?direction=sideways"), 400,
              "direction");
  ExpectError(Get("/api/lineage/gold.agregado_fluxo_de_caixa_mensal?depth=1000"), 400, "depth");
  ExpectError(Get("/api/lineage/gold.agregado_fluxo_de_caixa_mensal?level=row"), 400, "level");
}

TEST_F(ServerApiTest, ReadOnlySql) {
  Reply ok = Get("/api/sql?q=SELECT%20*%20FROM%20bronze.cambio&limit=7");
  ASSERT_EQ(ok.status, 200) << ok.text;
  EXPECT_EQ(ok.body["row_count"], 7);
  EXPECT_EQ(ok.body["rows"].size(), 7u);
  EXPECT_TRUE(ok.body["truncated"].get<bool>());
  Reply travel =
      Post("/api/sql", R"j({"sql": "SELECT count(*) FROM bronze.cambio AT (VERSION => 1)"})j");
  EXPECT_EQ(travel.status, 200) << travel.text;

  // Writes and DDL are refused by DuckDB's parser before anything runs: 403, "read-only".
  for (const char* sql : {"DELETE FROM bronze.cambio", "CREATE TABLE t AS SELECT 1",
                          "COPY (SELECT 1) TO '/tmp/strata-x.csv'", "ATTACH 'x.db'",
                          "INSTALL httpfs", "SET threads = 1", "PRAGMA version"}) {
    Reply refused = Post("/api/sql", json({{"sql", sql}}).dump());
    ExpectError(refused, 403, "read-only");
  }
  ExpectError(Post("/api/sql", R"({"sql": "SELECT 1; DROP TABLE x"})"), 403, "read-only");
  ExpectError(Post("/api/sql", R"({"sql": "SELECT 1; SELECT 2"})"), 400, "exactly one");
  ExpectError(Post("/api/sql", R"({"sql": "SELEC 1"})"), 400, "syntax error");
  // A SELECT cannot read files outside the lake.
  Reply file = Post("/api/sql", R"j({"sql": "SELECT * FROM read_csv('/etc/passwd')"})j");
  ExpectError(file, 403, "read the lake's tables only");
  Reply slow = Post(
      "/api/sql",
      R"({"sql": "SELECT sum(a.range * b.range) FROM range(100000000) a, range(100000) b", "timeout_ms": 300})");
  ExpectError(slow, 504, "time limit");
  ExpectError(Post("/api/sql", "{not json"), 400, "not valid JSON");
  ExpectError(Post("/api/sql", R"({"sql": 42})"), 400, "sql");
  ExpectError(Post("/api/sql", R"({"sql": "SELECT 1", "limit": 0})"), 400, "limit");
  ExpectError(Post("/api/sql", R"({"sql": "SELECT * FROM gold.nada"})"), 404, "gold.nada");
  ExpectError(Get("/api/sql"), 400, "'q'");
  // The server is still fine after all of that.
  EXPECT_EQ(Get("/api/health").status, 200);

  // A role reading gold only: its SQL, table pages and samples stop at the other layers.
  httplib::Client gold("127.0.0.1", server_->port());
  gold.set_bearer_token_auth(gold_token_.c_str());
  httplib::Result ok_gold = gold.Post(
      "/api/sql", R"j({"sql": "SELECT count(*) FROM gold.agregado_fluxo_de_caixa_mensal"})j",
      "application/json");
  ASSERT_TRUE(ok_gold);
  EXPECT_EQ(ok_gold->status, 200) << ok_gold->body;
  httplib::Result no_bronze = gold.Post(
      "/api/sql",
      R"j({"sql": "SELECT g.* FROM gold.agregado_fluxo_de_caixa_mensal g, bronze.clientes c"})j",
      "application/json");
  ASSERT_TRUE(no_bronze);
  EXPECT_EQ(no_bronze->status, 403) << no_bronze->body;
  EXPECT_NE(no_bronze->body.find("may not read bronze.clientes"), std::string::npos)
      << no_bronze->body;
  EXPECT_EQ(gold.Get("/api/tables/bronze.clientes?sample=3")->status, 403);
  EXPECT_EQ(gold.Get("/api/tables/bronze.clientes/sample")->status, 403);
  EXPECT_EQ(gold.Get("/api/tables/bronze.clientes/profile")->status, 403);
}

TEST_F(ServerApiTest, Dashboards) {
  Reply list = Get("/api/dashboards");
  ASSERT_EQ(list.status, 200) << list.text;
  ASSERT_EQ(list.body["dashboards"].size(), 1u);
  EXPECT_EQ(list.body["dashboards"][0]["name"], "fluxo_de_caixa");
  Reply d = Get("/api/dashboards/fluxo_de_caixa");
  ASSERT_EQ(d.status, 200);
  std::set<std::string> types;
  for (const json& chart : d.body["charts"]) {
    types.insert(chart["type"].get<std::string>());
    Reply data = Get("/api/dashboards/fluxo_de_caixa/charts/" + chart["id"].get<std::string>());
    ASSERT_EQ(data.status, 200) << data.text;
    EXPECT_GT(data.body["data"]["row_count"].get<int>(), 0) << chart["id"];
  }
  EXPECT_EQ(types, (std::set<std::string>{"line", "bar", "table", "number"}));
  ExpectError(Get("/api/dashboards/nada"), 404, "nada");
  ExpectError(Get("/api/dashboards/fluxo_de_caixa/charts/nada"), 404, "nada");
}

TEST_F(ServerApiTest, RunsPipelinesAndAFailedRun) {
  Reply pipelines = Get("/api/pipelines");
  ASSERT_EQ(pipelines.status, 200) << pipelines.text;
  Reply p = Get("/api/pipelines/project");
  ASSERT_EQ(p.status, 200) << p.text;
  EXPECT_EQ(p.body["states"].size(), 7u + 5u);  // 7 sources, 3 models + quebrado + lento
  bool edge = false;
  for (const json& e : p.body["edges"]) {
    if (e["from"] == "silver.fato_pedido_correlacionado" &&
        e["to"] == "gold.agregado_fluxo_de_caixa_mensal")
      edge = true;
  }
  EXPECT_TRUE(edge);
  EXPECT_EQ(p.body["last_states"]["gold.agregado_fluxo_de_caixa_mensal"]["status"], "success");

  // The project's runs only: the demo's file-triggered pipelines may have started runs since.
  Reply runs = Get("/api/runs?pipeline=project");
  ASSERT_EQ(runs.status, 200);
  ASSERT_GE(runs.body["runs"].size(), 1u);
  const std::string first = runs.body["runs"][0]["run_id"];
  Reply logs = Get("/api/runs/" + first + "/logs?state=bronze.pagamentos");
  ASSERT_EQ(logs.status, 200);
  ASSERT_FALSE(logs.body["lines"].empty()) << runs.text;
  EXPECT_NE(logs.body["lines"][0]["message"].get<std::string>().find("pagamentos"),
            std::string::npos);

  Reply start = Post("/api/pipelines/project/runs", R"({"states": ["gold.quebrado"]})");
  ASSERT_EQ(start.status, 202) << start.text;
  json run = WaitRun(start.body["run_id"]);
  EXPECT_EQ(run["status"], "failed") << run;
  EXPECT_NE(run["error"].get<std::string>().find("gold.quebrado"), std::string::npos) << run;
  EXPECT_NE(run["error"].get<std::string>().find("Conversion Error"), std::string::npos) << run;
  const std::string failed_id = run["run_id"];
  EXPECT_EQ(Get("/api/runs?status=failed&pipeline=project").body["runs"][0]["run_id"], failed_id);
  Reply state = Get("/api/pipelines/project");
  EXPECT_EQ(state.body["last_states"]["gold.quebrado"]["status"], "failed");
  EXPECT_EQ(state.body["last_states"]["gold.agregado_fluxo_de_caixa_mensal"]["status"], "success");

  ExpectError(Post("/api/runs/" + first + "/resume", ""), 409,
              "only FAILED or ABORTED runs can be resumed");
  ExpectError(Post("/api/runs/" + first + "/cancel", ""), 409, "not running");
  Reply resume = Post("/api/runs/" + failed_id + "/resume", "");
  ASSERT_EQ(resume.status, 202) << resume.text;
  EXPECT_EQ(resume.body["states"], json({"gold.quebrado"}));
  EXPECT_EQ(WaitRun(resume.body["run_id"])["status"], "failed");

  ExpectError(Get("/api/runs/nada"), 404, "nada");
  ExpectError(Get("/api/pipelines/nada"), 404, "nada");
  ExpectError(Post("/api/pipelines/project/runs", R"({"states": "x"})"), 400, "states");
  ExpectError(Get("/api/runs?limit=abc"), 400, "limit");
}

TEST_F(ServerApiTest, OrchestratorPipelineRunsRetriesAndFails) {
  Reply list = Get("/api/pipelines");
  ASSERT_EQ(list.status, 200) << list.text;
  std::map<std::string, std::string> kinds;
  for (const json& p : list.body["pipelines"]) kinds[p["name"]] = p["kind"];
  EXPECT_EQ(kinds["project"], "project");
  EXPECT_EQ(kinds["quebra_teste"], "state_machine") << list.text;
  Reply p = Get("/api/pipelines/quebra_teste");
  ASSERT_EQ(p.status, 200) << p.text;
  EXPECT_EQ(p.body["start_at"], "Prepara");
  EXPECT_EQ(p.body["states"].size(), 2u);
  ASSERT_EQ(p.body["edges"].size(), 1u);
  EXPECT_EQ(p.body["edges"][0]["from"], "Prepara");
  EXPECT_EQ(p.body["edges"][0]["to"], "Quebra");

  Reply triggered = Get("/api/pipelines/nova_versao");
  ASSERT_EQ(triggered.status, 200) << triggered.text;
  EXPECT_EQ(triggered.body["table_triggers"],
            json::parse(R"([{"table": "gold.relatorio_futuro"}])"));
  EXPECT_EQ(triggered.body["file_triggers"], json::array());

  Reply start = Post("/api/pipelines/quebra_teste/runs", R"({"input": {"why": "test"}})");
  ASSERT_EQ(start.status, 202) << start.text;
  const std::string id = start.body["run_id"];
  json run = WaitRun(id);
  EXPECT_EQ(run["status"], "failed") << run;
  EXPECT_EQ(run["failed_state"], "Quebra") << run;
  EXPECT_EQ(run["states"]["Prepara"]["status"], "success") << run;
  EXPECT_EQ(run["states"]["Quebra"]["status"], "failed") << run;
  EXPECT_EQ(run["states"]["Quebra"]["retries"], 1) << run;
  EXPECT_NE(run["error"].get<std::string>().find("gold.quebrado"), std::string::npos) << run;
  Reply after = Get("/api/pipelines/quebra_teste");
  EXPECT_EQ(after.body["last_states"]["Quebra"]["status"], "failed");
  EXPECT_EQ(after.body["last_states"]["Quebra"]["retries"], 1);
  EXPECT_EQ(after.body["last_run"]["run_id"], id);
  Reply logs = Get("/api/runs/" + id + "/logs");
  ASSERT_EQ(logs.status, 200) << logs.text;
  bool task_failed = false;
  for (const json& line : logs.body["lines"]) {
    if (line["message"].get<std::string>().find("TaskFailed") != std::string::npos)
      task_failed = true;
  }
  EXPECT_TRUE(task_failed) << logs.text;
  bool listed = false;
  const Reply runs = Get("/api/runs?pipeline=quebra_teste");
  for (const json& r : runs.body["runs"]) {
    if (r["run_id"] == id) listed = true;
  }
  EXPECT_TRUE(listed);
  ExpectError(Post("/api/runs/" + id + "/cancel", ""), 409, "not running");
  Reply resume = Post("/api/runs/" + id + "/resume", "");
  ASSERT_EQ(resume.status, 202) << resume.text;
  json resumed = WaitRun(resume.body["run_id"]);
  EXPECT_EQ(resumed["trigger"], "resume");
  EXPECT_EQ(resumed["resumed_from"], id);
  EXPECT_FALSE(resumed["states"].contains("Prepara")) << resumed;  // resumed at Quebra
  ExpectError(Post("/api/pipelines/quebra_teste/runs", R"({"input": 3})"), 400, "input");
  ExpectError(Post("/api/pipelines/nada/runs", "{}"), 404, "nada");
}

TEST_F(ServerApiTest, CancelsARunningStateMachine) {
  Reply start = Post("/api/pipelines/espera/runs", "{}");
  ASSERT_EQ(start.status, 202) << start.text;
  const std::string id = start.body["run_id"];
  for (int i = 0; i < 100 && Get("/api/runs/" + id).body["orchestrator_status"] != "RUNNING"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Reply running = Get("/api/runs/" + id);
  EXPECT_EQ(running.body["status"], "running") << running.text;
  Reply cancel = Post("/api/runs/" + id + "/cancel", "");
  ASSERT_EQ(cancel.status, 202) << cancel.text;
  json run = WaitRun(id);  // a 600 s wait ends long before: the cancel stopped it
  EXPECT_EQ(run["status"], "aborted") << run;
}

// The project's run (strata run as the API starts it) is cancelled while a slow model runs:
// its DuckDB statement is interrupted, it commits nothing, what ran before it stays.
TEST_F(ServerApiTest, CancelsARunningProjectRun) {
  const std::string upstream = "gold.agregado_fluxo_de_caixa_mensal";
  Reply before = Get("/api/tables/" + upstream + "?sample=0");
  ASSERT_EQ(before.status, 200) << before.text;
  const int64_t version_before = before.body["history"][0]["version"];

  Reply start =
      Post("/api/pipelines/project/runs", R"({"states": [")" + upstream + R"(", "gold.lento"]})");
  ASSERT_EQ(start.status, 202) << start.text;
  const std::string id = start.body["run_id"];
  json running;
  for (int i = 0; i < 1200; ++i) {  // until the slow model runs (its upstream is committed)
    running = Get("/api/runs/" + id).body;
    if (running["states"].contains("gold.lento")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(running["status"], "running") << running;
  ASSERT_EQ(running["states"]["gold.lento"]["status"], "running") << running;
  EXPECT_EQ(running["states"][upstream]["status"], "success") << running;

  const auto asked = std::chrono::steady_clock::now();
  Reply cancel = Post("/api/runs/" + id + "/cancel", "");
  ASSERT_EQ(cancel.status, 202) << cancel.text;
  EXPECT_EQ(cancel.body["status"], "cancelling");
  EXPECT_EQ(cancel.body["run_id"], id);
  EXPECT_EQ(Post("/api/runs/" + id + "/cancel", "").status, 202);  // asking twice is fine
  json run = WaitRun(id);
  const auto took = std::chrono::steady_clock::now() - asked;
  // The model would run for hours; the bound leaves room for a loaded sanitizer build.
  EXPECT_LT(took, std::chrono::seconds(60)) << "the cancel took too long to stop the run";
  EXPECT_EQ(run["status"], "cancelled") << run;
  EXPECT_EQ(run["error"], "cancelled by user") << run;
  EXPECT_EQ(run["states"]["gold.lento"]["status"], "skipped") << run;
  EXPECT_EQ(run["states"]["gold.lento"]["error"],
            "cancelled by user: interrupted while running, nothing committed")
      << run;
  EXPECT_EQ(run["states"][upstream]["status"], "success") << run;
  const std::string record_id = run["run_id"];
  EXPECT_EQ(record_id, id);  // one id from start to end (no provisional id)
  EXPECT_EQ(Get("/api/runs?status=cancelled").body["runs"][0]["run_id"], record_id);
  bool logged = false;
  const Reply logs = Get("/api/runs/" + record_id + "/logs");
  for (const json& line : logs.body["lines"]) {
    logged |= line["message"].get<std::string>().find("run cancelled") == 0;
  }
  EXPECT_TRUE(logged);

  // The upstream's new version stays and is queryable; gold.lento was never committed.
  Reply after = Get("/api/tables/" + upstream + "?sample=0");
  ASSERT_EQ(after.status, 200) << after.text;
  EXPECT_EQ(after.body["history"][0]["version"], version_before + 1);
  Reply rows = Post("/api/sql", R"({"sql": "SELECT count(*) AS n FROM )" + upstream + R"("})");
  ASSERT_EQ(rows.status, 200) << rows.text;
  EXPECT_GT(rows.body["rows"][0][0].get<int64_t>(), 0);
  ExpectError(Post("/api/sql", R"({"sql": "SELECT * FROM gold.lento"})"), 404, "gold.lento");
  const std::filesystem::path log = project_ + "/lake/gold/lento/_delta_log";
  if (std::filesystem::exists(log)) {
    for (const auto& entry : std::filesystem::directory_iterator(log)) {
      EXPECT_NE(entry.path().extension(), ".json") << entry.path();
    }
  }
  ExpectError(Post("/api/runs/" + record_id + "/cancel", ""), 409, "not running");

  // A cancelled run resumes what it did not finish, and that run can be cancelled too.
  Reply resume = Post("/api/runs/" + record_id + "/resume", "");
  ASSERT_EQ(resume.status, 202) << resume.text;
  EXPECT_EQ(resume.body["states"], json({"gold.lento"}));
  const std::string again = resume.body["run_id"];
  for (int i = 0; i < 1200; ++i) {
    if (Get("/api/runs/" + again).body["states"].contains("gold.lento")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(Post("/api/runs/" + again + "/cancel", "").status, 202);
  EXPECT_EQ(WaitRun(again)["status"], "cancelled");
  ExpectError(Post("/api/runs/nada-999/cancel", ""), 404, "nada-999");
}

// The run store is the one owner of runs: the API lists the run `strata demo` made (pipeline
// "project") beside state machine runs, every entry with its pipeline and a count of states.
TEST_F(ServerApiTest, ListsProjectRunsAndStateMachineRunsWithTheirPipeline) {
  ASSERT_FALSE(demo_run_id_.empty());
  Reply start = Post("/api/pipelines/nova_versao/runs", "{}");
  ASSERT_EQ(start.status, 202) << start.text;
  const std::string machine_id = start.body["run_id"];
  EXPECT_EQ(WaitRun(machine_id)["status"], "success");
  Reply list = Get("/api/runs?limit=1000");
  ASSERT_EQ(list.status, 200) << list.text;
  std::map<std::string, json> by_id;
  for (const json& r : list.body["runs"]) {
    by_id[r["run_id"]] = r;
    EXPECT_TRUE(r["pipeline"].is_string()) << r;
    EXPECT_TRUE(r["states"].is_number()) << r;  // the UI's states column never reads null
    EXPECT_TRUE(r["status"].is_string()) << r;
  }
  ASSERT_TRUE(by_id.count(demo_run_id_)) << list.text;
  EXPECT_EQ(by_id[demo_run_id_]["pipeline"], "project");
  EXPECT_EQ(by_id[demo_run_id_]["status"], "success");
  EXPECT_GT(by_id[demo_run_id_]["states"].get<int>(), 7);  // the 7 sources and the models
  ASSERT_TRUE(by_id.count(machine_id)) << list.text;
  EXPECT_EQ(by_id[machine_id]["pipeline"], "nova_versao");
  EXPECT_EQ(by_id[machine_id]["states"], 1);

  Reply demo = Get("/api/runs/" + demo_run_id_);
  ASSERT_EQ(demo.status, 200) << demo.text;
  EXPECT_EQ(demo.body["states"]["gold.agregado_fluxo_de_caixa_mensal"]["status"], "success");
  Reply only = Get("/api/runs?pipeline=project&limit=1000");
  for (const json& r : only.body["runs"]) EXPECT_EQ(r["pipeline"], "project") << r;
  ExpectError(Get("/api/runs?status=done"), 400, "done");
}

TEST_F(ServerApiTest, OpenApiDescribesWhatIsServed) {
  Reply doc = Get("/api/openapi.json");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body["openapi"], "3.0.3");
  const std::map<std::string, std::string> samples = {
      {"{name}", "gold.agregado_fluxo_de_caixa_mensal"},
      {"{chart}", "saida_total"},
      {"{id}", "nada"}};
  int checked = 0;
  for (const auto& [path, methods] : doc.body["paths"].items()) {
    std::string concrete = path;
    for (const auto& [placeholder, value] : samples) {
      const size_t at = concrete.find(placeholder);
      if (at != std::string::npos) concrete.replace(at, placeholder.size(), value);
    }
    auto rename = [&concrete](const std::string& to) {
      const std::string from = "gold.agregado_fluxo_de_caixa_mensal";
      const size_t at = concrete.find(from);
      if (at != std::string::npos) concrete.replace(at, from.size(), to);
    };
    if (path.find("/dashboards/{name}") != std::string::npos) rename("fluxo_de_caixa");
    if (path.find("/pipelines/{name}") != std::string::npos) rename("project");
    for (const auto& [method, op] : methods.items()) {
      ASSERT_TRUE(op.contains("responses")) << path;
      if (method != "get") continue;  // POSTs are exercised by the other tests
      Reply reply = Get(concrete + (path == "/api/search" || path == "/api/sql" ? "?q=x" : ""));
      // A documented route never answers "no route" (it may answer 404 for an unknown id).
      EXPECT_EQ(reply.text.find("no route"), std::string::npos) << path << ": " << reply.text;
      ++checked;
    }
  }
  EXPECT_GE(checked, 17);
  // Undocumented paths have no route, with a JSON 404.
  ExpectError(Get("/api/nothing/here"), 404, "no route");
  ExpectError(Post("/api/tables", "{}"), 404, "no route");
}

TEST_F(ServerApiTest, MetricsInPrometheusFormat) {
  Get("/api/search?q=pedidos");
  Reply metrics = Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type.rfind("text/plain; version=0.0.4", 0), 0u);
  const std::string& text = metrics.text;
  EXPECT_NE(text.find("strata_http_requests_total{method=\"GET\",route=\"/api/search\","
                      "status=\"200\"} "),
            std::string::npos);
  EXPECT_NE(text.find("strata_http_request_duration_seconds_bucket{method=\"GET\",route=\"/"
                      "api/search\",le=\"+Inf\"}"),
            std::string::npos);
  EXPECT_NE(text.find("strata_tables{layer=\"bronze\"} 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("strata_runs{status=\"success\"} "), std::string::npos);
  // Every line is a comment or `name{labels} value` with a number for the value.
  auto is_sample = [](const std::string& line) {
    const size_t space = line.rfind(' ');
    if (space == std::string::npos || space == 0) return false;
    const std::string name = line.substr(0, line.find_first_of("{ "));
    if (name.empty() ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_:0123456789") != std::string::npos) {
      return false;
    }
    const std::string value = line.substr(space + 1);
    char* end = nullptr;
    std::strtod(value.c_str(), &end);
    return !value.empty() && end == value.c_str() + value.size();
  };
  std::istringstream lines(text);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    EXPECT_TRUE(is_sample(line)) << line;
    ++samples;
  }
  EXPECT_GT(samples, 10);
}

TEST_F(ServerApiTest, ServesTheEmbeddedUi) {
  Reply index = Get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type.rfind("text/html", 0), 0u);
  EXPECT_NE(index.text.find("/assets/app.js"), std::string::npos);
  Reply app = Get("/assets/app.js");
  EXPECT_EQ(app.status, 200);
  EXPECT_GT(app.text.size(), 50000u);           // chart.js and dagre are bundled in
  EXPECT_EQ(Get("/table/gold.x").status, 200);  // pages of the app get index.html
  ExpectError(Get("/assets/nothing.js"), 404, "no such file");
}

// `strata serve` runs the scheduler: a file landing that matches a trigger starts its pipeline.
TEST_F(ServerApiTest, SchedulerStartsAPipelineWhenAFileLands) {
  std::ofstream(project_ + "/landing/chegada_1.csv") << "a\n1\n";
  json found;
  for (int i = 0; i < 300 && found.is_null(); ++i) {
    const Reply runs = Get("/api/runs?pipeline=chegada");
    if (runs.status == 200 && !runs.body["runs"].empty()) found = runs.body["runs"][0];
    if (found.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(found.is_null()) << "no run of pipeline chegada within 30 s";
  json run = WaitRun(found["run_id"]);
  EXPECT_EQ(run["status"], "success") << run;
  EXPECT_NE(run.dump().find("chegada_1.csv"), std::string::npos) << run;
}

// `strata serve` also runs the project's SFTP landing zone (its behaviour is tested in
// test/sftp/): here, that it listens and speaks SSH.
TEST_F(ServerApiTest, ServesTheSftpLandingZone) {
  const std::string out = server_->Stdout();
  const std::string marker = "SFTP landing zone on 127.0.0.1:";
  const size_t at = out.find(marker);
  ASSERT_NE(at, std::string::npos) << out;
  const int port = std::stoi(out.substr(at + marker.size()));
  ASSERT_GT(port, 0);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  // An SSH server sends its identification string first (RFC 4253, section 4.2).
  char banner[8] = {};
  size_t got = 0;
  while (got < sizeof(banner)) {
    ssize_t n = recv(fd, banner + got, sizeof(banner) - got, 0);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  EXPECT_EQ(std::string(banner, got), "SSH-2.0-");
}

TEST(ServeCliTest, BadProjectAndPortAreClearErrors) {
  TempDir dir;
  CommandResult none = RunStrata({"serve", "--project", dir.path() + "/nothing"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("no strata.yaml"), std::string::npos) << none.err;
  CommandResult port = RunStrata({"serve", "--port", "70000"});
  EXPECT_EQ(port.exit_code, 2);
}

}  // namespace
}  // namespace strata::test
