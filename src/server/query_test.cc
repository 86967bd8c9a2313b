#include "server/query.h"

#include <gtest/gtest.h>

#include "server/metrics.h"

namespace strata::server {
namespace {

TEST(QueryServiceTest, RunsOneSelectWithALimit) {
  QueryService queries(std::nullopt, "", 1);
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
  QueryService queries(std::nullopt, "", 1);
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
  QueryService queries(std::nullopt, "", 1);
  Result<QueryJson> slow = queries.RunReadOnly(
      "SELECT sum(a.range * b.range) FROM range(100000000) a, range(100000) b", {10, 200});
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.status().code(), StatusCode::kTimeout) << slow.status().message();
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
