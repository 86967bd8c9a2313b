#include "pipeline/catalog_sync.h"

#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/sync.h"
#include "lake/session.h"

namespace strata::pipeline {
namespace {

namespace fs = std::filesystem;

// The declared metadata of a node's table: from its source contract or its model YAML.
catalog::TableMetadata Declared(const Project& project, const NodeResult& node,
                                const std::string& location) {
  catalog::TableMetadata table;
  table.name = node.table;
  table.layer = node.layer;
  table.format = "delta";
  table.location = location;
  table.source = catalog::MetadataSource::kProject;
  Result<lake::TableName> name = lake::ParseTableName(node.table);
  if (!name.ok()) return table;
  if (const SourceSpec* source = project.FindSource(*name)) {
    table.description = source->spec.description;
    table.owner = source->spec.owner;
    table.tags = source->spec.tags;
    table.glossary = source->glossary;
    for (const ingest::ColumnSpec& column : source->spec.columns) {
      catalog::ColumnMetadata meta;
      meta.name = column.name;
      meta.type = column.type;
      meta.description = column.description;
      meta.declared_class = column.pii;
      table.columns.push_back(std::move(meta));
    }
  } else if (const ModelSpec* model = project.FindModel(*name)) {
    table.description = model->description;
    table.owner = model->owner;
    table.tags = model->tags;
    table.glossary = model->glossary;
    for (const ColumnDoc& column : model->columns) {
      catalog::ColumnMetadata meta;
      meta.name = column.name;
      meta.description = column.description;
      meta.tags = column.tags;
      meta.declared_class = column.pii;
      table.columns.push_back(std::move(meta));
    }
  }
  return table;
}

// The committed schema of a bound view, in column order.
Result<std::vector<std::pair<std::string, std::string>>> ViewSchema(engine::Connection& connection,
                                                                    const std::string& view) {
  STRATA_ASSIGN_OR_RETURN(auto rows, connection.QueryRows("DESCRIBE " + view));
  std::vector<std::pair<std::string, std::string>> schema;
  for (const auto& row : rows) {
    if (row.size() < 2) continue;
    const auto* name = std::get_if<std::string>(&row[0]);
    const auto* type = std::get_if<std::string>(&row[1]);
    if (name && type) schema.emplace_back(*name, *type);
  }
  return schema;
}

// Where the table's files live: <storage>/<layer>/<name> (lake/README.md's layout).
std::string TableDirectory(const Project& project, const NodeResult& node) {
  std::string relative = node.table;
  if (size_t dot = relative.find('.'); dot != std::string::npos) relative[dot] = '/';
  return project.StoragePath() + "/" + relative;
}

catalog::RunRecord CatalogRun(const Project& project, const RunRecord& record,
                              const NodeResult& node) {
  catalog::RunRecord run;
  // One catalog run per node: the pipeline run id plus the table keeps ids unique.
  run.run_id = record.run_id + "/" + node.table;
  run.job = node.table;
  run.pipeline = project.config.name;
  run.started_at = IsoTime(record.started_at_micros);
  run.ended_at = IsoTime(record.finished_at_micros);
  run.error = node.error;
  switch (node.status) {
    case NodeStatus::kSuccess:
    case NodeStatus::kWarn:
      run.status = "COMPLETE";
      run.rows_written = node.rows_written;
      if (node.table_version) {
        run.outputs.push_back({node.table, *node.table_version, std::nullopt});
      }
      break;
    case NodeStatus::kFailed:
      run.status = "FAIL";
      break;
    case NodeStatus::kSkipped:
      run.status = "ABORT";
      break;
  }
  return run;
}

Status SyncNode(const Project& project, catalog::Catalog& catalog, lake::LakeSession& session,
                engine::Connection& connection, const RunRecord& record, const NodeResult& node,
                catalog::OpenLineageEmitter* emitter) {
  catalog::RunSync sync;
  sync.run = CatalogRun(project, record, node);
  if (node.status == NodeStatus::kSkipped) return catalog.RecordRun(sync.run);
  sync.table = Declared(project, node, TableDirectory(project, node));
  if (node.status == NodeStatus::kFailed || !node.table_version) {
    if (sync.run.status == "FAIL") {
      STRATA_RETURN_IF_ERROR(catalog::SyncRun(catalog, connection, sync, emitter).status());
      return Status::OK();
    }
    return catalog.RecordRun(sync.run);  // nothing committed yet (an empty source)
  }
  STRATA_ASSIGN_OR_RETURN(lake::BoundTable bound, session.BindTable(node.table));
  STRATA_ASSIGN_OR_RETURN(sync.schema, ViewSchema(connection, bound.view));
  sync.table.version = bound.version;
  sync.relation_sql = bound.view;
  if (node.is_source) {
    for (const ingest::FileOutcome& file : node.files) {
      if (file.state != ingest::FileState::kLoaded) continue;
      sync.landing_files.push_back(
          (fs::path(project.LandingPath()) / file.file).lexically_normal().string());
    }
  } else if (Result<lake::TableName> name = lake::ParseTableName(node.table); name.ok()) {
    if (const ModelSpec* model = project.FindModel(*name)) {
      // Binding creates the views of the model's inputs, which the lineage derivation reads.
      STRATA_ASSIGN_OR_RETURN(lake::BoundQuery bound_sql, session.Bind(model->sql));
      sync.sql = bound_sql.parsed ? model->sql : "";
    }
  }
  // The START event goes out first (with the run's start time), then COMPLETE with its facets.
  catalog::RunRecord started = sync.run;
  started.status = "RUNNING";
  started.ended_at.clear();
  started.outputs.clear();
  started.rows_written.reset();
  if (emitter != nullptr) {
    STRATA_RETURN_IF_ERROR(catalog::StartRun(catalog, started, sync.sql, emitter));
  }
  Result<catalog::SyncReport> report = catalog::SyncRun(catalog, connection, sync, emitter);
  if (!report.ok()) {
    return Status(report.status().code(), node.table + ": " + report.status().message());
  }
  if (!report->emit_status.ok()) {
    return Status(report->emit_status.code(),
                  node.table + ": OpenLineage: " + report->emit_status.message());
  }
  return Status::OK();
}

}  // namespace

std::string CatalogLocation(const Project& project) {
  const std::string& location = project.config.catalog;
  if (location.find("://") != std::string::npos) return location;
  return (fs::path(project.root) / location).lexically_normal().string();
}

Status SyncRunToCatalog(const Project& project, const lake::Lake& lake, engine::Database& database,
                        const RunRecord& record) {
  std::string location = CatalogLocation(project);
  if (location.find("://") == std::string::npos) {
    std::error_code error;
    fs::create_directories(fs::path(location).parent_path(), error);
  }
  Result<std::unique_ptr<catalog::Catalog>> catalog = catalog::Catalog::Open(location);
  if (!catalog.ok()) {
    return Status(catalog.status().code(),
                  "catalog " + location + ": " + catalog.status().message());
  }
  std::unique_ptr<catalog::OpenLineageEmitter> emitter;
  if (!project.config.openlineage.empty()) {
    catalog::OpenLineageConfig config;
    config.target = project.config.openlineage;
    if (config.target.find("://") == std::string::npos) {
      config.target = (fs::path(project.root) / config.target).lexically_normal().string();
    }
    config.namespace_name = project.config.name;
    STRATA_ASSIGN_OR_RETURN(emitter, catalog::OpenLineageEmitter::Create(config));
  }
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<engine::Connection> connection, database.Connect());
  Status first_error;
  {
    lake::LakeSession session(lake, *connection);
    for (const NodeResult& node : record.nodes) {
      // One node's failure does not stop the others from being recorded.
      Status status =
          SyncNode(project, **catalog, session, *connection, record, node, emitter.get());
      if (!status.ok() && first_error.ok()) first_error = status;
    }
  }
  return first_error;
}

}  // namespace strata::pipeline
