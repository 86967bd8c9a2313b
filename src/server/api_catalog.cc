// Catalog routes: tables, table detail, search, lineage.
#include <set>

#include "catalog/catalog.h"
#include "catalog/json.h"
#include "lake/lake.h"
#include "lake/table.h"
#include "server/context.h"
#include "server/table_policy.h"

namespace strata::server {
namespace {

json OptInt(const std::optional<int64_t>& v) { return v ? json(*v) : json(nullptr); }

catalog::LineageDirection Direction(const std::string& text) {
  if (text == "downstream") return catalog::LineageDirection::kDownstream;
  if (text == "both") return catalog::LineageDirection::kBoth;
  return catalog::LineageDirection::kUpstream;
}

// Merges `graph` into `out` (nodes by name, edges by from/to/level).
void MergeGraph(const catalog::LineageGraph& graph, json& nodes, json& edges,
                std::set<std::string>& seen_nodes, std::set<std::string>& seen_edges) {
  for (const catalog::LineageNode& n : graph.nodes) {
    if (!seen_nodes.insert(n.name).second) continue;
    nodes.push_back(catalog::LineageNodeJson(n));
  }
  for (const catalog::LineageEdgeInfo& e : graph.edges) {
    if (!seen_edges.insert(e.from + "\n" + e.to + "\n" + e.level).second) continue;
    edges.push_back(catalog::LineageEdgeJson(e));
  }
}

// Adds layer and owner of table nodes (for colouring and tooltips).
void Annotate(catalog::Catalog& c, json& nodes) {
  for (json& node : nodes) {
    Result<catalog::AssetInfo> asset = c.GetAsset(node["name"].get<std::string>());
    if (!asset.ok()) continue;
    node["layer"] = asset->layer;
    node["owner"] = asset->owner;
    node["description"] = asset->description;
    if (asset->kind == "column") node["type"] = asset->data_type;
  }
}

}  // namespace

Result<bool> MayUnmask(ServerContext& context, const lake::TableName& table) {
  const Caller* caller = CurrentCaller();
  if (!caller) return true;
  STRATA_ASSIGN_OR_RETURN(access::TableRef ref, TableRefOf(context, table));
  if (!caller->principal.CanRead(ref)) {
    return Status::PermissionDenied("user '" + caller->principal.user + "' may not read " +
                                    table.ToString() + " (no read grant on it, its layer or tags)");
  }
  return caller->principal.CanUnmask(ref);
}

namespace {

// ?pii=show asks for PII in clear: only for callers that may unmask the table.
Result<bool> ShowPii(const httplib::Request& request, bool may_unmask, const std::string& table) {
  if (StringParam(request, "pii") != "show") return false;
  if (!may_unmask) {
    return Status::PermissionDenied("pii=show needs the 'unmask' privilege on " + table);
  }
  return true;
}

// The table detail: the catalog's whole-asset JSON (catalog/json.h, what `strata catalog show
// --json` prints) for tables only; `schema_versions` repeats `versions` for the web UI.
Result<json> CatalogDetail(catalog::Catalog& c, const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(catalog::AssetInfo asset, c.GetAsset(name));
  if (asset.kind != "table") {
    return Status::NotFound("'" + name + "' is a " + asset.kind + ", not a table");
  }
  STRATA_ASSIGN_OR_RETURN(json j, catalog::AssetDetailJson(c, name));
  j["schema_versions"] = j["versions"];
  return j;
}

// Delta facts of a lake table: commit history and statistics (nothing for crawled paths).
Status AddDeltaFacts(ServerContext& context, const std::string& name, json& j) {
  j["history"] = json::array();
  j["statistics"] = json::object();
  Result<lake::TableName> parsed = lake::ParseTableName(name);
  if (!parsed.ok()) return Status::OK();
  STRATA_ASSIGN_OR_RETURN(std::optional<lake::Lake> lake, context.Lake());
  if (!lake) return Status::OK();
  Result<lake::Table> table = lake::Table::Open(*lake, *parsed);
  if (!table.ok()) return Status::OK();  // cataloged, not (or no longer) in the lake
  STRATA_ASSIGN_OR_RETURN(std::vector<lake::TableCommit> commits, table->History(std::nullopt, 50));
  for (const lake::TableCommit& commit : commits) {
    j["history"].push_back(
        {{"version", commit.version},
         {"timestamp_millis", commit.timestamp_millis},
         {"operation", commit.operation.empty() ? json(nullptr) : json(commit.operation)},
         {"parameters", commit.parameters},
         {"metrics", commit.metrics}});
  }
  STRATA_ASSIGN_OR_RETURN(lake::TableStatistics stats, table->Statistics());
  j["statistics"] = {{"version", stats.version},
                     {"file_count", stats.file_count},
                     {"size_bytes", stats.total_bytes},
                     {"row_count", OptInt(stats.row_count)},
                     {"partition_columns", stats.partition_columns}};
  return Status::OK();
}

// A preview should not put personal data on every screen that opens a table page: values of
// columns classified as PII (confirmed or proposed) keep only their last two characters unless
// the caller asks for them (?pii=show). SQL is not masked: it is an explicit query.
void MaskPii(const json& columns, json& sample) {
  std::set<std::string> pii;
  for (const json& c : columns) {
    if (!c["pii"].empty()) pii.insert(c["name"].get<std::string>());
  }
  json masked = json::array();
  std::vector<size_t> indexes;
  for (size_t i = 0; i < sample["columns"].size(); ++i) {
    if (pii.count(sample["columns"][i]["name"].get<std::string>())) {
      indexes.push_back(i);
      masked.push_back(sample["columns"][i]["name"]);
    }
  }
  for (json& row : sample["rows"]) {
    for (size_t i : indexes) {
      if (row[i].is_null()) continue;
      const std::string text = row[i].is_string() ? row[i].get<std::string>() : row[i].dump();
      row[i] = "\u2022\u2022\u2022\u2022" + (text.size() > 6 ? text.substr(text.size() - 2) : "");
    }
  }
  sample["masked_columns"] = masked;
}

Result<lake::TableName> LakeTable(const std::string& name) {
  Result<lake::TableName> parsed = lake::ParseTableName(name);
  if (!parsed.ok()) {
    return Status::InvalidArgument(
        "'" + name + "' is not a lake table name (layer.name): " + parsed.status().message());
  }
  return parsed;
}

}  // namespace

void RegisterCatalogRoutes(Router& router, ServerContext& context) {
  router.Get("/api/tables", "/api/tables",
             [&context](const httplib::Request& request) -> ApiResult {
               const std::string layer = StringParam(request, "layer");
               return context.WithCatalog([&](catalog::Catalog& c) -> ApiResult {
                 STRATA_ASSIGN_OR_RETURN(std::vector<std::string> names, c.List("table"));
                 json tables = json::array();
                 for (const std::string& name : names) {
                   Result<catalog::AssetInfo> asset = c.GetAsset(name);
                   if (!asset.ok()) continue;
                   if (!layer.empty() && asset->layer != layer) continue;
                   tables.push_back(catalog::AssetJson(*asset));
                 }
                 return Ok({{"tables", tables}, {"count", tables.size()}});
               });
             });

  router.Get(R"(/api/tables/([^/]+))", "/api/tables/{name}",
             [&context](const httplib::Request& request) -> ApiResult {
               const std::string name = PathParam(request, 1);
               STRATA_ASSIGN_OR_RETURN(int sample_rows, IntParam(request, "sample", 20, 0, 1000));
               Result<lake::TableName> parsed = lake::ParseTableName(name);
               bool unmask = true;
               if (parsed.ok()) {
                 STRATA_ASSIGN_OR_RETURN(unmask, MayUnmask(context, *parsed));
               }
               STRATA_ASSIGN_OR_RETURN(bool show_pii, ShowPii(request, unmask, name));
               STRATA_ASSIGN_OR_RETURN(json j, context.WithCatalog([&](catalog::Catalog& c) {
                 return CatalogDetail(c, name);
               }));
               STRATA_RETURN_IF_ERROR(AddDeltaFacts(context, name, j));
               j["sample"] = nullptr;
               if (sample_rows > 0 && !j["history"].empty()) {
                 STRATA_ASSIGN_OR_RETURN(lake::TableName table, LakeTable(name));
                 STRATA_ASSIGN_OR_RETURN(QueryService queries, context.Queries());
                 STRATA_ASSIGN_OR_RETURN(
                     j["sample"], queries.RunTrusted("SELECT * FROM " + table.ToString() +
                                                         " LIMIT " + std::to_string(sample_rows),
                                                     context.Limits(sample_rows)));
                 if (!show_pii) MaskPii(j["columns"], j["sample"]);
               }
               return Ok(j);
             });

  router.Get(R"(/api/tables/([^/]+)/sample)", "/api/tables/{name}/sample",
             [&context](const httplib::Request& request) -> ApiResult {
               STRATA_ASSIGN_OR_RETURN(lake::TableName table, LakeTable(PathParam(request, 1)));
               STRATA_ASSIGN_OR_RETURN(int limit, IntParam(request, "limit", 100, 1, 10000));
               STRATA_ASSIGN_OR_RETURN(bool unmask, MayUnmask(context, table));
               STRATA_ASSIGN_OR_RETURN(bool show_pii, ShowPii(request, unmask, table.ToString()));
               STRATA_ASSIGN_OR_RETURN(QueryService queries, context.Queries());
               STRATA_ASSIGN_OR_RETURN(
                   json rows, queries.RunTrusted("SELECT * FROM " + table.ToString() + " LIMIT " +
                                                     std::to_string(limit),
                                                 context.Limits(limit)));
               if (!show_pii) {  // masked like the table page's sample
                 Result<json> detail = context.WithCatalog(
                     [&](catalog::Catalog& c) { return CatalogDetail(c, table.ToString()); });
                 if (detail.ok()) MaskPii((*detail)["columns"], rows);
               }
               return Ok(rows);
             });

  router.Get(R"(/api/tables/([^/]+)/profile)", "/api/tables/{name}/profile",
             [&context](const httplib::Request& request) -> ApiResult {
               STRATA_ASSIGN_OR_RETURN(lake::TableName table, LakeTable(PathParam(request, 1)));
               STRATA_RETURN_IF_ERROR(MayUnmask(context, table).status());
               STRATA_ASSIGN_OR_RETURN(QueryService queries, context.Queries());
               STRATA_ASSIGN_OR_RETURN(
                   json rows, queries.RunTrusted("SUMMARIZE SELECT * FROM " + table.ToString(),
                                                 context.Limits(10000)));
               return Ok(rows);
             });

  router.Get("/api/search", "/api/search",
             [&context](const httplib::Request& request) -> ApiResult {
               const std::string q = StringParam(request, "q");
               if (q.find_first_not_of(" \t") == std::string::npos) {
                 return Status::InvalidArgument(
                     "query parameter 'q' is required (the words to search for)");
               }
               STRATA_ASSIGN_OR_RETURN(int limit, IntParam(request, "limit", 20, 1, 200));
               return context.WithCatalog([&](catalog::Catalog& c) -> ApiResult {
                 STRATA_ASSIGN_OR_RETURN(auto hits, c.Search(q, limit));
                 json results = json::array();
                 for (const catalog::SearchHit& h : hits) {
                   results.push_back({{"name", h.name},
                                      {"kind", h.kind},
                                      {"display_name", h.display_name},
                                      {"description", h.description},
                                      {"owner", h.owner},
                                      {"score", h.score}});
                 }
                 return Ok({{"query", q}, {"results", results}});
               });
             });

  router.Get(R"(/api/lineage/([^/]+))", "/api/lineage/{name}",
             [&context](const httplib::Request& request) -> ApiResult {
               const std::string name = PathParam(request, 1);
               const std::string direction = StringParam(request, "direction", "upstream");
               if (direction != "upstream" && direction != "downstream" && direction != "both") {
                 return Status::InvalidArgument(
                     "query parameter 'direction' must be upstream, downstream or both, got '" +
                     direction + "'");
               }
               const std::string level = StringParam(request, "level", "table");
               if (level != "table" && level != "column") {
                 return Status::InvalidArgument(
                     "query parameter 'level' must be table or column, got '" + level + "'");
               }
               STRATA_ASSIGN_OR_RETURN(int depth, IntParam(request, "depth", 0, 0, 100));
               return context.WithCatalog([&](catalog::Catalog& c) -> ApiResult {
                 STRATA_ASSIGN_OR_RETURN(catalog::AssetInfo asset, c.GetAsset(name));
                 json nodes = json::array(), edges = json::array();
                 std::set<std::string> seen_nodes, seen_edges;
                 if (level == "column" && asset.kind != "column") {
                   // Every column of the table, walked along column edges.
                   nodes.push_back({{"name", name}, {"kind", asset.kind}, {"depth", 0}});
                   seen_nodes.insert(name);
                   STRATA_ASSIGN_OR_RETURN(auto columns, c.Columns(name));
                   for (const catalog::ColumnInfo& col : columns) {
                     STRATA_ASSIGN_OR_RETURN(
                         catalog::LineageGraph g,
                         c.Lineage(name + "." + col.name, Direction(direction), depth));
                     MergeGraph(g, nodes, edges, seen_nodes, seen_edges);
                   }
                 } else {
                   STRATA_ASSIGN_OR_RETURN(catalog::LineageGraph g,
                                           c.Lineage(name, Direction(direction), depth));
                   MergeGraph(g, nodes, edges, seen_nodes, seen_edges);
                 }
                 Annotate(c, nodes);
                 return Ok({{"root", name},
                            {"kind", asset.kind},
                            {"direction", direction},
                            {"level", level},
                            {"depth", depth},
                            {"nodes", nodes},
                            {"edges", edges}});
               });
             });

  router.Post(
      "/api/catalog/refresh", "/api/catalog/refresh",
      [&context](const httplib::Request&) -> ApiResult {
        STRATA_RETURN_IF_ERROR(context.RefreshCatalog());
        return Ok(context.RefreshState());
      },
      Need::kEdit, "catalog.refresh");
  router.Get(
      "/api/catalog/refresh", "/api/catalog/refresh",
      [&context](const httplib::Request&) -> ApiResult { return Ok(context.RefreshState()); });
}

}  // namespace strata::server
