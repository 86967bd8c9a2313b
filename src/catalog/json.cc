#include "catalog/json.h"

#include <utility>

namespace strata::catalog {
namespace {

using nlohmann::json;

json OptInt(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }

}  // namespace

json LineageNodeJson(const LineageNode& node) {
  return {{"name", node.name}, {"kind", node.kind}, {"depth", node.depth}};
}

json LineageEdgeJson(const LineageEdgeInfo& edge) {
  return {{"from", edge.from},
          {"to", edge.to},
          {"level", edge.level},
          {"kind", edge.kind},
          {"transformation", edge.transformation},
          {"subtype", edge.subtype},
          {"job", edge.job},
          {"run_id", edge.run_id},
          {"to_version", OptInt(edge.to_version)}};
}

json AssetJson(const AssetInfo& a) {
  json j = {{"name", a.name},
            {"kind", a.kind},
            {"layer", a.layer},
            {"format", a.format},
            {"location", a.location},
            {"description", a.description},
            {"owner", a.owner},
            {"tags", a.tags},
            {"glossary", a.glossary},
            {"version", OptInt(a.version)},
            {"row_count", OptInt(a.row_count)},
            {"size_bytes", OptInt(a.size_bytes)},
            {"data_updated_at", a.data_updated_at},
            {"state", a.state},
            {"updated_at", a.updated_at}};
  if (a.kind == "column") j["type"] = a.data_type;
  return j;
}

json ClassificationJson(const ClassificationRecord& r) {
  json evidence = json::parse(r.evidence, nullptr, /*allow_exceptions=*/false);
  if (evidence.is_discarded()) evidence = nullptr;  // a discarded value would print as text
  return {{"class", r.class_name}, {"status", r.status},   {"confidence", r.confidence},
          {"method", r.method},    {"evidence", evidence}, {"origin", r.origin}};
}

json ColumnJson(const ColumnInfo& column) {
  json pii = json::array(), classes = json::array();
  for (const ClassificationRecord& r : column.classifications) {
    if (r.status != "rejected") pii.push_back({{"class", r.class_name}, {"status", r.status}});
    classes.push_back(ClassificationJson(r));
  }
  return {{"name", column.name},         {"type", column.type},
          {"position", column.position}, {"description", column.description},
          {"tags", column.tags},         {"pii", pii},
          {"classifications", classes}};
}

json SchemaVersionJson(const SchemaVersion& v) {
  return {{"version", v.version}, {"changes", v.changes}, {"recorded_at", v.recorded_at}};
}

json RunJson(const RunInfo& r) {
  return {{"run_id", r.run_id},
          {"status", r.status},
          {"started_at", r.started_at},
          {"ended_at", r.ended_at},
          {"rows_written", OptInt(r.rows_written)},
          {"error", r.error}};
}

Result<json> AssetDetailJson(Catalog& catalog, const std::string& name, int run_limit) {
  STRATA_ASSIGN_OR_RETURN(AssetInfo asset, catalog.GetAsset(name));
  json j = AssetJson(asset);
  if (asset.kind == "column") {
    STRATA_ASSIGN_OR_RETURN(auto records, catalog.Classifications(asset.name));
    json classes = json::array();
    for (const ClassificationRecord& r : records) classes.push_back(ClassificationJson(r));
    j["classifications"] = classes;
  } else {
    json columns = json::array(), versions = json::array(), runs = json::array();
    STRATA_ASSIGN_OR_RETURN(auto infos, catalog.Columns(asset.name));
    for (const ColumnInfo& column : infos) columns.push_back(ColumnJson(column));
    STRATA_ASSIGN_OR_RETURN(auto history, catalog.SchemaHistory(asset.name));
    for (const SchemaVersion& v : history) versions.push_back(SchemaVersionJson(v));
    STRATA_ASSIGN_OR_RETURN(auto run_infos, catalog.Runs(asset.name, run_limit));
    for (const RunInfo& r : run_infos) runs.push_back(RunJson(r));
    j["columns"] = columns;
    j["versions"] = versions;
    j["runs"] = runs;
  }
  for (auto [key, direction] : {std::pair{"upstream", LineageDirection::kUpstream},
                                std::pair{"downstream", LineageDirection::kDownstream}}) {
    STRATA_ASSIGN_OR_RETURN(LineageGraph graph, catalog.Lineage(asset.name, direction, 1));
    json names = json::array();
    for (size_t i = 1; i < graph.nodes.size(); ++i) names.push_back(graph.nodes[i].name);
    j[key] = names;
  }
  return j;
}

}  // namespace strata::catalog
