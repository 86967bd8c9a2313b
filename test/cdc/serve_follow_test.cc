// `strata serve` follows the database sources marked follow: true: rows inserted at a real
// MariaDB appear in bronze (read back through the API's SQL), GET /api/sources shows the
// follower, a source with a wrong password shows its error there (never the password) without
// stopping the server, `strata source status` shows both, and SIGTERM stops everything cleanly.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "access/access.h"
#include "ingest/mysql/mariadb_test_server.h"
#include "server/serve_process.h"
#include "test_util.h"

namespace strata {
namespace {

using ingest::mysql::testing::MariaDbTestServer;
using Json = nlohmann::json;

constexpr char kWrongPassword[] = "Wr0ng-pass-Xy";

class ServeFollowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server().ok()) << server().error();
    database_ = server().CreateDatabase("serve");
    ASSERT_FALSE(database_.empty());
    project_ = dir_.path() + "/project";
    std::filesystem::create_directories(project_ + "/sources");
    std::ofstream(project_ + "/strata.yaml") << "name: serve_follow\nstorage: lake\n";
    auto source = [&](const std::string& name, const std::string& password_env) {
      return "  - name: " + name + "\n    kind: mysql\n    connection: " + server().Url(database_) +
             "\n    password: ${env:" + password_env +
             "}\n    tables: [items]\n    commit_interval: 200ms\n    follow: true\n";
    };
    std::ofstream(project_ + "/sources/db.yaml")
        << "sources:\n"
        << source("erp", "STRATA_TEST_MYSQL_PASSWORD") << source("bad", "STRATA_TEST_WRONG");
    setenv("STRATA_TEST_MYSQL_PASSWORD", MariaDbTestServer::kPassword, 1);
    setenv("STRATA_TEST_WRONG", kWrongPassword, 1);
    Sql("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))");
    Sql("INSERT INTO items VALUES (1, 'first'), (2, 'second')");
    // The API needs credentials: an engineer's token in the catalog the server will use.
    auto access = access::AccessControl::Open(project_ + "/.strata/catalog.db");
    ASSERT_TRUE(access.ok()) << access.status();
    ASSERT_TRUE((*access)->AddUser("follower", "follower-password", {"engineer"}).ok());
    auto token = (*access)->CreateToken("follower", "serve_follow_test", 0);
    ASSERT_TRUE(token.ok()) << token.status();
    token_ = token->secret;
  }
  static MariaDbTestServer& server() { return MariaDbTestServer::Get(); }
  void Sql(const std::string& sql) { ASSERT_EQ(server().Sql(database_, sql), "") << sql; }

  static Json Reply(const httplib::Result& result) {
    if (!result) return Json{{"request_failed", httplib::to_string(result.error())}};
    Json body = Json::parse(result->body, nullptr, false);
    body["http_status"] = result->status;
    return body;
  }
  static const Json* Source(const Json& sources, const std::string& name) {
    if (!sources.contains("sources")) return nullptr;
    for (const Json& s : sources["sources"]) {
      if (s["name"] == name) return &s;
    }
    return nullptr;
  }
  static Json GetJson(httplib::Client& client, const std::string& path) {
    return Reply(client.Get(path.c_str()));
  }
  // Calls `fetch` until `done` holds for its answer (at most 60 s); returns the last answer.
  static Json WaitFor(const std::function<Json()>& fetch,
                      const std::function<bool(const Json&)>& done) {
    Json body;
    for (int i = 0; i < 300; ++i) {
      body = fetch();
      if (done(body)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return body;
  }

  test::TempDir dir_;
  std::string project_;
  std::string database_;
  std::string token_;
};

TEST_F(ServeFollowTest, FollowsSourcesReportsErrorsAndStopsCleanly) {
  test::ServeProcess serve(project_);
  httplib::Client client("127.0.0.1", serve.port());
  client.set_bearer_token_auth(token_.c_str());
  client.set_read_timeout(60, 0);
  const std::string ids =
      Json{{"sql",
            "SELECT string_agg(id::VARCHAR || _op, ',' ORDER BY _position, id) AS ids "
            "FROM bronze.erp_items"}}
          .dump();
  auto ids_are = [&](const std::string& expected) {
    auto fetch = [&] { return Reply(client.Post("/api/sql", ids, "application/json")); };
    return WaitFor(fetch, [&](const Json& r) {
      return r.contains("rows") && r["rows"].size() == 1 && r["rows"][0][0] == expected;
    });
  };
  // The snapshot, then changes made while serve follows.
  Json rows = ids_are("1r,2r");
  ASSERT_EQ(rows["rows"][0][0], "1r,2r") << rows.dump(2) << serve.Stderr();
  Sql("INSERT INTO items VALUES (3, 'third')");
  Sql("UPDATE items SET name = 'changed' WHERE id = 1");
  Sql("DELETE FROM items WHERE id = 2");
  rows = ids_are("1r,2r,3c,1u,2d");
  EXPECT_EQ(rows["rows"][0][0], "1r,2r,3c,1u,2d") << rows.dump(2) << serve.Stderr();

  // GET /api/sources: the follower of erp follows; bad keeps failing, and says why.
  Json sources =
      WaitFor([&] { return GetJson(client, "/api/sources"); },
              [&](const Json& r) {
                const Json* bad = Source(r, "bad");
                return bad != nullptr && (*bad)["follower"]["failures"].get<int64_t>() >= 2;
              });
  ASSERT_EQ(sources["http_status"], 200) << sources.dump(2);
  const Json* erp = Source(sources, "erp");
  ASSERT_NE(erp, nullptr) << sources.dump(2);
  EXPECT_EQ((*erp)["follower"]["state"], "following") << sources.dump(2);
  ASSERT_EQ((*erp)["tables"].size(), 1u);
  EXPECT_EQ((*erp)["tables"][0]["state"], "following");
  EXPECT_EQ((*erp)["tables"][0]["rows"], 5);
  EXPECT_EQ((*erp)["tables"][0]["lag_bytes"], 0);
  EXPECT_NE((*erp)["tables"][0]["position"].get<std::string>().find(":"), std::string::npos);
  const Json* bad = Source(sources, "bad");
  ASSERT_NE(bad, nullptr);
  EXPECT_GE((*bad)["follower"]["failures"].get<int64_t>(), 2) << "retried";
  EXPECT_EQ((*bad)["follower"]["state"], "retrying");
  const std::string error = (*bad)["follower"]["last_error"];
  EXPECT_NE(error.find("Access denied"), std::string::npos) << error;
  EXPECT_EQ((*bad)["tables"][0]["state"], "error") << sources.dump(2);
  EXPECT_EQ(sources.dump().find(kWrongPassword), std::string::npos) << sources.dump(2);
  EXPECT_EQ(sources.dump().find(MariaDbTestServer::kPassword), std::string::npos);
  // The server is still up for everything else.
  EXPECT_EQ(GetJson(client, "/api/health")["status"], "ok");

  // `strata source status` reads the followers' state files: erp follows, bad is in error.
  test::CommandResult status =
      test::RunStrata({"source", "status", "--json", "--project", project_});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  Json tables = Json::parse(status.out, nullptr, false);
  ASSERT_TRUE(tables.is_array() && tables.size() == 2) << status.out;
  for (const Json& t : tables) {
    EXPECT_EQ(t["state"], t["source"] == "erp" ? "following" : "error") << status.out;
  }
  EXPECT_EQ(status.out.find(kWrongPassword), std::string::npos);

  // SIGTERM: the followers stop (erp commits what it read), the server exits 0; under the
  // sanitizers a leaked thread or allocation would fail the exit code.
  const int code = serve.Stop(SIGTERM);
  const std::string err = serve.Stderr();
  EXPECT_EQ(code, 0) << err;
  EXPECT_NE(err.find("SIGTERM, shutting down"), std::string::npos) << err;
  EXPECT_NE(err.find("source bad: follower failed"), std::string::npos) << err;
  EXPECT_EQ(err.find(kWrongPassword), std::string::npos) << err;
  EXPECT_EQ(err.find(MariaDbTestServer::kPassword), std::string::npos) << err;
  status = test::RunStrata({"source", "status", "erp", "--json", "--project", project_});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  tables = Json::parse(status.out, nullptr, false);
  ASSERT_TRUE(tables.is_array() && tables.size() == 1) << status.out;
  EXPECT_EQ(tables[0]["state"], "stopped") << status.out;
  EXPECT_EQ(tables[0]["rows"], 5);
}

}  // namespace
}  // namespace strata
