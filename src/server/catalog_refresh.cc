#include "server/catalog_refresh.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "catalog/sync.h"
#include "common/logging.h"
#include "engine/engine.h"
#include "lake/session.h"
#include "lake/table.h"

namespace strata::server {
namespace {

using nlohmann::json;

RunStatus CatalogStatus(const std::string& node_status) {
  if (node_status == "failed") return RunStatus::kFailed;
  if (node_status == "skipped") return RunStatus::kAborted;
  return RunStatus::kSucceeded;  // success, warn
}

// Latest node of each table across the records, plus every landing file each source loaded.
struct NodeHistory {
  std::map<std::string, std::pair<const json*, const json*>> latest;     // table -> (record, node)
  std::map<std::string, std::pair<const json*, const json*>> latest_ok;  // last that wrote it
  std::map<std::string, std::set<std::string>> files;                    // table -> landing files
};

NodeHistory Collect(const std::vector<json>& records, const std::string& landing) {
  NodeHistory history;
  std::vector<const json*> sorted;
  for (const json& r : records) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(), [](const json* a, const json* b) {
    return a->value("run_id", "") < b->value("run_id", "");
  });
  for (const json* record : sorted) {
    if (!record->contains("nodes") || !(*record)["nodes"].is_array()) continue;
    for (const json& node : (*record)["nodes"]) {
      const std::string table = node.value("table", "");
      if (table.empty()) continue;
      history.latest[table] = {record, &node};
      const std::string status = node.value("status", "");
      if (status == "success" || status == "warn") history.latest_ok[table] = {record, &node};
      if (!node.contains("files") || !node["files"].is_array()) continue;
      for (const json& file : node["files"]) {
        if (file.value("state", "") != "loaded") continue;
        history.files[table].insert(
            (std::filesystem::path(landing) / file.value("file", "")).lexically_normal().string());
      }
    }
  }
  return history;
}

catalog::RunRecord NodeRun(const json& record, const json& node, const std::string& project) {
  catalog::RunRecord run;
  run.run_id = record.value("run_id", "") + "/" + node.value("table", "");
  run.job = node.value("table", "");
  run.pipeline = project;
  run.status = CatalogStatus(node.value("status", ""));
  run.started_at = record.value("started_at", "");
  run.ended_at = record.value("finished_at", "");
  if (node.contains("rows_written") && node["rows_written"].is_number_integer()) {
    run.rows_written = node["rows_written"].get<int64_t>();
  }
  run.error = node.value("error", "");
  return run;
}

catalog::TableMetadata Declared(const pipeline::Project& project, const lake::TableName& name) {
  catalog::TableMetadata table;
  table.name = name.ToString();
  table.layer = name.layer;
  table.format = "delta";
  if (const pipeline::ModelSpec* model = project.FindModel(name)) {
    table.description = model->description;
    table.owner = model->owner;
    table.tags = model->tags;
    table.glossary = model->glossary;
    for (const pipeline::ColumnDoc& doc : model->columns) {
      table.columns.push_back({doc.name, "", doc.description, doc.tags, doc.pii});
    }
  } else if (const pipeline::SourceSpec* source = project.FindSource(name)) {
    table.description = source->spec.description;
    table.owner = source->spec.owner;
    table.tags = source->spec.tags;
    table.glossary = source->glossary;
    for (const ingest::ColumnSpec& column : source->spec.columns) {
      table.columns.push_back({column.name, column.type, column.description, {}, column.pii});
    }
  }
  return table;
}

}  // namespace

Result<RefreshReport> RefreshCatalog(const pipeline::Project& project, const lake::Lake& lake,
                                     catalog::Catalog& catalog,
                                     const std::vector<json>& run_records, bool classify) {
  RefreshReport report;
  const NodeHistory history = Collect(run_records, project.LandingPath());
  for (const json& record : run_records) {
    if (!record.contains("nodes") || !record["nodes"].is_array()) continue;
    for (const json& node : record["nodes"]) {
      if (node.value("table", "").empty()) continue;
      STRATA_RETURN_IF_ERROR(catalog.RecordRun(NodeRun(record, node, project.config.name)));
      ++report.runs;
    }
  }
  STRATA_RETURN_IF_ERROR(catalog.UpsertLayer("bronze", "Raw data as landed, typed", ""));
  STRATA_RETURN_IF_ERROR(catalog.UpsertLayer("silver", "Cleaned, correlated data", ""));
  STRATA_RETURN_IF_ERROR(catalog.UpsertLayer("gold", "Business aggregates", ""));

  STRATA_ASSIGN_OR_RETURN(std::vector<lake::TableName> tables, lake.ListTables());
  STRATA_ASSIGN_OR_RETURN(auto database, engine::Database::Open({}));
  STRATA_ASSIGN_OR_RETURN(auto connection, database->Connect());
  lake::LakeSession session(lake, *connection);
  // Upstream first, so lineage finds its inputs already described.
  std::stable_sort(tables.begin(), tables.end(), [](const auto& a, const auto& b) {
    auto rank = [](const std::string& layer) {
      return layer == "bronze" ? 0 : layer == "silver" ? 1 : layer == "gold" ? 2 : 3;
    };
    return rank(a.layer) < rank(b.layer);
  });
  for (const lake::TableName& name : tables) {
    const std::string table_name = name.ToString();
    auto warn = [&](const Status& status) {
      report.warnings.push_back(table_name + ": " + status.message());
      Log().warn("catalog refresh: {}: {}", table_name, status.message());
    };
    Result<lake::BoundTable> bound = session.BindTable(table_name);
    if (!bound.ok()) {
      warn(bound.status());
      continue;
    }
    // Already described at this version (the runner syncs each run itself): nothing to do.
    if (Result<catalog::AssetInfo> known = catalog.GetAsset(table_name);
        known.ok() && known->version == bound->version && known->row_count) {
      ++report.tables;
      continue;
    }
    catalog::RunSync sync;
    sync.table = Declared(project, name);
    const lake::TableStatistics stats = lake::StatisticsOf(*bound->snapshot);
    sync.table.row_count = stats.row_count;
    sync.table.size_bytes = stats.total_bytes;
    sync.table.location = (std::filesystem::path(project.StoragePath()) / name.layer / name.name)
                              .lexically_normal()
                              .string();
    Result<std::vector<std::vector<engine::Value>>> described =
        connection->QueryRows("DESCRIBE " + bound->view);
    if (!described.ok()) {
      warn(described.status());
      continue;
    }
    for (const auto& row : *described) {
      if (row.size() < 2) continue;
      sync.schema.emplace_back(std::get<std::string>(row[0]), std::get<std::string>(row[1]));
    }
    auto latest = history.latest_ok.find(table_name);
    if (latest != history.latest_ok.end()) {
      sync.run = NodeRun(*latest->second.first, *latest->second.second, project.config.name);
    } else {
      // No run record wrote it (made by hand, or records deleted): the Delta commit stands for
      // the run that did.
      sync.run.run_id = "delta/" + table_name + "@v" + std::to_string(bound->version);
      sync.run.job = table_name;
      sync.run.pipeline = project.config.name;
      sync.run.status = RunStatus::kSucceeded;
    }
    sync.run.outputs = {{table_name, bound->version, stats.row_count}};
    const pipeline::ModelSpec* model = project.FindModel(name);
    if (model != nullptr) {
      // The model's inputs become views on the connection, so lineage can DESCRIBE them.
      Result<lake::BoundQuery> inputs = session.Bind(model->sql);
      if (!inputs.ok()) {
        warn(inputs.status());
      } else {
        sync.sql = model->sql;
      }
    } else if (auto files = history.files.find(table_name); files != history.files.end()) {
      sync.landing_files.assign(files->second.begin(), files->second.end());
    }
    if (classify) sync.relation_sql = bound->view;
    Result<catalog::SyncReport> synced = catalog::SyncRun(catalog, *connection, sync, nullptr);
    if (!synced.ok()) {
      warn(synced.status());
      continue;
    }
    ++report.tables;
  }
  return report;
}

}  // namespace strata::server
