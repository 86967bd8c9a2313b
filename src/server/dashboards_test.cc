#include "server/dashboards.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace strata::server {
namespace {

TEST(DashboardsTest, ParsesEveryChartType) {
  Result<Dashboard> d = ParseDashboard(R"(
title: T
charts:
  - {title: A, type: line, sql: "SELECT 1 AS x, 2 AS y", x: x, y: y, series: s}
  - {type: bar, sql: "SELECT 1", x: x, y: [a, b]}
  - {id: n, type: number, sql: "SELECT 1 AS v", value: v}
  - {type: table, sql: "SELECT 1", columns: [a]}
)",
                                       "dashboards/t.yaml", "t");
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->charts.size(), 4u);
  EXPECT_EQ(d->charts[0].id, "c1");
  EXPECT_EQ(d->charts[0].series, "s");
  EXPECT_EQ(d->charts[1].y, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d->charts[2].id, "n");
  EXPECT_EQ(d->charts[3].columns, (std::vector<std::string>{"a"}));
  EXPECT_EQ(DashboardJson(*d)["charts"].size(), 4u);
}

void ExpectError(const std::string& yaml, const std::string& part) {
  Result<Dashboard> d = ParseDashboard(yaml, "dashboards/bad.yaml", "bad");
  ASSERT_FALSE(d.ok()) << yaml;
  EXPECT_TRUE(d.status().IsInvalidArgument());
  EXPECT_NE(d.status().message().find(part), std::string::npos) << d.status().message();
  EXPECT_EQ(d.status().message().rfind("dashboards/bad.yaml:", 0), 0u) << d.status().message();
}

TEST(DashboardsTest, ErrorsNameFileLineAndField) {
  ExpectError("title: [\n", "dashboards/bad.yaml:");
  ExpectError("- a\n", "must be a mapping");
  ExpectError("title: T\n", "charts: must be a non-empty list");
  ExpectError("title: T\ncharts:\n  - {type: pie, sql: x}\n", "charts[0].type: 'pie' is not");
  ExpectError("title: T\ncharts:\n  - {type: line, sql: x, y: v}\n", "charts[0].x: is required");
  ExpectError("title: T\ncharts:\n  - {type: number, sql: x}\n", "charts[0].value: is required");
  ExpectError("title: T\ncharts:\n  - {type: table}\n", "charts[0].sql: is required");
  ExpectError("title: T\ncharts:\n  - {type: table, sql: x, colour: red}\n",
              "charts[0].colour: unknown key");
  ExpectError("title: T\ncharts:\n  - {type: table, sql: x}\n  - {id: c1, type: table, sql: y}\n",
              "is used by another chart");
  ExpectError("titel: T\ncharts: []\n", ":1:1: titel: unknown key");
  // Used to throw out of ParseDashboard (a list as a key; a billion-laughs alias bomb).
  ExpectError("[a, b]: T\ncharts: []\n", "dashboards/bad.yaml:1:1: <key>: must be a plain name");
  ExpectError("title: T\ncharts: &c [{type: table, sql: x, columns: *c}]\n",
              "YAML nested deeper than 256");
}

TEST(DashboardsTest, LoadsTheImportAuDashboard) {
  Result<std::vector<Dashboard>> all =
      LoadDashboards(std::string(STRATA_SOURCE_DIR) + "/examples/importau");
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].name, "fluxo_de_caixa");
  EXPECT_GE((*all)[0].charts.size(), 4u);
  Result<std::vector<Dashboard>> none = LoadDashboards("/nonexistent");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace strata::server
