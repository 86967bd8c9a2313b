// Dashboards of a project: `dashboards/*.yaml`, each a titled list of charts over the lake.
//
//   title: Fluxo de caixa
//   description: ...
//   charts:
//     - title: Valor mensal por moeda
//       type: line            # line | bar | table | number
//       sql: SELECT mes, moeda, valor_total FROM gold.agregado_fluxo_de_caixa_mensal
//       x: mes                # line/bar: the category or time column
//       y: valor_total        # line/bar: one column or a list of columns
//       series: moeda         # line/bar, optional: one line/bar set per value of this column
//       value: total          # number: the column shown (first row)
//       columns: [a, b]       # table, optional: which columns, in order (default all)
//
// Contract: LoadDashboards reads every *.yaml of the directory (sorted); an error in a file is
// InvalidArgument naming the file, the line and the field (unknown keys included), and stops
// the load. The chart SQL runs through the read-only query path (query.h) like any user query.
// Thread safety: the loaded values are immutable.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"

namespace strata::server {

struct ChartSpec {
  std::string id;  // "c1", "c2"... unless given
  std::string title;
  std::string type;  // line, bar, table, number
  std::string sql;
  std::string x;
  std::vector<std::string> y;
  std::string series;
  std::string value;
  std::vector<std::string> columns;
};

struct Dashboard {
  std::string name;  // file name without .yaml
  std::string file;  // project-relative
  std::string title;
  std::string description;
  std::vector<ChartSpec> charts;
};

// Dashboards in `<project>/dashboards/` (none when the directory does not exist).
Result<std::vector<Dashboard>> LoadDashboards(const std::string& project_root);
// Parses one dashboard's YAML text; `file` names it in errors.
Result<Dashboard> ParseDashboard(const std::string& text, const std::string& file,
                                 const std::string& name);

nlohmann::json DashboardJson(const Dashboard& dashboard);

}  // namespace strata::server
