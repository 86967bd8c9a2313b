#include "server/query.h"

#include <gtest/gtest.h>

#include <chrono>

#include "server/metrics.h"

namespace strata::server {
namespace {

TEST(QueryServiceTest, RunsOneSelectWithALimit) {
  QueryService queries(std::nullopt, "", QuerySettings{1, "1GB", nullptr, 0});
  Result<QueryJson> result = queries.RunReadOnly("SELECT range AS n FROM range(10)", {3, 5000});
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ((*result)["row_count"], 3);
  EXPECT_TRUE((*result)["truncated"].get<bool>());
  EXPECT_EQ((*result)["rows"][2][0], 2);
  EXPECT_EQ((*result)["columns"][0]["name"], "n");
  Result<QueryJson> types = queries.RunReadOnly(
      "SELECT NULL AS a, true AS b, 1.5::DOUBLE AS c, 12.50::DECIMAL(5,2) AS d, 'x' AS e",
      {10, 5000});
  ASSERT_TRUE(types.ok());
  EXPECT_EQ((*types)["rows"][0], nlohmann::json::parse(R"([null, true, 1.5, "12.50", "x"])"));
}

TEST(QueryServiceTest, RefusesWhatIsNotOneSelect) {
  QueryService queries(std::nullopt, "", QuerySettings{1, "1GB", nullptr, 0});
  Refusal refusal = Refusal::kNone;
  Result<QueryJson> write = queries.RunReadOnly("INSERT INTO t VALUES (1)", {10, 5000}, &refusal);
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(refusal, Refusal::kNotReadOnly);
  EXPECT_EQ(write.status().message().rfind("read-only:", 0), 0u);
  // Text matching would be fooled by this; the parser is not.
  Result<QueryJson> quoted =
      queries.RunReadOnly("SELECT 'DELETE FROM x; DROP TABLE y' AS s", {10, 5000}, &refusal);
  EXPECT_TRUE(quoted.ok()) << quoted.status().message();
  EXPECT_FALSE(queries.RunReadOnly("", {10, 5000}).ok());
  EXPECT_FALSE(queries.RunReadOnly(std::string_view("SELECT 1\0", 9), {10, 5000}).ok());
  Result<QueryJson> two = queries.RunReadOnly("SELECT 1; SELECT 2", {10, 5000}, &refusal);
  EXPECT_EQ(refusal, Refusal::kMultiple);
  // The configuration is locked: a later statement could not re-enable file access.
  Result<QueryJson> files =
      queries.RunReadOnly("SELECT * FROM read_text('/etc/hostname')", {10, 5000});
  ASSERT_FALSE(files.ok());
  EXPECT_NE(files.status().message().find("Permission"), std::string::npos);
}

TEST(QueryServiceTest, StopsAtTheTimeout) {
  QueryService queries(std::nullopt, "", QuerySettings{1, "1GB", nullptr, 0});
  Result<QueryJson> slow = queries.RunReadOnly(
      "SELECT sum(a.range * b.range) FROM range(100000000) a, range(100000) b", {10, 200});
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.status().code(), StatusCode::kTimeout) << slow.status().message();
}

// A query past the memory limit stops with a clear error instead of growing (no spilling).
TEST(QueryServiceTest, StopsAtTheMemoryLimit) {
  QueryService queries(std::nullopt, "", QuerySettings{2, "64MB", nullptr, 0});
  Result<QueryJson> big = queries.RunReadOnly(
      "SELECT count(*) FROM (SELECT DISTINCT range FROM range(100000000))", {10, 60000});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kInvalidArgument) << big.status().message();
  EXPECT_NE(big.status().message().find("more memory than the limit of 64MB"), std::string::npos)
      << big.status().message();
}

// No extension is downloaded or loaded for a query: sqlite_scan is refused at once.
TEST(QueryServiceTest, RefusesExtensionsWithoutTheNetwork) {
  QueryService queries(std::nullopt, "", QuerySettings{1, "1GB", nullptr, 0});
  Refusal refusal = Refusal::kNone;
  const auto start = std::chrono::steady_clock::now();
  Result<QueryJson> scan =
      queries.RunReadOnly("SELECT * FROM sqlite_scan('x.db', 't')", {10, 30000}, &refusal);
  ASSERT_FALSE(scan.ok());
  EXPECT_EQ(refusal, Refusal::kExtension) << scan.status().message();
  EXPECT_NE(scan.status().message().find("extensions are not installed"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // Nor may a query turn autoloading back on.
  Result<QueryJson> settings = queries.RunReadOnly(
      "SELECT value FROM duckdb_settings() WHERE name = 'autoload_known_extensions'", {10, 5000});
  ASSERT_TRUE(settings.ok()) << settings.status().message();
  EXPECT_EQ((*settings)["rows"][0][0], "false");
}

// A gate of one: a second query waits its queue time for the slot, then is refused as busy.
TEST(QueryServiceTest, GateBoundsQueriesAtOnce) {
  QueryGate gate(1);
  ASSERT_TRUE(gate.Enter(0).ok());
  QueryService queries(std::nullopt, "", QuerySettings{1, "1GB", &gate, 50});
  Result<QueryJson> refused = queries.RunReadOnly("SELECT 1", {10, 5000});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.status().message().rfind("busy:", 0), 0u) << refused.status().message();
  gate.Leave();
  EXPECT_TRUE(queries.RunReadOnly("SELECT 1", {10, 5000}).ok());
  EXPECT_TRUE(gate.Enter(0).ok());  // the query gave its slot back
  gate.Leave();
}

TEST(MetricsTest, CountsAndCumulativeBuckets) {
  Metrics metrics;
  metrics.ObserveRequest("GET", "/a", 200, 0.003);
  metrics.ObserveRequest("GET", "/a", 200, 0.3);
  metrics.ObserveRequest("GET", "/a", 404, 20);
  const std::string text = metrics.Exposition({{"g", "help", "k=\"v\"", 2}});
  EXPECT_NE(text.find("strata_http_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("le=\"0.5\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("le=\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("_count{method=\"GET\",route=\"/a\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE g gauge\ng{k=\"v\"} 2\n"), std::string::npos);
  EXPECT_EQ(EscapeLabel("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace strata::server
