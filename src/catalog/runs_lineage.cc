// GCC 12 at -O3 reports a false -Wmaybe-uninitialized when copying a std::variant SqlParam
// built from an optional (GCC bug 105562 family); silenced before any header.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// Catalog: runs, lineage and classifications.
#include <map>
#include <set>
#include <tuple>

#include "catalog/catalog.h"
#include "catalog/catalog_internal.h"

namespace strata::catalog {

using internal::EnsureAsset;
using internal::EnsureColumn;
using internal::FindAssetId;
using internal::KindForName;
using internal::RequireAssetId;

namespace {

SqlParam TextParam(const std::string& s) { return s.empty() ? SqlParam() : SqlParam(s); }

// The table a name refers to, created as a bare asset if unknown (files for paths).
Result<int64_t> EnsureNamed(Store& store, const std::string& name) {
  STRATA_ASSIGN_OR_RETURN(std::optional<int64_t> id, FindAssetId(store, name));
  if (id) return *id;
  std::string kind = KindForName(name);
  std::string layer = kind == "table" ? name.substr(0, name.find('.')) : "";
  std::string display = name.substr(name.find_last_of("./") + 1);
  if (kind == "file") display = name.substr(name.find_last_of('/') + 1);
  return EnsureAsset(store, kind, name, std::nullopt, display, layer);
}

int Strength(const std::string& transformation) { return transformation == "DIRECT" ? 1 : 0; }

}  // namespace

std::string_view CatalogRunState(RunStatus status) {
  switch (status) {
    case RunStatus::kQueued:
    case RunStatus::kRunning:
      return "RUNNING";
    case RunStatus::kSucceeded:
      return "COMPLETE";
    case RunStatus::kFailed:
      return "FAIL";
    case RunStatus::kAborted:
      return "ABORT";
  }
  return "FAIL";
}

Status Catalog::RecordRun(const RunRecord& run) {
  if (run.run_id.empty() || run.job.empty()) {
    return Status::InvalidArgument("run record needs a run_id and a job");
  }
  const std::string state(CatalogRunState(run.status));
  Store& s = *store_;
  WriteTransaction tx(s);
  STRATA_RETURN_IF_ERROR(tx.Begin());
  SqlParam rows = run.rows_written ? SqlParam(*run.rows_written) : SqlParam();
  STRATA_RETURN_IF_ERROR(s.Execute(
      "INSERT INTO runs (run_id, job, pipeline, status, started_at, ended_at, rows_written, "
      "error) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET "
      "status = excluded.status, started_at = COALESCE(excluded.started_at, runs.started_at), "
      "ended_at = COALESCE(excluded.ended_at, runs.ended_at), "
      "rows_written = COALESCE(excluded.rows_written, runs.rows_written), error = excluded.error",
      {run.run_id, run.job, TextParam(run.pipeline), state, TextParam(run.started_at),
       TextParam(run.ended_at), rows, TextParam(run.error)}));
  bool succeeded = run.status == RunStatus::kSucceeded;
  std::string fresh = run.ended_at.empty() ? NowIso8601() : run.ended_at;
  for (const RunOutput& output : run.outputs) {
    STRATA_ASSIGN_OR_RETURN(int64_t table_id, EnsureNamed(s, output.table));
    SqlParam version = output.version ? SqlParam(*output.version) : SqlParam();
    SqlParam count = output.row_count ? SqlParam(*output.row_count) : SqlParam();
    STRATA_RETURN_IF_ERROR(s.Execute(
        "INSERT INTO run_outputs (run_id, table_id, version, row_count) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (run_id, table_id) DO UPDATE SET version = excluded.version, "
        "row_count = excluded.row_count",
        {run.run_id, table_id, version, count}));
    if (succeeded) {
      STRATA_RETURN_IF_ERROR(s.Execute(
          "UPDATE assets SET version = COALESCE(?, version), row_count = COALESCE(?, row_count), "
          "data_updated_at = ?, state = ? WHERE id = ?",
          {version, count, fresh, state, table_id}));
    }
  }
  // The job (a task or a model's table) and its pipeline show the state of their last run.
  for (const std::string& name :
       {run.job, run.pipeline.empty() ? "" : "pipeline:" + run.pipeline}) {
    if (name.empty()) continue;
    STRATA_RETURN_IF_ERROR(s.Execute("UPDATE assets SET state = ?, updated_at = ? WHERE name = ?",
                                     {state, NowIso8601(), name}));
  }
  return tx.Commit();
}

Status Catalog::RecordLineage(const LineageRecord& lineage) {
  if (lineage.job.empty()) return Status::InvalidArgument("lineage record needs a job");
  std::string kind = lineage.kind.empty() ? "sql" : lineage.kind;
  Store& s = *store_;
  WriteTransaction tx(s);
  STRATA_RETURN_IF_ERROR(tx.Begin());
  // Landing edges accumulate (every run loads new files); derived edges describe the job's
  // current SQL or declaration, so they replace the previous ones.
  if (kind != "landing") {
    STRATA_RETURN_IF_ERROR(
        s.Execute("DELETE FROM lineage_edges WHERE job = ? AND kind = ?", {lineage.job, kind}));
  }
  std::string now = NowIso8601();
  SqlParam version = lineage.output_version ? SqlParam(*lineage.output_version) : SqlParam();
  SqlParam run = TextParam(lineage.run_id);
  auto insert_edge = [&](int64_t from, int64_t to, const std::string& level,
                         const std::string& transformation, const std::string& subtype) {
    return s.Execute(
        "INSERT INTO lineage_edges (from_id, to_id, level, kind, transformation, subtype, job, "
        "run_id, to_version, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (from_id, to_id) DO UPDATE SET level = excluded.level, kind = excluded.kind, "
        "transformation = excluded.transformation, subtype = excluded.subtype, "
        "job = excluded.job, run_id = excluded.run_id, to_version = excluded.to_version, "
        "recorded_at = excluded.recorded_at",
        {from, to, level, kind, transformation, subtype, lineage.job, run, version, now});
  };
  std::map<std::string, int64_t> ids;
  for (const std::string& name : lineage.inputs) {
    STRATA_ASSIGN_OR_RETURN(ids[name], EnsureNamed(s, name));
  }
  for (const std::string& name : lineage.outputs) {
    STRATA_ASSIGN_OR_RETURN(ids[name], EnsureNamed(s, name));
  }
  for (const std::string& in : lineage.inputs) {
    for (const std::string& out : lineage.outputs) {
      if (in == out) continue;
      STRATA_RETURN_IF_ERROR(insert_edge(ids[in], ids[out], "table", "DIRECT",
                                         kind == "landing" ? "LOAD" : "TRANSFORMATION"));
    }
  }
  // One edge per column pair: a value that flows (DIRECT) outranks a filter or join role.
  std::map<std::tuple<std::string, std::string, std::string, std::string>, const ColumnEdge*> best;
  for (const ColumnEdge& e : lineage.columns) {
    auto key = std::make_tuple(e.from_table, e.from_column, e.to_table, e.to_column);
    auto [it, inserted] = best.emplace(key, &e);
    if (!inserted && Strength(e.transformation) > Strength(it->second->transformation)) {
      it->second = &e;
    }
  }
  for (const auto& [key, e] : best) {
    if (!ids.contains(e->from_table)) {
      STRATA_ASSIGN_OR_RETURN(ids[e->from_table], EnsureNamed(s, e->from_table));
    }
    if (!ids.contains(e->to_table)) {
      STRATA_ASSIGN_OR_RETURN(ids[e->to_table], EnsureNamed(s, e->to_table));
    }
    STRATA_ASSIGN_OR_RETURN(int64_t from,
                            EnsureColumn(s, ids[e->from_table], e->from_table, e->from_column));
    STRATA_ASSIGN_OR_RETURN(int64_t to,
                            EnsureColumn(s, ids[e->to_table], e->to_table, e->to_column));
    STRATA_RETURN_IF_ERROR(insert_edge(from, to, "column", e->transformation, e->subtype));
  }
  return tx.Commit();
}

Status Catalog::RecordClassifications(const std::string& column,
                                      const std::vector<ClassificationRecord>& proposals) {
  Store& s = *store_;
  WriteTransaction tx(s);
  STRATA_RETURN_IF_ERROR(tx.Begin());
  STRATA_ASSIGN_OR_RETURN(int64_t id, RequireAssetId(s, column, "column"));
  std::set<std::string> proposed;
  std::string now = NowIso8601();
  for (const ClassificationRecord& p : proposals) {
    proposed.insert(p.class_name);
    // Rejected stays rejected (not re-proposed); confirmed keeps its status, refreshed evidence.
    STRATA_RETURN_IF_ERROR(s.Execute(
        "INSERT INTO classifications (column_id, class, status, confidence, method, evidence, "
        "updated_at) VALUES (?, ?, 'proposed', ?, ?, ?, ?) ON CONFLICT (column_id, class) DO "
        "UPDATE SET confidence = CASE WHEN classifications.status = 'rejected' THEN "
        "classifications.confidence ELSE excluded.confidence END, evidence = CASE WHEN "
        "classifications.status = 'rejected' THEN classifications.evidence ELSE "
        "excluded.evidence END, method = CASE WHEN classifications.status = 'proposed' THEN "
        "excluded.method ELSE classifications.method END, updated_at = excluded.updated_at",
        {id, p.class_name, p.confidence, p.method.empty() ? "values" : p.method, p.evidence, now}));
  }
  STRATA_ASSIGN_OR_RETURN(SqlRows old,
                          s.Query("SELECT class FROM classifications WHERE column_id = ? AND "
                                  "status = 'proposed' AND method IN ('values', 'name')",
                                  {id}));
  for (const SqlRow& row : old) {
    if (proposed.contains(row.Text(0))) continue;
    STRATA_RETURN_IF_ERROR(s.Execute(
        "DELETE FROM classifications WHERE column_id = ? AND class = ?", {id, row.Text(0)}));
  }
  return tx.Commit();
}

namespace {

Status Decide(Store& s, const std::string& column, const std::string& class_name,
              const std::string& status) {
  if (class_name.empty()) return Status::InvalidArgument("no class given");
  WriteTransaction tx(s);
  STRATA_RETURN_IF_ERROR(tx.Begin());
  STRATA_ASSIGN_OR_RETURN(int64_t id, RequireAssetId(s, column, "column"));
  STRATA_RETURN_IF_ERROR(s.Execute(
      "INSERT INTO classifications (column_id, class, status, confidence, method, evidence, "
      "updated_at) VALUES (?, ?, ?, 1.0, 'user', '{}', ?) ON CONFLICT (column_id, class) DO "
      "UPDATE SET status = excluded.status, updated_at = excluded.updated_at",
      {id, class_name, status, NowIso8601()}));
  return tx.Commit();
}

}  // namespace

Status Catalog::ConfirmClassification(const std::string& column, const std::string& class_name) {
  return Decide(*store_, column, class_name, "confirmed");
}

Status Catalog::RejectClassification(const std::string& column, const std::string& class_name) {
  return Decide(*store_, column, class_name, "rejected");
}

Result<int> Catalog::PropagateClassifications() {
  Store& s = *store_;
  WriteTransaction tx(s);
  STRATA_RETURN_IF_ERROR(tx.Begin());
  int changed = 0;
  // Each pass moves classes one IDENTITY hop; chains are short (bronze -> silver -> gold).
  for (int pass = 0; pass < 16; ++pass) {
    STRATA_ASSIGN_OR_RETURN(
        SqlRows rows,
        s.Query("SELECT e.to_id, c.class, c.confidence, f.name, e.from_id FROM lineage_edges e "
                "JOIN classifications c ON c.column_id = e.from_id "
                "JOIN assets f ON f.id = e.from_id "
                "WHERE e.level = 'column' AND e.subtype = 'IDENTITY' "
                "AND c.status IN ('proposed', 'confirmed') AND NOT EXISTS (SELECT 1 FROM "
                "classifications d WHERE d.column_id = e.to_id AND d.class = c.class)",
                {}));
    if (rows.empty()) break;
    for (const SqlRow& row : rows) {
      std::string evidence = R"({"propagated_from":")" + row.Text(3) + R"("})";
      STRATA_RETURN_IF_ERROR(s.Execute(
          "INSERT INTO classifications (column_id, class, status, confidence, method, evidence, "
          "origin_id, updated_at) VALUES (?, ?, 'proposed', ?, 'lineage', ?, ?, ?) "
          "ON CONFLICT (column_id, class) DO NOTHING",
          {row.Int(0), row.Text(1), row.Double(2), evidence, row.Int(4), NowIso8601()}));
      ++changed;
    }
  }
  STRATA_RETURN_IF_ERROR(tx.Commit());
  return changed;
}

Result<std::vector<ClassificationRecord>> Catalog::Classifications(const std::string& column) {
  STRATA_ASSIGN_OR_RETURN(int64_t id, RequireAssetId(*store_, column, "column"));
  STRATA_ASSIGN_OR_RETURN(
      SqlRows rows,
      store_->Query("SELECT c.class, c.status, c.confidence, c.method, c.evidence, o.name "
                    "FROM classifications c LEFT JOIN assets o ON o.id = c.origin_id "
                    "WHERE c.column_id = ? ORDER BY c.confidence DESC, c.class",
                    {id}));
  std::vector<ClassificationRecord> out;
  for (const SqlRow& row : rows) {
    out.push_back(
        {column, row.Text(0), row.Text(1), row.Double(2), row.Text(3), row.Text(4), row.Text(5)});
  }
  return out;
}

}  // namespace strata::catalog
