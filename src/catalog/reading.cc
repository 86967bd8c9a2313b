// Catalog: reading assets, columns, history, runs and lineage graphs.
#include <deque>
#include <map>
#include <set>

#include "catalog/catalog.h"
#include "catalog/catalog_internal.h"

namespace strata::catalog {

using internal::RequireAssetId;

namespace {

Status ReadLabels(Store& s, int64_t id, std::vector<std::string>& tags,
                  std::vector<std::string>& glossary) {
  STRATA_ASSIGN_OR_RETURN(SqlRows rows,
                          s.Query("SELECT kind, label FROM asset_labels WHERE asset_id = ? AND "
                                  "source <> 'removed' ORDER BY label",
                                  {id}));
  for (const SqlRow& row : rows) {
    (row.Text(0) == "glossary" ? glossary : tags).push_back(row.Text(1));
  }
  return Status::OK();
}

}  // namespace

Result<AssetInfo> Catalog::GetAsset(const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(SqlRows rows,
                          store_->Query(std::string("SELECT ") + internal::kAssetColumns +
                                            " FROM assets WHERE name = ? AND removed = 0",
                                        {name}));
  if (rows.empty()) {
    // Help with the most common slip: a table named without its layer.
    STRATA_ASSIGN_OR_RETURN(
        SqlRows near,
        store_->Query("SELECT name FROM assets WHERE display_name = ? AND "
                      "removed = 0 AND kind IN ('table', 'file') ORDER BY name LIMIT 3",
                      {name}));
    std::string hint;
    for (const SqlRow& row : near) hint += (hint.empty() ? " (did you mean " : ", ") + row.Text(0);
    if (!hint.empty()) hint += "?)";
    return Status::NotFound("'" + name + "' is not in the catalog" + hint);
  }
  AssetInfo info = internal::ReadAsset(rows[0]);
  STRATA_RETURN_IF_ERROR(ReadLabels(*store_, info.id, info.tags, info.glossary));
  return info;
}

Result<std::vector<ColumnInfo>> Catalog::Columns(const std::string& table) {
  STRATA_ASSIGN_OR_RETURN(int64_t id, RequireAssetId(*store_, table, "table"));
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows, store_->Query("SELECT id, display_name, data_type, position, description, "
                                  "name FROM assets WHERE parent_id = ? AND kind = 'column' AND "
                                  "removed = 0 ORDER BY position, display_name",
                                  {id}));
  std::vector<ColumnInfo> columns;
  for (const SqlRow& row : rows) {
    ColumnInfo c;
    c.name = row.Text(1);
    c.type = row.Text(2);
    c.position = static_cast<int>(row.Int(3));
    c.description = row.Text(4);
    std::vector<std::string> glossary;
    STRATA_RETURN_IF_ERROR(ReadLabels(*store_, row.Int(0), c.tags, glossary));
    STRATA_ASSIGN_OR_RETURN(c.classifications, Classifications(row.Text(5)));
    columns.push_back(std::move(c));
  }
  return columns;
}

Result<std::vector<SchemaVersion>> Catalog::SchemaHistory(const std::string& table) {
  STRATA_ASSIGN_OR_RETURN(int64_t id, RequireAssetId(*store_, table, "table"));
  STRATA_ASSIGN_OR_RETURN(SqlRows rows,
                          store_->Query("SELECT version, changes, recorded_at, schema_json FROM "
                                        "schema_history WHERE table_id = ? ORDER BY version",
                                        {id}));
  std::vector<SchemaVersion> out;
  for (const SqlRow& row : rows) out.push_back({row.Int(0), row.Text(1), row.Text(2), row.Text(3)});
  return out;
}

Result<std::vector<RunInfo>> Catalog::Runs(const std::string& job, int limit) {
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows,
      store_->Query("SELECT r.run_id, r.job, r.pipeline, r.status, r.started_at, r.ended_at, "
                    "r.error, r.rows_written FROM runs r WHERE r.job = ? OR r.run_id IN "
                    "(SELECT o.run_id FROM run_outputs o JOIN assets a ON a.id = o.table_id "
                    "WHERE a.name = ?) ORDER BY r.started_at DESC, r.run_id DESC LIMIT ?",
                    {job, job, int64_t{limit}}));
  std::vector<RunInfo> out;
  for (const SqlRow& row : rows) {
    out.push_back({row.Text(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4), row.Text(5),
                   row.Text(6), row.OptInt(7)});
  }
  return out;
}

Result<std::vector<std::string>> Catalog::List(const std::string& kind) {
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows,
      store_->Query("SELECT name FROM assets WHERE kind = ? AND removed = 0 ORDER BY name",
                    {kind}));
  std::vector<std::string> out;
  for (const SqlRow& row : rows) out.push_back(row.Text(0));
  return out;
}

Result<LineageGraph> Catalog::Lineage(const std::string& name, LineageDirection direction,
                                      int depth) {
  STRATA_ASSIGN_OR_RETURN(
      SqlRows root,
      store_->Query("SELECT id, kind FROM assets WHERE name = ? AND removed = 0", {name}));
  if (root.empty()) {
    STRATA_RETURN_IF_ERROR(GetAsset(name).status());  // NotFound with a hint
  }
  std::string level = root[0].Text(1) == "column" ? "column" : "table";
  LineageGraph graph;
  graph.root = name;
  graph.nodes.push_back({name, root[0].Text(1), 0});
  std::set<int64_t> seen_nodes = {root[0].Int(0)};
  std::set<std::pair<std::string, std::string>> seen_edges;
  const char* kUp =
      "SELECT a.id, a.name, a.kind, e.kind, e.transformation, e.subtype, e.job, e.run_id, "
      "e.to_version FROM lineage_edges e JOIN assets a ON a.id = e.from_id "
      "WHERE e.to_id = ? AND e.level = ? ORDER BY a.name";
  const char* kDown =
      "SELECT a.id, a.name, a.kind, e.kind, e.transformation, e.subtype, e.job, e.run_id, "
      "e.to_version FROM lineage_edges e JOIN assets a ON a.id = e.to_id "
      "WHERE e.from_id = ? AND e.level = ? ORDER BY a.name";
  for (bool up : {true, false}) {
    if (up && direction == LineageDirection::kDownstream) continue;
    if (!up && direction == LineageDirection::kUpstream) continue;
    std::deque<std::tuple<int64_t, std::string, int>> queue = {{root[0].Int(0), name, 0}};
    std::set<int64_t> visited = {root[0].Int(0)};
    while (!queue.empty()) {
      auto [id, node_name, d] = queue.front();
      queue.pop_front();
      if (depth > 0 && d >= depth) continue;
      STRATA_ASSIGN_OR_RETURN(SqlRows next, store_->Query(up ? kUp : kDown, {id, level}));
      for (const SqlRow& row : next) {
        int64_t other = row.Int(0);
        const std::string& other_name = row.Text(1);
        LineageEdgeInfo edge;
        edge.from = up ? other_name : node_name;
        edge.to = up ? node_name : other_name;
        edge.level = level;
        edge.kind = row.Text(3);
        edge.transformation = row.Text(4);
        edge.subtype = row.Text(5);
        edge.job = row.Text(6);
        edge.run_id = row.Text(7);
        edge.to_version = row.OptInt(8);
        if (seen_edges.insert({edge.from, edge.to}).second) graph.edges.push_back(edge);
        if (seen_nodes.insert(other).second)
          graph.nodes.push_back({other_name, row.Text(2), d + 1});
        if (visited.insert(other).second) queue.emplace_back(other, other_name, d + 1);
      }
    }
  }
  return graph;
}

}  // namespace strata::catalog
