#include "server/dashboards.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/yaml.h"

namespace strata::server {
namespace {

Status Error(const std::string& file, const YAML::Node& node, const std::string& field,
             const std::string& what) {
  const YAML::Mark mark = node.Mark();
  std::string where = file;
  if (mark.line >= 0) {
    where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  }
  return Status::InvalidArgument(where + ": " + field + ": " + what);
}

Status CheckKeys(const std::string& file, const YAML::Node& map, const std::string& where,
                 const std::set<std::string>& known) {
  for (const auto& entry : map) {
    if (!entry.first.IsScalar()) {
      return Error(file, entry.first, where + "<key>",
                   "must be a plain name, not a list or mapping");
    }
    const std::string key = entry.first.Scalar();
    if (!known.count(key)) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      return Error(file, entry.first, where + key, "unknown key (known: " + list + ")");
    }
  }
  return Status::OK();
}

Result<std::string> Scalar(const std::string& file, const YAML::Node& map, const std::string& key,
                           const std::string& where, bool required) {
  const YAML::Node node = map[key];
  if (!node) {
    if (required) return Error(file, map, where + key, "is required");
    return std::string();
  }
  if (!node.IsScalar()) return Error(file, node, where + key, "must be a string");
  return node.as<std::string>();
}

Result<std::vector<std::string>> Names(const std::string& file, const YAML::Node& map,
                                       const std::string& key, const std::string& where) {
  std::vector<std::string> out;
  const YAML::Node node = map[key];
  if (!node) return out;
  if (node.IsScalar()) {
    out.push_back(node.as<std::string>());
  } else if (node.IsSequence()) {
    for (const YAML::Node& item : node) {
      if (!item.IsScalar()) return Error(file, item, where + key, "items must be column names");
      out.push_back(item.as<std::string>());
    }
  } else {
    return Error(file, node, where + key, "must be a column name or a list of them");
  }
  return out;
}

}  // namespace

Result<Dashboard> ParseDashboard(const std::string& text, const std::string& file,
                                 const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(const YAML::Node root, LoadYaml(text, file));
  if (!root.IsMap()) return Error(file, root, "(top)", "must be a mapping with title and charts");
  STRATA_RETURN_IF_ERROR(CheckKeys(file, root, "", {"title", "description", "charts"}));
  Dashboard dashboard;
  dashboard.name = name;
  dashboard.file = file;
  STRATA_ASSIGN_OR_RETURN(dashboard.title, Scalar(file, root, "title", "", false));
  if (dashboard.title.empty()) dashboard.title = name;
  STRATA_ASSIGN_OR_RETURN(dashboard.description, Scalar(file, root, "description", "", false));
  const YAML::Node charts = root["charts"];
  if (!charts || !charts.IsSequence() || charts.size() == 0) {
    return Error(file, charts ? charts : root, "charts", "must be a non-empty list of charts");
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < charts.size(); ++i) {
    const YAML::Node node = charts[i];
    const std::string where = "charts[" + std::to_string(i) + "].";
    if (!node.IsMap())
      return Error(file, node, "charts[" + std::to_string(i) + "]", "must be a mapping");
    STRATA_RETURN_IF_ERROR(CheckKeys(
        file, node, where, {"id", "title", "type", "sql", "x", "y", "series", "value", "columns"}));
    ChartSpec chart;
    STRATA_ASSIGN_OR_RETURN(chart.id, Scalar(file, node, "id", where, false));
    if (chart.id.empty()) chart.id = "c" + std::to_string(i + 1);
    if (!ids.insert(chart.id).second) {
      return Error(file, node, where + "id", "'" + chart.id + "' is used by another chart");
    }
    STRATA_ASSIGN_OR_RETURN(chart.title, Scalar(file, node, "title", where, false));
    STRATA_ASSIGN_OR_RETURN(chart.type, Scalar(file, node, "type", where, true));
    static const std::set<std::string> kTypes = {"line", "bar", "table", "number"};
    if (!kTypes.count(chart.type)) {
      return Error(file, node["type"], where + "type",
                   "'" + chart.type + "' is not a chart type (line, bar, table, number)");
    }
    STRATA_ASSIGN_OR_RETURN(chart.sql, Scalar(file, node, "sql", where, true));
    STRATA_ASSIGN_OR_RETURN(chart.x, Scalar(file, node, "x", where, false));
    STRATA_ASSIGN_OR_RETURN(chart.y, Names(file, node, "y", where));
    STRATA_ASSIGN_OR_RETURN(chart.series, Scalar(file, node, "series", where, false));
    STRATA_ASSIGN_OR_RETURN(chart.value, Scalar(file, node, "value", where, false));
    STRATA_ASSIGN_OR_RETURN(chart.columns, Names(file, node, "columns", where));
    if ((chart.type == "line" || chart.type == "bar") && (chart.x.empty() || chart.y.empty())) {
      return Error(file, node, where + (chart.x.empty() ? "x" : "y"),
                   "is required for a " + chart.type + " chart");
    }
    if (chart.type == "number" && chart.value.empty()) {
      return Error(file, node, where + "value", "is required for a number chart");
    }
    dashboard.charts.push_back(std::move(chart));
  }
  return dashboard;
}

Result<std::vector<Dashboard>> LoadDashboards(const std::string& project_root) {
  std::vector<Dashboard> out;
  const std::filesystem::path dir = std::filesystem::path(project_root) / "dashboards";
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return out;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string ext = entry.path().extension().string();
    if (ext == ".yaml" || ext == ".yml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path);
    if (!in) return Status::IOError("cannot read " + path.string());
    std::stringstream text;
    text << in.rdbuf();
    STRATA_ASSIGN_OR_RETURN(
        Dashboard dashboard,
        ParseDashboard(text.str(), "dashboards/" + path.filename().string(), path.stem().string()));
    out.push_back(std::move(dashboard));
  }
  return out;
}

nlohmann::json DashboardJson(const Dashboard& d) {
  nlohmann::json charts = nlohmann::json::array();
  for (const ChartSpec& c : d.charts) {
    charts.push_back({{"id", c.id},
                      {"title", c.title},
                      {"type", c.type},
                      {"sql", c.sql},
                      {"x", c.x},
                      {"y", c.y},
                      {"series", c.series},
                      {"value", c.value},
                      {"columns", c.columns}});
  }
  return {{"name", d.name},
          {"file", d.file},
          {"title", d.title},
          {"description", d.description},
          {"charts", charts}};
}

}  // namespace strata::server
