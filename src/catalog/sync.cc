#include "catalog/sync.h"

#include <map>

#include "catalog/crawler.h"
#include "catalog/sql_lineage.h"
#include "catalog/text.h"

namespace strata::catalog {

std::vector<ColumnMetadata> MergeColumns(
    const std::vector<std::pair<std::string, std::string>>& schema,
    const std::vector<ColumnMetadata>& declared) {
  std::map<std::string, const ColumnMetadata*> by_name;
  for (const ColumnMetadata& c : declared) by_name[FoldText(c.name)] = &c;
  std::vector<ColumnMetadata> out;
  for (const auto& [name, type] : schema) {
    auto it = by_name.find(FoldText(name));
    ColumnMetadata c = it == by_name.end() ? ColumnMetadata{} : *it->second;
    c.name = name;
    c.type = type;
    out.push_back(std::move(c));
  }
  return out;
}

Status StartRun(Catalog& catalog, const RunRecord& run, const std::string& sql,
                OpenLineageEmitter* emitter) {
  RunRecord running = run;
  running.status = RunStatus::kRunning;
  running.outputs.clear();
  STRATA_RETURN_IF_ERROR(catalog.RecordRun(running));
  if (emitter == nullptr) return Status::OK();
  LineageRecord none;
  for (const RunOutput& o : run.outputs) none.outputs.push_back(o.table);
  // Outputs may not be in the catalog yet on a first run: emit the job alone then.
  auto event = BuildRunEventFromCatalog(catalog, running, "START", none, sql);
  if (!event.ok())
    event = BuildRunEventFromCatalog(catalog, running, "START", LineageRecord{}, sql);
  if (!event.ok()) return event.status();
  return emitter->Emit(BuildRunEvent(*event, emitter->config().namespace_name));
}

Result<SyncReport> SyncRun(Catalog& catalog, engine::Connection& connection, const RunSync& sync,
                           OpenLineageEmitter* emitter) {
  SyncReport report;
  const RunRecord& run = sync.run;
  bool ok = run.status == RunStatus::kSucceeded;
  const std::string& output = sync.table.name;
  if (ok && !output.empty()) {
    TableMetadata table = sync.table;
    if (!sync.schema.empty()) table.columns = MergeColumns(sync.schema, sync.table.columns);
    for (const RunOutput& o : run.outputs) {
      if (o.table != output) continue;
      if (o.version) table.version = o.version;
      if (o.row_count) table.row_count = o.row_count;
    }
    if (table.data_updated_at.empty())
      table.data_updated_at = run.ended_at.empty() ? NowIso8601() : run.ended_at;
    STRATA_ASSIGN_OR_RETURN(report.outcome, catalog.UpsertTable(table));
  }
  STRATA_RETURN_IF_ERROR(catalog.RecordRun(run));

  LineageRecord& lineage = report.lineage;
  std::optional<int64_t> version = sync.table.version;
  for (const RunOutput& o : run.outputs) {
    if (o.table == output && o.version) version = o.version;
  }
  if (!sync.sql.empty() && !output.empty()) {
    STRATA_ASSIGN_OR_RETURN(SqlLineage derived,
                            DeriveSqlLineage(connection, sync.sql, DescribeLookup(connection)));
    lineage = ToLineageRecord(derived, run.job, output, run.run_id, version);
  } else if (!sync.landing_files.empty() && !output.empty()) {
    lineage.job = run.job;
    lineage.kind = "landing";
    lineage.run_id = run.run_id;
    lineage.inputs = sync.landing_files;
    lineage.outputs = {output};
    lineage.output_version = version;
    for (const std::string& file : sync.landing_files) {
      for (const ColumnMetadata& c : sync.table.columns) {
        lineage.columns.push_back({file, c.name, output, c.name, "DIRECT", "IDENTITY"});
      }
    }
  } else if (!sync.declared_inputs.empty()) {
    lineage.job = run.job;
    lineage.kind = "declared";
    lineage.run_id = run.run_id;
    lineage.inputs = sync.declared_inputs;
    for (const RunOutput& o : run.outputs) lineage.outputs.push_back(o.table);
    lineage.output_version = version;
  }
  if (ok && !lineage.job.empty()) STRATA_RETURN_IF_ERROR(catalog.RecordLineage(lineage));

  if (ok && !sync.relation_sql.empty() && !output.empty()) {
    STRATA_ASSIGN_OR_RETURN(report.classified, ClassifyTable(catalog, connection, output,
                                                             sync.relation_sql, sync.classifier));
  } else if (ok) {
    STRATA_RETURN_IF_ERROR(catalog.PropagateClassifications().status());
  }

  if (emitter != nullptr) {
    auto event = BuildRunEventFromCatalog(catalog, run, std::string(CatalogRunState(run.status)),
                                          lineage, sync.sql);
    report.emit_status =
        event.ok() ? emitter->Emit(BuildRunEvent(*event, emitter->config().namespace_name))
                   : event.status();
  }
  return report;
}

}  // namespace strata::catalog
